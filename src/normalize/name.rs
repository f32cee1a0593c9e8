//! Person names: parsing a full-name field, generational suffixes, nickname equivalence and a
//! phonetic code (Double Metaphone), so that "SMITH, JOHN A", "John A. Smith Jr." and
//! "Jon Smith" all reach comparable parts.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use rphonetic::DoubleMetaphone;
use serde::{Deserialize, Serialize};

use super::text;
use crate::reference;

/// A generational suffix. Recognised and compared, never thrown away: father and son with one
/// name at one address are told apart by it (docs/domain.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Suffix {
    /// Junior.
    Jr,
    /// Senior.
    Sr,
    /// The second.
    II,
    /// The third.
    III,
    /// The fourth.
    IV,
    /// The fifth.
    V,
}

impl Suffix {
    /// Parses a folded token: jr, junior, sr, senior, 2nd, ii, iii, 3rd, iv, v.
    pub fn parse(token: &str) -> Option<Suffix> {
        let suffix = match token {
            "jr" | "junior" | "jnr" => Suffix::Jr,
            "sr" | "senior" | "snr" => Suffix::Sr,
            "ii" | "2nd" => Suffix::II,
            "iii" | "3rd" => Suffix::III,
            "iv" | "4th" => Suffix::IV,
            "v" | "5th" => Suffix::V,
            _ => return None,
        };
        Some(suffix)
    }

    /// Returns the conventional spelling: Jr, Sr, II...
    pub fn as_str(self) -> &'static str {
        match self {
            Suffix::Jr => "Jr",
            Suffix::Sr => "Sr",
            Suffix::II => "II",
            Suffix::III => "III",
            Suffix::IV => "IV",
            Suffix::V => "V",
        }
    }
}

/// Courtesy titles dropped from full names.
const TITLES: [&str; 8] = ["mr", "mrs", "ms", "miss", "dr", "mx", "rev", "prof"];

/// Surname particles kept with the surname ("de la Cruz", "van der Berg").
const PARTICLES: [&str; 12] = [
    "de", "del", "della", "la", "las", "los", "van", "von", "der", "den", "di", "da",
];

/// A parsed, folded person name with its matching keys.
///
/// Serialized as its parts and phonetic codes; the formal names are looked up again when it is
/// read back, which keeps them out of every record the index stores. The codes are stored
/// because computing them was a twentieth of a search (every candidate read is decoded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "StoredName")]
pub struct PersonName {
    /// Folded given name (one token; an initial when only that is known).
    pub first: String,
    /// Folded middle name(s) or initial.
    pub middle: String,
    /// Folded surname tokens joined by single spaces ("garcia lopez").
    pub last: String,
    /// Generational suffix, when given.
    pub suffix: Option<Suffix>,
    /// Formal names the given name may stand for (nickname equivalence; itself when formal).
    pub first_formal: Vec<String>,
    /// Double Metaphone primary code of the given name.
    pub first_phonetic: String,
    /// Double Metaphone primary code of each surname token.
    pub last_phonetic: Vec<String>,
}

/// The parts of a [`PersonName`] as stored, with its phonetic codes.
#[derive(Deserialize)]
struct StoredName {
    first: String,
    middle: String,
    last: String,
    suffix: Option<Suffix>,
    first_phonetic: String,
    last_phonetic: Vec<String>,
}

/// [`StoredName`] borrowed from a name, for writing it without copying.
#[derive(Serialize)]
struct StoredNameRef<'a> {
    first: &'a str,
    middle: &'a str,
    last: &'a str,
    suffix: Option<Suffix>,
    first_phonetic: &'a str,
    last_phonetic: &'a [String],
}

impl From<StoredName> for PersonName {
    fn from(stored: StoredName) -> PersonName {
        PersonName {
            first_formal: formal_names(&stored.first),
            first: stored.first,
            middle: stored.middle,
            last: stored.last,
            suffix: stored.suffix,
            first_phonetic: stored.first_phonetic,
            last_phonetic: stored.last_phonetic,
        }
    }
}

impl Serialize for PersonName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StoredNameRef {
            first: &self.first,
            middle: &self.middle,
            last: &self.last,
            suffix: self.suffix,
            first_phonetic: &self.first_phonetic,
            last_phonetic: &self.last_phonetic,
        }
        .serialize(serializer)
    }
}

/// The formal names a folded given name may stand for (none for an initial).
fn formal_names(first: &str) -> Vec<String> {
    if first.len() > 1 {
        reference::nicknames().formal_names(first)
    } else {
        Vec::new()
    }
}

impl PersonName {
    /// Builds a name from separate parts as files carry them: a first field holding "John A",
    /// a last field holding "Smith Jr" or "Smith-Jones", titles and punctuation anywhere.
    pub fn from_parts(first: &str, middle: &str, last: &str, suffix: &str) -> PersonName {
        let mut first_tokens = without_titles(text::tokens(first));
        let mut middle_tokens = text::tokens(middle);
        // A suffix is looked for after the surname only: in a middle field "V" is an initial.
        let mut last_tokens = text::tokens(last);
        let mut parsed_suffix = suffix_of(suffix);
        if let Some(found) = take_suffix(&mut last_tokens) {
            parsed_suffix.get_or_insert(found);
        }
        if first_tokens.len() > 1 && middle_tokens.is_empty() {
            middle_tokens = first_tokens.split_off(1);
        }
        PersonName::build(
            first_tokens.join(""),
            middle_tokens.join(" "),
            last_tokens.join(" "),
            parsed_suffix,
        )
    }

    /// Parses one full-name field: "SMITH, JOHN A", "Smith Jr, John", "John A. Smith Jr.",
    /// "Mrs. Maria de la Cruz".
    pub fn parse_full(full: &str) -> PersonName {
        if let Some((last, rest)) = full.split_once(',') {
            // The surname is known: a title after the comma is no given name ("Lee, Mrs").
            let mut rest_tokens = text::tokens(rest);
            while rest_tokens
                .first()
                .is_some_and(|t| TITLES.contains(&t.as_str()))
            {
                rest_tokens.remove(0);
            }
            let mut last_tokens = text::tokens(last);
            let mut suffix = take_suffix(&mut rest_tokens);
            if let Some(found) = take_suffix(&mut last_tokens) {
                suffix.get_or_insert(found);
            }
            let first = if rest_tokens.is_empty() {
                String::new()
            } else {
                rest_tokens.remove(0)
            };
            return PersonName::build(first, rest_tokens.join(" "), last_tokens.join(" "), suffix);
        }
        let mut tokens = without_titles(text::tokens(full));
        // "Aaa Iii" is a given name and a surname: a suffix needs both before it.
        let suffix = if tokens.len() > 2 {
            take_suffix(&mut tokens)
        } else {
            None
        };
        if tokens.len() <= 1 {
            let last = tokens.pop().unwrap_or_default();
            return PersonName::build(String::new(), String::new(), last, suffix);
        }
        let first = tokens.remove(0);
        let mut last_start = tokens.len() - 1;
        while last_start > 0 && PARTICLES.contains(&tokens[last_start - 1].as_str()) {
            last_start -= 1;
        }
        let last = tokens.split_off(last_start).join(" ");
        PersonName::build(first, tokens.join(" "), last, suffix)
    }

    fn build(first: String, middle: String, last: String, suffix: Option<Suffix>) -> PersonName {
        let first_formal = formal_names(&first);
        let first_phonetic = phonetic(&first);
        let last_phonetic = last
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(phonetic)
            .collect();
        PersonName {
            first,
            middle,
            last,
            suffix,
            first_formal,
            first_phonetic,
            last_phonetic,
        }
    }

    /// True when there is neither a given name nor a surname.
    pub fn is_empty(&self) -> bool {
        self.first.is_empty() && self.last.is_empty()
    }

    /// Returns the surname's tokens ("garcia lopez" → garcia, lopez).
    pub fn last_tokens(&self) -> impl Iterator<Item = &str> {
        self.last.split(' ').filter(|t| !t.is_empty())
    }

    /// Returns the surname with its tokens run together ("smith jones" → smithjones).
    pub fn last_joined(&self) -> String {
        self.last.replace(' ', "")
    }

    /// True when the surname with its tokens run together equals `text` (no allocation: this
    /// runs for every pair of candidate records).
    pub fn last_joined_is(&self, text: &str) -> bool {
        self.last.bytes().filter(|&b| b != b' ').eq(text.bytes())
    }

    /// True when both surnames run together are equal.
    pub fn same_last_joined(&self, other: &PersonName) -> bool {
        let joined = |n: &PersonName| n.last.bytes().filter(|&b| b != b' ').collect::<Vec<_>>();
        if !self.last.contains(' ') {
            return other.last_joined_is(&self.last);
        }
        if !other.last.contains(' ') {
            return self.last_joined_is(&other.last);
        }
        joined(self) == joined(other)
    }
}

fn without_titles(mut tokens: Vec<String>) -> Vec<String> {
    while tokens.len() > 1 && TITLES.contains(&tokens[0].as_str()) {
        tokens.remove(0);
    }
    tokens
}

fn suffix_of(text: &str) -> Option<Suffix> {
    text::tokens(text).first().and_then(|t| Suffix::parse(t))
}

/// Removes a trailing suffix token, when there is more than the suffix.
fn take_suffix(tokens: &mut Vec<String>) -> Option<Suffix> {
    if tokens.len() < 2 {
        return None;
    }
    let suffix = Suffix::parse(tokens.last()?)?;
    tokens.pop();
    Some(suffix)
}

/// Returns the Double Metaphone primary code of a folded token ("" when it has no ASCII letter).
///
/// Only ASCII letters are encoded: Double Metaphone is defined on Latin spellings, and
/// rphonetic 3.1 panics slicing some multi-byte input (found by the property tests below).
///
/// Names repeat (a few thousand cover most records), and encoding was 6% of indexing, so each
/// thread remembers the codes of up to [`PHONETIC_CACHE_ENTRIES`] tokens.
pub fn phonetic(token: &str) -> String {
    static ENCODER: OnceLock<DoubleMetaphone> = OnceLock::new();
    thread_local! {
        static CODES: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
    }
    if let Some(code) = CODES.with_borrow(|codes| codes.get(token).cloned()) {
        return code;
    }
    let ascii: String = token.chars().filter(char::is_ascii_alphabetic).collect();
    let code = if ascii.is_empty() {
        String::new()
    } else {
        ENCODER
            .get_or_init(DoubleMetaphone::default)
            .double_metaphone(&ascii)
            .primary()
    };
    CODES.with_borrow_mut(|codes| {
        if codes.len() >= PHONETIC_CACHE_ENTRIES {
            codes.clear();
        }
        codes.insert(token.to_string(), code.clone());
    });
    code
}

/// Tokens whose phonetic code a thread keeps (then it starts over): about 2 MB a thread.
pub const PHONETIC_CACHE_ENTRIES: usize = 32_768;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_last_comma_first() {
        let name = PersonName::parse_full("SMITH, JOHN A");
        assert_eq!(
            (
                name.first.as_str(),
                name.middle.as_str(),
                name.last.as_str()
            ),
            ("john", "a", "smith")
        );
        let name = PersonName::parse_full("Smith Jr, John");
        assert_eq!(name.suffix, Some(Suffix::Jr));
        assert_eq!(name.last, "smith");
    }

    #[test]
    fn parses_first_middle_last_suffix() {
        let name = PersonName::parse_full("John A. Smith Jr.");
        assert_eq!(
            (
                name.first.as_str(),
                name.middle.as_str(),
                name.last.as_str()
            ),
            ("john", "a", "smith")
        );
        assert_eq!(name.suffix, Some(Suffix::Jr));
        let name = PersonName::parse_full("Mrs. María de la Cruz");
        assert_eq!(
            (name.first.as_str(), name.last.as_str()),
            ("maria", "de la cruz")
        );
        let name = PersonName::parse_full("Robert Smith III");
        assert_eq!(name.suffix, Some(Suffix::III));
    }

    #[test]
    fn parts_split_initials_and_suffixes() {
        let name = PersonName::from_parts("John A", "", "Smith Jr", "");
        assert_eq!(
            (
                name.first.as_str(),
                name.middle.as_str(),
                name.last.as_str()
            ),
            ("john", "a", "smith")
        );
        assert_eq!(name.suffix, Some(Suffix::Jr));
        let name = PersonName::from_parts("Ana", "", "García-López", "");
        assert_eq!(name.last, "garcia lopez");
        assert_eq!(name.last_joined(), "garcialopez");
        let name = PersonName::from_parts("Patrick", "", "O'Brien", "SR.");
        assert_eq!(name.last, "obrien");
        assert_eq!(name.suffix, Some(Suffix::Sr));
    }

    #[test]
    fn keys_link_nicknames_and_sound_alikes() {
        let bob = PersonName::from_parts("Bob", "", "Smith", "");
        assert!(bob.first_formal.contains(&"robert".to_string()));
        assert_eq!(phonetic("smith"), phonetic("smyth"));
        assert_eq!(phonetic("catherine"), phonetic("kathryn"));
    }

    #[test]
    fn a_stored_name_reads_back_with_its_formal_names_rebuilt() {
        for name in [
            PersonName::from_parts("Bob", "A", "Garcia Lopez", "Jr"),
            PersonName::parse_full("SMITH, MARY"),
            PersonName::from_parts("", "", "O'Brien", ""),
        ] {
            let bytes = postcard::to_allocvec(&name).unwrap();
            let back: PersonName = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(back, name);
        }
        let mary = PersonName::parse_full("SMITH, MARY");
        let stored = postcard::to_allocvec(&mary).unwrap();
        let formal: usize = mary.first_formal.iter().map(String::len).sum();
        assert!(
            formal > 20,
            "MARY stands for many names: {:?}",
            mary.first_formal
        );
        assert!(
            stored.len() < 24,
            "the parts and codes are stored, not the formal names: {} bytes",
            stored.len()
        );
    }

    proptest! {
        #[test]
        fn stored_names_read_back_equal(
            first in "\\PC{0,12}",
            middle in "[a-zA-Z. ]{0,8}",
            last in "\\PC{0,16}",
            suffix in "(|Jr|Sr|III)",
        ) {
            let name = PersonName::from_parts(&first, &middle, &last, &suffix);
            let bytes = postcard::to_allocvec(&name).unwrap();
            let back: PersonName = postcard::from_bytes(&bytes).unwrap();
            prop_assert_eq!(back, name);
        }

        #[test]
        fn full_name_parse_never_panics_and_is_stable(full in "\\PC{0,40}") {
            let name = PersonName::parse_full(&full);
            let again = PersonName::from_parts(&name.first, &name.middle, &name.last,
                name.suffix.map_or("", Suffix::as_str));
            prop_assert_eq!(again.last, name.last);
            prop_assert_eq!(again.suffix, name.suffix);
        }

        #[test]
        fn a_title_alone_is_no_given_name(last in "[A-Z][a-z]{2,10}") {
            for title in ["Mrs", "Mr.", "Dr"] {
                let a = PersonName::parse_full(&format!("{last}, {title}"));
                let b = PersonName::parse_full(&format!("{title} {last}"));
                prop_assert_eq!(&a, &b);
                prop_assert_eq!(a.first.as_str(), "");
            }
        }

        #[test]
        fn last_first_and_first_last_agree(first in "[A-Z][a-z]{2,8}", last in "[A-Z][a-z]{2,10}") {
            let a = PersonName::parse_full(&format!("{last}, {first}"));
            let b = PersonName::parse_full(&format!("{first} {last}"));
            prop_assert_eq!(a, b);
        }
    }
}
