//! Permissible purposes: the GLBA and DPPA codes every search must state (docs/domain.md §6).
//!
//! Compliance, not matching: the HTTP API refuses a search without a known code of each kind and
//! records both in the audit log ([`crate::audit`]). The lists below are the statutory grounds a
//! skip-tracing client can plausibly claim; each variant cites the provision it stands for.
//!
//! - GLBA: the Gramm–Leach–Bliley Act forbids disclosing nonpublic personal information except
//!   under the general exceptions of 15 U.S.C. 6802(e).
//! - DPPA: the Driver's Privacy Protection Act forbids disclosing personal information from motor
//!   vehicle records except for the permissible uses of 18 U.S.C. 2721(b).
//!
//! Every record in a skiptrace index is treated as regulated data, so there is no "no
//! permissible purpose" code: a caller without one may not search at all. Results are for
//! locating a consumer only, never for credit, employment, insurance or tenancy decisions.

use serde::{Deserialize, Serialize};

/// A GLBA exception under 15 U.S.C. 6802(e) that permits the disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GlbaPurpose {
    /// 6802(e)(1): as necessary to effect, administer or enforce a transaction requested or
    /// authorized by the consumer (the usual ground for collecting a consumer's own debt).
    ConsumerAuthorized,
    /// 6802(e)(2): with the consent or at the direction of the consumer.
    ConsumerConsent,
    /// 6802(e)(3)(B): to protect against or prevent actual or potential fraud, unauthorized
    /// transactions, claims or other liability.
    FraudPrevention,
    /// 6802(e)(3)(C): for required institutional risk control, or for resolving customer
    /// disputes or inquiries.
    InstitutionalRiskControl,
    /// 6802(e)(3)(D): to persons holding a legal or beneficial interest relating to the consumer.
    LegalOrBeneficialInterest,
    /// 6802(e)(3)(E): to persons acting in a fiduciary or representative capacity on behalf of
    /// the consumer.
    FiduciaryOrRepresentative,
    /// 6802(e)(5): to law enforcement agencies and regulators, to the extent specifically
    /// permitted or required under other provisions of law.
    LawEnforcement,
    /// 6802(e)(8): to comply with federal, state or local laws, rules and other applicable
    /// legal requirements.
    LegalCompliance,
    /// 6802(e)(8): to comply with a properly authorized civil, criminal or regulatory
    /// investigation, subpoena or summons, or to respond to judicial process.
    InvestigationOrSubpoena,
}

impl GlbaPurpose {
    /// Every GLBA code, in the order of the statute.
    pub const ALL: [GlbaPurpose; 9] = [
        GlbaPurpose::ConsumerAuthorized,
        GlbaPurpose::ConsumerConsent,
        GlbaPurpose::FraudPrevention,
        GlbaPurpose::InstitutionalRiskControl,
        GlbaPurpose::LegalOrBeneficialInterest,
        GlbaPurpose::FiduciaryOrRepresentative,
        GlbaPurpose::LawEnforcement,
        GlbaPurpose::LegalCompliance,
        GlbaPurpose::InvestigationOrSubpoena,
    ];

    /// Returns the snake_case code callers send.
    pub fn code(self) -> &'static str {
        match self {
            GlbaPurpose::ConsumerAuthorized => "consumer_authorized",
            GlbaPurpose::ConsumerConsent => "consumer_consent",
            GlbaPurpose::FraudPrevention => "fraud_prevention",
            GlbaPurpose::InstitutionalRiskControl => "institutional_risk_control",
            GlbaPurpose::LegalOrBeneficialInterest => "legal_or_beneficial_interest",
            GlbaPurpose::FiduciaryOrRepresentative => "fiduciary_or_representative",
            GlbaPurpose::LawEnforcement => "law_enforcement",
            GlbaPurpose::LegalCompliance => "legal_compliance",
            GlbaPurpose::InvestigationOrSubpoena => "investigation_or_subpoena",
        }
    }

    /// Returns the provision of 15 U.S.C. 6802(e) the code stands for.
    pub fn citation(self) -> &'static str {
        match self {
            GlbaPurpose::ConsumerAuthorized => "15 U.S.C. 6802(e)(1)",
            GlbaPurpose::ConsumerConsent => "15 U.S.C. 6802(e)(2)",
            GlbaPurpose::FraudPrevention => "15 U.S.C. 6802(e)(3)(B)",
            GlbaPurpose::InstitutionalRiskControl => "15 U.S.C. 6802(e)(3)(C)",
            GlbaPurpose::LegalOrBeneficialInterest => "15 U.S.C. 6802(e)(3)(D)",
            GlbaPurpose::FiduciaryOrRepresentative => "15 U.S.C. 6802(e)(3)(E)",
            GlbaPurpose::LawEnforcement => "15 U.S.C. 6802(e)(5)",
            GlbaPurpose::LegalCompliance | GlbaPurpose::InvestigationOrSubpoena => {
                "15 U.S.C. 6802(e)(8)"
            }
        }
    }

    /// Returns a one-line description of the exception, in words a collector reads.
    pub fn description(self) -> &'static str {
        match self {
            GlbaPurpose::ConsumerAuthorized => {
                "a transaction the consumer requested or authorized (collecting their own debt)"
            }
            GlbaPurpose::ConsumerConsent => "with the consumer's consent or at their direction",
            GlbaPurpose::FraudPrevention => "to protect against or prevent fraud or liability",
            GlbaPurpose::InstitutionalRiskControl => {
                "institutional risk control, or resolving a customer dispute or inquiry"
            }
            GlbaPurpose::LegalOrBeneficialInterest => {
                "for a person holding a legal or beneficial interest relating to the consumer"
            }
            GlbaPurpose::FiduciaryOrRepresentative => {
                "for a person acting as the consumer's fiduciary or representative"
            }
            GlbaPurpose::LawEnforcement => {
                "for law enforcement agencies and regulators, as the law permits"
            }
            GlbaPurpose::LegalCompliance => "to comply with federal, state or local law",
            GlbaPurpose::InvestigationOrSubpoena => {
                "an authorized investigation, subpoena or summons, or judicial process"
            }
        }
    }

    /// Returns the code named `code` (exact, snake_case), `None` when unknown.
    pub fn from_code(code: &str) -> Option<GlbaPurpose> {
        GlbaPurpose::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// A DPPA permissible use under 18 U.S.C. 2721(b).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DppaPurpose {
    /// 2721(b)(1): use by a government agency, or a private person acting on its behalf, in
    /// carrying out its functions.
    GovernmentAgency,
    /// 2721(b)(3): in the normal course of business by a legitimate business, to verify
    /// information the individual submitted and, where it is wrong, to obtain the correct
    /// information to prevent fraud, pursue legal remedies against, or recover on a debt or
    /// security interest against the individual (the usual ground for collections).
    DebtRecovery,
    /// 2721(b)(4): in connection with a civil, criminal, administrative or arbitral proceeding,
    /// including service of process, investigation in anticipation of litigation and the
    /// execution or enforcement of judgments and orders.
    LegalProceedings,
    /// 2721(b)(6): by an insurer or insurance support organization in claims investigation,
    /// antifraud activities, rating or underwriting.
    Insurance,
    /// 2721(b)(7): to provide notice to the owners of towed or impounded vehicles.
    TowedVehicleNotice,
    /// 2721(b)(8): by a licensed private investigative agency or licensed security service, for
    /// a purpose permitted under 2721(b).
    LicensedPrivateInvestigator,
    /// 2721(b)(13): by a requester who demonstrates the written consent of the individual.
    WrittenConsent,
}

impl DppaPurpose {
    /// Every DPPA code, in the order of the statute.
    pub const ALL: [DppaPurpose; 7] = [
        DppaPurpose::GovernmentAgency,
        DppaPurpose::DebtRecovery,
        DppaPurpose::LegalProceedings,
        DppaPurpose::Insurance,
        DppaPurpose::TowedVehicleNotice,
        DppaPurpose::LicensedPrivateInvestigator,
        DppaPurpose::WrittenConsent,
    ];

    /// Returns the snake_case code callers send.
    pub fn code(self) -> &'static str {
        match self {
            DppaPurpose::GovernmentAgency => "government_agency",
            DppaPurpose::DebtRecovery => "debt_recovery",
            DppaPurpose::LegalProceedings => "legal_proceedings",
            DppaPurpose::Insurance => "insurance",
            DppaPurpose::TowedVehicleNotice => "towed_vehicle_notice",
            DppaPurpose::LicensedPrivateInvestigator => "licensed_private_investigator",
            DppaPurpose::WrittenConsent => "written_consent",
        }
    }

    /// Returns the provision of 18 U.S.C. 2721(b) the code stands for.
    pub fn citation(self) -> &'static str {
        match self {
            DppaPurpose::GovernmentAgency => "18 U.S.C. 2721(b)(1)",
            DppaPurpose::DebtRecovery => "18 U.S.C. 2721(b)(3)",
            DppaPurpose::LegalProceedings => "18 U.S.C. 2721(b)(4)",
            DppaPurpose::Insurance => "18 U.S.C. 2721(b)(6)",
            DppaPurpose::TowedVehicleNotice => "18 U.S.C. 2721(b)(7)",
            DppaPurpose::LicensedPrivateInvestigator => "18 U.S.C. 2721(b)(8)",
            DppaPurpose::WrittenConsent => "18 U.S.C. 2721(b)(13)",
        }
    }

    /// Returns a one-line description of the permissible use, in words a collector reads.
    pub fn description(self) -> &'static str {
        match self {
            DppaPurpose::GovernmentAgency => "a government agency, or a person acting for one",
            DppaPurpose::DebtRecovery => {
                "normal course of business: verify the individual's information, and correct it \
                 to recover a debt"
            }
            DppaPurpose::LegalProceedings => {
                "a civil, criminal, administrative or arbitral proceeding, service of process \
                 included"
            }
            DppaPurpose::Insurance => {
                "an insurer's claims investigation, antifraud or underwriting"
            }
            DppaPurpose::TowedVehicleNotice => {
                "notice to the owner of a towed or impounded vehicle"
            }
            DppaPurpose::LicensedPrivateInvestigator => {
                "a licensed private investigator or security service, for a permitted use"
            }
            DppaPurpose::WrittenConsent => "with the individual's written consent",
        }
    }

    /// Returns the code named `code` (exact, snake_case), `None` when unknown.
    pub fn from_code(code: &str) -> Option<DppaPurpose> {
        DppaPurpose::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// The two purposes a search states: one GLBA exception and one DPPA permissible use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PermissiblePurpose {
    /// GLBA exception (15 U.S.C. 6802(e)).
    pub glba: GlbaPurpose,
    /// DPPA permissible use (18 U.S.C. 2721(b)).
    pub dppa: DppaPurpose,
}

/// Why a stated purpose was refused; `field` names the offending field as the caller spelt it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PurposeError {
    /// Missing, or not a known code.
    pub kind: PurposeErrorKind,
    /// `permissible_purpose`, `permissible_purpose.glba` or `permissible_purpose.dppa`.
    pub field: &'static str,
    /// What is wrong, with the accepted codes.
    pub message: String,
}

/// What is wrong with a stated purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurposeErrorKind {
    /// The purpose, or one of its two codes, is absent.
    Missing,
    /// A code is not one of the accepted ones.
    Unknown,
}

impl PermissiblePurpose {
    /// Parses the codes a caller sent; either may be absent.
    ///
    /// # Errors
    /// [`PurposeError`] naming the missing or unknown field and listing the accepted codes.
    pub fn from_codes(
        glba: Option<&str>,
        dppa: Option<&str>,
    ) -> Result<PermissiblePurpose, PurposeError> {
        let glba_codes = || codes(GlbaPurpose::ALL.iter().map(|p| p.code()));
        let dppa_codes = || codes(DppaPurpose::ALL.iter().map(|p| p.code()));
        let glba = match glba {
            None => {
                return Err(PurposeError {
                    kind: PurposeErrorKind::Missing,
                    field: "permissible_purpose.glba",
                    message: format!("a GLBA purpose is required (one of {})", glba_codes()),
                })
            }
            Some(code) => GlbaPurpose::from_code(code).ok_or_else(|| PurposeError {
                kind: PurposeErrorKind::Unknown,
                field: "permissible_purpose.glba",
                message: format!("unknown GLBA purpose (one of {})", glba_codes()),
            })?,
        };
        let dppa = match dppa {
            None => {
                return Err(PurposeError {
                    kind: PurposeErrorKind::Missing,
                    field: "permissible_purpose.dppa",
                    message: format!("a DPPA purpose is required (one of {})", dppa_codes()),
                })
            }
            Some(code) => DppaPurpose::from_code(code).ok_or_else(|| PurposeError {
                kind: PurposeErrorKind::Unknown,
                field: "permissible_purpose.dppa",
                message: format!("unknown DPPA purpose (one of {})", dppa_codes()),
            })?,
        };
        Ok(PermissiblePurpose { glba, dppa })
    }

    /// The error for a search that states no purpose at all.
    pub fn missing() -> PurposeError {
        PurposeError {
            kind: PurposeErrorKind::Missing,
            field: "permissible_purpose",
            message: "every search must state a permissible purpose: \
                      {\"glba\": CODE, \"dppa\": CODE} (see GET /openapi.json)"
                .into(),
        }
    }
}

fn codes<'a>(codes: impl Iterator<Item = &'a str>) -> String {
    codes.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_name_and_serde() {
        for purpose in GlbaPurpose::ALL {
            assert_eq!(GlbaPurpose::from_code(purpose.code()), Some(purpose));
            let json = serde_json::to_string(&purpose).expect("serialize");
            assert_eq!(json, format!("\"{}\"", purpose.code()));
            assert!(purpose.citation().starts_with("15 U.S.C. 6802(e)"));
            assert!(!purpose.description().is_empty());
        }
        for purpose in DppaPurpose::ALL {
            assert_eq!(DppaPurpose::from_code(purpose.code()), Some(purpose));
            let json = serde_json::to_string(&purpose).expect("serialize");
            assert_eq!(json, format!("\"{}\"", purpose.code()));
            assert!(purpose.citation().starts_with("18 U.S.C. 2721(b)"));
            assert!(!purpose.description().is_empty());
        }
    }

    #[test]
    fn the_collections_pair_is_accepted() {
        let purpose =
            PermissiblePurpose::from_codes(Some("consumer_authorized"), Some("debt_recovery"))
                .expect("valid");
        assert_eq!(purpose.glba, GlbaPurpose::ConsumerAuthorized);
        assert_eq!(purpose.dppa, DppaPurpose::DebtRecovery);
    }

    #[test]
    fn missing_or_unknown_codes_name_the_field() {
        let missing = PermissiblePurpose::from_codes(None, Some("debt_recovery")).unwrap_err();
        assert_eq!(missing.field, "permissible_purpose.glba");
        let unknown = PermissiblePurpose::from_codes(Some("fraud_prevention"), Some("curiosity"))
            .unwrap_err();
        assert_eq!(unknown.field, "permissible_purpose.dppa");
        assert!(unknown.message.contains("debt_recovery"), "lists the codes");
        let case =
            PermissiblePurpose::from_codes(Some("Consumer_Authorized"), Some("debt_recovery"));
        assert!(case.is_err(), "codes are exact");
        assert_eq!(PermissiblePurpose::missing().field, "permissible_purpose");
    }
}
