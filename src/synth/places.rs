//! Places: real ZIP/city/state/area-code combinations from [`crate::reference::zip_codes`],
//! synthetic street addresses on top, relocation by the Census CPS distance mix, and the USPS
//! Publication 28 variant tables ([`crate::reference::pub28`]) the noise step writes from.

use std::collections::HashMap;
use std::sync::OnceLock;

use rand::Rng;

use super::config::LifeConfig;
use super::identifiers::parse_area_code;
use super::sampling::{chance, Weighted};
use crate::reference::{pub28, zip_codes, ZipCode};

/// Common US street names (design choice; trees, presidents, landscape words dominate real
/// street-name counts).
const STREET_NAMES: [&str; 72] = [
    "MAIN",
    "OAK",
    "MAPLE",
    "PINE",
    "CEDAR",
    "ELM",
    "WASHINGTON",
    "LAKE",
    "HILL",
    "PARK",
    "SUNSET",
    "LINCOLN",
    "JACKSON",
    "CHURCH",
    "RIDGE",
    "HIGHLAND",
    "MEADOW",
    "FOREST",
    "RIVER",
    "SPRING",
    "WILLOW",
    "WALNUT",
    "CHERRY",
    "CHESTNUT",
    "FRANKLIN",
    "JEFFERSON",
    "MADISON",
    "CENTER",
    "MILL",
    "ADAMS",
    "DOGWOOD",
    "HICKORY",
    "MAGNOLIA",
    "BIRCH",
    "LAKEVIEW",
    "WOODLAND",
    "VALLEY",
    "SYCAMORE",
    "MOUNTAIN VIEW",
    "KING",
    "WILSON",
    "JOHNSON",
    "COLLEGE",
    "SCHOOL",
    "MARKET",
    "BROADWAY",
    "UNION",
    "PROSPECT",
    "GRANT",
    "ASPEN",
    "LAUREL",
    "POPLAR",
    "HOLLY",
    "JUNIPER",
    "CYPRESS",
    "ORCHARD",
    "GREEN",
    "FAIRVIEW",
    "PLEASANT",
    "LIBERTY",
    "HARRISON",
    "MONROE",
    "COUNTRY CLUB",
    "BRIDGE",
    "MEADOWBROOK",
    "SPRUCE",
    "WATER",
    "FRONT",
    "HIGH",
    "ROSE",
    "SHADY",
    "CREEKSIDE",
];

/// Standard Pub 28 street suffixes with design-choice weights (ST and AVE dominate).
const SUFFIXES: [(&str, f64); 14] = [
    ("ST", 25.0),
    ("AVE", 16.0),
    ("DR", 14.0),
    ("RD", 12.0),
    ("LN", 8.0),
    ("CT", 6.0),
    ("WAY", 4.0),
    ("PL", 4.0),
    ("BLVD", 3.0),
    ("CIR", 3.0),
    ("TER", 2.0),
    ("PKWY", 1.0),
    ("TRL", 1.0),
    ("LOOP", 1.0),
];

/// Standard Pub 28 directionals.
const DIRECTIONALS: [&str; 8] = ["N", "S", "E", "W", "NE", "NW", "SE", "SW"];

/// A residential secondary unit designator (Pub 28 Appendix C2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum UnitKind {
    /// APT.
    Apartment,
    /// UNIT.
    Unit,
    /// LOT (mobile-home parks).
    Lot,
}

impl UnitKind {
    /// The standard designator.
    pub(crate) fn standard(self) -> &'static str {
        match self {
            UnitKind::Apartment => "APT",
            UnitKind::Unit => "UNIT",
            UnitKind::Lot => "LOT",
        }
    }
}

/// A secondary unit: designator, number and an optional letter (APT 3B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Unit {
    /// Designator.
    pub(crate) kind: UnitKind,
    /// Unit number.
    pub(crate) number: u16,
    /// Letter after the number, if any.
    pub(crate) letter: Option<char>,
}

impl Unit {
    /// The unit's identifier without designator ("3B").
    pub(crate) fn identifier(&self) -> String {
        match self.letter {
            Some(letter) => format!("{}{letter}", self.number),
            None => self.number.to_string(),
        }
    }
}

/// A street: a named one (index into the name list) or a numbered one (2ND).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Street {
    /// Index into [`STREET_NAMES`].
    Named(u16),
    /// 1ST, 2ND, ... 99TH.
    Numbered(u16),
}

/// A residential address. Compact: the text is rendered on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Address {
    /// House number.
    pub(crate) house: u32,
    /// Predirectional, index into [`DIRECTIONALS`].
    pub(crate) predirectional: Option<u8>,
    /// Street name.
    pub(crate) street: Street,
    /// Suffix, index into [`SUFFIXES`].
    pub(crate) suffix: u8,
    /// Secondary unit.
    pub(crate) unit: Option<Unit>,
    /// Index into [`zip_codes`].
    pub(crate) zip: u32,
    /// ZIP+4 add-on.
    pub(crate) plus4: u16,
}

/// The ordinal of a numbered street, upper case (1ST, 2ND, 3RD, 11TH).
pub(crate) fn ordinal(number: u16) -> String {
    let suffix = match (number % 10, number % 100) {
        (_, 11..=13) => "TH",
        (1, _) => "ST",
        (2, _) => "ND",
        (3, _) => "RD",
        _ => "TH",
    };
    format!("{number}{suffix}")
}

impl Address {
    /// The street name as written canonically (MAIN, MOUNTAIN VIEW, 2ND).
    pub(crate) fn street_name(&self) -> String {
        match self.street {
            Street::Named(index) => STREET_NAMES[usize::from(index)].to_string(),
            Street::Numbered(number) => ordinal(number),
        }
    }

    /// Standard directional, if any.
    pub(crate) fn directional(&self) -> Option<&'static str> {
        self.predirectional
            .map(|index| DIRECTIONALS[usize::from(index)])
    }

    /// Standard suffix abbreviation.
    pub(crate) fn suffix(&self) -> &'static str {
        SUFFIXES[usize::from(self.suffix)].0
    }

    /// The ZIP record of the address.
    pub(crate) fn zip_code(&self) -> &'static ZipCode {
        &zip_codes()[self.zip as usize]
    }

    /// Canonical line 1: `123 N MAIN ST`.
    pub(crate) fn canonical_line1(&self) -> String {
        let street = self.street_name();
        match self.directional() {
            Some(direction) => format!("{} {direction} {street} {}", self.house, self.suffix()),
            None => format!("{} {street} {}", self.house, self.suffix()),
        }
    }

    /// Canonical line 2: `APT 4`, or empty.
    pub(crate) fn canonical_line2(&self) -> String {
        self.unit
            .map(|unit| format!("{} {}", unit.kind.standard(), unit.identifier()))
            .unwrap_or_default()
    }

    /// Canonical city, upper case.
    pub(crate) fn canonical_city(&self) -> String {
        self.zip_code().city.to_uppercase()
    }
}

/// ZIP indexes and variant tables, built once.
#[derive(Debug)]
pub(crate) struct Places {
    county_of_zip: Vec<u32>,
    state_of_zip: Vec<u32>,
    county_zips: Vec<Vec<u32>>,
    state_zips: Vec<Vec<u32>>,
    zip_area_codes: Vec<Vec<u16>>,
    suffix_table: Weighted<u8>,
    /// Non-standard spellings of each suffix in [`SUFFIXES`] order: primary name first
    /// (STREET), then other Pub 28 variants (STR, STRT), sorted.
    pub(crate) suffix_variants: Vec<Vec<&'static str>>,
    /// Full words of each directional in [`DIRECTIONALS`] order (NORTH).
    pub(crate) directional_words: Vec<&'static str>,
    /// Full state name by code (CALIFORNIA), where Pub 28 lists one.
    pub(crate) state_names: HashMap<&'static str, &'static str>,
}

/// Returns the shared place tables.
pub(crate) fn places() -> &'static Places {
    static PLACES: OnceLock<Places> = OnceLock::new();
    PLACES.get_or_init(build_places)
}

/// Groups zip indexes by a key, numbering groups in first-seen order (deterministic).
fn group_zips<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = K>) -> (Vec<u32>, Vec<Vec<u32>>) {
    let mut ids: HashMap<K, u32> = HashMap::new();
    let mut group_of = Vec::new();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for (index, key) in keys.enumerate() {
        let next_id = groups.len() as u32;
        let id = *ids.entry(key).or_insert(next_id);
        if id == next_id {
            groups.push(Vec::new());
        }
        groups[id as usize].push(index as u32);
        group_of.push(id);
    }
    (group_of, groups)
}

fn build_places() -> Places {
    let zips = zip_codes();
    let (county_of_zip, county_zips) = group_zips(zips.iter().map(|z| (z.state, z.county)));
    let (state_of_zip, state_zips) = group_zips(zips.iter().map(|z| z.state));
    let own_codes: Vec<Vec<u16>> = zips
        .iter()
        .map(|z| {
            z.area_codes
                .iter()
                .filter_map(|a| parse_area_code(a))
                .collect()
        })
        .collect();
    let mut state_codes: Vec<Vec<u16>> = vec![Vec::new(); state_zips.len()];
    for (index, codes) in own_codes.iter().enumerate() {
        state_codes[state_of_zip[index] as usize].extend(codes);
    }
    for codes in &mut state_codes {
        codes.sort_unstable();
        codes.dedup();
    }
    let zip_area_codes = own_codes
        .into_iter()
        .enumerate()
        .map(|(index, codes)| {
            if codes.is_empty() {
                state_codes[state_of_zip[index] as usize].clone()
            } else {
                codes
            }
        })
        .collect();
    Places {
        county_of_zip,
        state_of_zip,
        county_zips,
        state_zips,
        zip_area_codes,
        suffix_table: Weighted::new(
            SUFFIXES
                .iter()
                .enumerate()
                .map(|(index, (_, weight))| (index as u8, *weight)),
        ),
        suffix_variants: suffix_variants(),
        directional_words: directional_words(),
        state_names: state_names(),
    }
}

/// Pub 28 spellings of each standard suffix, primary name first.
fn suffix_variants() -> Vec<Vec<&'static str>> {
    let tables = pub28();
    SUFFIXES
        .iter()
        .map(|(standard, _)| {
            let primary = tables.suffix_names.get(standard).copied();
            let mut others: Vec<&'static str> = tables
                .street_suffixes
                .iter()
                .filter(|(variant, target)| {
                    *target == standard && *variant != standard && Some(**variant) != primary
                })
                .map(|(variant, _)| *variant)
                .collect();
            others.sort_unstable();
            primary.into_iter().chain(others).collect()
        })
        .collect()
}

/// Full words of the directionals (NORTH for N).
fn directional_words() -> Vec<&'static str> {
    let tables = pub28();
    DIRECTIONALS
        .iter()
        .map(|standard| {
            let mut words: Vec<&'static str> = tables
                .directionals
                .iter()
                .filter(|(word, target)| *target == standard && word.len() > standard.len())
                .map(|(word, _)| *word)
                .collect();
            words.sort_unstable();
            words.first().copied().unwrap_or(standard)
        })
        .collect()
}

/// Longest Pub 28 state name of each code (CALIFORNIA for CA).
fn state_names() -> HashMap<&'static str, &'static str> {
    let mut names: HashMap<&'static str, &'static str> = HashMap::new();
    for (name, code) in &pub28().states {
        if name.len() <= 2 {
            continue;
        }
        let entry = names.entry(*code).or_insert(*name);
        if name.len() > entry.len() || (name.len() == entry.len() && *name < *entry) {
            *entry = *name;
        }
    }
    names
}

impl Places {
    /// Area codes serving the ZIP (the state's when the ZIP lists none).
    pub(crate) fn area_codes(&self, zip: u32) -> &[u16] {
        &self.zip_area_codes[zip as usize]
    }

    /// Draws an area code for a ZIP (0 when none is known: the phone step then draws one).
    pub(crate) fn area_code<R: Rng + ?Sized>(&self, rng: &mut R, zip: u32) -> u16 {
        let codes = self.area_codes(zip);
        if codes.is_empty() {
            return 0;
        }
        codes[rng.random_range(0..codes.len())]
    }

    /// Draws a ZIP uniformly among all ZIPs.
    pub(crate) fn any_zip<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        rng.random_range(0..self.county_of_zip.len() as u32)
    }

    /// Draws the ZIP of a move from `from`: same county, same state or another state, in the
    /// configured shares (Census CPS 2020–21: 60 / 22 / 18 %).
    pub(crate) fn relocate_zip<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        from: u32,
        life: &LifeConfig,
    ) -> u32 {
        let draw: f64 = rng.random();
        let state = self.state_of_zip[from as usize];
        if draw < life.move_same_county_share {
            let county = &self.county_zips[self.county_of_zip[from as usize] as usize];
            return county[rng.random_range(0..county.len())];
        }
        if draw < life.move_same_county_share + life.move_same_state_share {
            let zips = &self.state_zips[state as usize];
            return zips[rng.random_range(0..zips.len())];
        }
        for _ in 0..16 {
            let candidate = self.any_zip(rng);
            if self.state_of_zip[candidate as usize] != state {
                return candidate;
            }
        }
        self.any_zip(rng)
    }

    /// Draws a new street address in `zip`.
    pub(crate) fn address_in<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        zip: u32,
        life: &LifeConfig,
    ) -> Address {
        let house = match rng.random_range(0..10) {
            0..=1 => rng.random_range(1..100),
            2..=5 => rng.random_range(100..1_000),
            6..=8 => rng.random_range(1_000..10_000),
            _ => rng.random_range(10_000..30_000),
        };
        let predirectional = chance(rng, life.directional_share)
            .then(|| rng.random_range(0..DIRECTIONALS.len()) as u8);
        let street = if chance(rng, life.numbered_street_share) {
            Street::Numbered(numbered_street(rng))
        } else {
            Street::Named(rng.random_range(0..STREET_NAMES.len()) as u16)
        };
        let unit = chance(rng, life.unit_share).then(|| random_unit(rng));
        Address {
            house,
            predirectional,
            street,
            suffix: *self.suffix_table.sample(rng),
            unit,
            zip,
            plus4: rng.random_range(1..10_000),
        }
    }
}

/// Low street numbers are far more common than high ones.
fn numbered_street<R: Rng + ?Sized>(rng: &mut R) -> u16 {
    let cap = if chance(rng, 0.7) { 12 } else { 99 };
    rng.random_range(1..=cap)
}

/// An apartment (mostly), unit or lot.
fn random_unit<R: Rng + ?Sized>(rng: &mut R) -> Unit {
    let kind = match rng.random_range(0..20) {
        0..=15 => UnitKind::Apartment,
        16..=18 => UnitKind::Unit,
        _ => UnitKind::Lot,
    };
    let number = match rng.random_range(0..3) {
        0 => rng.random_range(1..20),
        1 => rng.random_range(100..450),
        _ => rng.random_range(1..2_000),
    };
    let letter = (kind == UnitKind::Apartment && chance(rng, 0.1))
        .then(|| char::from(b'A' + rng.random_range(0..6u8)));
    Unit {
        kind,
        number,
        letter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::sampling::{stream_rng, Stream};

    #[test]
    fn ordinals_follow_english_rules() {
        assert_eq!(ordinal(1), "1ST");
        assert_eq!(ordinal(2), "2ND");
        assert_eq!(ordinal(3), "3RD");
        assert_eq!(ordinal(11), "11TH");
        assert_eq!(ordinal(22), "22ND");
        assert_eq!(ordinal(113), "113TH");
    }

    #[test]
    fn suffixes_and_directionals_exist_in_pub28() {
        let tables = pub28();
        for (standard, _) in SUFFIXES {
            assert_eq!(tables.street_suffixes.get(standard), Some(&standard));
        }
        let places = places();
        assert_eq!(places.suffix_variants[0].first(), Some(&"STREET"));
        assert!(places.suffix_variants[0].contains(&"STR"));
        assert_eq!(places.directional_words[0], "NORTH");
        assert_eq!(places.state_names.get("CA"), Some(&"CALIFORNIA"));
    }

    #[test]
    fn canonical_address_lines() {
        let address = Address {
            house: 123,
            predirectional: Some(0),
            street: Street::Named(0),
            suffix: 0,
            unit: Some(Unit {
                kind: UnitKind::Apartment,
                number: 4,
                letter: None,
            }),
            zip: 0,
            plus4: 1,
        };
        assert_eq!(address.canonical_line1(), "123 N MAIN ST");
        assert_eq!(address.canonical_line2(), "APT 4");
    }

    #[test]
    fn moves_follow_the_distance_mix() {
        let places = places();
        let life = LifeConfig::default();
        let mut rng = stream_rng(5, Stream::Household, 1);
        let (mut same_county, mut same_state, total) = (0, 0, 20_000);
        for _ in 0..total {
            let from = places.any_zip(&mut rng);
            let to = places.relocate_zip(&mut rng, from, &life);
            if places.county_of_zip[from as usize] == places.county_of_zip[to as usize] {
                same_county += 1;
            } else if places.state_of_zip[from as usize] == places.state_of_zip[to as usize] {
                same_state += 1;
            }
        }
        let county_share = f64::from(same_county) / f64::from(total);
        assert!((0.57..0.65).contains(&county_share), "{county_share}");
        assert!(same_state > total / 6, "{same_state}");
        for zip in [0, 100, 20_000] {
            assert!(!places.area_codes(zip).is_empty());
        }
    }
}
