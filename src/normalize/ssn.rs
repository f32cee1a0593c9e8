//! Social Security numbers: nine digits in any format, or the last four (docs/domain.md §2, §6).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ValueError;

/// A normalized SSN: the full nine digits or only the last four.
///
/// In JSON it reads `{"kind": "full" | "last4", "digits": "..."}`; in the index's binary
/// payload it is a plain enum (binary formats cannot hold an adjacently tagged enum).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ssn {
    /// All nine digits.
    Full(String),
    /// Only the last four digits are known.
    Last4(String),
}

/// The JSON shape of [`Ssn`].
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "digits", rename_all = "snake_case")]
enum TaggedSsn {
    Full(String),
    Last4(String),
}

/// The binary shape of [`Ssn`].
#[derive(Serialize, Deserialize)]
enum CompactSsn {
    Full(String),
    Last4(String),
}

impl Serialize for Ssn {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (self, serializer.is_human_readable()) {
            (Ssn::Full(d), true) => TaggedSsn::Full(d.clone()).serialize(serializer),
            (Ssn::Last4(d), true) => TaggedSsn::Last4(d.clone()).serialize(serializer),
            (Ssn::Full(d), false) => CompactSsn::Full(d.clone()).serialize(serializer),
            (Ssn::Last4(d), false) => CompactSsn::Last4(d.clone()).serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Ssn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ssn, D::Error> {
        Ok(if deserializer.is_human_readable() {
            match TaggedSsn::deserialize(deserializer)? {
                TaggedSsn::Full(d) => Ssn::Full(d),
                TaggedSsn::Last4(d) => Ssn::Last4(d),
            }
        } else {
            match CompactSsn::deserialize(deserializer)? {
                CompactSsn::Full(d) => Ssn::Full(d),
                CompactSsn::Last4(d) => Ssn::Last4(d),
            }
        })
    }
}

impl Ssn {
    /// Returns the last four digits.
    pub fn last4(&self) -> &str {
        match self {
            Ssn::Full(digits) => &digits[5..],
            Ssn::Last4(digits) => digits,
        }
    }

    /// Returns the SSN masked for display: `***-**-1234`.
    pub fn masked(&self) -> String {
        format!("***-**-{}", self.last4())
    }

    /// Returns the SSN as written for a caller allowed to see it (`123-45-6789` or `***-**-6789`).
    pub fn display_full(&self) -> String {
        match self {
            Ssn::Full(d) => format!("{}-{}-{}", &d[..3], &d[3..5], &d[5..]),
            Ssn::Last4(_) => self.masked(),
        }
    }
}

/// Parses an SSN from any format (dashes, spaces, dots), or a masked one showing its last four
/// (`XXX-XX-1234`, `***-**-1234`).
///
/// # Errors
/// When the digits are neither 9 nor 4, or a full SSN breaks the SSA validity rules: area 000,
/// 666 or 900–999, group 00, serial 0000 (docs/domain.md §6).
pub fn parse_ssn(text: &str) -> Result<Ssn, ValueError> {
    let is_mask = |c: char| matches!(c, 'x' | 'X' | '*' | '#');
    if text.chars().any(|c| c.is_alphabetic() && !is_mask(c)) {
        return Err(ValueError::SsnNotDigits);
    }
    let digits = super::text::digits(text);
    if text.chars().any(is_mask) && digits.len() != 4 {
        return Err(ValueError::SsnMaskNotLast4);
    }
    match digits.len() {
        9 => {
            let area: u16 = digits[..3].parse().unwrap_or(0);
            if area == 0 || area == 666 || area >= 900 {
                return Err(ValueError::SsnAreaNotIssued);
            }
            if &digits[3..5] == "00" || &digits[5..] == "0000" {
                return Err(ValueError::SsnGroupOrSerialNotIssued);
            }
            Ok(Ssn::Full(digits))
        }
        4 if digits != "0000" => Ok(Ssn::Last4(digits)),
        4 => Err(ValueError::SsnSerialNotIssued),
        n => Err(ValueError::SsnDigitCount(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_full_and_last4() {
        assert_eq!(parse_ssn("123-45-6789"), Ok(Ssn::Full("123456789".into())));
        assert_eq!(
            parse_ssn(" 123 45 6789 "),
            Ok(Ssn::Full("123456789".into()))
        );
        assert_eq!(parse_ssn("6789"), Ok(Ssn::Last4("6789".into())));
        assert_eq!(parse_ssn("XXX-XX-6789"), Ok(Ssn::Last4("6789".into())));
        assert_eq!(parse_ssn("***-**-6789"), Ok(Ssn::Last4("6789".into())));
        assert_eq!(
            parse_ssn("XXX-45-6789"),
            Err(ValueError::SsnMaskNotLast4),
            "masked but not to the last 4"
        );
        assert_eq!(
            parse_ssn("123456789").map(|s| s.masked()).as_deref(),
            Ok("***-**-6789")
        );
    }

    #[test]
    fn rejects_never_issued_numbers() {
        for text in [
            "000-12-3456",
            "666-12-3456",
            "912-34-5678",
            "123-00-4567",
            "123-45-0000",
        ] {
            assert!(parse_ssn(text).is_err(), "{text}");
        }
        assert_eq!(parse_ssn("12345"), Err(ValueError::SsnDigitCount(5)));
        assert_eq!(parse_ssn("12a456789"), Err(ValueError::SsnNotDigits));
    }

    proptest! {
        #[test]
        fn normalizing_is_idempotent(area in 1u32..900, group in 1u32..100, serial in 1u32..10000) {
            prop_assume!(area != 666);
            let text = format!("{area:03}-{group:02}-{serial:04}");
            let ssn = parse_ssn(&text).expect("valid ssn");
            let Ssn::Full(digits) = &ssn else { panic!("expected a full ssn") };
            prop_assert_eq!(parse_ssn(digits), Ok(ssn.clone()));
            prop_assert_eq!(ssn.last4(), &text[7..]);
        }

        #[test]
        fn never_panics(text in "\\PC{0,20}") {
            let _ = parse_ssn(&text);
        }
    }
}
