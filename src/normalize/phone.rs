//! Telephone numbers: any written form to 10-digit NANP, with the NANP validity rules
//! (area code and exchange never start with 0 or 1; docs/domain.md §6), and the line type a source
//! may give with one.

use serde::{Deserialize, Serialize};

use super::ValueError;

/// A phone's line type, where the source knows it. Most current phones are mobile and mobiles
/// are kept across moves, so a mobile ranks before a landline (docs/domain.md, "Ranking contact
/// points").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneType {
    /// Wireless.
    Mobile,
    /// Fixed line.
    Landline,
    /// Internet telephony.
    Voip,
}

impl PhoneType {
    /// Returns the snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneType::Mobile => "mobile",
            PhoneType::Landline => "landline",
            PhoneType::Voip => "voip",
        }
    }
}

/// Parses a line type as files write it (`Mobile`, `CELL`, `wireless`, `L`, `VoIP`).
///
/// # Errors
/// When the text names no line type.
pub fn parse_phone_type(text: &str) -> Result<PhoneType, ValueError> {
    let key: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match key.as_str() {
        "mobile" | "cell" | "cellular" | "wireless" | "cellphone" | "m" | "c" | "w" => {
            Ok(PhoneType::Mobile)
        }
        "landline" | "land" | "fixed" | "wireline" | "home" | "residential" | "pots" | "l" => {
            Ok(PhoneType::Landline)
        }
        "voip" | "v" => Ok(PhoneType::Voip),
        _ => Err(ValueError::PhoneType),
    }
}

/// Parses a US/NANP phone number into its 10 digits.
///
/// # Errors
/// When there are not 10 digits (or 11 starting with 1), the area code or exchange starts with
/// 0 or 1, or the number is junk (all one digit, 000-000-0000).
pub fn parse_phone(text: &str) -> Result<String, ValueError> {
    let text = strip_extension(text);
    if text.chars().any(|c| c.is_alphabetic()) {
        return Err(ValueError::PhoneNotDigits);
    }
    let digits = super::text::digits(text);
    let national = match digits.len() {
        10 => digits,
        11 if digits.starts_with('1') => digits[1..].to_string(),
        n => return Err(ValueError::PhoneDigitCount(n)),
    };
    let bytes = national.as_bytes();
    if matches!(bytes[0], b'0' | b'1') {
        return Err(ValueError::PhoneAreaCode);
    }
    if matches!(bytes[3], b'0' | b'1') {
        return Err(ValueError::PhoneExchange);
    }
    if bytes.iter().all(|b| *b == bytes[0]) {
        return Err(ValueError::PhonePlaceholder);
    }
    Ok(national)
}

/// Drops an extension such as " x123" or " ext. 4".
fn strip_extension(text: &str) -> &str {
    let lower = text.to_ascii_lowercase();
    for marker in ["ext", " x", "#"] {
        if let Some(at) = lower.find(marker) {
            return &text[..at];
        }
    }
    text
}

/// Returns 10 digits formatted as `(555) 123-4567`.
pub fn format_phone(digits: &str) -> String {
    if digits.len() != 10 {
        return digits.to_string();
    }
    format!("({}) {}-{}", &digits[..3], &digits[3..6], &digits[6..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn line_types_parse_as_files_write_them() {
        for (text, kind) in [
            ("Mobile", PhoneType::Mobile),
            ("CELL", PhoneType::Mobile),
            ("wireless", PhoneType::Mobile),
            ("Land line", PhoneType::Landline),
            ("L", PhoneType::Landline),
            ("VoIP", PhoneType::Voip),
        ] {
            assert_eq!(parse_phone_type(text), Ok(kind), "{text}");
        }
        assert_eq!(parse_phone_type("pager"), Err(ValueError::PhoneType));
        assert_eq!(
            parse_phone_type(PhoneType::Landline.as_str()),
            Ok(PhoneType::Landline)
        );
    }

    #[test]
    fn accepts_the_formats_files_carry() {
        for text in [
            "(415) 555-2671",
            "415.555.2671",
            "4155552671",
            "+1 415 555 2671",
            "1-415-555-2671",
            "415-555-2671 ext. 12",
        ] {
            assert_eq!(parse_phone(text).as_deref(), Ok("4155552671"), "{text}");
        }
    }

    #[test]
    fn rejects_invalid_and_junk_numbers() {
        for text in [
            "000-000-0000",
            "015-555-2671",
            "415-155-2671",
            "555-2671",
            "999-999-9999",
            "CALL ME",
        ] {
            assert!(parse_phone(text).is_err(), "{text}");
        }
    }

    proptest! {
        #[test]
        fn formatted_numbers_parse_back(area in 200u32..1000, exchange in 200u32..1000, line in 0u32..10000) {
            let digits = format!("{area:03}{exchange:03}{line:04}");
            prop_assume!(!digits.bytes().all(|b| b == digits.as_bytes()[0]));
            prop_assert_eq!(parse_phone(&format_phone(&digits)), Ok(digits.clone()));
            prop_assert_eq!(parse_phone(&digits), Ok(digits));
        }

        #[test]
        fn never_panics(text in "\\PC{0,24}") {
            let _ = parse_phone(&text);
        }
    }
}
