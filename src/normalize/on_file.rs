//! What a debtor row says about its own contacts: its other phones, and the marks the creditor
//! put on them (a return reason on the address, a disconnected flag on the phones).
//!
//! A contact the file marks as bad is never confirmed back to the collector; a reason that
//! means the address is incomplete (the unit is missing) asks for a correction instead of a
//! move (docs/domain.md, "Contacts on file").

use super::phone::parse_phone;
use super::{Date, ValueError};

/// What a return reason says about the address it came back from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressMark {
    /// Mail cannot be delivered there to the debtor (moved, not known, vacant, refused, a bare
    /// "bad address" flag): never confirmed.
    Undeliverable,
    /// The address is incomplete (insufficient address, no such apartment): the same address
    /// with its unit or ZIP fixed is offered as `corrected`, never the address as it stands.
    Incomplete,
}

/// Return reasons that mean the address lacks something the carrier needed (USPS endorsements
/// "Insufficient Address" and "No Such Apartment"), matched on the folded text.
const INCOMPLETE_REASONS: [&str; 9] = [
    "insufficient",
    "incomplete",
    "nosuchapartment",
    "nosuchapt",
    "nosuchunit",
    "nosuchsuite",
    "missingunit",
    "missingapt",
    "unitmissing",
];

/// Flag values that mean "no mark" (a status column may also say the address is fine).
const FLAG_NO: [&str; 15] = [
    "n",
    "no",
    "false",
    "0",
    "ok",
    "good",
    "valid",
    "active",
    "connected",
    "none",
    "na",
    "deliverable",
    "current",
    "verified",
    "confirmed",
];

/// Flag values that mean "marked bad" without giving a reason.
const FLAG_YES: [&str; 8] = ["y", "yes", "true", "1", "x", "bad", "invalid", "returned"];

/// Lower-cases and keeps letters and digits of any script: a reason written in another
/// alphabet is still a reason, never a blank.
fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads a return reason or bad-address flag: blank or a "no" flag is no mark, a reason that
/// means the address is incomplete is [`AddressMark::Incomplete`], any other reason or a "yes"
/// flag is [`AddressMark::Undeliverable`].
pub fn parse_return_reason(text: &str) -> Option<AddressMark> {
    let key = fold(text);
    if key.is_empty() || FLAG_NO.contains(&key.as_str()) {
        return None;
    }
    if key == "ia" || INCOMPLETE_REASONS.iter().any(|r| key.contains(r)) {
        return Some(AddressMark::Incomplete);
    }
    Some(AddressMark::Undeliverable)
}

/// Reads a bad-phone flag (`Y`, `true`, `disconnected`, `N`, blank).
///
/// # Errors
/// When the value is neither a yes nor a no.
pub fn parse_phone_bad(text: &str) -> Result<bool, ValueError> {
    let key = fold(text);
    if key.is_empty() || FLAG_NO.contains(&key.as_str()) {
        return Ok(false);
    }
    if FLAG_YES.contains(&key.as_str()) || key.starts_with("disc") || key == "wrongnumber" {
        return Ok(true);
    }
    Err(ValueError::PhoneFlag)
}

/// Splits a row's other phones (joined with `;` or `,`) into 10-digit numbers, in order and
/// without repeats, and the values that are not phones with their reasons: one bad value (an
/// `N/A` in a work-phone column) never costs the row its other phones.
pub fn parse_other_phones(text: &str) -> (Vec<String>, Vec<(String, ValueError)>) {
    let mut phones: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for part in text
        .split([';', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match parse_phone(part) {
            Ok(phone) if !phones.contains(&phone) => phones.push(phone),
            Ok(_) => {}
            Err(reason) => bad.push((part.to_string(), reason)),
        }
    }
    (phones, bad)
}

/// The row's own contacts beyond `phone`, `address` and `email`, and the marks on them. Only a
/// debtor row (a query) carries these; an indexed record never does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnFile {
    /// The row's other phones, 10 digits each, without its main `phone`.
    pub other_phones: Vec<String>,
    /// The mark on the row's address, if any.
    pub address_mark: Option<AddressMark>,
    /// True when the file marks the row's phones as bad: none of them is ever confirmed.
    pub phones_bad: bool,
    /// The date the row's contacts were known good (the account's open date).
    pub as_of: Option<Date>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reasons_that_ask_for_a_unit_are_incomplete_the_rest_undeliverable() {
        for reason in [
            "INSUFFICIENT ADDRESS",
            "Insufficient Address - unit missing",
            "No Such Apartment",
            "no such apt",
            "IA",
        ] {
            assert_eq!(
                parse_return_reason(reason),
                Some(AddressMark::Incomplete),
                "{reason}"
            );
        }
        for reason in [
            "MOVED LEFT NO ADDRESS",
            "Attempted - Not Known",
            "VACANT",
            "Refused",
            "forwarding expired",
            "Y",
            "bad",
        ] {
            assert_eq!(
                parse_return_reason(reason),
                Some(AddressMark::Undeliverable),
                "{reason}"
            );
        }
        for blank in [
            "",
            "  ",
            "N",
            "no",
            "0",
            "false",
            "Deliverable",
            "N/A",
            "none",
        ] {
            assert_eq!(parse_return_reason(blank), None, "{blank:?}");
        }
    }

    #[test]
    fn phone_flags_read_yes_no_and_refuse_the_rest() {
        assert_eq!(parse_phone_bad("Y"), Ok(true));
        assert_eq!(parse_phone_bad("Disconnected"), Ok(true));
        assert_eq!(parse_phone_bad("N"), Ok(false));
        assert_eq!(parse_phone_bad(""), Ok(false));
        assert_eq!(parse_phone_bad("maybe"), Err(ValueError::PhoneFlag));
    }

    #[test]
    fn other_phones_split_parse_and_drop_repeats() {
        let (phones, bad) = parse_other_phones("312-555-0199; (217) 555-0100;312.555.0199");
        assert_eq!(phones, ["3125550199", "2175550100"]);
        assert!(bad.is_empty());
        let (phones, bad) = parse_other_phones("312-555-0199;N/A;12");
        assert_eq!(phones, ["3125550199"], "the good phone is kept");
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0], ("N/A".to_string(), ValueError::PhoneNotDigits));
        assert_eq!(bad[1], ("12".to_string(), ValueError::PhoneDigitCount(2)));
        assert_eq!(parse_other_phones(" ; "), (Vec::new(), Vec::new()));
    }

    proptest! {
        #[test]
        fn a_reason_never_panics(text in ".{0,40}") {
            let mark = parse_return_reason(&text);
            prop_assert_eq!(parse_return_reason(&format!("  {text} ")), mark);
            prop_assert!(text.chars().all(|c| !c.is_alphanumeric()) || mark.is_some()
                || FLAG_NO.contains(&fold(&text).as_str()));
        }

        #[test]
        fn a_reason_keeps_its_mark_whatever_its_case(text in "[ -~]{0,40}") {
            let mark = parse_return_reason(&text);
            prop_assert_eq!(parse_return_reason(&text.to_uppercase()), mark);
            prop_assert_eq!(parse_return_reason(&text.to_lowercase()), mark);
        }
    }
}
