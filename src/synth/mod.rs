//! Synthetic, labelled data for every test and benchmark: a latent population of debtors and
//! the people around them, the records five simulated sources hold about them, a creditor's
//! returned-mail file, and the ground truth linking them.
//!
//! The steps: households and life histories (`population`) are generated in parallel, one
//! random stream per household; SSNs are assigned by a keyed permutation of the global person
//! number; sources observe each household (`sources`, errors from `noise`) and the records
//! are streamed to `records.csv` chunk by chunk; debtors are drawn and written with their truth
//! (`returned_mail`, `truth`). The same seed and configuration give byte-identical files
//! whatever the number of threads. All rates live in [`config::SynthConfig`].
//!
//! ```no_run
//! use skiptrace::synth::{config::SynthConfig, generate};
//!
//! let config = SynthConfig { people: 1_000, seed: 7, ..SynthConfig::default() };
//! let summary = generate(&config, std::path::Path::new("/tmp/synth"))?;
//! assert!(summary.records > 0);
//! # Ok::<(), skiptrace::Error>(())
//! ```

mod calendar;
pub mod config;
mod identifiers;
mod names;
mod noise;
mod places;
mod population;
mod returned_mail;
mod sampling;
mod sources;
mod truth;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;

use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use calendar::Day;
use config::SynthConfig;
use identifiers::SsnPermutation;
use names::{name_tables, Sex, Surname};
use population::{Generator, Household, Person, Window};
use rand::Rng;
use returned_mail::{make_debt, open_window, Debt, DebtorFacts, SsnGiven};
use sampling::{chance, stream_rng, Stream};
use sources::{Observations, Observer, SourceKind, SourceStats};
use truth::{PeopleWriter, PersonPlace, RecordsWriter};

/// Households observed and written as one unit (one shuffle of its records).
const HOUSEHOLDS_PER_CHUNK: usize = 512;
/// Chunks processed in parallel before their records are written: bounds memory.
const CHUNKS_PER_BATCH: usize = 8;
/// Households generated per parallel batch while filling the population.
const HOUSEHOLDS_PER_BATCH: usize = 4_096;
/// A population at least this large always has a debtor.
const MIN_PEOPLE_FOR_A_DEBTOR: usize = 10;

/// What one run produced, with realised rates to compare with the configuration.
#[derive(Debug, Clone, Serialize)]
pub struct SynthSummary {
    /// People in the observed population.
    pub people: usize,
    /// Households they live in.
    pub households: usize,
    /// Extra people no source observes (the absent debtors).
    pub absent_people: usize,
    /// Source records written.
    pub records: u64,
    /// Per source, in the order credit_header, utility, phone_directory, marketing_list,
    /// public_records.
    pub sources: Vec<SourceSummary>,
    /// Rows of the returned-mail file.
    pub debtors: usize,
    /// Debtors with no record in any source.
    pub absent_debtors: usize,
    /// Of those, look-alikes of an observed adult (same names, DOB one digit off).
    pub absent_look_alikes: usize,
    /// Realised population figures.
    pub population: PopulationSummary,
    /// Realised returned-mail figures.
    pub returned_mail: ReturnedMailSummary,
}

/// Realised counts and error rates of one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceSummary {
    /// Source name.
    pub source: &'static str,
    /// Records written.
    pub records: u64,
    /// Wrong DOBs among records with a DOB.
    pub dob_error_rate: f64,
    /// Nicknames among records of people whose given name has nicknames.
    pub nickname_rate: f64,
    /// Records with a name typo.
    pub name_typo_rate: f64,
    /// Records with first and last swapped.
    pub first_last_swap_rate: f64,
    /// Maiden names among records written after a surname change.
    pub stale_surname_rate: f64,
    /// Suffixes left out among records of people with one.
    pub suffix_omitted_rate: f64,
    /// Last-4-only among records with an SSN.
    pub ssn_last4_share: f64,
    /// Typos among full SSNs.
    pub ssn_typo_rate: f64,
}

/// Realised population figures.
#[derive(Debug, Clone, Serialize)]
pub struct PopulationSummary {
    /// Adult moves per adult person-year inside the history window (Census CPS: 8–12 %).
    pub annual_move_rate: f64,
    /// Share of people with a twin (CDC: 2–3 %).
    pub twin_share: f64,
    /// Share of people in a same-name father/son pair.
    pub jr_sr_share: f64,
    /// Share of people who died within the window.
    pub deceased_share: f64,
    /// Share of married women using a different surname after marriage (Pew: about 84 %).
    pub married_surname_changed_share: f64,
    /// Share of living adults whose current address appears in a source with a `last_seen`
    /// within a year of `as_of`.
    pub current_address_seen_share: f64,
    /// Share of people whose surname is Smith (Census 1990: 1.0 %).
    pub smith_share: f64,
}

/// Realised returned-mail figures.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnedMailSummary {
    /// Rows with a full SSN.
    pub ssn_full_share: f64,
    /// Rows with the last 4 only.
    pub ssn_last4_share: f64,
    /// Rows without SSN.
    pub ssn_missing_share: f64,
    /// Rows with a wrong DOB.
    pub dob_error_share: f64,
    /// Rows with a nickname.
    pub nickname_share: f64,
    /// Rows whose address is no longer current.
    pub moved_share: f64,
    /// Rows whose surname has changed since.
    pub surname_changed_share: f64,
    /// Rows for people no source observes.
    pub absent_share: f64,
}

/// `part / whole`, 0 when the whole is 0.
fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Generates the population, its source records, the returned-mail file and the truth into
/// `out_dir` (created if missing): `records.csv`, `returned_mail.csv`, `truth/records.csv`,
/// `truth/debtors.csv`, `truth/people.csv`, `truth/config.json`.
///
/// # Errors
/// [`Error::Input`] for an invalid configuration; [`Error::Io`], [`Error::Csv`] or
/// [`Error::Json`] when a file cannot be written.
#[tracing::instrument(skip_all, fields(people = config.people, seed = config.seed))]
pub fn generate(config: &SynthConfig, out_dir: &Path) -> Result<SynthSummary> {
    config.validate()?;
    let truth_dir = out_dir.join("truth");
    std::fs::create_dir_all(&truth_dir).map_err(|e| Error::io(&truth_dir, e))?;
    let generator = Generator::new(config);
    let window = generator.window();
    let mut households = generate_population(config, &generator);
    let mut emails_in_use = HashSet::new();
    make_emails_unique(&mut households, &mut emails_in_use);
    let people: usize = households.iter().map(|h| h.people.len()).sum();
    let ssns = SsnPermutation::new(&mut stream_rng(config.seed, Stream::SsnKey, 0));
    assign_ssns(&mut households, &ssns, 0);
    tracing::info!(
        people,
        households = households.len(),
        "population generated"
    );

    let observed = observe_and_write(config, &households, out_dir)?;
    tracing::info!(records = observed.records, "source records written");

    let mut debtors = select_debtors(config, window, &households, &observed.records_per_person);
    let mut absent = absent_population(config, &generator, debtors.len());
    let look_alikes = make_look_alikes(config, window, &households, &mut absent);
    make_emails_unique(&mut absent, &mut emails_in_use);
    drop(emails_in_use);
    assign_ssns(&mut absent, &ssns, people);
    let absent_debtors = absent.len();
    let common = CommonNames::count(households.iter().chain(&absent), window);
    let mut debts = Vec::with_capacity(debtors.len() + absent_debtors);
    let everyone: Vec<&Person> = households.iter().flat_map(|h| &h.people).collect();
    for debtor in debtors.drain(..) {
        debts.push(debt_for(
            config,
            window,
            everyone[debtor],
            debtor,
            true,
            &common,
        ));
    }
    for (offset, household) in absent.iter().enumerate() {
        let person = &household.people[0];
        debts.push(debt_for(
            config,
            window,
            person,
            people + offset,
            false,
            &common,
        ));
    }
    debts.shuffle(&mut stream_rng(config.seed, Stream::MailShuffle, 0));
    truth::write_debts(out_dir, &mut debts, config.returned_mail.split_layout)?;
    write_people(out_dir, &households, &absent, window)?;
    truth::write_config(out_dir, config)?;

    Ok(SynthSummary {
        people,
        households: households.len(),
        absent_people: absent.len(),
        records: observed.records,
        sources: source_summaries(&observed.stats),
        debtors: debts.len(),
        absent_debtors,
        absent_look_alikes: look_alikes,
        population: population_summary(&households, window, &observed),
        returned_mail: returned_mail_summary(&debts),
    })
}

/// Generates households in parallel batches until `config.people` is reached. Household `i`
/// always comes from stream `i`, so the result does not depend on the batch or thread count.
fn generate_population(config: &SynthConfig, generator: &Generator<'_>) -> Vec<Household> {
    let mut households = Vec::new();
    let mut people = 0;
    let mut next_index = 0u64;
    while people < config.people {
        let missing = config.people - people;
        let batch_size = (missing / 2).clamp(64, HOUSEHOLDS_PER_BATCH) as u64;
        let batch: Vec<Household> = (next_index..next_index + batch_size)
            .into_par_iter()
            .map(|index| {
                generator.household(&mut stream_rng(config.seed, Stream::Household, index))
            })
            .collect();
        next_index += batch_size;
        for household in batch {
            if people >= config.people {
                break;
            }
            people += household.people.len();
            households.push(household);
        }
    }
    households
}

/// Makes every email address unique across people, as providers do: a repeat (two John
/// Smiths choosing john.smith@gmail.com) gets digits appended to its local part. `in_use`
/// holds hashes of the addresses taken so far (a fixed-key hasher, so runs agree).
fn make_emails_unique(households: &mut [Household], in_use: &mut HashSet<u64>) {
    let key = |address: &str| {
        let mut hasher = std::hash::DefaultHasher::new();
        address.hash(&mut hasher);
        hasher.finish()
    };
    for person in households.iter_mut().flat_map(|h| h.people.iter_mut()) {
        for spell in &mut person.emails {
            if in_use.insert(key(&spell.value)) {
                continue;
            }
            let (local, domain) = match spell.value.split_once('@') {
                Some((local, domain)) => (local.to_string(), domain.to_string()),
                None => (spell.value.to_string(), String::new()),
            };
            let mut suffix = 2u32;
            loop {
                let candidate = format!("{local}{suffix}@{domain}");
                if in_use.insert(key(&candidate)) {
                    spell.value = candidate.into_boxed_str();
                    break;
                }
                suffix += 1;
            }
        }
    }
}

/// Gives every person the SSN of their global number (`first` for the first person).
fn assign_ssns(households: &mut [Household], ssns: &SsnPermutation, first: usize) {
    let people = households.iter_mut().flat_map(|h| h.people.iter_mut());
    for (number, person) in (first..).zip(people) {
        person.ssn = ssns.ssn(number as u32);
    }
}

/// What observation produced across all chunks.
struct Observed {
    records: u64,
    records_per_person: Vec<u32>,
    current_address_seen: Vec<bool>,
    stats: [SourceStats; 5],
}

/// Observes households in parallel chunks and streams their records to disk in chunk order,
/// each chunk's records shuffled by the chunk's own stream (so a person's records are not
/// adjacent in the file).
fn observe_and_write(
    config: &SynthConfig,
    households: &[Household],
    out_dir: &Path,
) -> Result<Observed> {
    let observer = Observer::new(config);
    let mut writer = RecordsWriter::create(out_dir)?;
    let mut first_person_of_chunk = Vec::new();
    let mut running = 0;
    for chunk in households.chunks(HOUSEHOLDS_PER_CHUNK) {
        first_person_of_chunk.push(running);
        running += chunk.iter().map(|h| h.people.len()).sum::<usize>();
    }
    let mut observed = Observed {
        records: 0,
        records_per_person: Vec::with_capacity(running),
        current_address_seen: Vec::with_capacity(running),
        stats: [SourceStats::default(); 5],
    };
    let chunks: Vec<(usize, &[Household])> = households
        .chunks(HOUSEHOLDS_PER_CHUNK)
        .enumerate()
        .collect();
    for batch in chunks.chunks(CHUNKS_PER_BATCH) {
        let results: Vec<Observations> = batch
            .par_iter()
            .map(|(chunk_index, chunk)| {
                let first_household = chunk_index * HOUSEHOLDS_PER_CHUNK;
                let mut out =
                    observer.observe(chunk, first_household, first_person_of_chunk[*chunk_index]);
                out.records.shuffle(&mut stream_rng(
                    config.seed,
                    Stream::ChunkShuffle,
                    *chunk_index as u64,
                ));
                out
            })
            .collect();
        for mut result in results {
            for record in &mut result.records {
                writer.write(record)?;
            }
            observed
                .records_per_person
                .extend(result.records_per_person);
            observed
                .current_address_seen
                .extend(result.current_address_seen);
            for (total, chunk) in observed.stats.iter_mut().zip(&result.stats) {
                total.add(chunk);
            }
        }
    }
    observed.records = writer.finish()?;
    Ok(observed)
}

/// Draws the observed debtors among the people with at least one record who were adults with
/// an address in the debt-opening window, so that observed plus absent debtors make about
/// `debtor_share` of the population. Returns global person numbers in order.
fn select_debtors(
    config: &SynthConfig,
    window: Window,
    households: &[Household],
    records_per_person: &[u32],
) -> Vec<usize> {
    let people: Vec<&Person> = households.iter().flat_map(|h| &h.people).collect();
    let eligible = |number: usize| {
        records_per_person[number] > 0 && open_window(people[number], window, config).is_some()
    };
    let eligible_count = (0..people.len())
        .into_par_iter()
        .filter(|&n| eligible(n))
        .count();
    let mail = &config.returned_mail;
    let observed_target =
        mail.debtor_share * (1.0 - mail.absent_debtor_share) * people.len() as f64;
    let probability = (observed_target / eligible_count.max(1) as f64).min(1.0);
    let mut debtors: Vec<usize> = (0..people.len())
        .into_par_iter()
        .filter(|&number| {
            let mut rng = stream_rng(config.seed, Stream::Debt, number as u64);
            chance(&mut rng, probability) && eligible(number)
        })
        .collect();
    if debtors.is_empty() && people.len() >= MIN_PEOPLE_FOR_A_DEBTOR {
        debtors.extend((0..people.len()).find(|&number| eligible(number)));
    }
    debtors
}

/// Generates the debtors no source observes: `absent_debtor_share` of all debtors, as extra
/// one-person households who were adults with an address when the debt was opened.
fn absent_population(
    config: &SynthConfig,
    generator: &Generator<'_>,
    observed_debtors: usize,
) -> Vec<Household> {
    let share = config.returned_mail.absent_debtor_share;
    let target = (observed_debtors as f64 * share / (1.0 - share)).round() as usize;
    let window = generator.window();
    let mut absent = Vec::with_capacity(target);
    let mut index = 0u64;
    let attempts = (target as u64) * 20 + 100;
    while absent.len() < target && index < attempts {
        let household =
            generator.lone_person(&mut stream_rng(config.seed, Stream::AbsentHousehold, index));
        index += 1;
        if open_window(&household.people[0], window, config).is_some() {
            absent.push(household);
        }
    }
    absent
}

/// Turns `absent_look_alike_share` of the absent debtors into look-alikes of observed adults:
/// the adult's sex, ethnicity, given, middle and family name (a married surname included), and
/// a DOB one digit off; the absent debtor keeps their own SSN, addresses and contacts (a change
/// that would leave them without a window to open the debt in is not made). Returns how many
/// were made.
fn make_look_alikes(
    config: &SynthConfig,
    window: Window,
    households: &[Household],
    absent: &mut [Household],
) -> usize {
    let share = config.returned_mail.absent_look_alike_share;
    let adults: Vec<&Person> = households
        .iter()
        .flat_map(|h| &h.people)
        .filter(|p| p.suffix.is_none() && p.twin_of.is_none())
        .collect();
    if share <= 0.0 || adults.is_empty() {
        return 0;
    }
    let mut made = 0;
    for (index, household) in absent.iter_mut().enumerate() {
        let mut rng = stream_rng(config.seed, Stream::LookAlike, index as u64);
        if !rng.random_bool(share) {
            continue;
        }
        let model = adults[rng.random_range(0..adults.len())];
        let Some(dob) = one_digit_off(model.dob) else {
            continue;
        };
        let mut person = household.people[0].clone();
        person.sex = model.sex;
        person.ethnicity = model.ethnicity;
        person.given = model.given;
        person.middle = model.middle;
        person.birth_surname = model.birth_surname;
        person.marriage = model.marriage;
        person.nickname = model.nickname;
        person.dob = dob;
        if open_window(&person, window, config).is_some() {
            household.people[0] = person;
            made += 1;
        }
    }
    made
}

/// Returns `day` with one digit of its day of month changed (the 14th becomes the 15th, the
/// 29th the 28th), or `None` when no such date exists.
fn one_digit_off(day: Day) -> Option<Day> {
    let (year, month, dom) = day.ymd();
    let other = if dom % 10 == 9 { dom - 1 } else { dom + 1 };
    Day::from_ymd(year, month, other)
}

/// Counts of name pairs, for the `common_name` flag.
struct CommonNames {
    pairs: HashMap<(&'static str, Surname), u32>,
}

impl CommonNames {
    fn count<'h>(households: impl Iterator<Item = &'h Household>, window: Window) -> CommonNames {
        let mut pairs = HashMap::new();
        for person in households.flat_map(|h| &h.people) {
            let key = (person.given, person.surname_at(person.end_of_life(window)));
            *pairs.entry(key).or_insert(0) += 1;
        }
        CommonNames { pairs }
    }

    /// First+last held by 2+ people, or a Census top-100 surname.
    fn is_common(&self, person: &Person, window: Window) -> bool {
        let surname = person.surname_at(person.end_of_life(window));
        let shared = self
            .pairs
            .get(&(person.given, surname))
            .copied()
            .unwrap_or(0)
            >= 2;
        let tables = name_tables();
        shared
            || tables.is_top_surname(surname.first)
            || surname.second.is_some_and(|s| tables.is_top_surname(s))
    }
}

/// The debt row of one debtor, from the debtor's own stream.
fn debt_for(
    config: &SynthConfig,
    window: Window,
    person: &Person,
    number: usize,
    in_sources: bool,
    common: &CommonNames,
) -> Debt {
    let mut rng = stream_rng(config.seed, Stream::Debt, number as u64);
    // The first draw of the stream decided debtor selection; the rest build the row.
    let _selection: f64 = rand::Rng::random(&mut rng);
    let open =
        open_window(person, window, config).expect("debtors are selected with an open window");
    let facts = DebtorFacts {
        person: number,
        in_sources,
        common_name: common.is_common(person, window),
    };
    make_debt(&mut rng, person, facts, open, window, config)
}

/// Writes `truth/people.csv`: the observed population, then the absent debtors.
fn write_people(
    out_dir: &Path,
    households: &[Household],
    absent: &[Household],
    window: Window,
) -> Result<()> {
    let mut writer = PeopleWriter::create(out_dir)?;
    let mut number = 0;
    for (household_index, household) in households.iter().chain(absent).enumerate() {
        let household_first = number;
        for person in &household.people {
            let place = PersonPlace {
                person: number,
                household: household_index,
                household_first,
            };
            writer.write(person, place, window)?;
            number += 1;
        }
    }
    writer.finish()
}

fn source_summaries(stats: &[SourceStats; 5]) -> Vec<SourceSummary> {
    SourceKind::ALL
        .iter()
        .zip(stats)
        .map(|(kind, s)| SourceSummary {
            source: kind.name(),
            records: s.records,
            dob_error_rate: ratio(s.dob_errors, s.dobs),
            nickname_rate: ratio(s.nicknames, s.nickname_eligible),
            name_typo_rate: ratio(s.name_typos, s.records),
            first_last_swap_rate: ratio(s.swaps, s.records),
            stale_surname_rate: ratio(s.stale_surnames, s.stale_eligible),
            suffix_omitted_rate: ratio(s.suffixes_omitted, s.suffix_carriers),
            ssn_last4_share: ratio(s.ssn_last4, s.ssns),
            ssn_typo_rate: ratio(s.ssn_typos, s.ssns - s.ssn_last4),
        })
        .collect()
}

fn population_summary(
    households: &[Household],
    window: Window,
    observed: &Observed,
) -> PopulationSummary {
    let (mut moves, mut adult_years) = (0u64, 0.0f64);
    let (mut twins, mut jr_sr, mut deceased, mut smiths) = (0u64, 0u64, 0u64, 0u64);
    let (mut married_women, mut changed) = (0u64, 0u64);
    let (mut living_adults, mut current_seen) = (0u64, 0u64);
    let people: Vec<&Person> = households.iter().flat_map(|h| &h.people).collect();
    for (number, person) in people.iter().enumerate() {
        let end = person.end_of_life(window);
        let from = person.adult_from().max(window.start);
        if end > from {
            adult_years += end.years_since(from);
            moves += person
                .residences
                .iter()
                .skip(1)
                .filter(|r| r.move_in >= from && r.move_in < end)
                .count() as u64;
        }
        twins += u64::from(person.twin_of.is_some());
        jr_sr += u64::from(person.namesake_father.is_some() || person.namesake_son.is_some());
        deceased += u64::from(person.death.is_some());
        smiths += u64::from(person.surname_at(end).first == "Smith");
        if let (Sex::Female, Some(marriage)) = (person.sex, person.marriage) {
            married_women += 1;
            changed += u64::from(marriage.surname != person.birth_surname);
        }
        if person.death.is_none() && person.adult_from() < window.as_of {
            living_adults += 1;
            current_seen += u64::from(observed.current_address_seen[number]);
        }
    }
    let total = people.len() as u64;
    PopulationSummary {
        annual_move_rate: if adult_years > 0.0 {
            moves as f64 / adult_years
        } else {
            0.0
        },
        twin_share: ratio(twins, total),
        jr_sr_share: ratio(jr_sr, total),
        deceased_share: ratio(deceased, total),
        married_surname_changed_share: ratio(changed, married_women),
        current_address_seen_share: ratio(current_seen, living_adults),
        smith_share: ratio(smiths, total),
    }
}

fn returned_mail_summary(debts: &[Debt]) -> ReturnedMailSummary {
    let total = debts.len() as u64;
    let count = |test: &dyn Fn(&Debt) -> bool| {
        ratio(debts.iter().filter(|d| test(d)).count() as u64, total)
    };
    ReturnedMailSummary {
        ssn_full_share: count(&|d| d.truth.ssn == SsnGiven::Full),
        ssn_last4_share: count(&|d| d.truth.ssn == SsnGiven::Last4),
        ssn_missing_share: count(&|d| d.truth.ssn == SsnGiven::Missing),
        dob_error_share: count(&|d| d.truth.dob_error),
        nickname_share: count(&|d| d.truth.nickname_used),
        moved_share: count(&|d| d.truth.moved),
        surname_changed_share: count(&|d| d.truth.surname_changed),
        absent_share: count(&|d| !d.truth.in_sources),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_stops_at_the_household_that_reaches_the_size() {
        let config = SynthConfig {
            people: 700,
            ..SynthConfig::default()
        };
        let generator = Generator::new(&config);
        let households = generate_population(&config, &generator);
        let people: usize = households.iter().map(|h| h.people.len()).sum();
        let last = households.last().map_or(0, |h| h.people.len());
        assert!(people >= 700 && people - last < 700, "{people} people");
        let again = generate_population(&config, &generator);
        assert_eq!(again.len(), households.len());
    }

    #[test]
    fn look_alikes_share_the_names_and_miss_the_dob_by_one_digit() {
        let mut config = SynthConfig {
            people: 2_000,
            ..SynthConfig::default()
        };
        config.returned_mail.absent_look_alike_share = 1.0;
        let generator = Generator::new(&config);
        let households = generate_population(&config, &generator);
        let mut absent: Vec<Household> = (0..30)
            .map(|i| generator.lone_person(&mut stream_rng(1, Stream::AbsentHousehold, i)))
            .collect();
        let made = make_look_alikes(&config, generator.window(), &households, &mut absent);
        assert!(made > 20, "{made} of 30");
        let observed: Vec<&Person> = households.iter().flat_map(|h| &h.people).collect();
        let look_alikes = absent.iter().map(|h| &h.people[0]).filter(|p| {
            observed
                .iter()
                .any(|o| o.given == p.given && o.birth_surname == p.birth_surname && o.dob != p.dob)
        });
        for person in look_alikes.clone() {
            let model = observed
                .iter()
                .find(|o| o.given == person.given && o.birth_surname == person.birth_surname)
                .expect("a model");
            let (year, month, day) = person.dob.ymd();
            let (model_year, model_month, model_day) = model.dob.ymd();
            assert_eq!((year, month), (model_year, model_month));
            assert_eq!(day.abs_diff(model_day), 1);
        }
        assert_eq!(look_alikes.count(), made);
    }

    #[test]
    fn repeated_email_addresses_get_digits() {
        let config = SynthConfig::default();
        let generator = Generator::new(&config);
        let mut households: Vec<Household> = (0..40)
            .map(|index| generator.household(&mut stream_rng(4, Stream::Household, index)))
            .collect();
        let with_email: Vec<(usize, usize)> = households
            .iter()
            .enumerate()
            .flat_map(|(h, household)| {
                household
                    .people
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| !p.emails.is_empty())
                    .map(move |(p, _)| (h, p))
            })
            .take(2)
            .collect();
        assert_eq!(with_email.len(), 2);
        let (first, second) = (with_email[0], with_email[1]);
        let shared: Box<str> = "john.smith@gmail.com".into();
        households[first.0].people[first.1].emails[0].value = shared.clone();
        households[second.0].people[second.1].emails[0].value = shared;
        make_emails_unique(&mut households, &mut HashSet::new());
        let kept = &households[first.0].people[first.1].emails[0].value;
        let renamed = &households[second.0].people[second.1].emails[0].value;
        assert_eq!(&**kept, "john.smith@gmail.com");
        assert_eq!(&**renamed, "john.smith2@gmail.com");
    }

    #[test]
    fn every_assigned_ssn_is_distinct() {
        let config = SynthConfig {
            people: 3_000,
            ..SynthConfig::default()
        };
        let generator = Generator::new(&config);
        let mut households = generate_population(&config, &generator);
        let ssns = SsnPermutation::new(&mut stream_rng(1, Stream::SsnKey, 0));
        assign_ssns(&mut households, &ssns, 0);
        let all: HashSet<u32> = households
            .iter()
            .flat_map(|h| h.people.iter().map(|p| p.ssn))
            .collect();
        let people: usize = households.iter().map(|h| h.people.len()).sum();
        assert_eq!(all.len(), people);
    }
}
