//! Name tables for the generator: Census 1990 frequencies ([`crate::reference::census_names`])
//! for the general population, plus short hardcoded lists of common Hispanic and Asian names,
//! so that surnames cluster by a simple ethnicity model (docs/domain.md section 8: Zipf-like,
//! clustered by ethnicity).

use std::collections::HashSet;
use std::sync::OnceLock;

use rand::Rng;

use super::config::PopulationConfig;
use super::sampling::{chance, Weighted};
use crate::reference::{census_names, nicknames, NameFrequency};

/// The ethnicity model behind name choice (design choice: three groups are enough to cluster
/// surnames and to raise first/last swap rates for East Asian names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Ethnicity {
    /// Names from the Census tables.
    General,
    /// Spanish names, double surnames, diacritics.
    Hispanic,
    /// East, South-East and South Asian names; family name first in the source culture.
    Asian,
}

impl Ethnicity {
    /// Lower-case label written to `truth/people.csv`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Ethnicity::General => "general",
            Ethnicity::Hispanic => "hispanic",
            Ethnicity::Asian => "asian",
        }
    }
}

/// Sex of a person, as a binary field in the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
}

impl Sex {
    /// `F` or `M`.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Sex::Female => "F",
            Sex::Male => "M",
        }
    }
}

/// How the two parts of a compound surname are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Joint {
    /// Hispanic double surname, "Garcia Lopez".
    Space,
    /// Hyphenated married name, "Smith-Jones".
    Hyphen,
}

/// A surname: one part, or two joined (Hispanic double surname, hyphenated married name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Surname {
    /// First (paternal, or maiden when hyphenated) part.
    pub(crate) first: &'static str,
    /// Second part, if compound.
    pub(crate) second: Option<&'static str>,
    /// Joint of a compound surname.
    pub(crate) joint: Joint,
}

impl Surname {
    /// A one-part surname.
    pub(crate) fn single(name: &'static str) -> Surname {
        Surname {
            first: name,
            second: None,
            joint: Joint::Space,
        }
    }

    /// A two-part surname.
    pub(crate) fn double(first: &'static str, second: &'static str, joint: Joint) -> Surname {
        Surname {
            first,
            second: Some(second),
            joint,
        }
    }

    /// The true spelling: "Garcia Lopez", "Smith-Jones", "O'Brien".
    pub(crate) fn canonical(&self) -> String {
        match (self.second, self.joint) {
            (None, _) => self.first.to_string(),
            (Some(second), Joint::Space) => format!("{} {second}", self.first),
            (Some(second), Joint::Hyphen) => format!("{}-{second}", self.first),
        }
    }
}

/// Census surnames written with an apostrophe or inner capital (the Census strips both).
const SURNAME_SPELLINGS: [(&str, &str); 20] = [
    ("OBRIEN", "O'Brien"),
    ("OCONNOR", "O'Connor"),
    ("ONEAL", "O'Neal"),
    ("ONEILL", "O'Neill"),
    ("ONEIL", "O'Neil"),
    ("ODONNELL", "O'Donnell"),
    ("OHARA", "O'Hara"),
    ("OLEARY", "O'Leary"),
    ("OROURKE", "O'Rourke"),
    ("OKEEFE", "O'Keefe"),
    ("OMALLEY", "O'Malley"),
    ("OSULLIVAN", "O'Sullivan"),
    ("OBRYANT", "O'Bryant"),
    ("DAMICO", "D'Amico"),
    ("DANGELO", "D'Angelo"),
    ("DALESSANDRO", "D'Alessandro"),
    ("MACDONALD", "MacDonald"),
    ("MACKENZIE", "MacKenzie"),
    ("MACLEAN", "MacLean"),
    ("DELEON", "De Leon"),
];

/// Common Hispanic surnames with diacritics, weighted by Census 2010 counts in thousands.
const HISPANIC_SURNAMES: [(&str, f64); 64] = [
    ("García", 1166.0),
    ("Rodríguez", 1095.0),
    ("Martínez", 1060.0),
    ("Hernández", 1043.0),
    ("López", 874.0),
    ("González", 841.0),
    ("Pérez", 681.0),
    ("Sánchez", 612.0),
    ("Ramírez", 557.0),
    ("Torres", 438.0),
    ("Flores", 432.0),
    ("Rivera", 429.0),
    ("Gómez", 366.0),
    ("Díaz", 342.0),
    ("Cruz", 280.0),
    ("Morales", 277.0),
    ("Reyes", 273.0),
    ("Gutiérrez", 266.0),
    ("Ortiz", 264.0),
    ("Ramos", 214.0),
    ("Chávez", 210.0),
    ("Castillo", 206.0),
    ("Jiménez", 207.0),
    ("Vásquez", 202.0),
    ("Moreno", 202.0),
    ("Ruiz", 200.0),
    ("Mendoza", 191.0),
    ("Álvarez", 190.0),
    ("Romero", 190.0),
    ("Herrera", 187.0),
    ("Medina", 178.0),
    ("Aguilar", 168.0),
    ("Muñoz", 157.0),
    ("Fernández", 157.0),
    ("Vargas", 156.0),
    ("Castro", 156.0),
    ("Delgado", 149.0),
    ("Guzmán", 148.0),
    ("Ortega", 140.0),
    ("Soto", 130.0),
    ("Peña", 121.0),
    ("Contreras", 120.0),
    ("Guerrero", 113.0),
    ("Domínguez", 112.0),
    ("Vega", 107.0),
    ("Sandoval", 106.0),
    ("Ríos", 106.0),
    ("Estrada", 106.0),
    ("Santiago", 105.0),
    ("Campos", 104.0),
    ("Salazar", 103.0),
    ("Navarro", 100.0),
    ("Luna", 100.0),
    ("Juárez", 100.0),
    ("Molina", 100.0),
    ("Figueroa", 98.0),
    ("Acosta", 95.0),
    ("Núñez", 94.0),
    ("Espinoza", 90.0),
    ("Valdez", 90.0),
    ("Cabrera", 80.0),
    ("Rojas", 80.0),
    ("Cortés", 70.0),
    ("Ibáñez", 20.0),
];

/// Common Spanish male given names (design-choice weights).
const HISPANIC_MALE: [(&str, f64); 35] = [
    ("José", 8.0),
    ("Juan", 6.0),
    ("Luis", 5.0),
    ("Carlos", 5.0),
    ("Jorge", 4.0),
    ("Miguel", 4.0),
    ("Jesús", 3.0),
    ("Antonio", 3.0),
    ("Francisco", 3.0),
    ("Alejandro", 3.0),
    ("Manuel", 3.0),
    ("Ricardo", 2.0),
    ("Pedro", 2.0),
    ("Javier", 2.0),
    ("Fernando", 2.0),
    ("Eduardo", 2.0),
    ("Roberto", 2.0),
    ("Rafael", 2.0),
    ("Raúl", 2.0),
    ("Ángel", 2.0),
    ("Daniel", 2.0),
    ("Andrés", 1.5),
    ("Héctor", 1.5),
    ("Sergio", 1.5),
    ("Óscar", 1.5),
    ("Víctor", 1.5),
    ("Mario", 1.5),
    ("Diego", 1.5),
    ("Ramón", 1.0),
    ("Julio", 1.0),
    ("Gerardo", 1.0),
    ("Arturo", 1.0),
    ("Enrique", 1.0),
    ("Martín", 1.0),
    ("Joaquín", 0.5),
];

/// Common Spanish female given names (design-choice weights).
const HISPANIC_FEMALE: [(&str, f64); 33] = [
    ("María", 10.0),
    ("Ana", 4.0),
    ("Rosa", 3.0),
    ("Carmen", 3.0),
    ("Guadalupe", 3.0),
    ("Juana", 2.0),
    ("Margarita", 2.0),
    ("Verónica", 2.0),
    ("Elena", 2.0),
    ("Sofía", 2.0),
    ("Isabel", 2.0),
    ("Gabriela", 2.0),
    ("Adriana", 2.0),
    ("Patricia", 2.0),
    ("Alejandra", 2.0),
    ("Lucía", 1.5),
    ("Leticia", 1.5),
    ("Mónica", 1.5),
    ("Claudia", 1.5),
    ("Daniela", 1.5),
    ("Teresa", 1.5),
    ("Silvia", 1.5),
    ("Martha", 1.5),
    ("Yesenia", 1.0),
    ("Marisol", 1.0),
    ("Beatriz", 1.0),
    ("Raquel", 1.0),
    ("Araceli", 1.0),
    ("Norma", 1.0),
    ("Blanca", 1.0),
    ("Esperanza", 1.0),
    ("Dolores", 1.0),
    ("Inés", 0.5),
];

/// Common Asian surnames in the US, weighted by Census 2010 counts in thousands (Lee: its
/// Asian share only).
const ASIAN_SURNAMES: [(&str, f64); 50] = [
    ("Nguyen", 437.0),
    ("Patel", 230.0),
    ("Singh", 200.0),
    ("Lee", 150.0),
    ("Kim", 142.0),
    ("Tran", 100.0),
    ("Chen", 90.0),
    ("Wang", 90.0),
    ("Li", 80.0),
    ("Wong", 80.0),
    ("Le", 75.0),
    ("Zhang", 60.0),
    ("Liu", 60.0),
    ("Pham", 60.0),
    ("Yang", 60.0),
    ("Shah", 60.0),
    ("Park", 50.0),
    ("Huang", 50.0),
    ("Chang", 50.0),
    ("Wu", 45.0),
    ("Lin", 45.0),
    ("Kumar", 40.0),
    ("Chan", 40.0),
    ("Vu", 40.0),
    ("Huynh", 40.0),
    ("Ho", 40.0),
    ("Lam", 35.0),
    ("Choi", 30.0),
    ("Hoang", 30.0),
    ("Truong", 30.0),
    ("Cheng", 30.0),
    ("Yu", 25.0),
    ("Do", 25.0),
    ("Dang", 25.0),
    ("Bui", 25.0),
    ("Cho", 20.0),
    ("Xu", 20.0),
    ("Sun", 20.0),
    ("Kang", 20.0),
    ("Zhao", 15.0),
    ("Ma", 15.0),
    ("Zhu", 15.0),
    ("Hu", 15.0),
    ("Jung", 15.0),
    ("Liang", 15.0),
    ("Guo", 12.0),
    ("Yoon", 10.0),
    ("Tanaka", 10.0),
    ("Nakamura", 8.0),
    ("Suzuki", 8.0),
];

/// Common Asian male given names (design-choice weights).
const ASIAN_MALE: [(&str, f64); 29] = [
    ("Wei", 3.0),
    ("Minh", 3.0),
    ("Ji-hoon", 2.0),
    ("Jun", 2.0),
    ("Hao", 2.0),
    ("Jian", 2.0),
    ("Min-jun", 2.0),
    ("Tuan", 2.0),
    ("Duc", 2.0),
    ("Hung", 2.0),
    ("Raj", 2.0),
    ("Amit", 2.0),
    ("Rahul", 2.0),
    ("Jin", 2.0),
    ("Ming", 2.0),
    ("Thanh", 2.0),
    ("Vikram", 1.0),
    ("Hiroshi", 1.0),
    ("Kenji", 1.0),
    ("Sung", 1.0),
    ("Yong", 1.0),
    ("Tao", 1.0),
    ("Cheng", 1.0),
    ("Quang", 1.0),
    ("Hyun-woo", 1.0),
    ("Sanjay", 1.0),
    ("Arjun", 1.0),
    ("Long", 1.0),
    ("Hai", 1.0),
];

/// Common Asian female given names (design-choice weights).
const ASIAN_FEMALE: [(&str, f64); 27] = [
    ("Mei", 3.0),
    ("Linh", 3.0),
    ("Hui", 2.0),
    ("Ying", 2.0),
    ("Thu", 2.0),
    ("Hoa", 2.0),
    ("Seo-yeon", 2.0),
    ("Priya", 2.0),
    ("Mai", 2.0),
    ("Lan", 2.0),
    ("Min-ji", 2.0),
    ("Jing", 2.0),
    ("Yan", 2.0),
    ("Ngoc", 2.0),
    ("Trang", 2.0),
    ("Thao", 2.0),
    ("Ji-woo", 1.0),
    ("Anjali", 1.0),
    ("Yuki", 1.0),
    ("Xiu", 1.0),
    ("Hyun", 1.0),
    ("Lei", 1.0),
    ("Fang", 1.0),
    ("Neha", 1.0),
    ("Pooja", 1.0),
    ("Eun-ji", 1.0),
    ("Sakura", 0.5),
];

/// How many top Census surnames count as "common" for the `common_name` truth flag.
pub(crate) const COMMON_SURNAME_RANK: usize = 100;

/// The name tables, built once.
#[derive(Debug)]
pub(crate) struct NameTables {
    census_last: Weighted<&'static str>,
    census_male: Weighted<&'static str>,
    census_female: Weighted<&'static str>,
    hispanic_last: Weighted<&'static str>,
    hispanic_male: Weighted<&'static str>,
    hispanic_female: Weighted<&'static str>,
    asian_last: Weighted<&'static str>,
    asian_male: Weighted<&'static str>,
    asian_female: Weighted<&'static str>,
    top_surnames: HashSet<&'static str>,
}

/// Keeps a string for the life of the process. Only used while building the static tables,
/// once per distinct name, so the "leak" is bounded by the tables' size.
fn keep(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// Title-cases a Census spelling ("MCDONALD" → "McDonald"), applying the known apostrophe
/// spellings ("OBRIEN" → "O'Brien").
pub(crate) fn census_display(upper: &str) -> String {
    if let Some((_, spelled)) = SURNAME_SPELLINGS.iter().find(|(raw, _)| *raw == upper) {
        return (*spelled).to_string();
    }
    let lower = upper.to_lowercase();
    let mut chars = lower.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let rest: String = chars.collect();
    if first == 'm' && rest.starts_with('c') && rest.len() > 2 {
        let mut tail = rest[1..].chars();
        let third = tail.next().map(|c| c.to_uppercase().collect::<String>());
        return format!("Mc{}{}", third.unwrap_or_default(), tail.as_str());
    }
    format!("{}{rest}", first.to_uppercase())
}

/// Builds a table of display spellings from Census rows.
fn census_table(rows: &'static [NameFrequency]) -> Weighted<&'static str> {
    Weighted::new(
        rows.iter()
            .map(|row| (keep(census_display(row.name)), row.percent)),
    )
}

/// Builds a table from a hardcoded list; names with diacritics are also entered without them
/// (half the weight each), since many people write José as Jose themselves.
fn listed_table(rows: &[(&'static str, f64)]) -> Weighted<&'static str> {
    let mut entries = Vec::with_capacity(rows.len() * 2);
    for (name, weight) in rows {
        let folded = fold_diacritics(name);
        if folded == *name {
            entries.push((*name, *weight));
        } else {
            entries.push((*name, weight / 2.0));
            entries.push((keep(folded), weight / 2.0));
        }
    }
    Weighted::new(entries)
}

/// Returns the shared name tables.
pub(crate) fn name_tables() -> &'static NameTables {
    static TABLES: OnceLock<NameTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let census = census_names();
        let census_last = census_table(&census.last);
        let top_surnames = census_last
            .items()
            .iter()
            .take(COMMON_SURNAME_RANK)
            .copied()
            .collect();
        NameTables {
            census_last,
            census_male: census_table(&census.male_first),
            census_female: census_table(&census.female_first),
            hispanic_last: listed_table(&HISPANIC_SURNAMES),
            hispanic_male: listed_table(&HISPANIC_MALE),
            hispanic_female: listed_table(&HISPANIC_FEMALE),
            asian_last: listed_table(&ASIAN_SURNAMES),
            asian_male: listed_table(&ASIAN_MALE),
            asian_female: listed_table(&ASIAN_FEMALE),
            top_surnames,
        }
    })
}

impl NameTables {
    /// Draws a surname (one part) for a person of `ethnicity`.
    pub(crate) fn surname<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        ethnicity: Ethnicity,
        config: &PopulationConfig,
    ) -> &'static str {
        match ethnicity {
            Ethnicity::Hispanic if chance(rng, config.hispanic_listed_surname_share) => {
                self.hispanic_last.sample(rng)
            }
            Ethnicity::Asian if chance(rng, config.asian_listed_surname_share) => {
                self.asian_last.sample(rng)
            }
            _ => self.census_last.sample(rng),
        }
    }

    /// Draws a given name.
    pub(crate) fn given<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        sex: Sex,
        ethnicity: Ethnicity,
        config: &PopulationConfig,
    ) -> &'static str {
        let table = match (ethnicity, sex) {
            (Ethnicity::Hispanic, Sex::Male) if chance(rng, config.hispanic_given_name_share) => {
                &self.hispanic_male
            }
            (Ethnicity::Hispanic, Sex::Female) if chance(rng, config.hispanic_given_name_share) => {
                &self.hispanic_female
            }
            (Ethnicity::Asian, Sex::Male) if chance(rng, config.asian_given_name_share) => {
                &self.asian_male
            }
            (Ethnicity::Asian, Sex::Female) if chance(rng, config.asian_given_name_share) => {
                &self.asian_female
            }
            (_, Sex::Male) => &self.census_male,
            (_, Sex::Female) => &self.census_female,
        };
        table.sample(rng)
    }

    /// Draws a middle name, or none, different from the given name.
    pub(crate) fn middle<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        sex: Sex,
        ethnicity: Ethnicity,
        given: &str,
        config: &PopulationConfig,
    ) -> Option<&'static str> {
        let no_middle = match ethnicity {
            Ethnicity::Asian => config.asian_no_middle_name_share,
            _ => config.no_middle_name_share,
        };
        if chance(rng, no_middle) {
            return None;
        }
        for _ in 0..4 {
            let candidate = self.given(rng, sex, ethnicity, config);
            if candidate != given {
                return Some(candidate);
            }
        }
        None
    }

    /// True when `surname` is among the Census top [`COMMON_SURNAME_RANK`].
    pub(crate) fn is_top_surname(&self, surname: &str) -> bool {
        self.top_surnames.contains(surname)
    }
}

/// Replaces the Spanish diacritics used in the tables by their base letters (José → Jose).
pub(crate) fn fold_diacritics(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'Á' | 'À' | 'Ä' | 'Â' => 'A',
            'É' | 'È' | 'Ë' | 'Ê' => 'E',
            'Í' | 'Ì' | 'Ï' | 'Î' => 'I',
            'Ó' | 'Ò' | 'Ö' | 'Ô' => 'O',
            'Ú' | 'Ù' | 'Ü' | 'Û' => 'U',
            'Ñ' => 'N',
            other => other,
        })
        .collect()
}

/// The nicknames of a given name, from [`crate::reference::nicknames`] (empty if none).
pub(crate) fn nickname_options(given: &str) -> &'static [String] {
    let key = fold_diacritics(given).to_lowercase();
    nicknames().nicknames_of(&key)
}

/// Title-cases a lower-case table word ("bob" → "Bob", "mary-jo" → "Mary-Jo").
pub(crate) fn title_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut start = true;
    for c in word.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = !c.is_alphanumeric();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::sampling::{stream_rng, Stream};

    #[test]
    fn census_spellings_are_restored() {
        assert_eq!(census_display("SMITH"), "Smith");
        assert_eq!(census_display("OBRIEN"), "O'Brien");
        assert_eq!(census_display("DANGELO"), "D'Angelo");
        assert_eq!(census_display("MCDONALD"), "McDonald");
        assert_eq!(census_display("MACK"), "Mack");
    }

    #[test]
    fn common_names_are_common() {
        let tables = name_tables();
        let config = PopulationConfig::default();
        let mut rng = stream_rng(3, Stream::Household, 0);
        let draws = 20_000;
        let smiths = (0..draws)
            .filter(|_| tables.surname(&mut rng, Ethnicity::General, &config) == "Smith")
            .count();
        // Census 1990: Smith is 1.006 % of the population.
        assert!((120..290).contains(&smiths), "{smiths} Smiths in {draws}");
        assert!(tables.is_top_surname("Smith"));
        assert!(!tables.is_top_surname("Ibáñez"));
    }

    #[test]
    fn hispanic_tables_carry_diacritics_and_folded_forms() {
        let tables = name_tables();
        let items = tables.hispanic_last.items();
        assert!(items.contains(&"Muñoz") && items.contains(&"Munoz"));
        assert!(items.contains(&"Peña") && items.contains(&"Ibáñez"));
        assert_eq!(fold_diacritics("José Ibáñez"), "Jose Ibanez");
    }

    #[test]
    fn nickname_options_come_from_the_reference_table() {
        let options = nickname_options("William");
        assert!(options.iter().any(|n| n == "bill"));
        assert!(nickname_options("Zzyzx").is_empty());
        assert_eq!(title_word("mary-jo"), "Mary-Jo");
    }

    #[test]
    fn compound_surnames_render_with_their_joint() {
        assert_eq!(
            Surname::double("García", "López", Joint::Space).canonical(),
            "García López"
        );
        assert_eq!(
            Surname::double("Smith", "Jones", Joint::Hyphen).canonical(),
            "Smith-Jones"
        );
    }
}
