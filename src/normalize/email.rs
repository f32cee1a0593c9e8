//! Email addresses: trimmed, lower-cased, with provider rules that make two spellings of one
//! mailbox equal (Gmail ignores dots and `+tags`; most large providers ignore `+tags`).

use super::ValueError;

/// Providers where everything after `+` in the local part is a tag on the same mailbox.
const PLUS_TAG_DOMAINS: [&str; 8] = [
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "protonmail.com",
    "fastmail.com",
];

/// Parses an email address into its canonical mailbox form.
///
/// # Errors
/// When there is not exactly one `@`, a part is empty, or the domain has no dot.
pub fn parse_email(text: &str) -> Result<String, ValueError> {
    let lower = text.trim().to_lowercase();
    let Some((local, domain)) = lower.split_once('@') else {
        return Err(ValueError::EmailNoAt);
    };
    if local.is_empty() || domain.contains('@') || !domain.contains('.') {
        return Err(ValueError::EmailForm);
    }
    if lower.chars().any(char::is_whitespace) {
        return Err(ValueError::EmailSpaces);
    }
    let domain = if domain == "googlemail.com" {
        "gmail.com"
    } else {
        domain
    };
    let mut mailbox = local;
    if PLUS_TAG_DOMAINS.contains(&domain) {
        mailbox = mailbox.split('+').next().unwrap_or(mailbox);
    }
    let mailbox = if domain == "gmail.com" {
        mailbox.replace('.', "")
    } else {
        mailbox.to_string()
    };
    if mailbox.is_empty() {
        return Err(ValueError::EmailEmptyMailbox);
    }
    Ok(format!("{mailbox}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn applies_provider_rules() {
        assert_eq!(
            parse_email(" John.Smith+bills@GMail.com ").as_deref(),
            Ok("johnsmith@gmail.com")
        );
        assert_eq!(
            parse_email("j.smith@googlemail.com").as_deref(),
            Ok("jsmith@gmail.com")
        );
        assert_eq!(
            parse_email("j.smith+x@outlook.com").as_deref(),
            Ok("j.smith@outlook.com")
        );
        assert_eq!(
            parse_email("j.smith+x@example.org").as_deref(),
            Ok("j.smith+x@example.org")
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for text in [
            "john",
            "john@",
            "@x.com",
            "a@b@c.com",
            "john@localhost",
            "jo hn@x.com",
        ] {
            assert!(parse_email(text).is_err(), "{text}");
        }
    }

    proptest! {
        #[test]
        fn is_idempotent(local in "[a-zA-Z0-9.+_-]{1,16}", domain in "(gmail|yahoo|outlook|example)\\.(com|org)") {
            if let Ok(once) = parse_email(&format!("{local}@{domain}")) {
                prop_assert_eq!(parse_email(&once), Ok(once.clone()));
            }
        }

        #[test]
        fn never_panics(text in "\\PC{0,30}") {
            let _ = parse_email(&text);
        }
    }
}
