//! The latent population: households of people with names, DOBs, and a life history over
//! `history_years` ending at `as_of` (addresses with move-in dates, landlines tied to them,
//! mobiles kept across moves, churning emails, employers, marriages, deaths). Hard cases are
//! built in: same-name fathers and sons at one address (Jr/Sr), twins, siblings, married names.
//!
//! Everything a household holds is drawn from that household's own random stream, so households
//! can be generated in parallel and still come out identical.

use rand::Rng;

use super::calendar::Day;
use super::config::SynthConfig;
use super::identifiers::phone_in_area;
use super::names::{
    fold_diacritics, name_tables, nickname_options, Ethnicity, Joint, NameTables, Sex, Surname,
};
use super::places::{places, Address, Places};
use super::sampling::{chance, uniform, Weighted};

/// Age bands of household heads at `as_of`, weighted by Census ACS householder ages (under 25
/// folded into the first band).
const HEAD_AGE_BANDS: [(f64, f64, f64); 6] = [
    (21.0, 35.0, 0.19),
    (35.0, 45.0, 0.17),
    (45.0, 55.0, 0.17),
    (55.0, 65.0, 0.19),
    (65.0, 75.0, 0.16),
    (75.0, 92.0, 0.12),
];

/// Email providers with design-choice market shares (gmail leads).
const EMAIL_PROVIDERS: [(&str, f64); 10] = [
    ("gmail.com", 45.0),
    ("yahoo.com", 15.0),
    ("hotmail.com", 8.0),
    ("icloud.com", 8.0),
    ("outlook.com", 7.0),
    ("aol.com", 5.0),
    ("comcast.net", 4.0),
    ("att.net", 3.0),
    ("msn.com", 2.0),
    ("protonmail.com", 1.0),
];

/// Employers people work for (design choice: large US employers and generic local ones).
pub(crate) const EMPLOYERS: [&str; 40] = [
    "Walmart",
    "Amazon",
    "Home Depot",
    "Kroger",
    "Target",
    "UPS",
    "FedEx",
    "Wells Fargo",
    "Bank of America",
    "CVS Health",
    "Walgreens",
    "Lowe's",
    "Starbucks",
    "McDonald's",
    "Costco",
    "Publix",
    "JPMorgan Chase",
    "IBM",
    "General Motors",
    "Ford Motor Company",
    "Tyson Foods",
    "Dollar General",
    "Marriott",
    "Walt Disney",
    "AT&T",
    "Verizon",
    "US Postal Service",
    "State University",
    "County School District",
    "City Hospital",
    "St. Mary's Medical Center",
    "Regional Health System",
    "Allied Universal",
    "Securitas",
    "Aramark",
    "Sysco",
    "HCA Healthcare",
    "Kaiser Permanente",
    "Self-employed",
    "US Army",
];

/// Words for free-form email local parts (design choice).
const EMAIL_WORDS: [&str; 12] = [
    "sunny", "tiger", "rocket", "blue", "happy", "star", "lucky", "coolcat", "angel", "dragon",
    "shadow", "music",
];

/// A generational suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Suffix {
    /// Junior.
    Jr,
    /// Senior.
    Sr,
    /// The third.
    Third,
}

impl Suffix {
    /// The usual spelling: Jr, Sr, III.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Suffix::Jr => "Jr",
            Suffix::Sr => "Sr",
            Suffix::Third => "III",
        }
    }
}

/// One address period: from `move_in` until the next residence's move-in.
#[derive(Debug, Clone)]
pub(crate) struct Residence {
    /// Move-in day.
    pub(crate) move_in: Day,
    /// The address.
    pub(crate) address: Address,
    /// The landline at this address, if the household has one (tied to the address).
    pub(crate) landline: Option<u64>,
    /// True while a child lives in the parents' household (not the account holder).
    pub(crate) with_parents: bool,
}

/// A value held from `start` until the next spell's start.
#[derive(Debug, Clone)]
pub(crate) struct Spell<T> {
    /// First day.
    pub(crate) start: Day,
    /// The value.
    pub(crate) value: T,
}

/// A marriage and the surname the person uses afterwards.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Marriage {
    /// Wedding day.
    pub(crate) day: Day,
    /// Surname from that day on (may equal the birth surname: kept).
    pub(crate) surname: Surname,
}

/// One person of the latent population.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    /// Sex.
    pub(crate) sex: Sex,
    /// Ethnicity (drives names and first/last swap rates).
    pub(crate) ethnicity: Ethnicity,
    /// Given name.
    pub(crate) given: &'static str,
    /// Middle name.
    pub(crate) middle: Option<&'static str>,
    /// Surname at birth.
    pub(crate) birth_surname: Surname,
    /// Marriage that changed (or kept) the surname.
    pub(crate) marriage: Option<Marriage>,
    /// Generational suffix.
    pub(crate) suffix: Option<Suffix>,
    /// Date of birth.
    pub(crate) dob: Day,
    /// Date of death.
    pub(crate) death: Option<Day>,
    /// SSN as a nine-digit number (assigned after generation, from the global person number).
    pub(crate) ssn: u32,
    /// Address history, oldest first.
    pub(crate) residences: Vec<Residence>,
    /// Mobile numbers, oldest first.
    pub(crate) mobiles: Vec<Spell<u64>>,
    /// Email addresses, oldest first.
    pub(crate) emails: Vec<Spell<Box<str>>>,
    /// Employers (index into [`EMPLOYERS`]) or none, oldest first.
    pub(crate) employers: Vec<Spell<Option<u16>>>,
    /// The nickname the person goes by when a source uses one.
    pub(crate) nickname: Option<&'static str>,
    /// Household-local index of the twin.
    pub(crate) twin_of: Option<usize>,
    /// Household-local index of the same-name father (this person is the Jr).
    pub(crate) namesake_father: Option<usize>,
    /// Household-local index of the same-name son (this person is the Sr).
    pub(crate) namesake_son: Option<usize>,
}

/// People sharing an address history.
#[derive(Debug, Clone, Default)]
pub(crate) struct Household {
    /// Members; adults first, then children by birth.
    pub(crate) people: Vec<Person>,
}

/// Dates bounding every life history.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    /// First day of the history window.
    pub(crate) start: Day,
    /// The reference date.
    pub(crate) as_of: Day,
}

impl Window {
    /// The window of a configuration.
    pub(crate) fn of(config: &SynthConfig) -> Window {
        let as_of =
            Day::parse_iso(&config.as_of).expect("as_of validated by SynthConfig::validate");
        Window {
            start: as_of.plus_years(-(config.history_years as i32)),
            as_of,
        }
    }
}

impl Household {
    /// Releases spare capacity: the whole population stays in memory until the truth is written.
    fn shrink_to_fit(&mut self) {
        self.people.shrink_to_fit();
        for person in &mut self.people {
            person.residences.shrink_to_fit();
            person.mobiles.shrink_to_fit();
            person.emails.shrink_to_fit();
            person.employers.shrink_to_fit();
        }
    }
}

impl Person {
    /// Last day the person is observable: death or `as_of`.
    pub(crate) fn end_of_life(&self, window: Window) -> Day {
        self.death.unwrap_or(window.as_of).min(window.as_of)
    }

    /// Age in years on `day`.
    pub(crate) fn age_at(&self, day: Day) -> f64 {
        day.years_since(self.dob)
    }

    /// The day the person turns 18.
    pub(crate) fn adult_from(&self) -> Day {
        self.dob.plus_years(18)
    }

    /// Surname in use on `day`.
    pub(crate) fn surname_at(&self, day: Day) -> Surname {
        match self.marriage {
            Some(marriage) if marriage.day <= day => marriage.surname,
            _ => self.birth_surname,
        }
    }

    /// Index of the residence occupied on `day`, if any.
    pub(crate) fn residence_index_at(&self, day: Day) -> Option<usize> {
        let after = self.residences.partition_point(|r| r.move_in <= day);
        after.checked_sub(1)
    }

    /// Residence periods `(index, start, end)` up to the end of life, end exclusive.
    pub(crate) fn periods(&self, window: Window) -> Vec<(usize, Day, Day)> {
        let last_day = self.end_of_life(window);
        let mut periods = Vec::with_capacity(self.residences.len());
        for (index, residence) in self.residences.iter().enumerate() {
            let next = self
                .residences
                .get(index + 1)
                .map_or(last_day, |r| r.move_in.min(last_day));
            if residence.move_in < next {
                periods.push((index, residence.move_in, next));
            }
        }
        periods
    }

    /// Mobile number held on `day`.
    pub(crate) fn mobile_at(&self, day: Day) -> Option<u64> {
        spell_at(&self.mobiles, day).copied()
    }

    /// Email address held on `day`.
    pub(crate) fn email_at(&self, day: Day) -> Option<&str> {
        spell_at(&self.emails, day).map(|email| &**email)
    }

    /// Employer on `day`.
    pub(crate) fn employer_at(&self, day: Day) -> Option<&'static str> {
        spell_at(&self.employers, day)
            .copied()
            .flatten()
            .map(|index| EMPLOYERS[usize::from(index)])
    }

    /// The phone someone would reach the person on at `day`: the mobile, else the landline of
    /// the home.
    pub(crate) fn phone_at(&self, day: Day) -> Option<u64> {
        self.mobile_at(day).or_else(|| {
            self.residence_index_at(day)
                .and_then(|index| self.residences[index].landline)
        })
    }
}

/// The value of the spell running on `day`.
fn spell_at<T>(spells: &[Spell<T>], day: Day) -> Option<&T> {
    let after = spells.partition_point(|s| s.start <= day);
    after.checked_sub(1).map(|index| &spells[index].value)
}

/// What the generator of one household needs.
pub(crate) struct Generator<'a> {
    config: &'a SynthConfig,
    window: Window,
    names: &'static NameTables,
    places: &'static Places,
    head_ages: Weighted<(f64, f64)>,
    children: Weighted<usize>,
    providers: Weighted<&'static str>,
}

/// Approximately normal draw (sum of three uniforms; the tails are bounded, which suits ages).
fn normalish<R: Rng + ?Sized>(rng: &mut R, mean: f64, sd: f64) -> f64 {
    let sum: f64 = (0..3).map(|_| rng.random_range(-1.0..1.0)).sum();
    mean + sd * sum
}

impl<'a> Generator<'a> {
    /// Builds a generator for `config`.
    pub(crate) fn new(config: &'a SynthConfig) -> Generator<'a> {
        Generator {
            config,
            window: Window::of(config),
            names: name_tables(),
            places: places(),
            head_ages: Weighted::new(
                HEAD_AGE_BANDS
                    .iter()
                    .map(|(low, high, w)| ((*low, *high), *w)),
            ),
            children: Weighted::new(
                config
                    .population
                    .children_weights
                    .iter()
                    .enumerate()
                    .map(|(count, weight)| (count, *weight)),
            ),
            providers: Weighted::new(EMAIL_PROVIDERS),
        }
    }

    /// The history window.
    pub(crate) fn window(&self) -> Window {
        self.window
    }

    /// Generates one household: a couple or a single head, maybe children.
    pub(crate) fn household<R: Rng + ?Sized>(&self, rng: &mut R) -> Household {
        let ethnicity = self.ethnicity(rng);
        let mut household = if chance(rng, self.config.population.couple_share) {
            self.couple(rng, ethnicity)
        } else {
            self.single(rng, ethnicity, true)
        };
        for person in &mut household.people {
            self.contacts(rng, person);
        }
        self.deaths(rng, &mut household);
        household.shrink_to_fit();
        household
    }

    /// Generates a one-person household (used for the debtors no source observes).
    pub(crate) fn lone_person<R: Rng + ?Sized>(&self, rng: &mut R) -> Household {
        let ethnicity = self.ethnicity(rng);
        let mut household = self.single(rng, ethnicity, false);
        for person in &mut household.people {
            self.contacts(rng, person);
        }
        self.deaths(rng, &mut household);
        household.shrink_to_fit();
        household
    }

    fn ethnicity<R: Rng + ?Sized>(&self, rng: &mut R) -> Ethnicity {
        let population = &self.config.population;
        let draw: f64 = rng.random();
        if draw < population.hispanic_share {
            Ethnicity::Hispanic
        } else if draw < population.hispanic_share + population.asian_share {
            Ethnicity::Asian
        } else {
            Ethnicity::General
        }
    }

    fn head_age<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let (low, high) = *self.head_ages.sample(rng);
        uniform(rng, low, high)
    }

    /// A person born `age` years before `as_of`, with fresh names.
    fn new_person<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        sex: Sex,
        ethnicity: Ethnicity,
        age: f64,
    ) -> Person {
        let population = &self.config.population;
        let given = self.names.given(rng, sex, ethnicity, population);
        let middle = self.names.middle(rng, sex, ethnicity, given, population);
        let first = self.names.surname(rng, ethnicity, population);
        let birth_surname = if ethnicity == Ethnicity::Hispanic
            && chance(rng, population.hispanic_double_surname_share)
        {
            let second = self.names.surname(rng, ethnicity, population);
            if second == first {
                Surname::single(first)
            } else {
                Surname::double(first, second, Joint::Space)
            }
        } else {
            Surname::single(first)
        };
        let suffix = (sex == Sex::Male && chance(rng, population.lone_suffix_share)).then(|| {
            if chance(rng, 0.75) {
                Suffix::Jr
            } else {
                Suffix::Third
            }
        });
        Person {
            sex,
            ethnicity,
            given,
            middle,
            birth_surname,
            marriage: None,
            suffix,
            dob: self.window.as_of.plus_years_f64(-age),
            death: None,
            ssn: 0,
            residences: Vec::new(),
            mobiles: Vec::new(),
            emails: Vec::new(),
            employers: Vec::new(),
            nickname: preferred_nickname(rng, given),
            twin_of: None,
            namesake_father: None,
            namesake_son: None,
        }
    }

    /// The surname a woman uses after marrying a man with `husband` surname (Pew 2023 shares).
    fn married_surname<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        wife: &Person,
        husband: Surname,
    ) -> Surname {
        let life = &self.config.life;
        let keep = if wife.ethnicity == Ethnicity::Hispanic {
            life.hispanic_wife_keeps_surname_share
        } else {
            life.wife_keeps_surname_share
        };
        let draw: f64 = rng.random();
        if draw < keep {
            wife.birth_surname
        } else if draw < keep + life.wife_hyphenates_share {
            Surname::double(wife.birth_surname.first, husband.first, Joint::Hyphen)
        } else {
            husband
        }
    }

    /// A married couple and their children, sharing one address history.
    fn couple<R: Rng + ?Sized>(&self, rng: &mut R, ethnicity: Ethnicity) -> Household {
        let window = self.window;
        let husband_age = self.head_age(rng);
        let wife_age = normalish(rng, husband_age - 2.0, 3.0).clamp(19.0, 95.0);
        let wife_ethnicity = if chance(rng, self.config.population.same_ethnicity_couple_share) {
            ethnicity
        } else {
            self.ethnicity(rng)
        };
        let mut husband = self.new_person(rng, Sex::Male, ethnicity, husband_age);
        let mut wife = self.new_person(rng, Sex::Female, wife_ethnicity, wife_age);
        let marriage_age = uniform(
            rng,
            20.0_f64.min(wife_age - 0.5),
            35.0_f64.min(wife_age - 0.2),
        );
        let wedding = wife.dob.plus_years_f64(marriage_age).min(window.as_of);
        wife.marriage = Some(Marriage {
            day: wedding,
            surname: self.married_surname(rng, &wife, husband.birth_surname),
        });
        let start = if wedding > window.start {
            wedding
        } else {
            window
                .start
                .plus_years_f64(-uniform(rng, 0.0, 10.0))
                .max(wedding)
        };
        let first_zip = self.places.any_zip(rng);
        let first_address = self.places.address_in(rng, first_zip, &self.config.life);
        let home = self.timeline(rng, start, first_address, husband.dob, None);
        for spouse in [&mut husband, &mut wife] {
            spouse.residences = self.before_wedding(rng, spouse, wedding, &first_address);
            spouse.residences.extend(home.iter().cloned());
        }
        let mut household = Household {
            people: vec![husband, wife],
        };
        let earliest_birth_age = marriage_age.max(20.0);
        self.children(
            rng,
            &mut household,
            Some(0),
            Some(1),
            earliest_birth_age,
            &home,
        );
        household
    }

    /// Where a spouse lived before a wedding inside the window (nearby, with their own moves).
    fn before_wedding<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        spouse: &Person,
        wedding: Day,
        wedding_address: &Address,
    ) -> Vec<Residence> {
        let window = self.window;
        let start = window
            .start
            .plus_years_f64(-uniform(rng, 0.0, 5.0))
            .max(spouse.adult_from());
        if wedding <= window.start || start >= wedding {
            return Vec::new();
        }
        let zip = self
            .places
            .relocate_zip(rng, wedding_address.zip, &self.config.life);
        let first = self.places.address_in(rng, zip, &self.config.life);
        let mut residences = self.timeline(rng, start, first, spouse.dob, None);
        residences.retain(|r| r.move_in < wedding);
        residences
    }

    /// A single head (with children sometimes, when `allow_children`).
    fn single<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        ethnicity: Ethnicity,
        allow_children: bool,
    ) -> Household {
        let window = self.window;
        let sex = if chance(rng, 0.5) {
            Sex::Female
        } else {
            Sex::Male
        };
        let age = self.head_age(rng);
        let mut head = self.new_person(rng, sex, ethnicity, age);
        if sex == Sex::Female {
            self.outside_marriage(rng, &mut head);
        }
        let start = window
            .start
            .plus_years_f64(-uniform(rng, 0.0, 10.0))
            .max(head.adult_from());
        let zip = self.places.any_zip(rng);
        let first = self.places.address_in(rng, zip, &self.config.life);
        let forced = head.marriage.map(|m| m.day);
        let home = self.timeline(rng, start, first, head.dob, forced);
        head.residences = home.clone();
        let mut household = Household { people: vec![head] };
        let has_children = allow_children
            && (25.0..60.0).contains(&age)
            && chance(rng, self.config.population.single_parent_share);
        if has_children {
            let (mother, father) = match sex {
                Sex::Female => (Some(0), None),
                Sex::Male => (None, Some(0)),
            };
            self.children(rng, &mut household, father, mother, 20.0, &home);
        }
        household
    }

    /// A woman outside a couple household may have married someone outside the population
    /// (design choice: `outside_marriage_share`), changing her surname by the Pew shares.
    fn outside_marriage<R: Rng + ?Sized>(&self, rng: &mut R, woman: &mut Person) {
        if !chance(rng, self.config.population.outside_marriage_share) {
            return;
        }
        let age_now = woman.age_at(self.window.as_of);
        if age_now < 20.5 {
            return;
        }
        let marriage_age = uniform(rng, 20.0, 35.0_f64.min(age_now - 0.1));
        let day = woman.dob.plus_years_f64(marriage_age);
        let husband_ethnicity = if chance(rng, self.config.population.same_ethnicity_couple_share) {
            woman.ethnicity
        } else {
            self.ethnicity(rng)
        };
        let husband = Surname::single(self.names.surname(
            rng,
            husband_ethnicity,
            &self.config.population,
        ));
        woman.marriage = Some(Marriage {
            day,
            surname: self.married_surname(rng, woman, husband),
        });
    }

    /// Children of the household's father and/or mother (household-local indexes): births,
    /// twins, a namesake Jr, and their own lives after leaving home.
    fn children<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        household: &mut Household,
        father: Option<usize>,
        mother: Option<usize>,
        earliest_birth_age: f64,
        home: &[Residence],
    ) {
        let population = &self.config.population;
        let count = *self.children.sample(rng);
        let Some(anchor) = mother.or(father) else {
            return;
        };
        let anchor_dob = household.people[anchor].dob;
        let latest_birth_age = 42.0_f64.min(household.people[anchor].age_at(self.window.as_of));
        if latest_birth_age <= earliest_birth_age {
            return;
        }
        let mut births: Vec<(Day, bool)> = (0..count)
            .map(|_| {
                let age = uniform(rng, earliest_birth_age, latest_birth_age);
                (
                    anchor_dob.plus_years_f64(age),
                    chance(rng, population.twin_delivery_share),
                )
            })
            .filter(|(day, _)| *day < self.window.as_of)
            .collect();
        births.sort_by_key(|(day, _)| *day);
        let family_surname = self.family_surname(rng, household, father, mother);
        let mut has_junior = false;
        let first_child = household.people.len();
        for (dob, twins) in births {
            let first_index = household.people.len();
            let babies = if twins { 2 } else { 1 };
            for baby in 0..babies {
                let surname = family_surname.unwrap_or_else(|| {
                    let mother_index = mother.expect("no family surname only for single mothers");
                    household.people[mother_index].surname_at(dob)
                });
                let child = self.child(rng, household, father, surname, dob, &mut has_junior);
                household.people.push(child);
                if twins {
                    let index = household.people.len() - 1;
                    household.people[index].twin_of = Some(first_index + 1 - baby);
                }
            }
        }
        for index in first_child..household.people.len() {
            let residences = self.child_residences(rng, &mut household.people[index], home);
            household.people[index].residences = residences;
        }
    }

    /// The surname all children of the family carry: the father's (Hispanic families, some of
    /// the time: father's first surname + mother's first surname). `None` for a single mother,
    /// whose children take her surname of the day.
    fn family_surname<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        household: &Household,
        father: Option<usize>,
        mother: Option<usize>,
    ) -> Option<Surname> {
        let dad = household.people[father?].birth_surname;
        let Some(mother_index) = mother else {
            return Some(dad);
        };
        let mom = household.people[mother_index].birth_surname;
        let hispanic = household.people[father?].ethnicity == Ethnicity::Hispanic;
        let double = hispanic
            && dad.first != mom.first
            && chance(rng, self.config.population.hispanic_double_surname_share);
        Some(if double {
            Surname::double(dad.first, mom.first, Joint::Space)
        } else {
            dad
        })
    }

    /// One child born on `dob` with the family surname, a given name unlike the siblings',
    /// maybe the father's name with Jr.
    fn child<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        household: &mut Household,
        father: Option<usize>,
        surname: Surname,
        dob: Day,
        has_junior: &mut bool,
    ) -> Person {
        let population = &self.config.population;
        let sex = if chance(rng, 0.5) {
            Sex::Female
        } else {
            Sex::Male
        };
        let family_head = father.unwrap_or(0);
        let ethnicity = household.people[family_head].ethnicity;
        let age = self.window.as_of.years_since(dob);
        let mut child = self.new_person(rng, sex, ethnicity, age);
        child.dob = dob;
        child.birth_surname = surname;
        child.suffix = None;
        // A namesake carries the father's whole name, so a double-surnamed family has none.
        let junior = father.filter(|&f| {
            sex == Sex::Male
                && !*has_junior
                && household.people[f].birth_surname == surname
                && chance(rng, population.junior_share)
        });
        if let Some(father_index) = junior {
            *has_junior = true;
            let child_index = household.people.len();
            let dad = &mut household.people[father_index];
            child.given = dad.given;
            child.middle = dad.middle;
            child.nickname = dad.nickname;
            child.namesake_father = Some(father_index);
            if dad.suffix == Some(Suffix::Jr) {
                child.suffix = Some(Suffix::Third);
            } else {
                child.suffix = Some(Suffix::Jr);
                dad.suffix = chance(rng, population.senior_suffix_share).then_some(Suffix::Sr);
            }
            dad.namesake_son = Some(child_index);
            return child;
        }
        for _ in 0..8 {
            let taken = household.people.iter().any(|p| p.given == child.given);
            if !taken {
                break;
            }
            child.given = self.names.given(rng, sex, ethnicity, population);
            child.nickname = preferred_nickname(rng, child.given);
        }
        if sex == Sex::Female {
            self.outside_marriage(rng, &mut child);
        }
        child
    }

    /// A child's addresses: the family home from birth, then (after leaving at 18–27, unless
    /// staying) a life of their own starting near home.
    fn child_residences<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        child: &mut Person,
        home: &[Residence],
    ) -> Vec<Residence> {
        let leave = (!chance(rng, self.config.population.stay_home_share))
            .then(|| child.dob.plus_years_f64(uniform(rng, 18.0, 27.0)))
            .filter(|day| *day < self.window.as_of);
        let until = leave.unwrap_or(self.window.as_of);
        let mut residences: Vec<Residence> = Vec::new();
        for (index, residence) in home.iter().enumerate() {
            let next = home.get(index + 1).map_or(self.window.as_of, |r| r.move_in);
            if next <= child.dob || residence.move_in >= until {
                continue;
            }
            let mut lived = residence.clone();
            lived.move_in = lived.move_in.max(child.dob);
            lived.with_parents = true;
            residences.push(lived);
        }
        let Some(leave_day) = leave else {
            return residences;
        };
        let from_zip = residences
            .last()
            .map_or_else(|| self.places.any_zip(rng), |r| r.address.zip);
        let zip = self.places.relocate_zip(rng, from_zip, &self.config.life);
        let first = self.places.address_in(rng, zip, &self.config.life);
        let forced = child.marriage.map(|m| m.day).filter(|day| *day > leave_day);
        if child.marriage.is_some_and(|m| m.day < leave_day) {
            // Married while at home in this model's timing: move the wedding to the day she
            // leaves, so the surname change coincides with a move.
            if let Some(marriage) = child.marriage.as_mut() {
                marriage.day = leave_day;
            }
        }
        residences.extend(self.timeline(rng, leave_day, first, child.dob, forced));
        residences
    }

    /// Annual move probability at `age` (Census CPS: 21 % at 18–34).
    fn move_rate(&self, age: f64) -> f64 {
        let life = &self.config.life;
        match age {
            a if a < 35.0 => life.move_rate_18_34,
            a if a < 55.0 => life.move_rate_35_54,
            _ => life.move_rate_55_plus,
        }
    }

    /// An address history from `start` at `first` to `as_of`: one move draw a year at the
    /// mover's age rate, plus a forced move (a wedding) when given.
    fn timeline<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        start: Day,
        first: Address,
        mover_dob: Day,
        forced: Option<Day>,
    ) -> Vec<Residence> {
        let window = self.window;
        let mut residences = vec![self.residence(rng, start, first, mover_dob)];
        let mut cursor = start.max(window.start);
        let mut pending_forced = forced.filter(|day| *day > start && *day < window.as_of);
        while cursor < window.as_of {
            let year_end = cursor.plus_days(365);
            let mut moves: Vec<Day> = Vec::with_capacity(2);
            if let Some(day) = pending_forced.filter(|day| *day < year_end) {
                moves.push(day);
                pending_forced = None;
            }
            let age = cursor.years_since(mover_dob);
            if chance(rng, self.move_rate(age)) {
                moves.push(cursor.plus_days(rng.random_range(0..365)));
            }
            moves.sort();
            for day in moves {
                let last = residences.last().expect("timeline starts with a residence");
                if day >= window.as_of || day.days_since(last.move_in) < 30 {
                    continue;
                }
                let zip = self
                    .places
                    .relocate_zip(rng, last.address.zip, &self.config.life);
                let address = self.places.address_in(rng, zip, &self.config.life);
                residences.push(self.residence(rng, day, address, mover_dob));
            }
            cursor = year_end;
        }
        residences
    }

    /// A residence, with a landline by the calendar year and the head's age (CDC NHIS trend).
    fn residence<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        move_in: Day,
        address: Address,
        head_dob: Day,
    ) -> Residence {
        let life = &self.config.life;
        let window = self.window;
        let span = f64::from(window.as_of.days_since(window.start).max(1));
        let progress = (f64::from(move_in.days_since(window.start)) / span).clamp(0.0, 1.0);
        let mut share = life.landline_share_start
            + (life.landline_share_end - life.landline_share_start) * progress;
        if move_in.years_since(head_dob) >= 65.0 {
            share += life.landline_65_plus_extra;
        }
        let landline = chance(rng, share).then(|| {
            let area = self.places.area_code(rng, address.zip);
            phone_in_area(rng, area)
        });
        Residence {
            move_in,
            address,
            landline,
            with_parents: false,
        }
    }

    /// Mobiles, emails and employers over the person's life.
    fn contacts<R: Rng + ?Sized>(&self, rng: &mut R, person: &mut Person) {
        self.mobiles(rng, person);
        self.emails(rng, person);
        self.employers(rng, person);
    }

    fn area_at<R: Rng + ?Sized>(&self, rng: &mut R, person: &Person, day: Day) -> u16 {
        let zip = person
            .residence_index_at(day)
            .or_else(|| (!person.residences.is_empty()).then_some(0))
            .map(|index| person.residences[index].address.zip);
        match zip {
            Some(zip) => self.places.area_code(rng, zip),
            None => 0,
        }
    }

    /// Mobiles: most adults have one, kept across moves, changed at `mobile_change_rate`.
    fn mobiles<R: Rng + ?Sized>(&self, rng: &mut R, person: &mut Person) {
        let life = &self.config.life;
        let window = self.window;
        let share = if person.age_at(window.as_of) >= 65.0 {
            life.mobile_share_65_plus
        } else {
            life.mobile_share
        };
        if !chance(rng, share) {
            return;
        }
        let start = person
            .dob
            .plus_years_f64(uniform(rng, 14.0, 18.0))
            .max(window.start.plus_years_f64(-uniform(rng, 0.0, 8.0)));
        if start >= window.as_of {
            return;
        }
        let area = self.area_at(rng, person, start);
        person.mobiles.push(Spell {
            start,
            value: phone_in_area(rng, area),
        });
        let mut cursor = start.max(window.start);
        while cursor < window.as_of {
            if chance(rng, life.mobile_change_rate) {
                let day = cursor.plus_days(rng.random_range(0..365));
                if day < window.as_of {
                    let area = self.area_at(rng, person, day);
                    person.mobiles.push(Spell {
                        start: day,
                        value: phone_in_area(rng, area),
                    });
                }
            }
            cursor = cursor.plus_days(365);
        }
    }

    /// Emails: churn at `email_churn_rate` (Return Path 15–30 %), and a new one for half the
    /// surname changes.
    fn emails<R: Rng + ?Sized>(&self, rng: &mut R, person: &mut Person) {
        let life = &self.config.life;
        let window = self.window;
        if !chance(rng, life.email_share) {
            return;
        }
        let start = person
            .dob
            .plus_years_f64(uniform(rng, 14.0, 20.0))
            .max(window.start.plus_years_f64(-uniform(rng, 0.0, 6.0)));
        if start >= window.as_of {
            return;
        }
        let mut days = vec![start];
        let mut cursor = start.max(window.start);
        while cursor < window.as_of {
            if chance(rng, life.email_churn_rate) {
                days.push(cursor.plus_days(rng.random_range(0..365)));
            }
            cursor = cursor.plus_days(365);
        }
        if let Some(marriage) = person.marriage {
            let changed = marriage.surname != person.birth_surname;
            if changed && marriage.day > start && chance(rng, 0.5) {
                days.push(marriage.day.plus_days(rng.random_range(0..120)));
            }
        }
        days.retain(|day| *day < window.as_of);
        days.sort();
        days.dedup();
        for day in days {
            let address = self.email_address(rng, person, day);
            person.emails.push(Spell {
                start: day,
                value: address.into_boxed_str(),
            });
        }
    }

    /// An email address built from the name in use on `day` (first.last, flast, first_last87...).
    fn email_address<R: Rng + ?Sized>(&self, rng: &mut R, person: &Person, day: Day) -> String {
        let first = ascii_token(person.given);
        let surname = person.surname_at(day);
        let last = ascii_token(&surname.canonical());
        let birth_year = person.dob.year();
        let number = match rng.random_range(0..3) {
            0 => birth_year.to_string(),
            1 => format!("{:02}", birth_year % 100),
            _ => rng.random_range(1..1000).to_string(),
        };
        let initial = first.chars().next().unwrap_or('x');
        let local = match rng.random_range(0..10) {
            0 => format!("{first}.{last}"),
            1 => format!("{first}{last}"),
            2 => format!("{initial}{last}{number}"),
            3 => format!("{first}_{last}{number}"),
            4 | 5 => format!("{first}.{last}{number}"),
            6 => format!("{first}{last}{number}"),
            7 => format!("{first}{number}"),
            8 => format!("{last}.{first}{number}"),
            _ => format!(
                "{}{number}",
                EMAIL_WORDS[rng.random_range(0..EMAIL_WORDS.len())]
            ),
        };
        format!("{local}@{}", self.providers.sample(rng))
    }

    /// Employment spells between 18 and 66.
    fn employers<R: Rng + ?Sized>(&self, rng: &mut R, person: &mut Person) {
        let life = &self.config.life;
        let window = self.window;
        let start = person.adult_from().max(window.start);
        let retire = person.dob.plus_years(66).min(window.as_of);
        let mut cursor = start;
        let mut first = true;
        while cursor < retire {
            if first || chance(rng, life.employer_change_rate) {
                let day = if first {
                    cursor
                } else {
                    cursor.plus_days(rng.random_range(0..365))
                };
                let value = chance(rng, life.employed_share)
                    .then(|| rng.random_range(0..EMPLOYERS.len()) as u16);
                person.employers.push(Spell { start: day, value });
                first = false;
            }
            cursor = cursor.plus_days(365);
        }
        if retire < window.as_of && !person.employers.is_empty() {
            person.employers.push(Spell {
                start: retire,
                value: None,
            });
        }
    }

    /// Deaths by a Gompertz hazard (mortality doubling every 8 years), never before the
    /// person's wedding or a child's birth.
    fn deaths<R: Rng + ?Sized>(&self, rng: &mut R, household: &mut Household) {
        let window = self.window;
        let is_child = |person: &Person| person.residences.first().is_some_and(|r| r.with_parents);
        let youngest_birth = household
            .people
            .iter()
            .filter(|p| is_child(p))
            .map(|p| p.dob)
            .max();
        for person in &mut household.people {
            let mut earliest = person.adult_from().max(window.start);
            if let Some(marriage) = person.marriage {
                earliest = earliest.max(marriage.day);
            }
            if let Some(birth) = youngest_birth.filter(|_| !is_child(person)) {
                earliest = earliest.max(birth);
            }
            let mut cursor = earliest;
            while cursor < window.as_of {
                let age = cursor.years_since(person.dob);
                let hazard =
                    (self.config.life.mortality_at_65 * 2f64.powf((age - 65.0) / 8.0)).min(0.5);
                if chance(rng, hazard) {
                    let day = cursor.plus_days(rng.random_range(0..365));
                    if day < window.as_of {
                        person.death = Some(day);
                    }
                    break;
                }
                cursor = cursor.plus_days(365);
            }
        }
    }
}

/// The person's usual nickname, if the given name has any (Bob for Robert).
fn preferred_nickname<R: Rng + ?Sized>(rng: &mut R, given: &str) -> Option<&'static str> {
    let options = nickname_options(given);
    if options.is_empty() {
        return None;
    }
    Some(options[rng.random_range(0..options.len())].as_str())
}

/// Lower-case ASCII letters and digits of a name, for email local parts.
pub(crate) fn ascii_token(name: &str) -> String {
    fold_diacritics(name)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(|c| c.to_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::sampling::{stream_rng, Stream};

    fn sample_households(count: u64) -> (SynthConfig, Vec<Household>) {
        let config = SynthConfig::default();
        let generator = Generator::new(&config);
        let households = (0..count)
            .map(|index| generator.household(&mut stream_rng(11, Stream::Household, index)))
            .collect();
        (config, households)
    }

    #[test]
    fn histories_are_ordered_and_within_the_window() {
        let (config, households) = sample_households(500);
        let window = Window::of(&config);
        for person in households.iter().flat_map(|h| &h.people) {
            assert!(!person.residences.is_empty(), "everyone lives somewhere");
            assert!(person
                .residences
                .windows(2)
                .all(|w| w[0].move_in < w[1].move_in));
            assert!(person.residences.iter().all(|r| r.move_in <= window.as_of));
            assert!(person.mobiles.windows(2).all(|w| w[0].start < w[1].start));
            assert!(person.dob < window.as_of);
            if let Some(death) = person.death {
                assert!(death < window.as_of && death > person.dob);
            }
        }
    }

    #[test]
    fn juniors_share_name_and_home_with_their_fathers() {
        let (config, households) = sample_households(3_000);
        let window = Window::of(&config);
        let (mut pairs, mut grown_at_home) = (0, 0);
        for household in &households {
            for son in &household.people {
                let Some(father_index) = son.namesake_father else {
                    continue;
                };
                let father = &household.people[father_index];
                pairs += 1;
                assert_eq!(son.given, father.given);
                assert_eq!(son.middle, father.middle);
                assert_eq!(son.birth_surname, father.birth_surname);
                assert!(matches!(son.suffix, Some(Suffix::Jr | Suffix::Third)));
                assert_eq!(
                    father.namesake_son.map(|i| household.people[i].dob),
                    Some(son.dob)
                );
                let son_home = &son.residences[0];
                if son_home.with_parents && son.adult_from() < window.as_of {
                    let father_home = father
                        .residence_index_at(son_home.move_in)
                        .map(|i| father.residences[i].address);
                    assert_eq!(father_home, Some(son_home.address));
                    grown_at_home += 1;
                }
            }
        }
        assert!(pairs > 20, "only {pairs} Jr/Sr pairs in 3000 households");
        assert!(
            grown_at_home > 5,
            "only {grown_at_home} adult juniors lived at home"
        );
    }

    #[test]
    fn twins_share_birthday_and_surname_but_not_given_name() {
        let (_, households) = sample_households(3_000);
        let mut twins = 0;
        for household in &households {
            for (index, person) in household.people.iter().enumerate() {
                let Some(twin_index) = person.twin_of else {
                    continue;
                };
                twins += 1;
                let twin = &household.people[twin_index];
                assert_ne!(twin_index, index);
                assert_eq!(twin.twin_of, Some(index));
                assert_eq!(twin.dob, person.dob);
                assert_eq!(twin.birth_surname, person.birth_surname);
                assert_ne!(twin.given, person.given);
            }
        }
        assert!(twins > 40, "only {twins} twins");
    }

    #[test]
    fn some_wives_change_surname_and_others_keep_it() {
        let (_, households) = sample_households(2_000);
        let (mut changed, mut kept) = (0, 0);
        for person in households.iter().flat_map(|h| &h.people) {
            if let Some(marriage) = person.marriage {
                if marriage.surname == person.birth_surname {
                    kept += 1;
                } else {
                    changed += 1;
                }
            }
        }
        let share_changed = f64::from(changed) / f64::from(changed + kept);
        assert!((0.7..0.92).contains(&share_changed), "{share_changed}");
    }

    #[test]
    fn ascii_tokens_fold_and_strip() {
        assert_eq!(ascii_token("José"), "jose");
        assert_eq!(ascii_token("O'Brien"), "obrien");
        assert_eq!(ascii_token("Smith-Jones"), "smithjones");
    }
}
