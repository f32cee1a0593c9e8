//! Postal addresses standardized with USPS Publication 28: street suffixes (Appendix C1),
//! secondary unit designators (Appendix C2), directionals, two-letter states, ZIP+4 → ZIP5.
//! House number and unit are split out so "123 North Main Street Apt. 4" and "123 N MAIN ST #4"
//! reach the same key.

use serde::{Deserialize, Serialize};

use super::text;
use crate::reference;

/// A standardized US address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// House number ("123", "12B"), empty for PO boxes and unparsed lines.
    pub house_number: String,
    /// Street: directionals, name and suffix, standardized ("n main st").
    pub street: String,
    /// Street name alone, without directionals or suffix ("main"), for fuzzy comparison.
    pub street_name: String,
    /// Secondary unit, standardized ("apt 4"), empty when none.
    pub unit: String,
    /// Folded city name.
    pub city: String,
    /// Two-letter state code, empty when unknown.
    pub state: String,
    /// Five-digit ZIP, empty when unknown.
    pub zip5: String,
}

/// Problems found while standardizing an address; the usable parts are still kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressIssue {
    /// The state is neither a known name nor a USPS code.
    UnknownState,
    /// The ZIP is not five digits (or ZIP+4).
    BadZip,
}

impl Address {
    /// Standardizes address parts as files carry them. Unit text may sit in line 1 or line 2.
    /// Returns the address and any issues with state or ZIP (those parts are left empty).
    pub fn parse(
        line1: &str,
        line2: &str,
        city: &str,
        state: &str,
        zip: &str,
    ) -> (Address, Vec<AddressIssue>) {
        let mut issues = Vec::new();
        let mut address = parse_street(line1);
        let extra_unit = parse_unit_line(line2);
        if address.unit.is_empty() {
            address.unit = extra_unit;
        }
        address.city = text::fold(city);
        address.state = match standard_state(state) {
            Some(code) => code.to_string(),
            None if state.trim().is_empty() => String::new(),
            None => {
                issues.push(AddressIssue::UnknownState);
                String::new()
            }
        };
        address.zip5 = match zip5(zip) {
            Some(zip5) => zip5,
            None if zip.trim().is_empty() => String::new(),
            None => {
                issues.push(AddressIssue::BadZip);
                String::new()
            }
        };
        (address, issues)
    }

    /// True when there is a street line.
    pub fn has_street(&self) -> bool {
        !self.street.is_empty()
    }

    /// True when nothing at all is known.
    pub fn is_empty(&self) -> bool {
        self.street.is_empty()
            && self.city.is_empty()
            && self.state.is_empty()
            && self.zip5.is_empty()
    }

    /// Returns the delivery key: house number, street, unit and ZIP (or city and state when no
    /// ZIP), equal for two spellings of one delivery point.
    pub fn delivery_key(&self) -> String {
        let place = if self.zip5.is_empty() {
            format!("{} {}", self.city, self.state)
        } else {
            self.zip5.clone()
        };
        format!(
            "{} {}|{}|{}",
            self.house_number, self.street, self.unit, place
        )
    }

    /// Returns the street key used by retrieval: house number and street name ("123 main").
    pub fn street_key(&self) -> Option<String> {
        if self.house_number.is_empty() || self.street_name.is_empty() {
            return None;
        }
        Some(format!("{} {}", self.house_number, self.street_name))
    }

    /// Returns line 1 in USPS style: `123 N MAIN ST`.
    pub fn line1(&self) -> String {
        let mut line = String::new();
        if !self.house_number.is_empty() {
            line.push_str(&self.house_number);
            line.push(' ');
        }
        line.push_str(&self.street);
        line.trim().to_uppercase()
    }

    /// Returns line 2 in USPS style: `APT 4`.
    pub fn line2(&self) -> String {
        self.unit.to_uppercase()
    }
}

/// Returns the two-letter code of a state name or abbreviation ("California", "Calif", "ca").
pub fn standard_state(state: &str) -> Option<&'static str> {
    let key = text::fold(state).to_uppercase();
    reference::pub28().states.get(key.as_str()).copied()
}

/// Returns the five-digit ZIP of "94110", "94110-1234", "941101234" or a 4-digit ZIP whose
/// leading zero a spreadsheet dropped ("2134" → "02134").
pub fn zip5(zip: &str) -> Option<String> {
    let trimmed = zip.trim();
    let (head, tail) = trimmed.split_once('-').unwrap_or((trimmed, ""));
    if !head.chars().all(|c| c.is_ascii_digit()) || !tail.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match (head.len(), tail.len()) {
        (5, 0) | (5, 4) => Some(head.to_string()),
        (9, 0) => Some(head[..5].to_string()),
        (4, 0) | (4, 4) => Some(format!("0{head}")),
        _ => None,
    }
}

/// Splits a street line into house number, street and unit.
fn parse_street(line: &str) -> Address {
    let mut tokens = address_tokens(line);
    let unit = take_unit(&mut tokens);
    let mut address = Address {
        unit,
        ..Address::default()
    };
    if tokens
        .first()
        .is_some_and(|t| t.starts_with(|c: char| c.is_ascii_digit()))
    {
        address.house_number = tokens.remove(0);
    }
    let pub28 = reference::pub28();
    let mut street_words: Vec<String> = Vec::with_capacity(tokens.len());
    let mut name_words: Vec<&str> = Vec::with_capacity(tokens.len());
    let last_index = tokens.len().saturating_sub(1);
    for (i, token) in tokens.iter().enumerate() {
        let upper = token.to_uppercase();
        let directional = (tokens.len() > 1 && (i == 0 || i == last_index))
            .then(|| pub28.directionals.get(upper.as_str()))
            .flatten();
        let suffix = (i == last_index && i > 0)
            .then(|| pub28.street_suffixes.get(upper.as_str()))
            .flatten();
        match directional.or(suffix) {
            Some(standard) => street_words.push(standard.to_lowercase()),
            None => {
                street_words.push(token.clone());
                name_words.push(token);
            }
        }
    }
    address.street_name = if name_words.is_empty() {
        street_words.join(" ")
    } else {
        name_words.join(" ")
    };
    address.street = street_words.join(" ");
    address
}

/// Folds a line to lower-case tokens, keeping `#` as its own token and ordinals as words.
fn address_tokens(line: &str) -> Vec<String> {
    let spaced = line.replace('#', " # ");
    text::tokens(&spaced.replace('#', "hash"))
        .into_iter()
        .map(|t| if t == "hash" { "#".to_string() } else { t })
        .collect()
}

/// Removes a trailing secondary unit ("apt 4", "# 4", "unit b", "ste 200", "rear") from the
/// tokens and returns it standardized. A designator word right after the house number is the
/// street's name, not a unit ("5286 Front Rd" is on Front Road), and a stand-alone designator
/// only stands alone at the end of the line ("12 Main St Rear").
fn take_unit(tokens: &mut Vec<String>) -> String {
    let units = &reference::pub28().unit_designators;
    let suffixes = &reference::pub28().street_suffixes;
    let has_house_number = tokens
        .first()
        .is_some_and(|t| t.starts_with(|c: char| c.is_ascii_digit()));
    let first_possible = if has_house_number { 2 } else { 1 };
    for at in (first_possible..tokens.len()).rev() {
        let upper = tokens[at].to_uppercase();
        if let Some(designator) = units.get(upper.as_str()) {
            let number = tokens[at + 1..].join("");
            let designator = if *designator == "#" {
                "apt"
            } else {
                designator
            };
            let fits = if needs_number(designator) {
                // "Ocean Pier Rd": a street suffix is no unit number.
                !number.is_empty() && !suffixes.contains_key(number.to_uppercase().as_str())
            } else {
                number.is_empty()
            };
            if !fits {
                continue;
            }
            tokens.truncate(at);
            return format!("{} {}", designator.to_lowercase(), number)
                .trim()
                .to_string();
        }
    }
    String::new()
}

/// Pub 28 C2: designators that stand alone (BSMT, FRNT, LBBY, LOWR, OFC, PH, REAR, SIDE, UPPR).
fn needs_number(designator: &str) -> bool {
    !matches!(
        designator,
        "BSMT" | "FRNT" | "LBBY" | "LOWR" | "OFC" | "PH" | "REAR" | "SIDE" | "UPPR" | "UPPER"
    )
}

/// Standardizes a line-2 value ("Apartment 4B", "#12", "Unit C") to "apt 4b".
fn parse_unit_line(line: &str) -> String {
    let mut tokens = address_tokens(line);
    if tokens.is_empty() {
        return String::new();
    }
    tokens.insert(0, "x".to_string());
    let unit = take_unit(&mut tokens);
    if !unit.is_empty() {
        return unit;
    }
    format!("apt {}", tokens[1..].join(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(line1: &str, line2: &str) -> Address {
        Address::parse(line1, line2, "Springfield", "Illinois", "62704-1234").0
    }

    #[test]
    fn standardizes_pub28_variants() {
        let a = parse("123 North Main Street Apt. 4", "");
        let b = parse("123 N MAIN ST #4", "");
        let c = parse("123 n. main str", "Apartment 4");
        assert_eq!(a.delivery_key(), b.delivery_key());
        assert_eq!(a.delivery_key(), c.delivery_key());
        assert_eq!(a.line1(), "123 N MAIN ST");
        assert_eq!(a.line2(), "APT 4");
        assert_eq!(a.street_name, "main");
        assert_eq!((a.state.as_str(), a.zip5.as_str()), ("IL", "62704"));
        assert_eq!(a.street_key().as_deref(), Some("123 main"));
    }

    #[test]
    fn a_street_named_like_a_unit_stays_a_street() {
        let front = parse("5286 FRONT RD", "");
        assert_eq!(
            (
                front.house_number.as_str(),
                front.street.as_str(),
                front.unit.as_str()
            ),
            ("5286", "front rd", "")
        );
        assert_eq!(front.street_key().as_deref(), Some("5286 front"));
        let with_unit = parse("21942 Front Rd Apt 4", "");
        assert_eq!(
            (with_unit.street.as_str(), with_unit.unit.as_str()),
            ("front rd", "apt 4")
        );
        let rear = parse("12 Main St Rear", "");
        assert_eq!(
            (rear.street.as_str(), rear.unit.as_str()),
            ("main st", "rear")
        );
        let pier = parse("7 Ocean Pier Rd", "");
        assert_eq!(
            (pier.street.as_str(), pier.unit.as_str()),
            ("ocean pier rd", "")
        );
        let lot = parse("44 Lot Ln", "");
        assert_eq!((lot.street.as_str(), lot.unit.as_str()), ("lot ln", ""));
    }

    #[test]
    fn keeps_unit_apart_from_street() {
        let a = parse("55 Oak Avenue", "Unit 12");
        assert_eq!(
            (a.house_number.as_str(), a.street.as_str(), a.unit.as_str()),
            ("55", "oak ave", "unit 12")
        );
        let b = parse("55 Oak Ave", "");
        assert_eq!(a.street, b.street);
        assert_ne!(a.delivery_key(), b.delivery_key());
    }

    #[test]
    fn street_named_like_a_suffix_survives() {
        let a = parse("10 Park", "");
        assert_eq!(a.street_name, "park");
        let b = parse("200 East St", "");
        assert_eq!(b.street, "e st");
    }

    #[test]
    fn flags_bad_state_and_zip() {
        let (address, issues) = Address::parse("1 Main St", "", "X", "Narnia", "1234567");
        assert_eq!(
            issues,
            vec![AddressIssue::UnknownState, AddressIssue::BadZip]
        );
        assert!(address.state.is_empty() && address.zip5.is_empty());
        assert_eq!(zip5("2134").as_deref(), Some("02134"));
        assert_eq!(zip5("021341234").as_deref(), Some("02134"));
    }

    proptest! {
        #[test]
        fn standardizing_twice_changes_nothing(
            number in 1u32..99999,
            name in "(Main|Oak|Maple|Elm|Lake View|2nd|Martin Luther King)",
            suffix in "(Street|St|ST.|Avenue|Ave|Av|Boulevard|Blvd|Road|Rd|Lane|Ln|Drive|Dr)",
            unit in "(|Apt 4|#12|Unit B|Suite 200|Apartment 7)",
        ) {
            let line = format!("{number} {name} {suffix} {unit}");
            let once = parse(&line, "");
            let twice = parse(&once.line1(), &once.line2());
            prop_assert_eq!(once.delivery_key(), twice.delivery_key());
        }

        #[test]
        fn never_panics(line1 in "\\PC{0,40}", line2 in "\\PC{0,10}", state in "\\PC{0,12}", zip in "\\PC{0,10}") {
            let _ = Address::parse(&line1, &line2, "", &state, &zip);
        }
    }
}
