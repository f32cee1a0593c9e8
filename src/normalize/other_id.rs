//! Other personal identifiers (a national id that is not a US SSN, a driver's licence number):
//! upper-cased letters and digits, with the spaces, dashes and dots files put between them
//! dropped, so `NSW-123 4567` and `nsw1234567` are one identifier.

use super::ValueError;

/// Fewest letters and digits an identifier carries: shorter values are too common to tell
/// people apart.
pub const MIN_OTHER_ID_CHARS: usize = 4;

/// Parses an identifier into its canonical form.
///
/// # Errors
/// When it has fewer than [`MIN_OTHER_ID_CHARS`] letters and digits, or is one character
/// repeated (`0000000`, a placeholder).
pub fn parse_other_id(text: &str) -> Result<String, ValueError> {
    let canonical: String = text
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if canonical.len() < MIN_OTHER_ID_CHARS {
        return Err(ValueError::OtherIdTooShort);
    }
    let first = canonical.as_bytes()[0];
    if canonical.bytes().all(|b| b == first) {
        return Err(ValueError::OtherIdPlaceholder);
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn separators_and_case_do_not_matter() {
        assert_eq!(parse_other_id("nsw-123 4567"), Ok("NSW1234567".into()));
        assert_eq!(parse_other_id("5304218"), Ok("5304218".into()));
        assert_eq!(parse_other_id("12-3"), Err(ValueError::OtherIdTooShort));
        assert_eq!(
            parse_other_id("0000000"),
            Err(ValueError::OtherIdPlaceholder)
        );
    }

    proptest! {
        #[test]
        fn canonical_forms_are_fixed_points(text in "\\PC{0,24}") {
            if let Ok(id) = parse_other_id(&text) {
                prop_assert_eq!(parse_other_id(&id), Ok(id.clone()));
                prop_assert!(id.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
            }
        }
    }
}
