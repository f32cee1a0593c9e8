//! Observation: five simulated sources look at each person's life and write records, each with
//! its own coverage (recent periods better covered than old ones), recency and error profile
//! (see [`super::config::SourcesConfig`]). The records are what the matcher indexes.

use rand::Rng;

use super::calendar::Day;
use super::config::{CaseStyle, NoiseConfig, SourceProfile, SynthConfig};
use super::identifiers::ssn_digits;
use super::names::nickname_options;
use super::noise::{
    apply_case, dob_error_kind, format_dob, format_phone, format_ssn, format_ssn_last4, full_name,
    pick_case, pick_phone_format, render_address, render_name, ssn_typo, whitespace_noise,
    wrong_dob, AddressRates, NameParts, NameRates,
};
use super::places::Address;
use super::population::{Household, Person, Window};
use super::sampling::{chance, days_up_to, stream_rng, Stream};
use crate::record::Field;

/// The simulated sources, in the order their records and summaries are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SourceKind {
    /// Credit-bureau header: one record per address period.
    CreditHeader,
    /// Utility connections.
    Utility,
    /// Phone directory.
    PhoneDirectory,
    /// Marketing list.
    MarketingList,
    /// Public records.
    PublicRecords,
}

impl SourceKind {
    /// Every source, in report order.
    pub(crate) const ALL: [SourceKind; 5] = [
        SourceKind::CreditHeader,
        SourceKind::Utility,
        SourceKind::PhoneDirectory,
        SourceKind::MarketingList,
        SourceKind::PublicRecords,
    ];

    /// The `source` column value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            SourceKind::CreditHeader => "credit_header",
            SourceKind::Utility => "utility",
            SourceKind::PhoneDirectory => "phone_directory",
            SourceKind::MarketingList => "marketing_list",
            SourceKind::PublicRecords => "public_records",
        }
    }

    /// The configured profile.
    pub(crate) fn profile(self, config: &SynthConfig) -> &SourceProfile {
        let sources = &config.sources;
        match self {
            SourceKind::CreditHeader => &sources.credit_header,
            SourceKind::Utility => &sources.utility,
            SourceKind::PhoneDirectory => &sources.phone_directory,
            SourceKind::MarketingList => &sources.marketing_list,
            SourceKind::PublicRecords => &sources.public_records,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One source record: the canonical columns in [`Field::ALL`] order (record id left empty
/// until written) and the person it describes.
#[derive(Debug, Clone)]
pub(crate) struct SourceRecord {
    /// Global number of the person the record describes.
    pub(crate) person: usize,
    /// Column values.
    pub(crate) values: Vec<String>,
}

/// Counts of what the sources wrote, for the realised-rate summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SourceStats {
    /// Records written.
    pub(crate) records: u64,
    /// Records whose person's given name has nicknames.
    pub(crate) nickname_eligible: u64,
    /// Records with a nickname for the given name.
    pub(crate) nicknames: u64,
    /// Records with a name typo.
    pub(crate) name_typos: u64,
    /// Records with first and last swapped.
    pub(crate) swaps: u64,
    /// Records of married people whose surname changed, written after the marriage.
    pub(crate) stale_eligible: u64,
    /// Of those, records with the maiden name.
    pub(crate) stale_surnames: u64,
    /// Records of people with a suffix.
    pub(crate) suffix_carriers: u64,
    /// Of those, records without it.
    pub(crate) suffixes_omitted: u64,
    /// Records carrying a DOB.
    pub(crate) dobs: u64,
    /// Of those, wrong ones.
    pub(crate) dob_errors: u64,
    /// Records carrying an SSN.
    pub(crate) ssns: u64,
    /// Of those, last 4 only.
    pub(crate) ssn_last4: u64,
    /// Of the full ones, with a typo.
    pub(crate) ssn_typos: u64,
}

impl SourceStats {
    /// Adds another chunk's counts.
    pub(crate) fn add(&mut self, other: &SourceStats) {
        self.records += other.records;
        self.nickname_eligible += other.nickname_eligible;
        self.nicknames += other.nicknames;
        self.name_typos += other.name_typos;
        self.swaps += other.swaps;
        self.stale_eligible += other.stale_eligible;
        self.stale_surnames += other.stale_surnames;
        self.suffix_carriers += other.suffix_carriers;
        self.suffixes_omitted += other.suffixes_omitted;
        self.dobs += other.dobs;
        self.dob_errors += other.dob_errors;
        self.ssns += other.ssns;
        self.ssn_last4 += other.ssn_last4;
        self.ssn_typos += other.ssn_typos;
    }
}

/// What observing a group of households produced.
#[derive(Debug, Default)]
pub(crate) struct Observations {
    /// Records, in generation order.
    pub(crate) records: Vec<SourceRecord>,
    /// Per person of the group (in order): number of records.
    pub(crate) records_per_person: Vec<u32>,
    /// Per person: the current address appears with a `last_seen` within a year of `as_of`.
    pub(crate) current_address_seen: Vec<bool>,
    /// Per source (in [`SourceKind::ALL`] order).
    pub(crate) stats: [SourceStats; 5],
}

/// Days before `as_of` within which a `last_seen` counts as recent.
const RECENT_DAYS: i32 = 365;

/// Observes people for all sources.
pub(crate) struct Observer<'a> {
    config: &'a SynthConfig,
    window: Window,
}

/// A record being filled in, with its case style.
struct Draft {
    values: Vec<String>,
    case: CaseStyle,
}

impl Draft {
    fn new(kind: SourceKind, case: CaseStyle) -> Draft {
        let mut values = vec![String::new(); Field::COUNT];
        values[Field::Source as usize] = kind.name().to_string();
        Draft { values, case }
    }

    /// Sets a text field in the record's case.
    fn text(&mut self, field: Field, value: &str) {
        self.values[field as usize] = apply_case(value, self.case);
    }

    /// Sets the state: a two-letter code stays upper case in title-case records (no "Ks").
    fn state(&mut self, value: &str) {
        let style = match self.case {
            CaseStyle::Title if value.len() == 2 => CaseStyle::Upper,
            other => other,
        };
        self.values[Field::State as usize] = apply_case(value, style);
    }

    /// Sets a field verbatim (dates, phones, SSNs).
    fn raw(&mut self, field: Field, value: String) {
        self.values[field as usize] = value;
    }

    fn seen(&mut self, first_seen: Day, last_seen: Day) {
        self.raw(Field::FirstSeen, first_seen.iso());
        self.raw(Field::LastSeen, last_seen.iso());
    }
}

/// The span a source saw a period `[start, end)` for: first seen after a lag, last seen some
/// time before the end (or before `as_of` for a current period); `None` when not covered.
fn observed_span<R: Rng + ?Sized>(
    rng: &mut R,
    profile: &SourceProfile,
    window: Window,
    start: Day,
    end: Day,
) -> Option<(Day, Day)> {
    let years_ago = window.as_of.years_since(end).max(0.0);
    let coverage = profile.old_coverage
        + (profile.recent_coverage - profile.old_coverage)
            * (-years_ago / profile.coverage_decay_years).exp();
    if !chance(rng, coverage) {
        return None;
    }
    let last_day = end.plus_days(-1).max(start);
    let first_seen = start
        .plus_days(days_up_to(rng, profile.first_seen_lag_days))
        .min(last_day);
    let last_seen = last_day
        .plus_days(-days_up_to(rng, profile.last_seen_staleness_days))
        .max(first_seen);
    Some((first_seen, last_seen))
}

impl<'a> Observer<'a> {
    /// An observer for `config`.
    pub(crate) fn new(config: &'a SynthConfig) -> Observer<'a> {
        Observer {
            config,
            window: Window::of(config),
        }
    }

    /// Observes every person of `households`, each household with its own random stream;
    /// `first_household` and `first_person` are the global numbers of the first ones.
    pub(crate) fn observe(
        &self,
        households: &[Household],
        first_household: usize,
        first_person: usize,
    ) -> Observations {
        let mut out = Observations::default();
        let mut person_number = first_person;
        for (offset, household) in households.iter().enumerate() {
            let stream_index = (first_household + offset) as u64;
            let mut rng = stream_rng(self.config.seed, Stream::Observation, stream_index);
            for person in &household.people {
                let before = out.records.len();
                let seen = self.observe_person(&mut rng, person, person_number, &mut out);
                out.records_per_person
                    .push((out.records.len() - before) as u32);
                out.current_address_seen.push(seen);
                person_number += 1;
            }
        }
        out
    }

    /// Observes one person in every source that holds them; returns whether the current
    /// address was seen recently.
    fn observe_person<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        person: &Person,
        number: usize,
        out: &mut Observations,
    ) -> bool {
        let end = person.end_of_life(self.window);
        if end <= person.adult_from() {
            return false;
        }
        let mut current_seen = false;
        for kind in SourceKind::ALL {
            let profile = kind.profile(self.config);
            if !chance(rng, profile.person_coverage) {
                continue;
            }
            let mut ctx = Emit {
                kind,
                profile,
                noise: &self.config.noise,
                person,
                number,
                out: &mut *out,
                current_seen: &mut current_seen,
            };
            match kind {
                SourceKind::CreditHeader => self.address_periods(rng, &mut ctx, false),
                SourceKind::Utility => self.address_periods(rng, &mut ctx, true),
                SourceKind::PublicRecords => self.address_periods(rng, &mut ctx, false),
                SourceKind::PhoneDirectory => self.phone_directory(rng, &mut ctx),
                SourceKind::MarketingList => self.marketing_list(rng, &mut ctx),
            }
        }
        current_seen
    }

    /// Index of the residence the person lives in at the end of life (the current address).
    fn current_index(&self, person: &Person) -> Option<usize> {
        person.residence_index_at(person.end_of_life(self.window))
    }

    /// Adult residence periods `(residence index, start, end)` that reach into the history
    /// window (older ones are outside the simulated history).
    fn adult_periods(&self, person: &Person, account_holder_only: bool) -> Vec<(usize, Day, Day)> {
        let adult = person.adult_from();
        person
            .periods(self.window)
            .into_iter()
            .filter(|(index, _, end)| {
                *end > adult
                    && *end > self.window.start
                    && !(account_holder_only && person.residences[*index].with_parents)
            })
            .map(|(index, start, end)| (index, start.max(adult), end))
            .collect()
    }

    /// Sources with one record per address period: credit header, utility (account holders
    /// only), public records.
    fn address_periods<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        ctx: &mut Emit<'_>,
        account_holder_only: bool,
    ) {
        let periods = self.adult_periods(ctx.person, account_holder_only);
        let current_index = self.current_index(ctx.person);
        let stamps_report_date = chance(rng, ctx.profile.report_date_stamp_share);
        let mut observed: Vec<(Draft, Day, Day)> = Vec::new();
        for (index, start, end) in periods {
            let Some((first_seen, last_seen)) =
                observed_span(rng, ctx.profile, self.window, start, end)
            else {
                continue;
            };
            let residence = &ctx.person.residences[index];
            let mut draft = ctx.draft(rng);
            ctx.name(rng, &mut draft, first_seen);
            ctx.address(rng, &mut draft, &residence.address);
            ctx.dob(rng, &mut draft);
            ctx.ssn(rng, &mut draft);
            if chance(rng, ctx.profile.phone_share) {
                let mobile = ctx.person.mobile_at(last_seen);
                let phone = match (ctx.kind, residence.landline) {
                    (SourceKind::Utility, Some(landline)) if chance(rng, 0.85) => Some(landline),
                    _ => ctx.person.phone_at(last_seen),
                };
                let line_type = if phone.is_some() && phone == mobile {
                    LineType::Mobile
                } else {
                    LineType::Landline
                };
                ctx.phone(rng, &mut draft, phone, line_type);
            }
            if chance(rng, ctx.profile.employer_share) {
                if let Some(employer) = ctx.person.employer_at(last_seen) {
                    draft.text(Field::Employer, &employer.to_uppercase());
                }
            }
            let recent = self.window.as_of.days_since(last_seen) <= RECENT_DAYS;
            if Some(index) == current_index && recent {
                *ctx.current_seen = true;
            }
            observed.push((draft, first_seen, last_seen));
        }
        // A source that stamps its report date reports every home it holds as seen that day.
        let report_date = observed.iter().map(|(_, _, last)| *last).max();
        for (mut draft, first_seen, last_seen) in observed {
            let stamped = match report_date {
                Some(day) if stamps_report_date => day,
                _ => last_seen,
            };
            draft.seen(first_seen, stamped);
            ctx.push(rng, draft);
        }
    }

    /// Phone directory: landlines per address period (the household's listing) and mobiles
    /// per number, each with the address of the time.
    fn phone_directory<R: Rng + ?Sized>(&self, rng: &mut R, ctx: &mut Emit<'_>) {
        let current_index = self.current_index(ctx.person);
        for (index, start, end) in self.adult_periods(ctx.person, true) {
            let Some(landline) = ctx.person.residences[index].landline else {
                continue;
            };
            let Some((first_seen, last_seen)) =
                observed_span(rng, ctx.profile, self.window, start, end)
            else {
                continue;
            };
            let address = ctx.person.residences[index].address;
            let mut draft = ctx.draft(rng);
            ctx.name(rng, &mut draft, first_seen);
            ctx.address(rng, &mut draft, &address);
            ctx.phone(rng, &mut draft, Some(landline), LineType::Landline);
            draft.seen(first_seen, last_seen);
            let recent = self.window.as_of.days_since(last_seen) <= RECENT_DAYS;
            if Some(index) == current_index && recent {
                *ctx.current_seen = true;
            }
            ctx.push(rng, draft);
        }
        let adult = ctx.person.adult_from();
        let life_end = ctx.person.end_of_life(self.window);
        for (spell_index, spell) in ctx.person.mobiles.iter().enumerate() {
            let end = ctx
                .person
                .mobiles
                .get(spell_index + 1)
                .map_or(life_end, |next| next.start.min(life_end));
            let start = spell.start.max(adult);
            if start >= end || end <= self.window.start {
                continue;
            }
            // Mobiles are listed less often than landlines (design choice: half the coverage).
            if !chance(rng, 0.5) {
                continue;
            }
            let Some((first_seen, last_seen)) =
                observed_span(rng, ctx.profile, self.window, start, end)
            else {
                continue;
            };
            let Some(residence_index) = ctx.person.residence_index_at(last_seen) else {
                continue;
            };
            let address = ctx.person.residences[residence_index].address;
            let mut draft = ctx.draft(rng);
            ctx.name(rng, &mut draft, first_seen);
            ctx.address(rng, &mut draft, &address);
            ctx.phone(rng, &mut draft, Some(spell.value), LineType::Mobile);
            draft.seen(first_seen, last_seen);
            ctx.push(rng, draft);
        }
    }

    /// Marketing list: one record per email address, with the ZIP of the time.
    fn marketing_list<R: Rng + ?Sized>(&self, rng: &mut R, ctx: &mut Emit<'_>) {
        let adult = ctx.person.adult_from();
        let life_end = ctx.person.end_of_life(self.window);
        for (spell_index, spell) in ctx.person.emails.iter().enumerate() {
            let end = ctx
                .person
                .emails
                .get(spell_index + 1)
                .map_or(life_end, |next| next.start.min(life_end));
            let start = spell.start.max(adult);
            if start >= end || end <= self.window.start {
                continue;
            }
            let Some((first_seen, last_seen)) =
                observed_span(rng, ctx.profile, self.window, start, end)
            else {
                continue;
            };
            let Some(residence_index) = ctx.person.residence_index_at(last_seen) else {
                continue;
            };
            let address = ctx.person.residences[residence_index].address;
            let mut draft = ctx.draft(rng);
            ctx.name(rng, &mut draft, first_seen);
            let zip = render_address(rng, &address, AddressRates::from(ctx.profile)).zip;
            draft.raw(Field::Zip, zip);
            let email = match draft.case {
                CaseStyle::Upper => spell.value.to_uppercase(),
                _ => spell.value.to_string(),
            };
            draft.raw(Field::Email, email);
            if chance(rng, ctx.profile.phone_share) {
                let phone = ctx.person.mobile_at(last_seen);
                ctx.phone(rng, &mut draft, phone, LineType::Mobile);
            }
            draft.seen(first_seen, last_seen);
            ctx.push(rng, draft);
        }
    }
}

/// A phone's line type as a source writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineType {
    Mobile,
    Landline,
}

impl LineType {
    fn as_str(self) -> &'static str {
        match self {
            LineType::Mobile => "mobile",
            LineType::Landline => "landline",
        }
    }
}

/// The source, person and output one emission works on.
struct Emit<'o> {
    kind: SourceKind,
    profile: &'o SourceProfile,
    noise: &'o NoiseConfig,
    person: &'o Person,
    number: usize,
    out: &'o mut Observations,
    current_seen: &'o mut bool,
}

impl Emit<'_> {
    fn stats(&mut self) -> &mut SourceStats {
        &mut self.out.stats[self.kind.index()]
    }

    fn draft<R: Rng + ?Sized>(&self, rng: &mut R) -> Draft {
        let case = pick_case(rng, self.profile.case_style, self.profile.case_mix_rate);
        Draft::new(self.kind, case)
    }

    /// Writes the name as of `day`, in parts or in one field.
    fn name<R: Rng + ?Sized>(&mut self, rng: &mut R, draft: &mut Draft, day: Day) {
        let (parts, outcome) = render_name(
            rng,
            self.person,
            day,
            NameRates::from(self.profile),
            self.noise,
        );
        let has_nicknames = !nickname_options(self.person.given).is_empty();
        let surname_changed = self.person.surname_at(day) != self.person.birth_surname;
        let has_suffix = self.person.suffix.is_some();
        let stats = self.stats();
        stats.nickname_eligible += u64::from(has_nicknames);
        stats.nicknames += u64::from(outcome.nickname);
        stats.name_typos += u64::from(outcome.typo);
        stats.swaps += u64::from(outcome.swapped);
        stats.stale_eligible += u64::from(surname_changed);
        stats.stale_surnames += u64::from(outcome.stale_surname);
        stats.suffix_carriers += u64::from(has_suffix);
        stats.suffixes_omitted += u64::from(outcome.suffix_omitted);
        if chance(rng, self.profile.full_name_share) {
            draft.text(Field::FullName, &full_name(rng, &parts));
        } else {
            write_parts(draft, &parts);
        }
    }

    fn address<R: Rng + ?Sized>(&mut self, rng: &mut R, draft: &mut Draft, address: &Address) {
        let parts = render_address(rng, address, AddressRates::from(self.profile));
        draft.text(Field::AddressLine1, &parts.line1);
        draft.text(Field::AddressLine2, &parts.line2);
        draft.text(Field::City, &parts.city);
        draft.state(&parts.state);
        draft.raw(Field::Zip, parts.zip);
    }

    fn dob<R: Rng + ?Sized>(&mut self, rng: &mut R, draft: &mut Draft) {
        if !chance(rng, self.profile.dob_share) {
            return;
        }
        let mut dob = self.person.dob;
        let wrong = chance(rng, self.profile.dob_error_rate);
        if wrong {
            let kind = dob_error_kind(rng, &self.noise.dob_error_kinds);
            dob = wrong_dob(rng, dob, kind);
        }
        let stats = self.stats();
        stats.dobs += 1;
        stats.dob_errors += u64::from(wrong);
        draft.raw(Field::Dob, format_dob(dob, self.profile.dob_format));
    }

    fn ssn<R: Rng + ?Sized>(&mut self, rng: &mut R, draft: &mut Draft) {
        if !chance(rng, self.profile.ssn_share) {
            return;
        }
        let digits = ssn_digits(self.person.ssn);
        let last4 = chance(rng, self.profile.ssn_last4_share);
        let typo = !last4 && chance(rng, self.profile.ssn_typo_rate);
        let written = if last4 {
            format_ssn_last4(rng, &digits)
        } else if typo {
            let wrong = ssn_typo(rng, &digits);
            format_ssn(rng, &wrong)
        } else {
            format_ssn(rng, &digits)
        };
        let stats = self.stats();
        stats.ssns += 1;
        stats.ssn_last4 += u64::from(last4);
        stats.ssn_typos += u64::from(typo);
        draft.raw(Field::Ssn, written);
    }

    /// Writes a phone, and its line type at the source's `phone_type_share`.
    fn phone<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        draft: &mut Draft,
        phone: Option<u64>,
        line_type: LineType,
    ) {
        if let Some(number) = phone {
            let format = pick_phone_format(
                rng,
                self.profile.phone_format,
                self.profile.phone_format_mix_rate,
            );
            draft.raw(Field::Phone, format_phone(number, format));
            if chance(rng, self.profile.phone_type_share) {
                draft.raw(Field::PhoneType, line_type.as_str().to_string());
            }
        }
    }

    /// Adds whitespace noise and files the record.
    fn push<R: Rng + ?Sized>(&mut self, rng: &mut R, mut draft: Draft) {
        if chance(rng, self.profile.whitespace_noise_rate) {
            let fields = [
                Field::FirstName,
                Field::LastName,
                Field::FullName,
                Field::AddressLine1,
                Field::City,
            ];
            let field = fields[rng.random_range(0..fields.len())] as usize;
            if !draft.values[field].is_empty() {
                draft.values[field] = whitespace_noise(rng, &draft.values[field]);
            }
        }
        self.stats().records += 1;
        self.out.records.push(SourceRecord {
            person: self.number,
            values: draft.values,
        });
    }
}

/// Writes name parts into their columns.
fn write_parts(draft: &mut Draft, parts: &NameParts) {
    draft.text(Field::FirstName, &parts.first);
    draft.text(Field::MiddleName, &parts.middle);
    draft.text(Field::LastName, &parts.last);
    draft.text(Field::NameSuffix, &parts.suffix);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::population::Generator;
    use crate::synth::sampling::Stream;

    #[test]
    fn observed_spans_stay_inside_their_period_and_favour_recent_ones() {
        let config = SynthConfig::default();
        let window = Window::of(&config);
        let profile = &config.sources.utility;
        let mut rng = stream_rng(3, Stream::Observation, 0);
        let (old_start, old_end) = (window.as_of.plus_years(-12), window.as_of.plus_years(-10));
        let recent_start = window.as_of.plus_years(-2);
        let (mut old, mut recent) = (0, 0);
        for _ in 0..5_000 {
            if let Some((first, last)) =
                observed_span(&mut rng, profile, window, old_start, old_end)
            {
                assert!(old_start <= first && first <= last && last < old_end);
                old += 1;
            }
            if let Some((first, last)) =
                observed_span(&mut rng, profile, window, recent_start, window.as_of)
            {
                assert!(recent_start <= first && first <= last && last < window.as_of);
                let staleness = window.as_of.days_since(last);
                assert!(staleness <= profile.last_seen_staleness_days as i32 + 1);
                recent += 1;
            }
        }
        assert!(recent > old + 1_000, "recent {recent}, old {old}");
    }

    #[test]
    fn credit_header_writes_one_record_per_adult_period() {
        let mut config = SynthConfig::default();
        for profile in [
            &mut config.sources.utility,
            &mut config.sources.phone_directory,
            &mut config.sources.marketing_list,
            &mut config.sources.public_records,
        ] {
            profile.person_coverage = 0.0;
        }
        let credit = &mut config.sources.credit_header;
        (
            credit.person_coverage,
            credit.recent_coverage,
            credit.old_coverage,
        ) = (1.0, 1.0, 1.0);
        let generator = Generator::new(&config);
        let observer = Observer::new(&config);
        let households: Vec<Household> = (0..300)
            .map(|index| generator.household(&mut stream_rng(2, Stream::Household, index)))
            .collect();
        let out = observer.observe(&households, 0, 0);
        let people: Vec<&Person> = households.iter().flat_map(|h| &h.people).collect();
        assert_eq!(out.records_per_person.len(), people.len());
        for (number, person) in people.iter().enumerate() {
            let periods = observer.adult_periods(person, false).len();
            assert_eq!(out.records_per_person[number] as usize, periods);
        }
        for record in &out.records {
            let value = |field: Field| record.values[field as usize].as_str();
            assert_eq!(value(Field::Source), "credit_header");
            assert!(value(Field::RecordId).is_empty(), "ids come at writing");
            assert!(value(Field::FirstSeen) <= value(Field::LastSeen));
            assert!(!value(Field::AddressLine1).is_empty() && !value(Field::Zip).is_empty());
        }
        assert!(out.stats[SourceKind::CreditHeader.index()].records > 300);
        assert_eq!(out.stats[SourceKind::Utility.index()].records, 0);
    }
}
