//! Text folding shared by every normalizer: Unicode NFKD with combining marks removed, case
//! folding, apostrophes dropped, other punctuation and whitespace folded to single spaces.
//!
//! José → jose, O'Brien → obrien, "Smith-Jones" → "smith jones".

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// True for characters that join a word rather than separate words (O'Brien, D`Angelo).
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | '`' | 'ʼ' | '´')
}

/// Returns `text` folded: lower-case ASCII-like letters and digits separated by single spaces.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        fold_ascii(text)
    } else {
        fold_unicode(text)
    }
}

/// [`fold`] of ASCII text, which NFKD leaves as it is: byte by byte, without the Unicode
/// decomposition (most source records are ASCII, and folding was a tenth of indexing's cost).
fn fold_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for byte in text.bytes() {
        if byte == b'\'' || byte == b'`' {
            continue;
        }
        if byte.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(char::from(byte.to_ascii_lowercase()));
        } else {
            pending_space = true;
        }
    }
    out
}

fn fold_unicode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfkd() {
        if is_combining_mark(c) || is_apostrophe(c) {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// Returns the folded words of `text`.
pub fn tokens(text: &str) -> Vec<String> {
    fold(text)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Returns only the ASCII digits of `text`.
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_accents_apostrophes_and_punctuation() {
        assert_eq!(fold("José"), "jose");
        assert_eq!(fold("O'Brien"), "obrien");
        assert_eq!(fold("  Smith-Jones  "), "smith jones");
        assert_eq!(fold("MUÑOZ,  maría"), "munoz maria");
        assert_eq!(fold("D’Angelo"), "dangelo");
        assert_eq!(fold("---"), "");
    }

    proptest! {
        #[test]
        fn fold_is_idempotent(text in "\\PC{0,40}") {
            let once = fold(&text);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn fold_has_no_edge_or_double_spaces(text in "\\PC{0,40}") {
            let folded = fold(&text);
            prop_assert!(!folded.starts_with(' ') && !folded.ends_with(' '));
            prop_assert!(!folded.contains("  "));
            prop_assert!(folded.chars().all(|c| c.to_lowercase().eq(std::iter::once(c))));
        }

        #[test]
        fn ascii_fold_agrees_with_unicode_fold(text in "[ -~]{0,40}") {
            prop_assert_eq!(fold_ascii(&text), fold_unicode(&text));
        }

        #[test]
        fn fold_ignores_case(text in "[a-zA-Z' -]{0,30}") {
            prop_assert_eq!(fold(&text.to_uppercase()), fold(&text.to_lowercase()));
        }
    }
}
