//! Masking of sensitive identifiers in results: SSN to its last four (`***-**-1234`), DOB to its
//! year, unless the caller is allowed to see them (docs/domain.md §6).

use crate::compare::{Comparison, Level};
use crate::normalize::{Date, Ssn};
use crate::resolve::{Flag, Resolution};
use crate::score::{Band, Model, TermFrequencies};

/// The level shown for an SSN or DOB that agrees, exactly or nearly, to a caller who may not
/// see full SSNs and DOBs ([`coarsen_identifiers`]).
pub const AGREES: &str = "agrees";

/// Returns the DOB reduced to its year.
pub fn mask_dob(dob: Date) -> Date {
    Date {
        year: dob.year,
        month: 0,
        day: 0,
    }
}

/// Returns the SSN reduced to its last four.
pub fn mask_ssn(ssn: &Ssn) -> Ssn {
    Ssn::Last4(ssn.last4().to_string())
}

/// Renders a DOB for a caller: the year alone (`1984`) unless `unmasked`.
pub fn dob_text(dob: Date, unmasked: bool) -> String {
    if unmasked {
        dob.to_string()
    } else {
        mask_dob(dob).to_string()
    }
}

/// Renders an SSN for a caller: `***-**-1234` unless `unmasked`.
pub fn ssn_text(ssn: &Ssn, unmasked: bool) -> String {
    if unmasked {
        ssn.display_full()
    } else {
        mask_ssn(ssn).display_full()
    }
}

/// Returns a caller's reference with every SSN- or date-shaped part masked, for the audit log:
/// a collector who types the debtor's SSN or DOB into the reference field must not put it in
/// the log. Nine digits in a row, or groups of 3, 2 and 4 split by a dash, dot, slash or space,
/// keep their last four (`***-**-6789`); a date (`1984-05-12`, `05/12/1984`, 8 digits that read
/// as one) becomes `**/**/****`. Everything else is kept as sent.
pub fn mask_client_reference(reference: &str) -> String {
    // Maximal runs of digits, as (start, end) char positions.
    let chars: Vec<char> = reference.chars().collect();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            groups.push((start, i));
        } else {
            i += 1;
        }
    }
    let text = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    let len = |g: (usize, usize)| g.1 - g.0;
    // Groups `g` and the next `n - 1` that follow one another across one separator each.
    let joined = |g: usize, n: usize| {
        g + n <= groups.len()
            && (g..g + n - 1)
                .all(|k| groups[k + 1].0 == groups[k].1 + 1 && is_separator(chars[groups[k].1]))
    };
    let mut out = String::with_capacity(reference.len());
    let mut copied = 0;
    let mut g = 0;
    while g < groups.len() {
        let lengths: Vec<usize> = (g..(g + 3).min(groups.len()))
            .map(|k| len(groups[k]))
            .collect();
        let (span, masked) = if len(groups[g]) == 9 {
            (
                1,
                Some(Ssn::Last4(text(groups[g].1 - 4, groups[g].1)).masked()),
            )
        } else if joined(g, 3) && lengths == [3, 2, 4] {
            (
                3,
                Some(Ssn::Last4(text(groups[g + 2].0, groups[g + 2].1)).masked()),
            )
        } else if joined(g, 3)
            && (matches!(lengths[..], [1 | 2, 1 | 2, 4] | [4, 1 | 2, 1 | 2]))
            && crate::normalize::parse_date(&text(groups[g].0, groups[g + 2].1)).is_ok()
        {
            (3, Some("**/**/****".to_string()))
        } else if len(groups[g]) == 8
            && crate::normalize::parse_date(&text(groups[g].0, groups[g].1)).is_ok()
        {
            (1, Some("**/**/****".to_string()))
        } else {
            (1, None)
        };
        if let Some(masked) = masked {
            out.push_str(&text(copied, groups[g].0));
            out.push_str(&masked);
            copied = groups[g + span - 1].1;
        }
        g += span;
    }
    out.push_str(&text(copied, chars.len()));
    out
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '/' | '.' | ' ')
}

/// Keeps the explanation from telling a caller who may not see full SSNs and DOBs whether a
/// guessed one is right (docs/domain.md §6). The SSN and DOB levels are shown as [`AGREES`] or
/// `different`, never `exact` against `ssn_one_digit`; a near level is shown with the exact
/// level's weight, and the identity's weight, probability and band move with it, so the figures
/// do not tell the two apart either; `near_dob_only` is dropped. A level that agrees only on
/// what the caller sees anyway (`ssn_last4`) keeps its weight. Statuses and thresholds were
/// decided on the true levels before this runs.
pub fn coarsen_identifiers(resolution: &mut Resolution, model: &Model) {
    for identity in &mut resolution.identities {
        let mut shift = 0.0;
        for entry in &mut identity.explanation {
            if !matches!(entry.comparison, Comparison::Ssn | Comparison::Dob) {
                continue;
            }
            let level = Level::from_label(entry.comparison, entry.level);
            if !level.agrees() {
                continue;
            }
            let hides_a_digit = !level.is_exact() && entry.level != "ssn_last4";
            if hides_a_digit {
                let exact = model.level_weight(entry.comparison, 1, &TermFrequencies::default());
                shift += exact - entry.match_weight;
                entry.match_weight = exact;
            }
            entry.level = AGREES;
        }
        if shift != 0.0 {
            identity.match_weight += shift;
            // The odds move by the weight's shift; rivals (`resolve::decision`) stay as they were.
            let odds = identity.match_probability / (1.0 - identity.match_probability);
            let shifted = odds * shift.exp2();
            identity.match_probability = if shifted.is_finite() {
                shifted / (1.0 + shifted)
            } else {
                1.0
            };
            identity.band = Band::of(identity.match_probability);
        }
        // A record's own probability rests on its own SSN and DOB levels: shown as the
        // identity's, always, so that neither its value nor its difference tells them apart.
        for record in &mut identity.records {
            record.match_probability = identity.match_probability;
        }
        identity.flags.retain(|f| *f != Flag::NearDobOnly);
    }
    // A band raised by the shift is capped as the true one was (only a resolved top identity
    // is `strong`).
    crate::resolve::decision::cap_bands_to_verdict(&mut resolution.identities, resolution.status);
}

/// Masks every identity's SSN and DOB in place, and coarsens what the explanation says of them
/// ([`coarsen_identifiers`]): what a caller who may not see them gets.
pub fn mask_resolution(resolution: &mut Resolution, model: &Model) {
    coarsen_identifiers(resolution, model);
    for identity in &mut resolution.identities {
        identity.dob = identity.dob.map(mask_dob);
        identity.ssn = identity.ssn.as_ref().map(mask_ssn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ssn_and_dates_in_a_reference_are_masked_and_the_rest_kept() {
        assert_eq!(
            mask_client_reference("ACC 1001 ssn 123-45-6789"),
            "ACC 1001 ssn ***-**-6789"
        );
        assert_eq!(mask_client_reference("123456789"), "***-**-6789");
        assert_eq!(mask_client_reference("123 45 6789"), "***-**-6789");
        assert_eq!(
            mask_client_reference("dob 05/12/1984, acct 77"),
            "dob **/**/****, acct 77"
        );
        assert_eq!(mask_client_reference("born 1984-05-12"), "born **/**/****");
        assert_eq!(mask_client_reference("19840512"), "**/**/****");
        assert_eq!(mask_client_reference("ACC-2024-0001"), "ACC-2024-0001");
        assert_eq!(mask_client_reference("INV1234567890"), "INV1234567890");
        assert_eq!(mask_client_reference("ssn123456789"), "ssn***-**-6789");
        assert_eq!(mask_client_reference("12345678"), "12345678", "not a date");
        assert_eq!(mask_client_reference(""), "");
    }

    proptest! {
        /// Whatever surrounds it, an SSN written in a reference never reaches the log whole.
        #[test]
        fn an_ssn_never_survives_masking(
            before in "[A-Za-z #:-]{0,12}",
            ssn in "[1-8][0-9]{8}",
            dashed in any::<bool>(),
            after in "[ ,;][A-Za-z0-9 ]{0,12}",
        ) {
            let written = if dashed {
                format!("{}-{}-{}", &ssn[..3], &ssn[3..5], &ssn[5..])
            } else {
                ssn.clone()
            };
            let reference = format!("{before}{written}{after}");
            let masked = mask_client_reference(&reference);
            prop_assert!(!masked.contains(&written), "{reference} -> {masked}");
            prop_assert!(!masked.contains(&ssn[..5]), "{reference} -> {masked}");
        }

        #[test]
        fn masking_never_panics_and_keeps_text_without_digits(reference in "\\PC{0,40}") {
            let masked = mask_client_reference(&reference);
            if !reference.chars().any(|c| c.is_ascii_digit()) {
                prop_assert_eq!(masked, reference);
            }
        }
    }
}
