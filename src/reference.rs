//! Reference tables compiled into the binary: nicknames, USPS Publication 28 abbreviations, US
//! states, Census name frequencies and ZIP codes. Sources and licences: `data/README.md`.
//!
//! Each table is parsed once, on first use, and shared read-only afterwards.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const NICKNAMES_CSV: &str = include_str!("../data/nicknames.csv");
const STREET_SUFFIXES_CSV: &str = include_str!("../data/usps_pub28/street_suffixes.csv");
const UNIT_DESIGNATORS_CSV: &str = include_str!("../data/usps_pub28/unit_designators.csv");
const DIRECTIONALS_CSV: &str = include_str!("../data/usps_pub28/directionals.csv");
const STATES_CSV: &str = include_str!("../data/usps_pub28/states.csv");
const CENSUS_LAST: &str = include_str!("../data/census1990/dist.all.last");
const CENSUS_FEMALE_FIRST: &str = include_str!("../data/census1990/dist.female.first");
const CENSUS_MALE_FIRST: &str = include_str!("../data/census1990/dist.male.first");
const ZIPCODES_CSV: &str = include_str!("../data/us_zipcodes.csv");

/// Two-letter codes USPS accepts: the 50 states, DC, territories and military "states".
pub const STATE_CODES: [&str; 62] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP", "AA", "AE", "AP", "FM", "MH", "PW",
];

/// Rows of a small `key,value` CSV with a header line, keys and values upper-cased.
fn pairs(csv_text: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    csv_text
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(','))
        .map(|(a, b)| (a.trim(), b.trim()))
}

/// Nickname equivalence: a given name maps to the formal names it may stand for.
#[derive(Debug, Default)]
pub struct Nicknames {
    formal_of: HashMap<String, Vec<String>>,
    formals: HashSet<String>,
    nicknames_of: HashMap<String, Vec<String>>,
}

impl Nicknames {
    /// Returns the formal names `name` (lower-case, folded) may stand for, `name` itself included
    /// when it is a formal name or unknown to the table. Sorted, deduplicated.
    pub fn formal_names(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = self.formal_of.get(name).cloned().unwrap_or_default();
        if self.formals.contains(name) || out.is_empty() {
            out.push(name.to_string());
        }
        out.sort();
        out.dedup();
        out
    }

    /// Returns the nicknames of a formal name (empty when it has none).
    pub fn nicknames_of(&self, formal: &str) -> &[String] {
        self.nicknames_of.get(formal).map_or(&[], Vec::as_slice)
    }

    /// True when the two names may denote the same given name: equal, or sharing a formal name
    /// (Bob and Robert, Bob and Rob).
    pub fn equivalent(&self, a: &str, b: &str) -> bool {
        if a == b {
            return true;
        }
        let formal_a = self.formal_names(a);
        let formal_b = self.formal_names(b);
        formal_a.iter().any(|f| formal_b.contains(f))
    }
}

/// Returns the nickname table (`data/nicknames.csv`).
pub fn nicknames() -> &'static Nicknames {
    static TABLE: OnceLock<Nicknames> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Nicknames::default();
        for line in NICKNAMES_CSV.lines().skip(1) {
            let mut cols = line.split(',');
            let (Some(formal), Some("has_nickname"), Some(nick)) =
                (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            let formal = formal.trim().to_lowercase();
            let nick = nick.trim().to_lowercase();
            table
                .formal_of
                .entry(nick.clone())
                .or_default()
                .push(formal.clone());
            table
                .nicknames_of
                .entry(formal.clone())
                .or_default()
                .push(nick);
            table.formals.insert(formal);
        }
        table
    })
}

/// USPS Publication 28 address abbreviations.
#[derive(Debug, Default)]
pub struct Pub28 {
    /// Street suffix variant → standard abbreviation (Appendix C1: AVENUE, AV, AVEN → AVE).
    pub street_suffixes: HashMap<&'static str, &'static str>,
    /// Standard suffix → its primary name (AVE → AVENUE), for generating variants.
    pub suffix_names: HashMap<&'static str, &'static str>,
    /// Secondary unit designator → standard (Appendix C2: APARTMENT → APT, `#` stays `#`).
    pub unit_designators: HashMap<&'static str, &'static str>,
    /// Directional → standard (NORTH → N).
    pub directionals: HashMap<&'static str, &'static str>,
    /// State name or abbreviation → two-letter code.
    pub states: HashMap<&'static str, &'static str>,
}

/// Returns the Publication 28 tables (`data/usps_pub28/`).
pub fn pub28() -> &'static Pub28 {
    static TABLE: OnceLock<Pub28> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Pub28 {
            street_suffixes: pairs(STREET_SUFFIXES_CSV).collect(),
            suffix_names: HashMap::new(),
            unit_designators: pairs(UNIT_DESIGNATORS_CSV).collect(),
            directionals: pairs(DIRECTIONALS_CSV).collect(),
            states: pairs(STATES_CSV).collect(),
        };
        for (variant, standard) in pairs(STREET_SUFFIXES_CSV) {
            if variant == standard {
                table.street_suffixes.insert(standard, standard);
            }
        }
        for (standard, name) in pairs(include_str!("../data/usps_pub28/street_suffix_names.csv")) {
            table.suffix_names.insert(standard, name);
        }
        for code in STATE_CODES {
            table.states.insert(code, code);
        }
        for (_, standard) in pairs(DIRECTIONALS_CSV) {
            table.directionals.insert(standard, standard);
        }
        for (_, standard) in pairs(UNIT_DESIGNATORS_CSV) {
            table.unit_designators.insert(standard, standard);
        }
        table
    })
}

/// A name with its share of the population, from the Census 1990 tables.
#[derive(Debug, Clone)]
pub struct NameFrequency {
    /// Upper-case name as the Census spells it.
    pub name: &'static str,
    /// Frequency in percent of the population.
    pub percent: f64,
}

fn parse_census(text: &'static str) -> Vec<NameFrequency> {
    text.lines()
        .filter_map(|line| {
            let mut cols = line.split_whitespace();
            let name = cols.next()?;
            let percent: f64 = cols.next()?.parse().ok()?;
            Some(NameFrequency { name, percent })
        })
        .collect()
}

/// Census 1990 name frequency tables.
#[derive(Debug)]
pub struct CensusNames {
    /// Surnames, most frequent first.
    pub last: Vec<NameFrequency>,
    /// Female given names, most frequent first.
    pub female_first: Vec<NameFrequency>,
    /// Male given names, most frequent first.
    pub male_first: Vec<NameFrequency>,
}

/// Returns the Census 1990 name tables (`data/census1990/`).
pub fn census_names() -> &'static CensusNames {
    static TABLE: OnceLock<CensusNames> = OnceLock::new();
    TABLE.get_or_init(|| CensusNames {
        last: parse_census(CENSUS_LAST),
        female_first: parse_census(CENSUS_FEMALE_FIRST),
        male_first: parse_census(CENSUS_MALE_FIRST),
    })
}

/// One US ZIP code with its place.
#[derive(Debug, Clone)]
pub struct ZipCode {
    /// Five-digit ZIP.
    pub zip: &'static str,
    /// Preferred city name.
    pub city: &'static str,
    /// Two-letter state code.
    pub state: &'static str,
    /// County name.
    pub county: &'static str,
    /// Telephone area codes serving the ZIP.
    pub area_codes: Vec<&'static str>,
}

/// Returns the active STANDARD (street-delivery) ZIP codes of `data/us_zipcodes.csv`.
pub fn zip_codes() -> &'static [ZipCode] {
    static TABLE: OnceLock<Vec<ZipCode>> = OnceLock::new();
    TABLE.get_or_init(|| {
        ZIPCODES_CSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                // zip,type,active,city,acceptable_cities,state,county,area_codes,timezone,lat,lon
                let cols: Vec<&'static str> = line.split(',').collect();
                if cols.len() < 8 || cols[1] != "STANDARD" || cols[2] != "1" {
                    return None;
                }
                Some(ZipCode {
                    zip: cols[0],
                    city: cols[3],
                    state: cols[5],
                    county: cols[6],
                    area_codes: cols[7].split(';').filter(|a| a.len() == 3).collect(),
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_link_diminutives_to_formal_names() {
        let table = nicknames();
        assert!(table.equivalent("bob", "robert"));
        assert!(table.equivalent("peggy", "margaret"));
        assert!(table.equivalent("bill", "william"));
        assert!(!table.equivalent("bob", "william"));
        assert!(table.formal_names("robert").contains(&"robert".to_string()));
    }

    #[test]
    fn pub28_tables_standardize() {
        let table = pub28();
        assert_eq!(table.street_suffixes.get("AVENUE"), Some(&"AVE"));
        assert_eq!(table.street_suffixes.get("STREET"), Some(&"ST"));
        assert_eq!(table.unit_designators.get("APARTMENT"), Some(&"APT"));
        assert_eq!(table.directionals.get("NORTH"), Some(&"N"));
        assert_eq!(table.states.get("CALIFORNIA"), Some(&"CA"));
        assert_eq!(table.states.get("PR"), Some(&"PR"));
    }

    #[test]
    fn census_and_zip_tables_load() {
        let names = census_names();
        assert_eq!(names.last[0].name, "SMITH");
        assert!(names.last.len() > 80_000);
        assert!(names.male_first.len() > 1_000);
        let zips = zip_codes();
        assert!(zips.len() > 25_000);
        assert!(zips.iter().all(|z| z.zip.len() == 5 && z.state.len() == 2));
    }
}
