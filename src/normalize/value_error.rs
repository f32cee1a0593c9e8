//! Why one value cannot be used. Each parser in [`crate::normalize`] returns one of these; the
//! text of each is what reports and the API show after the field name, so it never echoes the
//! value (an SSN or DOB is sensitive: the masked value travels beside it in a
//! [`FieldIssue`](super::FieldIssue)).

/// A value that cannot be used, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// No recognisable date, or an impossible one (month 13, 30 February).
    #[error("not a valid date (expected e.g. 1984-05-12, 05/12/1984, 19840512)")]
    NotADate,
    /// Letters in an SSN.
    #[error("ssn must contain digits only")]
    SsnNotDigits,
    /// A masked SSN (`***-**-1234`) that does not show exactly four digits.
    #[error("a masked ssn must show exactly its last 4 digits")]
    SsnMaskNotLast4,
    /// Area 000, 666 or 900–999 (docs/domain.md §6).
    #[error("ssn area number is not issued (000, 666, 900-999)")]
    SsnAreaNotIssued,
    /// Group 00 or serial 0000 in a full SSN.
    #[error("ssn group 00 or serial 0000 is never issued")]
    SsnGroupOrSerialNotIssued,
    /// A last four of 0000.
    #[error("ssn serial 0000 is never issued")]
    SsnSerialNotIssued,
    /// Neither 9 digits nor the last 4.
    #[error("ssn has {0} digits (expected 9, or the last 4)")]
    SsnDigitCount(usize),
    /// Letters in a phone number.
    #[error("phone must contain digits only")]
    PhoneNotDigits,
    /// Neither 10 digits nor 11 starting with 1.
    #[error("phone has {0} digits (expected 10)")]
    PhoneDigitCount(usize),
    /// A NANP area code never starts with 0 or 1.
    #[error("phone area code cannot start with 0 or 1")]
    PhoneAreaCode,
    /// A NANP exchange never starts with 0 or 1.
    #[error("phone exchange cannot start with 0 or 1")]
    PhoneExchange,
    /// One digit repeated (000-000-0000, 999-999-9999).
    #[error("phone is a placeholder (one digit repeated)")]
    PhonePlaceholder,
    /// A line type that is none of mobile, landline or VoIP.
    #[error("phone type must be mobile, landline or voip")]
    PhoneType,
    /// A bad-phone flag that is neither a yes nor a no.
    #[error("phone flag must be yes/no (Y, N, true, false, disconnected)")]
    PhoneFlag,
    /// No `@` in an email.
    #[error("email has no @")]
    EmailNoAt,
    /// Two `@`, an empty mailbox or a domain without a dot.
    #[error("email is not of the form name@domain.tld")]
    EmailForm,
    /// Whitespace inside an email.
    #[error("email contains spaces")]
    EmailSpaces,
    /// A mailbox that is empty once its tag and dots are dropped (`+tag@gmail.com`).
    #[error("email local part is empty")]
    EmailEmptyMailbox,
    /// Another identifier with fewer than four letters and digits.
    #[error("other id must have at least 4 letters or digits")]
    OtherIdTooShort,
    /// Another identifier that is one character repeated.
    #[error("other id is a placeholder (one character repeated)")]
    OtherIdPlaceholder,
    /// A state that is no USPS code or name.
    #[error("unknown state")]
    UnknownState,
    /// A ZIP that is neither 5 digits nor ZIP+4.
    #[error("zip must be 5 digits or ZIP+4")]
    BadZip,
}
