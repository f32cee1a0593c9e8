//! The one configuration of the synthetic generator: every rate, share and coverage figure
//! `skiptrace synth` uses, with its default and where the default comes from.
//!
//! Figures cite docs/domain.md section 8 (Census CPS, Pew, CDC, FCC, Damerau...) where a source
//! exists; the rest are marked "design choice". A JSON file passed with `--config` is merged
//! over the defaults key by key, so it needs to name only what it changes, even inside one
//! source's profile.

use serde::{Deserialize, Serialize};

use crate::error::{Error, InputError, Result};

/// Everything `skiptrace synth` needs to generate a population, its records and its truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SynthConfig {
    /// Random seed; the same seed and config give byte-identical files. Default 1.
    pub seed: u64,
    /// Number of people in the observed population (absent debtors come on top). Default
    /// 10,000. Generation stops at the household that reaches this count.
    pub people: usize,
    /// Reference date ("today") in `YYYY-MM-DD`; life histories end here. Default `2026-06-30`.
    pub as_of: String,
    /// Years of life history before `as_of`. Default 15 (design choice: credit headers keep
    /// about that much address history).
    pub history_years: u32,
    /// Who lives in the population: names, households, hard cases.
    pub population: PopulationConfig,
    /// How lives change: moves, phones, emails, jobs, marriages, deaths.
    pub life: LifeConfig,
    /// The five simulated sources and their coverage and error profiles.
    pub sources: SourcesConfig,
    /// The creditor's returned-mail file.
    pub returned_mail: ReturnedMailConfig,
    /// Shape of the errors every source makes (its rates are per source, in `sources`).
    pub noise: NoiseConfig,
}

impl Default for SynthConfig {
    fn default() -> SynthConfig {
        SynthConfig {
            seed: 1,
            people: 10_000,
            as_of: "2026-06-30".to_string(),
            history_years: 15,
            population: PopulationConfig::default(),
            life: LifeConfig::default(),
            sources: SourcesConfig::default(),
            returned_mail: ReturnedMailConfig::default(),
            noise: NoiseConfig::default(),
        }
    }
}

/// Relative weights of the ways a Hispanic double surname ("Garcia Lopez") is recorded.
/// Default 0.45 / 0.2 / 0.25 / 0.1 (design choice; docs/domain.md: Utah Population Database study
/// names all four forms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DoubleSurnameForms {
    /// "Garcia Lopez".
    pub two_tokens: f64,
    /// "Garcia-Lopez".
    pub hyphenated: f64,
    /// "Garcia".
    pub first_only: f64,
    /// "GarciaLopez".
    pub concatenated: f64,
}

impl Default for DoubleSurnameForms {
    fn default() -> DoubleSurnameForms {
        DoubleSurnameForms {
            two_tokens: 0.45,
            hyphenated: 0.2,
            first_only: 0.25,
            concatenated: 0.1,
        }
    }
}

/// Relative weights of the kinds of DOB error. Default one third each (docs/domain.md: "split is a
/// design choice").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DobErrorKinds {
    /// Day and month swapped (when the day is 12 or less).
    pub day_month_swap: f64,
    /// One digit wrong.
    pub one_digit: f64,
    /// Year off by one.
    pub year_off_by_one: f64,
}

impl Default for DobErrorKinds {
    fn default() -> DobErrorKinds {
        DobErrorKinds {
            day_month_swap: 1.0,
            one_digit: 1.0,
            year_off_by_one: 1.0,
        }
    }
}

/// How errors look, shared by all sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoiseConfig {
    /// Share of misspelt names with a second edit. Default 0.12 (Damerau 1964: over 80 % of
    /// typos are one insertion, deletion, substitution or transposition).
    pub multi_edit_share: f64,
    /// Factor on `first_last_swap_rate` for Asian names. Default 5 (design choice: family name
    /// first, swapped inconsistently by Western records).
    pub asian_swap_multiplier: f64,
    /// Share of nickname uses that take the person's usual nickname (the rest: another
    /// nickname of the same name). Default 0.8 (design choice).
    pub preferred_nickname_share: f64,
    /// How Hispanic double surnames are recorded.
    pub double_surname_forms: DoubleSurnameForms,
    /// Kinds of DOB errors.
    pub dob_error_kinds: DobErrorKinds,
}

impl Default for NoiseConfig {
    fn default() -> NoiseConfig {
        NoiseConfig {
            multi_edit_share: 0.12,
            asian_swap_multiplier: 5.0,
            preferred_nickname_share: 0.8,
            double_surname_forms: DoubleSurnameForms::default(),
            dob_error_kinds: DobErrorKinds::default(),
        }
    }
}

/// Population structure: ethnicity mix, names, households and the hard cases that fool naive
/// matchers (Jr/Sr, twins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PopulationConfig {
    /// Share of households with Hispanic names. Default 0.19 (Census 2020: 18.7 %).
    pub hispanic_share: f64,
    /// Share of households with East/South-East/South Asian names. Default 0.06 (Census 2020:
    /// about 6 %).
    pub asian_share: f64,
    /// Share of Hispanic people whose surname comes from the hardcoded list of common Hispanic
    /// surnames (with diacritics); the rest draw from the Census table. Default 0.35 (design
    /// choice, keeps Garcia below Smith as in Census 2010: Smith 2.4 M, Garcia 1.2 M).
    pub hispanic_listed_surname_share: f64,
    /// Share of Asian people whose surname comes from the hardcoded list of common Asian
    /// surnames; the rest draw from the Census table. Default 0.35 (design choice: the short
    /// list would otherwise make Nguyen the top surname; Census 2010 ranks it 38th).
    pub asian_listed_surname_share: f64,
    /// Share of Hispanic families whose children carry a double surname (paternal + maternal).
    /// Default 0.3 (design choice; docs/domain.md: Utah Population Database study).
    pub hispanic_double_surname_share: f64,
    /// Share of Hispanic people with a Spanish given name (José, María). Default 0.7 (design
    /// choice).
    pub hispanic_given_name_share: f64,
    /// Share of Asian people with an Asian given name (Wei, Minh, Ji-hoon); the rest have an
    /// English one. Default 0.55 (design choice).
    pub asian_given_name_share: f64,
    /// Share of people without a middle name. Default 0.12 (design choice); Asian people use
    /// `asian_no_middle_name_share`.
    pub no_middle_name_share: f64,
    /// Share of Asian people without a middle name. Default 0.6 (design choice).
    pub asian_no_middle_name_share: f64,
    /// Share of households that are a married couple. Default 0.48 (Census ACS: married-couple
    /// households are about 47 % of households).
    pub couple_share: f64,
    /// Share of couples where both spouses share the ethnicity. Default 0.85 (Pew 2017: 17 % of
    /// newlyweds intermarry).
    pub same_ethnicity_couple_share: f64,
    /// Share of single household heads aged 25–60 who have children. Default 0.3 (design
    /// choice).
    pub single_parent_share: f64,
    /// Weights of 0, 1, 2, 3, 4 children for parents. Default `[0.3, 0.22, 0.28, 0.13, 0.07]`
    /// (design choice near the Census family-size distribution).
    pub children_weights: Vec<f64>,
    /// Probability that a birth is a twin delivery. Default 0.03 (design choice, tuned so
    /// about 2.5 % of people are twins: docs/domain.md, CDC "2–3 % of people").
    pub twin_delivery_share: f64,
    /// Probability that a father's son is named after him (Jr/Sr pair; at most one per
    /// family). Default 0.04 (design choice, tuned so about 1.5 % of people are in a Jr/Sr
    /// pair).
    pub junior_share: f64,
    /// Share of same-name fathers recorded with "Sr" (the rest carry no suffix). Default 0.6
    /// (design choice).
    pub senior_suffix_share: f64,
    /// Share of men carrying "Jr" or "III" without their namesake in the population. Default
    /// 0.02 (design choice).
    pub lone_suffix_share: f64,
    /// Share of adult children who never leave home by `as_of`. Default 0.15 (design choice;
    /// Pew: about a third of 18–34s live with parents, most leave by 27).
    pub stay_home_share: f64,
    /// Share of women outside a couple household (single heads, daughters who left) who have
    /// married someone outside the population and may have changed surname. Default 0.45
    /// (design choice).
    pub outside_marriage_share: f64,
}

impl Default for PopulationConfig {
    fn default() -> PopulationConfig {
        PopulationConfig {
            hispanic_share: 0.19,
            asian_share: 0.06,
            hispanic_listed_surname_share: 0.35,
            asian_listed_surname_share: 0.35,
            hispanic_double_surname_share: 0.3,
            hispanic_given_name_share: 0.7,
            asian_given_name_share: 0.55,
            no_middle_name_share: 0.12,
            asian_no_middle_name_share: 0.6,
            couple_share: 0.48,
            same_ethnicity_couple_share: 0.85,
            single_parent_share: 0.3,
            children_weights: vec![0.3, 0.22, 0.28, 0.13, 0.07],
            twin_delivery_share: 0.03,
            junior_share: 0.04,
            senior_suffix_share: 0.6,
            lone_suffix_share: 0.02,
            stay_home_share: 0.15,
            outside_marriage_share: 0.45,
        }
    }
}

/// Life-history dynamics: moves, phones, emails, employers, marriage names and deaths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifeConfig {
    /// Annual move probability at ages 18–34, besides leaving home and moving in at marriage
    /// (drawn separately). Default 0.18, so that 18–34s realise about 21 % (Census CPS).
    pub move_rate_18_34: f64,
    /// Annual move probability at ages 35–54. Default 0.08 (design choice; with the other two
    /// and the moves of leaving home and marrying, the adult average is about 11–12 %, Census
    /// CPS 2014: 11.5 %).
    pub move_rate_35_54: f64,
    /// Annual move probability at 55 and over. Default 0.04 (design choice; owners 5 %, Census
    /// CPS).
    pub move_rate_55_plus: f64,
    /// Share of moves within the same county (a ZIP of the same county). Default 0.60 (Census
    /// CPS 2020–21).
    pub move_same_county_share: f64,
    /// Share of moves to another county of the same state. Default 0.22 (Census CPS 2020–21);
    /// the rest (0.18) go to another state.
    pub move_same_state_share: f64,
    /// Share of addresses with a unit (apartment). Default 0.26 (Census ACS: about a quarter of
    /// housing units are in buildings with 2+ units).
    pub unit_share: f64,
    /// Share of street names with a predirectional (N MAIN ST). Default 0.15 (design choice).
    pub directional_share: f64,
    /// Share of numbered street names (2ND AVE). Default 0.2 (design choice).
    pub numbered_street_share: f64,
    /// Share of adults with a mobile phone, under 65. Default 0.96 (CDC NHIS).
    pub mobile_share: f64,
    /// Share of adults with a mobile phone, 65 and over. Default 0.85 (CDC NHIS).
    pub mobile_share_65_plus: f64,
    /// Annual probability a mobile number changes (mobiles are mostly kept across moves).
    /// Default 0.06 (design choice under FCC's about 10 % of numbers disconnected a year).
    pub mobile_change_rate: f64,
    /// Share of households with a landline at the start of the history. Default 0.6 (CDC NHIS
    /// 2011: 34 % of households wireless-only).
    pub landline_share_start: f64,
    /// Share of households with a landline at `as_of`. Default 0.27 (CDC NHIS 2021: 68 % of
    /// adults mobile-only).
    pub landline_share_end: f64,
    /// Extra landline share when the household head is 65 or older. Default 0.25 (CDC NHIS:
    /// landlines are mostly older owners').
    pub landline_65_plus_extra: f64,
    /// Share of adults with an email address. Default 0.9 (design choice).
    pub email_share: f64,
    /// Annual probability of switching to a new email address. Default 0.2 (Return Path:
    /// 15–30 % a year).
    pub email_churn_rate: f64,
    /// Share of people aged 18–66 with an employer. Default 0.72 (BLS employment-population
    /// ratio, rounded up for the working ages).
    pub employed_share: f64,
    /// Annual probability of changing employer. Default 0.2 (BLS: median tenure about 4 years).
    pub employer_change_rate: f64,
    /// Share of marrying women who take the husband's surname. Default 0.79 (Pew 2023).
    pub wife_takes_surname_share: f64,
    /// Share of marrying women who keep their surname. Default 0.14 (Pew 2023).
    pub wife_keeps_surname_share: f64,
    /// Share of marrying women who hyphenate. Default 0.05 (Pew 2023); the remaining 2 % take
    /// the husband's surname.
    pub wife_hyphenates_share: f64,
    /// Share of Hispanic women who keep their surname. Default 0.30 (Pew 2023).
    pub hispanic_wife_keeps_surname_share: f64,
    /// Annual probability of death at age 65; it doubles every 8 years of age (Gompertz).
    /// Default 0.015 (SSA period life table, both sexes, rounded).
    pub mortality_at_65: f64,
}

impl Default for LifeConfig {
    fn default() -> LifeConfig {
        LifeConfig {
            move_rate_18_34: 0.18,
            move_rate_35_54: 0.08,
            move_rate_55_plus: 0.04,
            move_same_county_share: 0.60,
            move_same_state_share: 0.22,
            unit_share: 0.26,
            directional_share: 0.15,
            numbered_street_share: 0.2,
            mobile_share: 0.96,
            mobile_share_65_plus: 0.85,
            mobile_change_rate: 0.06,
            landline_share_start: 0.6,
            landline_share_end: 0.27,
            landline_65_plus_extra: 0.25,
            email_share: 0.9,
            email_churn_rate: 0.2,
            employed_share: 0.72,
            employer_change_rate: 0.2,
            wife_takes_surname_share: 0.79,
            wife_keeps_surname_share: 0.14,
            wife_hyphenates_share: 0.05,
            hispanic_wife_keeps_surname_share: 0.30,
            mortality_at_65: 0.015,
        }
    }
}

/// A date-of-birth layout a source writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DobFormat {
    /// `YYYY-MM-DD`.
    Iso,
    /// `MM/DD/YYYY`.
    MonthDayYear,
    /// `YYYYMMDD`.
    Compact,
}

/// A letter case a source writes text in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStyle {
    /// `JOHN SMITH`.
    Upper,
    /// `john smith`.
    Lower,
    /// `John Smith`.
    Title,
}

/// A telephone layout a source writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneFormat {
    /// `5551234567`.
    Digits,
    /// `555-123-4567`.
    Dashed,
    /// `(555) 123-4567`.
    Parenthesized,
    /// `555.123.4567`.
    Dotted,
    /// `+1 555 123 4567`.
    International,
    /// `1-555-123-4567`.
    TrunkDashed,
}

/// One simulated source: what it observes, how completely, how recently, and how it errs.
/// Each source's defaults are listed on its [`SourcesConfig`] field and printed in full by
/// `skiptrace synth --print-config`; the values of [`SourceProfile::default`] are only a
/// template the five profiles start from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceProfile {
    /// Share of adults the source holds at all.
    pub person_coverage: f64,
    /// Probability that an address period (phone, email spell) ending now is observed.
    pub recent_coverage: f64,
    /// Probability for a period that ended long ago; coverage decays from `recent_coverage`
    /// towards this with `coverage_decay_years`.
    pub old_coverage: f64,
    /// Years over which coverage falls by a factor e from recent to old.
    pub coverage_decay_years: f64,
    /// Largest delay in days between a move (or a new phone, email) and `first_seen`.
    pub first_seen_lag_days: u32,
    /// Largest staleness in days of `last_seen` before a move-out or `as_of`.
    pub last_seen_staleness_days: u32,
    /// Share of records that write the name in one `full_name` field.
    pub full_name_share: f64,
    /// Share of records carrying a DOB.
    pub dob_share: f64,
    /// Layout of the DOB.
    pub dob_format: DobFormat,
    /// Share of records carrying an SSN.
    pub ssn_share: f64,
    /// Share of carried SSNs that are the last 4 digits only.
    pub ssn_last4_share: f64,
    /// Share of records carrying a phone.
    pub phone_share: f64,
    /// Share of records carrying an email.
    pub email_share: f64,
    /// Share of records carrying the employer.
    pub employer_share: f64,
    /// Probability a record's name carries a typo in one part (keyboard neighbour,
    /// transposition, drop, insertion). docs/domain.md: Damerau 1964.
    pub name_typo_rate: f64,
    /// Probability the given name is replaced by a nickname (when the name has one).
    pub nickname_rate: f64,
    /// Probability the given name is written as an initial.
    pub given_initial_rate: f64,
    /// Probability the middle name is written as an initial.
    pub middle_initial_rate: f64,
    /// Probability the middle name is missing. docs/domain.md: middle differs in 58 % of duplicate
    /// pairs (Just et al. 2016).
    pub middle_missing_rate: f64,
    /// Probability first and last names are swapped (multiplied by
    /// `asian_swap_multiplier` for Asian names).
    pub first_last_swap_rate: f64,
    /// Probability a Jr/Sr/III suffix is omitted.
    pub suffix_omitted_rate: f64,
    /// Probability a married woman's record keeps her maiden surname after the marriage.
    pub stale_surname_rate: f64,
    /// Probability diacritics are stripped (José → Jose).
    pub diacritics_stripped_rate: f64,
    /// Probability a carried DOB is wrong (day/month swap, one digit, year ±1). docs/domain.md:
    /// 0.5–2 % per source (NHS linkage studies).
    pub dob_error_rate: f64,
    /// Probability a full SSN has a typo (one digit or a transposition). docs/domain.md: ID
    /// Analytics 2010.
    pub ssn_typo_rate: f64,
    /// Probability each address token is written in a variant (Street, St., Str; North, N.;
    /// Apartment, #, Unit) instead of the standard abbreviation.
    pub address_variant_rate: f64,
    /// Probability the unit is missing.
    pub unit_dropped_rate: f64,
    /// Probability the unit is written on line 1 instead of line 2.
    pub unit_in_line1_rate: f64,
    /// Probability of a ZIP+4 instead of a 5-digit ZIP.
    pub zip_plus4_rate: f64,
    /// Usual phone layout.
    pub phone_format: PhoneFormat,
    /// Probability of another, random phone layout.
    pub phone_format_mix_rate: f64,
    /// Usual letter case.
    pub case_style: CaseStyle,
    /// Probability of another, random letter case for a record.
    pub case_mix_rate: f64,
    /// Probability of whitespace noise (doubled inner space, trailing space) in a record.
    pub whitespace_noise_rate: f64,
    /// Share of the people a source holds whose every address record it stamps with its
    /// report date (`last_seen` the same for the old homes as for the current one), as credit
    /// headers do: `last_seen` ties are then common and `first_seen` tells the newer home
    /// (docs/domain.md section 4; share is a design choice).
    pub report_date_stamp_share: f64,
    /// Share of the source's phones written with their line type (`mobile`, `landline`).
    /// Phone directories know it; most other sources do not (design choice).
    pub phone_type_share: f64,
}

impl Default for SourceProfile {
    fn default() -> SourceProfile {
        SourceProfile {
            person_coverage: 0.5,
            recent_coverage: 0.5,
            old_coverage: 0.3,
            coverage_decay_years: 5.0,
            first_seen_lag_days: 60,
            last_seen_staleness_days: 90,
            report_date_stamp_share: 0.0,
            phone_type_share: 0.0,
            full_name_share: 0.0,
            dob_share: 0.0,
            dob_format: DobFormat::Iso,
            ssn_share: 0.0,
            ssn_last4_share: 0.0,
            phone_share: 0.0,
            email_share: 0.0,
            employer_share: 0.0,
            name_typo_rate: 0.01,
            nickname_rate: 0.02,
            given_initial_rate: 0.005,
            middle_initial_rate: 0.3,
            middle_missing_rate: 0.3,
            first_last_swap_rate: 0.003,
            suffix_omitted_rate: 0.3,
            stale_surname_rate: 0.05,
            diacritics_stripped_rate: 0.5,
            dob_error_rate: 0.01,
            ssn_typo_rate: 0.01,
            address_variant_rate: 0.1,
            unit_dropped_rate: 0.05,
            unit_in_line1_rate: 0.2,
            zip_plus4_rate: 0.1,
            phone_format: PhoneFormat::Dashed,
            phone_format_mix_rate: 0.2,
            case_style: CaseStyle::Title,
            case_mix_rate: 0.1,
            whitespace_noise_rate: 0.02,
        }
    }
}

/// The five simulated sources. Coverage and error figures are design choices shaped by
/// docs/domain.md section 8 (errors 0.5–2 % per field, nicknames prevalent, middle names often
/// differing, recent periods better covered than old ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesConfig {
    /// Credit-bureau header: name, SSN, DOB (`YYYYMMDD`), one record per address period with
    /// that period's first/last seen (links old and new addresses). Broadest coverage,
    /// upper case, few typos. Defaults: person coverage 0.92, period coverage 0.95 recent /
    /// 0.7 old, DOB error 0.008, SSN last-4 0.04, SSN typo 0.01, name typo 0.008, nickname
    /// 0.03, suffix omitted 0.3.
    pub credit_header: SourceProfile,
    /// Utility connections: name, address, phone (landline where the home has one), DOB
    /// sometimes (ISO); `first_seen` at connection. Account holders only. Defaults: person
    /// coverage 0.75, period coverage 0.85 / 0.45, DOB share 0.25, DOB error 0.015, name typo
    /// 0.015, nickname 0.08, suffix omitted 0.5.
    pub utility: SourceProfile,
    /// Phone directory: name (a quarter in one full-name field), phone, address. Defaults:
    /// person coverage 0.55, period coverage 0.6 / 0.35, name typo 0.02, nickname 0.12, swap
    /// 0.01, suffix omitted 0.6.
    pub phone_directory: SourceProfile,
    /// Marketing list: name, email, ZIP only, sometimes a phone. Many nicknames and typos.
    /// Defaults: person coverage 0.6, email coverage 0.7 / 0.25, name typo 0.03, nickname 0.18,
    /// swap 0.015, middle missing 0.75.
    pub marketing_list: SourceProfile,
    /// Public records (deeds, voter rolls, courts): full name in one field, DOB
    /// (`MM/DD/YYYY`), address. Defaults: person coverage 0.45, period coverage 0.45 / 0.35,
    /// DOB error 0.012, name typo 0.01, nickname 0.02.
    pub public_records: SourceProfile,
}

impl Default for SourcesConfig {
    fn default() -> SourcesConfig {
        SourcesConfig {
            credit_header: SourceProfile {
                person_coverage: 0.92,
                recent_coverage: 0.95,
                old_coverage: 0.7,
                coverage_decay_years: 6.0,
                first_seen_lag_days: 120,
                last_seen_staleness_days: 60,
                dob_share: 0.97,
                dob_format: DobFormat::Compact,
                ssn_share: 0.95,
                ssn_last4_share: 0.04,
                phone_share: 0.3,
                employer_share: 0.25,
                name_typo_rate: 0.008,
                nickname_rate: 0.03,
                middle_initial_rate: 0.45,
                middle_missing_rate: 0.2,
                suffix_omitted_rate: 0.3,
                stale_surname_rate: 0.08,
                diacritics_stripped_rate: 0.95,
                dob_error_rate: 0.008,
                ssn_typo_rate: 0.01,
                address_variant_rate: 0.05,
                unit_in_line1_rate: 0.5,
                zip_plus4_rate: 0.3,
                phone_format: PhoneFormat::Digits,
                case_style: CaseStyle::Upper,
                case_mix_rate: 0.02,
                whitespace_noise_rate: 0.01,
                report_date_stamp_share: 0.3,
                ..SourceProfile::default()
            },
            utility: SourceProfile {
                person_coverage: 0.75,
                recent_coverage: 0.85,
                old_coverage: 0.45,
                coverage_decay_years: 4.0,
                first_seen_lag_days: 14,
                last_seen_staleness_days: 45,
                dob_share: 0.25,
                dob_format: DobFormat::Iso,
                phone_share: 0.85,
                name_typo_rate: 0.015,
                nickname_rate: 0.08,
                middle_initial_rate: 0.5,
                middle_missing_rate: 0.5,
                suffix_omitted_rate: 0.5,
                stale_surname_rate: 0.15,
                diacritics_stripped_rate: 0.7,
                dob_error_rate: 0.015,
                address_variant_rate: 0.15,
                unit_dropped_rate: 0.08,
                zip_plus4_rate: 0.15,
                phone_format: PhoneFormat::Parenthesized,
                phone_format_mix_rate: 0.3,
                case_style: CaseStyle::Title,
                case_mix_rate: 0.15,
                whitespace_noise_rate: 0.03,
                phone_type_share: 0.5,
                ..SourceProfile::default()
            },
            phone_directory: SourceProfile {
                person_coverage: 0.55,
                recent_coverage: 0.6,
                old_coverage: 0.35,
                coverage_decay_years: 5.0,
                first_seen_lag_days: 180,
                last_seen_staleness_days: 365,
                full_name_share: 0.25,
                phone_share: 1.0,
                name_typo_rate: 0.02,
                nickname_rate: 0.12,
                given_initial_rate: 0.02,
                middle_initial_rate: 0.6,
                middle_missing_rate: 0.6,
                first_last_swap_rate: 0.01,
                suffix_omitted_rate: 0.6,
                stale_surname_rate: 0.2,
                diacritics_stripped_rate: 0.6,
                address_variant_rate: 0.2,
                unit_dropped_rate: 0.15,
                unit_in_line1_rate: 0.4,
                zip_plus4_rate: 0.05,
                phone_format: PhoneFormat::Dotted,
                phone_format_mix_rate: 0.35,
                case_style: CaseStyle::Title,
                case_mix_rate: 0.2,
                whitespace_noise_rate: 0.04,
                phone_type_share: 0.9,
                ..SourceProfile::default()
            },
            marketing_list: SourceProfile {
                person_coverage: 0.6,
                recent_coverage: 0.7,
                old_coverage: 0.25,
                coverage_decay_years: 3.0,
                first_seen_lag_days: 90,
                last_seen_staleness_days: 240,
                phone_share: 0.3,
                email_share: 1.0,
                name_typo_rate: 0.03,
                nickname_rate: 0.18,
                given_initial_rate: 0.01,
                middle_initial_rate: 0.7,
                middle_missing_rate: 0.75,
                first_last_swap_rate: 0.015,
                suffix_omitted_rate: 0.7,
                stale_surname_rate: 0.25,
                diacritics_stripped_rate: 0.4,
                phone_format: PhoneFormat::Digits,
                phone_format_mix_rate: 0.5,
                case_style: CaseStyle::Title,
                case_mix_rate: 0.35,
                whitespace_noise_rate: 0.05,
                ..SourceProfile::default()
            },
            public_records: SourceProfile {
                person_coverage: 0.45,
                recent_coverage: 0.45,
                old_coverage: 0.35,
                coverage_decay_years: 10.0,
                first_seen_lag_days: 45,
                last_seen_staleness_days: 400,
                full_name_share: 1.0,
                dob_share: 0.85,
                dob_format: DobFormat::MonthDayYear,
                name_typo_rate: 0.01,
                nickname_rate: 0.02,
                middle_initial_rate: 0.5,
                middle_missing_rate: 0.15,
                first_last_swap_rate: 0.002,
                suffix_omitted_rate: 0.15,
                stale_surname_rate: 0.1,
                diacritics_stripped_rate: 0.8,
                dob_error_rate: 0.012,
                address_variant_rate: 0.1,
                unit_dropped_rate: 0.1,
                unit_in_line1_rate: 0.6,
                zip_plus4_rate: 0.05,
                case_style: CaseStyle::Upper,
                case_mix_rate: 0.05,
                whitespace_noise_rate: 0.02,
                ..SourceProfile::default()
            },
        }
    }
}

/// The creditor's returned-mail file: debtors as the creditor recorded them when the debt was
/// opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReturnedMailConfig {
    /// Debtors (observed and absent) as a share of the population. Default 0.10 (design
    /// choice). Observed debtors are drawn among adults with source records; at least one
    /// debtor when the population has 10 or more people.
    pub debtor_share: f64,
    /// Share of debtors that no source observes (right answer: no match), generated as extra
    /// people. Default 0.15 (docs/domain.md section 8, design choice).
    pub absent_debtor_share: f64,
    /// Share of absent debtors who are look-alikes of an observed adult: the same given,
    /// middle and family name, a DOB one digit off, another SSN (the stranger a careless match
    /// would call). Default 0 (the hard profile: 0.3; design choice).
    pub absent_look_alike_share: f64,
    /// Writes the file in the split layout some creditors send: the SSN in two columns
    /// (`ssn_last4` before `ssn`, each row filling one) and the street line as `street_number`
    /// and `street_name`. Default false (the hard profile: true; design choice).
    pub split_layout: bool,
    /// Fewest years between opening the debt and `as_of`. Default 1 (design choice).
    pub open_years_min: u32,
    /// Most years between opening the debt and `as_of`. Default 8 (design choice).
    pub open_years_max: u32,
    /// Share of rows with the full SSN. Default 0.65 (design choice).
    pub ssn_full_share: f64,
    /// Share of rows with the last 4 SSN digits only. Default 0.20 (design choice); the rest
    /// (0.15) have no SSN.
    pub ssn_last4_share: f64,
    /// Share of rows with a DOB. Default 0.95 (design choice).
    pub dob_share: f64,
    /// Probability a DOB is wrong. Default 0.01 (docs/domain.md: 0.5–2 %).
    pub dob_error_rate: f64,
    /// Share of rows with the phone of the time. Default 0.8 (design choice).
    pub phone_share: f64,
    /// Share of rows with the email of the time. Default 0.1 (design choice: "occasionally").
    pub email_share: f64,
    /// Probability the name carries a creditor-side typo. Default 0.02 (design choice).
    pub name_typo_rate: f64,
    /// Probability the given name is the debtor's nickname. Default 0.05 (design choice).
    pub nickname_rate: f64,
    /// Probability the middle name is missing. Default 0.35 (design choice).
    pub middle_missing_rate: f64,
    /// Probability the middle name is an initial. Default 0.45 (design choice).
    pub middle_initial_rate: f64,
    /// Probability a Jr/Sr suffix is omitted. Default 0.35 (design choice).
    pub suffix_omitted_rate: f64,
    /// Probability a full SSN has a typo. Default 0.01 (design choice).
    pub ssn_typo_rate: f64,
    /// Probability each address token is written in a variant. Default 0.1 (design choice).
    pub address_variant_rate: f64,
    /// Probability of a ZIP+4. Default 0.2 (design choice).
    pub zip_plus4_rate: f64,
    /// Share of debtors who still live at the address the mail came back from: a returned
    /// letter does not prove a move (USPS puts only about 30 % of undeliverable mail down to
    /// moves without a forwarding address; docs/domain.md section 7). Their debt is opened while
    /// they already lived at today's address when their history allows it. Default 0.3
    /// (design choice).
    pub non_mover_share: f64,
    /// Probability that a non-mover at an address with a unit has the unit missing in the
    /// file (the classic cause of an "insufficient address" return). Default 0.7 (design
    /// choice); the other non-movers' mail came back for a carrier reason.
    pub non_mover_unit_missing_rate: f64,
    /// Share of movers' and missing-unit rows whose file gives the return reason
    /// (`return_reason` column). Default 0.6 (design choice): a mover's reason says moved /
    /// not known / forwarding expired, a missing unit's says insufficient address.
    pub return_reason_share: f64,
    /// Share of rows returned by a carrier's error (the debtor lives there, the address is
    /// complete) whose file gives a reason (not deliverable as addressed, not known): such an
    /// address is never confirmed. Default 0.2 (design choice: a misdelivered piece is seldom
    /// endorsed with a reason).
    pub carrier_return_reason_share: f64,
    /// Share of rows with a second phone (`phone2`: the home's landline or an earlier mobile).
    /// Default 0.3 (design choice).
    pub second_phone_share: f64,
}

impl Default for ReturnedMailConfig {
    fn default() -> ReturnedMailConfig {
        ReturnedMailConfig {
            debtor_share: 0.10,
            absent_debtor_share: 0.15,
            absent_look_alike_share: 0.0,
            split_layout: false,
            open_years_min: 1,
            open_years_max: 8,
            ssn_full_share: 0.65,
            ssn_last4_share: 0.20,
            dob_share: 0.95,
            dob_error_rate: 0.01,
            phone_share: 0.8,
            email_share: 0.1,
            name_typo_rate: 0.02,
            nickname_rate: 0.05,
            middle_missing_rate: 0.35,
            middle_initial_rate: 0.45,
            suffix_omitted_rate: 0.35,
            ssn_typo_rate: 0.01,
            address_variant_rate: 0.1,
            zip_plus4_rate: 0.2,
            non_mover_share: 0.3,
            non_mover_unit_missing_rate: 0.7,
            return_reason_share: 0.6,
            carrier_return_reason_share: 0.2,
            second_phone_share: 0.3,
        }
    }
}

/// A configuration problem, reported as an input error on the named key.
fn invalid(key: &str, message: impl Into<String>) -> Error {
    Error::Input(InputError::new(0, key, message))
}

/// Checks that `value` is a probability.
fn check_share(key: &str, value: f64) -> Result<()> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            key,
            format!("{value} is not a share between 0 and 1"),
        ))
    }
}

impl SourceProfile {
    /// Every probability of the profile, named for error messages.
    fn shares(&self) -> [(&'static str, f64); 30] {
        [
            ("person_coverage", self.person_coverage),
            ("recent_coverage", self.recent_coverage),
            ("old_coverage", self.old_coverage),
            ("full_name_share", self.full_name_share),
            ("dob_share", self.dob_share),
            ("ssn_share", self.ssn_share),
            ("ssn_last4_share", self.ssn_last4_share),
            ("phone_share", self.phone_share),
            ("email_share", self.email_share),
            ("employer_share", self.employer_share),
            ("name_typo_rate", self.name_typo_rate),
            ("nickname_rate", self.nickname_rate),
            ("given_initial_rate", self.given_initial_rate),
            ("middle_initial_rate", self.middle_initial_rate),
            ("middle_missing_rate", self.middle_missing_rate),
            ("first_last_swap_rate", self.first_last_swap_rate),
            ("suffix_omitted_rate", self.suffix_omitted_rate),
            ("stale_surname_rate", self.stale_surname_rate),
            ("diacritics_stripped_rate", self.diacritics_stripped_rate),
            ("dob_error_rate", self.dob_error_rate),
            ("ssn_typo_rate", self.ssn_typo_rate),
            ("address_variant_rate", self.address_variant_rate),
            ("unit_dropped_rate", self.unit_dropped_rate),
            ("unit_in_line1_rate", self.unit_in_line1_rate),
            ("zip_plus4_rate", self.zip_plus4_rate),
            ("phone_format_mix_rate", self.phone_format_mix_rate),
            ("case_mix_rate", self.case_mix_rate),
            ("whitespace_noise_rate", self.whitespace_noise_rate),
            ("report_date_stamp_share", self.report_date_stamp_share),
            ("phone_type_share", self.phone_type_share),
        ]
    }
}

impl SourcesConfig {
    /// The profiles with their source names, in the canonical source order.
    pub fn named(&self) -> [(&'static str, &SourceProfile); 5] {
        [
            ("credit_header", &self.credit_header),
            ("utility", &self.utility),
            ("phone_directory", &self.phone_directory),
            ("marketing_list", &self.marketing_list),
            ("public_records", &self.public_records),
        ]
    }
}

impl SynthConfig {
    /// Parses a JSON configuration and merges it over the defaults: keys it leaves out keep
    /// their default, also inside nested objects such as one source's profile.
    ///
    /// # Errors
    /// [`Error::Json`] when the text is not JSON or names an unknown key or a wrong type;
    /// [`Error::Input`] when a value is out of range (see [`SynthConfig::validate`]).
    pub fn from_json_str(text: &str) -> Result<SynthConfig> {
        SynthConfig::default().with_json_overrides(text)
    }

    /// Returns the named profile: `default`, or `hard` (`data/synth_profiles/hard.json`:
    /// creditor-side typos in 4 % of names, 3 % DOB and SSN errors, more address variants and
    /// ZIP+4, 40 % of debtors kept at their address, return reasons on most rows and on 40 % of
    /// carrier returns, a second phone on 60 % of rows, sources that stamp every address with
    /// the report date, fewer line types, two to two and a half times the sources' name typos,
    /// 30 % of absent debtors made look-alikes of observed adults, the split file layout).
    ///
    /// # Errors
    /// [`Error::Input`] for an unknown profile name.
    pub fn profile(name: &str) -> Result<SynthConfig> {
        match name {
            "default" => Ok(SynthConfig::default()),
            "hard" => SynthConfig::default().with_json_overrides(HARD_PROFILE),
            other => Err(invalid(
                "--profile",
                format!("unknown profile {other} (profiles: default, hard)"),
            )),
        }
    }

    /// Returns this configuration with the values of a JSON object merged over it (objects key
    /// by key), validated.
    ///
    /// # Errors
    /// [`Error::Json`] when the text is not JSON or names unknown keys; [`Error::Input`] when a
    /// value is out of range.
    pub fn with_json_overrides(&self, text: &str) -> Result<SynthConfig> {
        let overrides: serde_json::Value = serde_json::from_str(text)?;
        let mut merged = serde_json::to_value(self)?;
        merge_json(&mut merged, overrides);
        let config: SynthConfig = serde_json::from_value(merged)?;
        config.validate()?;
        Ok(config)
    }

    /// Returns the configuration as pretty-printed JSON (what `--print-config` shows and
    /// `truth/config.json` holds).
    ///
    /// # Errors
    /// [`Error::Json`] if serialization fails (it does not for valid floats).
    pub fn to_json_pretty(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Checks every share is within 0..=1, the date parses and the year ranges are sane.
    ///
    /// # Errors
    /// [`Error::Input`] naming the offending key.
    pub fn validate(&self) -> Result<()> {
        if crate::synth::calendar::Day::parse_iso(&self.as_of).is_none() {
            return Err(invalid("as_of", "expected a date as YYYY-MM-DD"));
        }
        if !(1..=60).contains(&self.history_years) {
            return Err(invalid("history_years", "expected 1 to 60 years"));
        }
        self.validate_population()?;
        self.validate_life()?;
        for (name, profile) in self.sources.named() {
            for (key, value) in profile.shares() {
                check_share(&format!("sources.{name}.{key}"), value)?;
            }
            if profile.coverage_decay_years <= 0.0 || profile.coverage_decay_years.is_nan() {
                return Err(invalid(
                    &format!("sources.{name}.coverage_decay_years"),
                    "expected a positive number of years",
                ));
            }
        }
        self.validate_returned_mail()?;
        self.validate_noise()
    }

    fn validate_noise(&self) -> Result<()> {
        let noise = &self.noise;
        check_share("noise.multi_edit_share", noise.multi_edit_share)?;
        check_share(
            "noise.preferred_nickname_share",
            noise.preferred_nickname_share,
        )?;
        if !(0.0..=100.0).contains(&noise.asian_swap_multiplier) {
            return Err(invalid(
                "noise.asian_swap_multiplier",
                "expected a factor from 0 to 100",
            ));
        }
        let forms = &noise.double_surname_forms;
        let kinds = &noise.dob_error_kinds;
        for (key, weights) in [
            (
                "noise.double_surname_forms",
                [
                    forms.two_tokens,
                    forms.hyphenated,
                    forms.first_only,
                    forms.concatenated,
                ]
                .to_vec(),
            ),
            (
                "noise.dob_error_kinds",
                [kinds.day_month_swap, kinds.one_digit, kinds.year_off_by_one].to_vec(),
            ),
        ] {
            let valid = weights.iter().all(|w| *w >= 0.0 && w.is_finite())
                && weights.iter().sum::<f64>() > 0.0;
            if !valid {
                return Err(invalid(
                    key,
                    "expected non-negative weights with a positive sum",
                ));
            }
        }
        Ok(())
    }

    fn validate_population(&self) -> Result<()> {
        let population = &self.population;
        for (key, value) in [
            ("hispanic_share", population.hispanic_share),
            ("asian_share", population.asian_share),
            (
                "hispanic_listed_surname_share",
                population.hispanic_listed_surname_share,
            ),
            (
                "asian_listed_surname_share",
                population.asian_listed_surname_share,
            ),
            (
                "hispanic_double_surname_share",
                population.hispanic_double_surname_share,
            ),
            (
                "hispanic_given_name_share",
                population.hispanic_given_name_share,
            ),
            ("asian_given_name_share", population.asian_given_name_share),
            ("no_middle_name_share", population.no_middle_name_share),
            (
                "asian_no_middle_name_share",
                population.asian_no_middle_name_share,
            ),
            ("couple_share", population.couple_share),
            (
                "same_ethnicity_couple_share",
                population.same_ethnicity_couple_share,
            ),
            ("single_parent_share", population.single_parent_share),
            ("twin_delivery_share", population.twin_delivery_share),
            ("junior_share", population.junior_share),
            ("senior_suffix_share", population.senior_suffix_share),
            ("lone_suffix_share", population.lone_suffix_share),
            ("stay_home_share", population.stay_home_share),
            ("outside_marriage_share", population.outside_marriage_share),
        ] {
            check_share(&format!("population.{key}"), value)?;
        }
        if population.hispanic_share + population.asian_share > 1.0 {
            return Err(invalid(
                "population.asian_share",
                "hispanic_share + asian_share exceeds 1",
            ));
        }
        let weights = &population.children_weights;
        if weights.is_empty()
            || weights.iter().any(|w| !(*w >= 0.0 && w.is_finite()))
            || weights.iter().sum::<f64>() <= 0.0
        {
            return Err(invalid(
                "population.children_weights",
                "expected non-negative weights with a positive sum",
            ));
        }
        Ok(())
    }

    fn validate_life(&self) -> Result<()> {
        let life = &self.life;
        for (key, value) in [
            ("move_rate_18_34", life.move_rate_18_34),
            ("move_rate_35_54", life.move_rate_35_54),
            ("move_rate_55_plus", life.move_rate_55_plus),
            ("move_same_county_share", life.move_same_county_share),
            ("move_same_state_share", life.move_same_state_share),
            ("unit_share", life.unit_share),
            ("directional_share", life.directional_share),
            ("numbered_street_share", life.numbered_street_share),
            ("mobile_share", life.mobile_share),
            ("mobile_share_65_plus", life.mobile_share_65_plus),
            ("mobile_change_rate", life.mobile_change_rate),
            ("landline_share_start", life.landline_share_start),
            ("landline_share_end", life.landline_share_end),
            ("landline_65_plus_extra", life.landline_65_plus_extra),
            ("email_share", life.email_share),
            ("email_churn_rate", life.email_churn_rate),
            ("employed_share", life.employed_share),
            ("employer_change_rate", life.employer_change_rate),
            ("wife_takes_surname_share", life.wife_takes_surname_share),
            ("wife_keeps_surname_share", life.wife_keeps_surname_share),
            ("wife_hyphenates_share", life.wife_hyphenates_share),
            (
                "hispanic_wife_keeps_surname_share",
                life.hispanic_wife_keeps_surname_share,
            ),
            ("mortality_at_65", life.mortality_at_65),
        ] {
            check_share(&format!("life.{key}"), value)?;
        }
        if life.move_same_county_share + life.move_same_state_share > 1.0 {
            return Err(invalid(
                "life.move_same_state_share",
                "move_same_county_share + move_same_state_share exceeds 1",
            ));
        }
        if life.wife_keeps_surname_share + life.wife_hyphenates_share > 1.0
            || life.hispanic_wife_keeps_surname_share + life.wife_hyphenates_share > 1.0
        {
            return Err(invalid(
                "life.wife_hyphenates_share",
                "keep + hyphenate shares exceed 1",
            ));
        }
        Ok(())
    }

    fn validate_returned_mail(&self) -> Result<()> {
        let mail = &self.returned_mail;
        for (key, value) in [
            ("debtor_share", mail.debtor_share),
            ("ssn_full_share", mail.ssn_full_share),
            ("ssn_last4_share", mail.ssn_last4_share),
            ("dob_share", mail.dob_share),
            ("dob_error_rate", mail.dob_error_rate),
            ("phone_share", mail.phone_share),
            ("email_share", mail.email_share),
            ("name_typo_rate", mail.name_typo_rate),
            ("nickname_rate", mail.nickname_rate),
            ("middle_missing_rate", mail.middle_missing_rate),
            ("middle_initial_rate", mail.middle_initial_rate),
            ("suffix_omitted_rate", mail.suffix_omitted_rate),
            ("ssn_typo_rate", mail.ssn_typo_rate),
            ("address_variant_rate", mail.address_variant_rate),
            ("zip_plus4_rate", mail.zip_plus4_rate),
            ("non_mover_share", mail.non_mover_share),
            (
                "non_mover_unit_missing_rate",
                mail.non_mover_unit_missing_rate,
            ),
            ("return_reason_share", mail.return_reason_share),
            (
                "carrier_return_reason_share",
                mail.carrier_return_reason_share,
            ),
            ("second_phone_share", mail.second_phone_share),
            ("absent_look_alike_share", mail.absent_look_alike_share),
        ] {
            check_share(&format!("returned_mail.{key}"), value)?;
        }
        if !(0.0..0.95).contains(&mail.absent_debtor_share) {
            return Err(invalid(
                "returned_mail.absent_debtor_share",
                "expected a share from 0 to below 0.95",
            ));
        }
        if mail.ssn_full_share + mail.ssn_last4_share > 1.0 {
            return Err(invalid(
                "returned_mail.ssn_last4_share",
                "ssn_full_share + ssn_last4_share exceeds 1",
            ));
        }
        if mail.open_years_min > mail.open_years_max || mail.open_years_max > self.history_years {
            return Err(invalid(
                "returned_mail.open_years_max",
                "expected open_years_min <= open_years_max <= history_years",
            ));
        }
        Ok(())
    }
}

/// The `hard` profile's overrides (see [`SynthConfig::profile`]).
const HARD_PROFILE: &str = include_str!("../../data/synth_profiles/hard.json");

/// Merges `overrides` into `base`: objects key by key (recursively), anything else replaced.
fn merge_json(base: &mut serde_json::Value, overrides: serde_json::Value) {
    match (base, overrides) {
        (serde_json::Value::Object(base_map), serde_json::Value::Object(override_map)) => {
            for (key, value) in override_map {
                match base_map.get_mut(&key) {
                    Some(slot) => merge_json(slot, value),
                    None => {
                        base_map.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hard_profile_is_valid_and_harder_than_the_default() {
        let hard = SynthConfig::profile("hard").expect("hard profile");
        let default = SynthConfig::profile("default").expect("default profile");
        assert_eq!(default, SynthConfig::default());
        assert!(hard.returned_mail.name_typo_rate > default.returned_mail.name_typo_rate);
        assert!(hard.sources.credit_header.report_date_stamp_share > 0.5);
        assert_eq!(
            hard.people, default.people,
            "untouched values keep their defaults"
        );
        let error = SynthConfig::profile("easy").expect_err("unknown profile");
        assert!(error.to_string().contains("hard"), "{error}");
    }

    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip_through_json() {
        let config = SynthConfig::default();
        config.validate().expect("defaults validate");
        let text = config.to_json_pretty().expect("serializes");
        let back = SynthConfig::from_json_str(&text).expect("parses");
        assert_eq!(back, config);
    }

    #[test]
    fn partial_override_keeps_the_sources_own_defaults() {
        let text = r#"{"people": 50, "sources": {"utility": {"dob_error_rate": 0.02}}}"#;
        let config = SynthConfig::from_json_str(text).expect("parses");
        let defaults = SourcesConfig::default();
        assert_eq!(config.people, 50);
        assert_eq!(config.sources.utility.dob_error_rate, 0.02);
        assert_eq!(
            config.sources.utility.person_coverage,
            defaults.utility.person_coverage
        );
        assert_eq!(config.sources.credit_header, defaults.credit_header);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        let error = SynthConfig::from_json_str(r#"{"peeple": 5}"#).expect_err("a misspelt key");
        assert!(error.to_string().contains("peeple"), "{error}");
        let bad_share = r#"{"returned_mail": {"debtor_share": 1.5}}"#;
        let error = SynthConfig::from_json_str(bad_share).expect_err("out of range");
        assert!(error.to_string().contains("returned_mail.debtor_share"));
        let error = SynthConfig::from_json_str(r#"{"as_of": "30/06/2026"}"#).expect_err("not ISO");
        assert!(
            error.to_string().contains("as_of") || error.to_string().contains("30/06/2026"),
            "{error}"
        );
    }
}
