//! Contact points: an identity's addresses, phones and emails merged across its records by
//! normalized equality, every reporting source counted (corroboration is signal), ranked by a
//! confidence that favours recent, corroborated points, and the best current one of each kind
//! chosen against what the debtor row already has: `new`, the row's own `confirmed`, or the
//! row's own `corrected` (docs/domain.md, "Ranking contact points" and "Contacts on file").
//!
//! The row's own contacts take their place in the ranking: a returned letter does not prove a
//! move, so the address on file is confirmed when it is still the best current evidence, and a
//! contact older and weaker than the one on file is never offered as best. A contact the file
//! marks as bad is never confirmed.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::compare::address::same_place;
use crate::normalize::phone::format_phone;
use crate::normalize::{Address, AddressMark, Date, NormalizedRecord, PhoneType};
use crate::outcomes::{apply_outcomes, masked_contact, ContactOutcomes};

/// Years after which a contact point's recency factor halves.
pub const RECENCY_HALF_LIFE_YEARS: f64 = 1.5;

/// Factor applied to an address the person has most likely moved on from: another address of
/// the identity was first reported after it and is reported at least as recently. Sources that
/// stamp every address they hold with the report date make `last_seen` ties common; the home
/// first reported most recently is then the newer one (docs/domain.md, "Ranking contact
/// points").
pub const SUPERSEDED_FACTOR: f64 = 0.5;

/// Factor applied to a landline's confidence: most
/// current phones are mobile and mobiles are kept across moves, while landlines stay with the
/// home and numbers are reassigned (docs/domain.md, "Ranking contact points"). Design choice,
/// measured in BENCHMARKS.md ("Best contacts").
pub const LANDLINE_FACTOR: f64 = 0.5;

/// Factor applied to a VoIP phone or one whose line type no source gives (between mobile and
/// landline).
pub const UNKNOWN_LINE_TYPE_FACTOR: f64 = 0.75;

/// Most days the row's own address may go unreported, before the newest record the search saw,
/// and still be `confirmed`: a confirmation says the debtor is there now. On the 1M synth set,
/// confirmed addresses last reported more than 18 months before the newest evidence were right
/// 85 % of the time, against 99 % for the rest (BENCHMARKS.md, "Best contacts").
pub const CONFIRM_MAX_STALENESS_DAYS: i64 = 548;

/// The same for the row's own phones and email, counted from the later of their last report and
/// the row's own date (`on_file_date`: the creditor had them then): sources report them less
/// often (a directory listing can be a year old), and 18 months cost phones 7 points of
/// right-party rate for 2.5 of precision; three years keeps a number last known a decade ago
/// from being called current (about 10 % of numbers are disconnected a year: docs/domain.md
/// §8).
pub const PHONE_CONFIRM_MAX_STALENESS_DAYS: i64 = 1096;

/// Kind of contact point.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// Postal address.
    Address,
    /// Telephone.
    Phone,
    /// Email.
    Email,
}

impl ContactKind {
    /// Every kind, in display order.
    pub const ALL: [ContactKind; 3] =
        [ContactKind::Address, ContactKind::Phone, ContactKind::Email];

    /// Returns the snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Address => "address",
            ContactKind::Phone => "phone",
            ContactKind::Email => "email",
        }
    }
}

/// How the best current contact of a kind stands against the debtor row's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// Differs from what the row already had.
    New,
    /// The row's own contact is still the best current one.
    Confirmed,
    /// The row's own address with its unit, ZIP or street spelling fixed (a missing unit is the
    /// classic cause of an "insufficient address" return).
    Corrected,
}

impl ContactStatus {
    /// Every status, in report order.
    pub const ALL: [ContactStatus; 3] = [
        ContactStatus::New,
        ContactStatus::Confirmed,
        ContactStatus::Corrected,
    ];

    /// Returns the snake_case name written to the `best_*_status` columns.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::New => "new",
            ContactStatus::Confirmed => "confirmed",
            ContactStatus::Corrected => "corrected",
        }
    }

    /// Returns the status written as `name`, if it is one.
    pub fn from_name(name: &str) -> Option<ContactStatus> {
        ContactStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == name.trim())
    }
}

/// A postal address as shown to a collector (USPS style).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostalAddress {
    /// `123 N MAIN ST`.
    pub line1: String,
    /// `APT 4`.
    pub line2: String,
    /// City as reported.
    pub city: String,
    /// Two-letter state.
    pub state: String,
    /// ZIP5.
    pub zip: String,
}

impl PostalAddress {
    fn of(address: &Address) -> PostalAddress {
        PostalAddress {
            line1: address.line1(),
            line2: address.line2(),
            city: address.city.to_uppercase(),
            state: address.state.clone(),
            zip: address.zip5.clone(),
        }
    }

    /// Returns the address on one line: `123 N MAIN ST APT 4, SPRINGFIELD, IL 62704`.
    pub fn one_line(&self) -> String {
        let street = format!("{} {}", self.line1, self.line2).trim().to_string();
        format!("{street}, {}, {} {}", self.city, self.state, self.zip)
    }
}

/// One merged contact point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactPoint {
    /// Address, phone or email.
    pub kind: ContactKind,
    /// Display value: the one-line address, `(555) 123-4567`, or the email.
    pub value: String,
    /// The address parts, for addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddress>,
    /// A phone's line type, as most of its reporting records give it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_type: Option<PhoneType>,
    /// Earliest first-seen date across reporting records.
    pub first_seen: Option<Date>,
    /// Latest last-seen date across reporting records.
    pub last_seen: Option<Date>,
    /// Distinct sources reporting it.
    pub sources: Vec<String>,
    /// Records reporting it.
    pub record_count: usize,
    /// 0–1: recency × corroboration (× line type for phones, × [`SUPERSEDED_FACTOR`] for an
    /// address moved on from), see [`confidence`].
    pub confidence: f64,
    /// True when the debtor row already has it: the same contact, or (addresses) the same home
    /// with its unit, ZIP or street spelling differing.
    pub on_file: bool,
    /// True when the row marks it as bad (a return reason, a disconnected flag): never
    /// confirmed.
    pub marked_bad: bool,
    /// Set on the best current contact of its kind only: new, confirmed or corrected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ContactStatus>,
    /// True when only records folded in as fragments of the debtor report it (a utility
    /// record at the new address under a married name, sharing only her mobile).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub from_fragment: bool,
    /// The collection outcome that moved its confidence ("right party reached 2026-10-02 by
    /// desk 4"), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// A contact of the identity's records that outcomes forbid offering to this debtor: shown to
/// the collector masked, with why, so that nobody re-enters it by hand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HiddenContact {
    /// Address, phone or email.
    pub kind: ContactKind,
    /// The contact, masked as reports show it (a phone's last four, an email's domain, an
    /// address's ZIP).
    pub contact: String,
    /// Why: the outcome, when and who reported it ("wrong party reached 2026-11-20 by desk 4:
    /// someone else's").
    pub reason: String,
}

/// An identity's contacts: those that may be offered, ranked, and those outcomes hide.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergedContacts {
    /// Best first per kind; the best current one of each kind carries its status.
    pub points: Vec<ContactPoint>,
    /// Hidden by a wrong-party, cease-contact or do-not-call outcome.
    pub hidden: Vec<HiddenContact>,
}

/// Returns a contact point's confidence: a recency factor (halving every
/// [`RECENCY_HALF_LIFE_YEARS`] before the identity's newest observation) times a corroboration
/// factor (`1 - 0.5^(sources + 1)`: one source 0.75, two 0.875, three 0.94).
///
/// For an address the corroboration factor is damped to `0.9 + 0.1 × corroboration`: where a
/// person was seen last matters more than how many sources saw an address, and three sources
/// still reporting last year's home must not outrank the one that saw the move. On the
/// 416k-record synth set this raised the right-party address rate from 0.8917 to 0.8964 at no
/// cost elsewhere. Phones keep the full factor: a household landline seen recently by one
/// utility is less often the debtor's phone than a mobile several sources report.
pub fn confidence(
    kind: ContactKind,
    last_seen: Option<Date>,
    newest: Option<Date>,
    sources: usize,
) -> f64 {
    let years_behind = match (last_seen, newest) {
        (Some(seen), Some(newest)) => {
            (newest.days_since_epoch() - seen.days_since_epoch()).max(0) as f64 / 365.25
        }
        (None, _) => 2.0 * RECENCY_HALF_LIFE_YEARS,
        (Some(_), None) => 0.0,
    };
    let recency = 0.5f64.powf(years_behind / RECENCY_HALF_LIFE_YEARS);
    let corroboration = 1.0 - 0.5f64.powi(sources as i32 + 1);
    match kind {
        ContactKind::Address => recency * (0.9 + 0.1 * corroboration),
        ContactKind::Phone | ContactKind::Email => recency * corroboration,
    }
}

/// Returns the factor a phone's line type applies to its confidence.
fn line_type_factor(phone_type: Option<PhoneType>) -> f64 {
    match phone_type {
        Some(PhoneType::Mobile) => 1.0,
        Some(PhoneType::Landline) => LANDLINE_FACTOR,
        Some(PhoneType::Voip) | None => UNKNOWN_LINE_TYPE_FACTOR,
    }
}

struct Merged {
    value: String,
    /// The parsed address, for addresses.
    address: Option<Address>,
    /// Reports of each line type, for phones.
    phone_types: Vec<PhoneType>,
    first_seen: Option<Date>,
    last_seen: Option<Date>,
    sources: BTreeSet<String>,
    record_count: usize,
}

impl Merged {
    fn new(value: String, address: Option<Address>) -> Merged {
        Merged {
            value,
            address,
            phone_types: Vec::new(),
            first_seen: None,
            last_seen: None,
            sources: BTreeSet::new(),
            record_count: 0,
        }
    }

    fn add(&mut self, record: &NormalizedRecord) {
        self.first_seen = min_date(self.first_seen, record.first_seen.or(record.last_seen));
        self.last_seen = max_date(self.last_seen, record.seen());
        self.sources.insert(record.source.clone());
        self.record_count += 1;
    }

    fn absorb(&mut self, other: Merged) {
        self.first_seen = min_date(self.first_seen, other.first_seen);
        self.last_seen = max_date(self.last_seen, other.last_seen);
        self.sources.extend(other.sources);
        self.record_count += other.record_count;
        self.phone_types.extend(other.phone_types);
    }

    /// The line type most reports give; mobile wins a tie (a number reported as both was most
    /// likely ported to a mobile).
    fn phone_type(&self) -> Option<PhoneType> {
        [PhoneType::Mobile, PhoneType::Voip, PhoneType::Landline]
            .into_iter()
            .map(|t| (self.phone_types.iter().filter(|p| **p == t).count(), t))
            .filter(|(count, _)| *count > 0)
            .max_by_key(|(count, t)| (*count, std::cmp::Reverse(*t as u8)))
            .map(|(_, t)| t)
    }
}

/// How a record's address stands against the row's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnFileRelation {
    /// The same delivery point.
    Same,
    /// The same home with the unit added, the ZIP or the street's spelling fixed.
    Corrected,
}

/// What the debtor row already has, and the marks the file puts on it.
#[derive(Debug, Clone, Default)]
pub struct OnFileContacts {
    /// The row's address (with a street).
    pub address: Option<Address>,
    /// The mark on the row's address, if any.
    pub address_mark: Option<AddressMark>,
    /// The row's phones (10 digits): its main phone first, then its other phones.
    pub phones: Vec<String>,
    /// True when the row marks its phones as bad.
    pub phones_bad: bool,
    /// The row's email (canonical).
    pub email: Option<String>,
    /// The date the row's contacts were known good (the account's open date), if given.
    pub as_of: Option<Date>,
    /// The newest date any record the search looked at was seen: how current the evidence is.
    pub evidence_as_of: Option<Date>,
    /// What collectors reported on the contacts of the records the search looked at.
    pub outcomes: ContactOutcomes,
    /// The date outcomes are aged to (today, for a search).
    pub today: Option<Date>,
}

impl OnFileContacts {
    /// Takes the query's own contact points and their marks.
    pub fn of(query: &NormalizedRecord) -> OnFileContacts {
        let phones = query
            .phone
            .iter()
            .chain(&query.on_file.other_phones)
            .cloned()
            .collect();
        OnFileContacts {
            address: query.address.clone().filter(Address::has_street),
            address_mark: query.on_file.address_mark,
            phones,
            phones_bad: query.on_file.phones_bad,
            email: query.email.clone(),
            as_of: query.on_file.as_of,
            evidence_as_of: None,
            outcomes: ContactOutcomes::default(),
            today: None,
        }
    }

    /// Returns these contacts with the outcomes reported on the search's records, aged to
    /// `today`.
    pub fn with_outcomes(mut self, outcomes: ContactOutcomes, today: Date) -> OnFileContacts {
        self.outcomes = outcomes;
        self.today = Some(today);
        self
    }

    /// Returns these contacts with the date of the newest evidence the search saw.
    pub fn with_evidence_as_of(mut self, date: Option<Date>) -> OnFileContacts {
        self.evidence_as_of = date;
        self
    }

    /// Returns how `address` stands against the row's address: the same home needs the same
    /// house number, the same street name (or one typo apart) and the same ZIP or city; it is
    /// `Same` when unit, street and ZIP all agree, `Corrected` when the record adds the unit the
    /// row lacks or fixes its ZIP or street spelling. Another unit of the same building is
    /// another home, unless the file says the row's unit was wrong ("no such apartment").
    fn address_relation(&self, address: &Address) -> Option<OnFileRelation> {
        let on_file = self.address.as_ref()?;
        if on_file.house_number.is_empty() {
            // A PO box or a line that did not parse: only the same delivery point is the row's.
            return (on_file.delivery_key() == address.delivery_key())
                .then_some(OnFileRelation::Same);
        }
        // The row's ZIP is wrong when the records put the same street in its city and state
        // under another ZIP.
        let zip_fixed = !on_file.zip5.is_empty()
            && !address.zip5.is_empty()
            && on_file.zip5 != address.zip5
            && !on_file.city.is_empty()
            && on_file.city == address.city
            && on_file.state == address.state;
        let street_fixed = street_names_agree(&on_file.street_name, &address.street_name)
            && street_without_name(on_file) == street_without_name(address);
        let same_building = on_file.house_number == address.house_number
            && (on_file.street == address.street || street_fixed)
            && (same_place(on_file, address) || zip_fixed);
        if !same_building {
            return None;
        }
        // A record without the unit is the row's home reported without it (sources drop units
        // far more often than they invent them); another unit is another home, unless the file
        // says the row's unit was wrong.
        let units_agree = on_file.unit == address.unit || address.unit.is_empty();
        let incomplete = self.address_mark == Some(AddressMark::Incomplete);
        if !units_agree && !on_file.unit.is_empty() && !incomplete {
            return None;
        }
        let same = units_agree
            && on_file.street == address.street
            && (on_file.zip5 == address.zip5 || address.zip5.is_empty());
        Some(if same {
            OnFileRelation::Same
        } else {
            OnFileRelation::Corrected
        })
    }

    /// True when the row has a contact of `kind`.
    fn has(&self, kind: ContactKind) -> bool {
        match kind {
            ContactKind::Address => self.address.is_some(),
            ContactKind::Phone => !self.phones.is_empty(),
            ContactKind::Email => self.email.is_some(),
        }
    }

    /// Returns how a merged point stands against the row: `None` when the row does not have it.
    fn relation(&self, kind: ContactKind, key: &str, merged: &Merged) -> Option<OnFileRelation> {
        match kind {
            ContactKind::Address => merged
                .address
                .as_ref()
                .and_then(|a| self.address_relation(a)),
            ContactKind::Phone => self
                .phones
                .iter()
                .any(|p| p == key)
                .then_some(OnFileRelation::Same),
            ContactKind::Email => {
                (self.email.as_deref() == Some(key)).then_some(OnFileRelation::Same)
            }
        }
    }

    /// True when the row marks a point it has as bad: a phone under a disconnected flag; an
    /// address under any return reason, except that for an incomplete address only the
    /// address as the row has it is bad, and its corrected spelling is what is asked for.
    fn marks_bad(&self, kind: ContactKind, relation: Option<OnFileRelation>) -> bool {
        let Some(relation) = relation else {
            return false;
        };
        match kind {
            ContactKind::Address => match self.address_mark {
                Some(AddressMark::Undeliverable) => true,
                Some(AddressMark::Incomplete) => relation == OnFileRelation::Same,
                None => false,
            },
            ContactKind::Phone => self.phones_bad,
            ContactKind::Email => false,
        }
    }
}

/// Returns the street with its name taken out: directionals and suffix (`n  st`), which a
/// spelling fix of the name must leave alone (`N Main St` and `S Main St` are two streets).
fn street_without_name(address: &Address) -> String {
    address.street.replacen(&address.street_name, "", 1)
}

/// True when two folded street names are one street: equal, or one edit apart on names of five
/// letters or more (a keying slip in the creditor's file).
fn street_names_agree(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    a.len().min(b.len()) >= 5 && strsim::damerau_levenshtein(a, b) <= 1
}

/// A merged point on its way to a [`ContactPoint`], with what the ranking needs.
struct Ranked {
    point: ContactPoint,
    relation: Option<OnFileRelation>,
    /// A right party was reached on it: it ranks first of its kind.
    right_party: bool,
}

/// Merges the contact points of an identity's records, ranks each kind best first, and marks
/// the best current contact of each kind with its [`ContactStatus`] (listed first of its kind).
/// Contacts the identity's outcomes forbid are set apart with why.
pub fn merge_contacts(records: &[&NormalizedRecord], on_file: &OnFileContacts) -> MergedContacts {
    let mut merged: HashMap<(ContactKind, String), Merged> = HashMap::new();
    for record in records {
        if let Some(address) = record.address.as_ref().filter(|a| a.has_street()) {
            merged
                .entry((ContactKind::Address, address.delivery_key()))
                .or_insert_with(|| Merged::new(String::new(), Some(address.clone())))
                .add(record);
        }
        if let Some(phone) = &record.phone {
            let point = merged
                .entry((ContactKind::Phone, phone.clone()))
                .or_insert_with(|| Merged::new(format_phone(phone), None));
            point.add(record);
            point.phone_types.extend(record.phone_type);
        }
        if let (Some(email), Some(display)) = (&record.email, &record.email_display) {
            merged
                .entry((ContactKind::Email, email.clone()))
                .or_insert_with(|| Merged::new(display.clone(), None))
                .add(record);
        }
    }
    fold_unitless_addresses(&mut merged);
    let newest = records.iter().filter_map(|r| r.seen()).max();
    let superseded = superseded_addresses(&merged);
    let outcomes = on_file
        .outcomes
        .of_identity(records.iter().map(|r| r.record_id.as_str()));
    let today = on_file
        .today
        .or(newest)
        .unwrap_or_else(|| Date::from_days_since_epoch(0));
    let mut hidden = Vec::new();
    let mut ranked: Vec<Ranked> = merged
        .into_iter()
        .filter_map(|((kind, key), m)| {
            let relation = on_file.relation(kind, &key, &m);
            let phone_type = m.phone_type();
            let mut score = confidence(kind, m.last_seen, newest, m.sources.len());
            match kind {
                ContactKind::Address if superseded.contains(&key) => score *= SUPERSEDED_FACTOR,
                ContactKind::Phone => score *= line_type_factor(phone_type),
                _ => {}
            }
            let verdict = apply_outcomes(kind, &key, score, &outcomes, today);
            // Someone else's, or a channel the debtor closed: never offered to this debtor.
            if let Some(reason) = verdict.hidden {
                hidden.push(HiddenContact {
                    kind,
                    contact: masked_contact(kind, &key),
                    reason,
                });
                return None;
            }
            let postal = m.address.as_ref().map(PostalAddress::of);
            let point = ContactPoint {
                kind,
                value: postal
                    .as_ref()
                    .map_or(m.value.clone(), PostalAddress::one_line),
                address: postal,
                phone_type,
                first_seen: m.first_seen,
                last_seen: m.last_seen,
                sources: m.sources.into_iter().collect(),
                record_count: m.record_count,
                confidence: verdict.confidence,
                on_file: relation.is_some(),
                marked_bad: on_file.marks_bad(kind, relation),
                status: None,
                from_fragment: false,
                outcome: verdict.note,
            };
            Some(Ranked {
                point,
                relation,
                right_party: verdict.right_party,
            })
        })
        .collect();
    ranked.sort_by(|a, b| {
        let right_party = b.right_party.cmp(&a.right_party);
        let (a, b) = (&a.point, &b.point);
        right_party
            .then(b.confidence.total_cmp(&a.confidence))
            .then(b.last_seen.cmp(&a.last_seen))
            .then(b.first_seen.cmp(&a.first_seen))
            .then(a.value.cmp(&b.value))
    });
    for kind in ContactKind::ALL {
        choose_best(&mut ranked, kind, on_file);
    }
    let mut points: Vec<ContactPoint> = ranked.into_iter().map(|r| r.point).collect();
    // Stable: the best of each kind moves ahead of the rest, which keep their ranking.
    points.sort_by_key(|p| p.status.is_none());
    hidden.sort_by(|a, b| (a.kind, &a.contact).cmp(&(b.kind, &b.contact)));
    MergedContacts { points, hidden }
}

/// Marks the best current contact of `kind` in `ranked` (best first): the first one a right
/// party was reached on, else the first one the file
/// does not mark as bad and that is not older than what the row has, except that for an
/// address marked incomplete a correction of it wins when there is one. The row's own is not
/// confirmed when it was last reported more than [`CONFIRM_MAX_STALENESS_DAYS`] (addresses) or
/// [`PHONE_CONFIRM_MAX_STALENESS_DAYS`] (phones, emails) before the newest evidence: then none
/// of its kind is offered.
///
/// When the row has a contact of the kind, another one is older than it, and never offered,
/// when it was last seen before the row's contacts were known good (`as_of`, the account's
/// open date), when it is a home the row's own address superseded (see [`SUPERSEDED_FACTOR`]),
/// when it is both older and weaker than the row's own (which matters when the row's own is
/// marked bad: a bad mark forbids confirming it, not trusting an older home instead), or, the
/// row's own being marked bad, when it was last seen before the records first saw the row's
/// own: the debtor had left it by then.
fn choose_best(ranked: &mut [Ranked], kind: ContactKind, on_file: &OnFileContacts) {
    let own_first_seen = ranked
        .iter()
        .filter(|r| r.point.kind == kind && r.relation == Some(OnFileRelation::Same))
        .filter_map(|r| r.point.first_seen)
        .min();
    let own_is_bad = ranked
        .iter()
        .any(|r| r.point.kind == kind && r.point.marked_bad);
    let known_good_since = if own_is_bad {
        on_file.as_of.max(own_first_seen)
    } else {
        on_file.as_of
    };
    // The row's own points (the same contact): nothing older and weaker than one of them is
    // ever the best, even when the file marks them bad.
    let own_points: Vec<(Option<Date>, f64)> = ranked
        .iter()
        .filter(|r| r.point.kind == kind && r.relation == Some(OnFileRelation::Same))
        .map(|r| (r.point.last_seen, r.point.confidence))
        .collect();
    let own_homes: Vec<(Option<Date>, Option<Date>)> = ranked
        .iter()
        .filter(|r| r.point.kind == ContactKind::Address && kind == ContactKind::Address)
        .filter(|r| r.relation.is_some())
        .map(|r| (r.point.first_seen, r.point.last_seen))
        .collect();
    let older_than_own = |r: &Ranked| {
        let before_known_good = matches!(
            (r.point.last_seen, known_good_since),
            (Some(seen), Some(since)) if seen < since
        );
        let moved_from = own_homes
            .iter()
            .any(|own| supersedes(*own, (r.point.first_seen, r.point.last_seen)));
        let older_and_weaker = own_points.iter().any(|(own_seen, own_confidence)| {
            r.point.last_seen < *own_seen && r.point.confidence < *own_confidence
        });
        on_file.has(kind)
            && r.relation.is_none()
            && (before_known_good || moved_from || older_and_weaker)
    };
    // A right party reached on it is newer evidence than any record date or file mark.
    let eligible = |r: &Ranked| {
        r.point.kind == kind && (r.right_party || (!r.point.marked_bad && !older_than_own(r)))
    };
    let max_staleness_days = match kind {
        ContactKind::Address => CONFIRM_MAX_STALENESS_DAYS,
        ContactKind::Phone | ContactKind::Email => PHONE_CONFIRM_MAX_STALENESS_DAYS,
    };
    // The row's own (as it is, or corrected) is not called current when no record has reported
    // it for a while. A phone or email on file was good on the row's own date too; a returned
    // letter puts the address on file in doubt, so for it only the records count.
    let stale = |r: &Ranked| {
        let evidence = match kind {
            ContactKind::Address => r.point.last_seen,
            ContactKind::Phone | ContactKind::Email => r.point.last_seen.max(on_file.as_of),
        };
        r.relation.is_some()
            && !r.right_party
            && matches!(
                (evidence, on_file.evidence_as_of),
                (Some(seen), Some(newest))
                    if newest.days_since_epoch() - seen.days_since_epoch() > max_staleness_days
            )
    };
    let wants_correction =
        kind == ContactKind::Address && on_file.address_mark == Some(AddressMark::Incomplete);
    let correction = wants_correction
        .then(|| {
            ranked.iter().position(|r| {
                eligible(r) && r.relation == Some(OnFileRelation::Corrected) && !stale(r)
            })
        })
        .flatten();
    let Some(best) = correction.or_else(|| ranked.iter().position(eligible)) else {
        return;
    };
    // A stale correction is still the row's building with the unit the records know (97 % of
    // them right on the 1M synth set): only a stale confirmation is withheld.
    if ranked[best].relation == Some(OnFileRelation::Same) && stale(&ranked[best]) {
        // The row's own is still the best evidence, but too old to call current; anything
        // ranked below it is older or weaker still.
        return;
    }
    let chosen = &mut ranked[best];
    chosen.point.status = Some(match chosen.relation {
        None => ContactStatus::New,
        Some(OnFileRelation::Same) => ContactStatus::Confirmed,
        Some(OnFileRelation::Corrected) => ContactStatus::Corrected,
    });
}

/// Returns the keys of the addresses the person has most likely moved on from: another
/// address was first reported after this one was, and last reported no earlier (see
/// [`SUPERSEDED_FACTOR`]).
fn superseded_addresses(merged: &HashMap<(ContactKind, String), Merged>) -> HashSet<String> {
    let addresses: Vec<(&String, &Merged)> = merged
        .iter()
        .filter(|((kind, _), _)| *kind == ContactKind::Address)
        .map(|((_, key), m)| (key, m))
        .collect();
    addresses
        .iter()
        .filter(|(_, this)| {
            addresses.iter().any(|(_, other)| {
                supersedes(
                    (other.first_seen, other.last_seen),
                    (this.first_seen, this.last_seen),
                )
            })
        })
        .map(|(key, _)| (*key).clone())
        .collect()
}

/// True when a home seen `(first, last)` supersedes another: first reported after it, and
/// last reported no earlier.
fn supersedes(newer: (Option<Date>, Option<Date>), older: (Option<Date>, Option<Date>)) -> bool {
    matches!(
        (newer, older),
        ((Some(first), Some(last)), (Some(older_first), Some(older_last)))
            if first > older_first && last >= older_last
    )
}

/// Folds an address reported without its unit into the one spelling of that building that has
/// a unit: sources drop units far more often than they invent them, so `12 MAIN ST` and
/// `12 MAIN ST APT 4` at one ZIP are one home, corroborated twice. When the building has
/// several units on record, the unit-less report could be any of them and stays apart.
fn fold_unitless_addresses(merged: &mut HashMap<(ContactKind, String), Merged>) {
    let building = |a: &Address| format!("{} {}|{}", a.house_number, a.street, a.zip5);
    let mut units: HashMap<String, Vec<String>> = HashMap::new();
    for ((kind, key), m) in merged.iter() {
        if let (ContactKind::Address, Some(address)) = (kind, &m.address) {
            if !address.unit.is_empty() && !address.zip5.is_empty() {
                units
                    .entry(building(address))
                    .or_default()
                    .push(key.clone());
            }
        }
    }
    let folds: Vec<(String, String)> = merged
        .iter()
        .filter_map(|((kind, key), m)| {
            let address = m.address.as_ref().filter(|a| a.unit.is_empty())?;
            match units.get(&building(address))?.as_slice() {
                [only] if *kind == ContactKind::Address => Some((key.clone(), only.clone())),
                _ => None,
            }
        })
        .collect();
    for (from, into) in folds {
        if let Some(unitless) = merged.remove(&(ContactKind::Address, from)) {
            if let Some(target) = merged.get_mut(&(ContactKind::Address, into)) {
                target.absorb(unitless);
            }
        }
    }
}

fn min_date(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_date(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    a.max(b)
}

/// Returns the best current contact point of `kind` (the one carrying a status), if any.
pub fn best_contact(points: &[ContactPoint], kind: ContactKind) -> Option<&ContactPoint> {
    points.iter().find(|p| p.kind == kind && p.status.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contacts that may be offered.
    fn shown_contacts(
        records: &[&NormalizedRecord],
        on_file: &OnFileContacts,
    ) -> Vec<ContactPoint> {
        merge_contacts(records, on_file).points
    }
    use crate::record::{Field, RawRecord};

    fn record(
        id: &str,
        source: &str,
        line1: &str,
        phone: &str,
        last_seen: &str,
    ) -> NormalizedRecord {
        seen_record(id, source, line1, phone, "", last_seen)
    }

    fn seen_record(
        id: &str,
        source: &str,
        line1: &str,
        phone: &str,
        first_seen: &str,
        last_seen: &str,
    ) -> NormalizedRecord {
        let raw = RawRecord::new()
            .with(Field::RecordId, id)
            .with(Field::Source, source)
            .with(Field::LastName, "Smith")
            .with(Field::AddressLine1, line1)
            .with(Field::Zip, "62704")
            .with(Field::Phone, phone)
            .with(Field::FirstSeen, first_seen)
            .with(Field::LastSeen, last_seen);
        NormalizedRecord::from_raw(&raw).0
    }

    fn row(line1: &str, phone: &str, return_reason: &str) -> OnFileContacts {
        let raw = RawRecord::new()
            .with(Field::LastName, "Smith")
            .with(Field::AddressLine1, line1)
            .with(Field::Zip, "62704")
            .with(Field::Phone, phone)
            .with(Field::ReturnReason, return_reason);
        OnFileContacts::of(&NormalizedRecord::from_raw(&raw).0)
    }

    fn best_line1(points: &[ContactPoint]) -> Option<(String, ContactStatus)> {
        let best = best_contact(points, ContactKind::Address)?;
        let line = best.address.as_ref()?;
        Some((
            format!("{} {}", line.line1, line.line2).trim().to_string(),
            best.status?,
        ))
    }

    #[test]
    fn a_wrong_party_phone_is_set_apart_masked_with_why_and_a_right_party_one_goes_first() {
        let stale = record(
            "1",
            "phone_directory",
            "12 Main St",
            "2175550199",
            "2026-05-01",
        );
        let answered = record("2", "utility", "12 Main St", "4155552671", "2020-01-01");
        let outcome = |kind, phone: &str, record_id: &str| {
            std::sync::Arc::new(crate::outcomes::Outcome {
                outcome: kind,
                channel: ContactKind::Phone,
                contact: phone.into(),
                record_id: record_id.into(),
                account: "A1".into(),
                at: crate::normalize::parse_date("2026-11-20").expect("date"),
                reported_by: "desk 4".into(),
            })
        };
        let before = merge_contacts(&[&stale, &answered], &row("12 Main St", "", ""));
        assert_eq!(
            best_contact(&before.points, ContactKind::Phone).map(|p| p.value.as_str()),
            Some("(217) 555-0199"),
            "the newer number leads without outcomes"
        );
        assert!(before.hidden.is_empty());

        let outcomes = ContactOutcomes::new([
            outcome(crate::outcomes::OutcomeKind::WrongParty, "2175550199", "1"),
            outcome(crate::outcomes::OutcomeKind::RightParty, "4155552671", "2"),
        ]);
        let today = crate::normalize::parse_date("2026-12-01").expect("date");
        let after = merge_contacts(
            &[&stale, &answered],
            &row("12 Main St", "", "").with_outcomes(outcomes, today),
        );
        let phones: Vec<&str> = after
            .points
            .iter()
            .filter(|p| p.kind == ContactKind::Phone)
            .map(|p| p.value.as_str())
            .collect();
        assert_eq!(phones, ["(415) 555-2671"], "the stranger's number is gone");
        let best = best_contact(&after.points, ContactKind::Phone).expect("a best phone");
        assert_eq!(
            best.outcome.as_deref(),
            Some("right party reached 2026-11-20 by desk 4")
        );
        assert_eq!(
            after.hidden,
            [HiddenContact {
                kind: ContactKind::Phone,
                contact: "***-***-0199".into(),
                reason: "wrong party reached 2026-11-20 by desk 4: someone else's".into(),
            }]
        );
    }

    #[test]
    fn a_newer_home_is_new_and_the_one_on_file_keeps_its_place() {
        let old = record(
            "1",
            "credit_header",
            "12 Main St",
            "4155552671",
            "2019-01-01",
        );
        let new_a = record("2", "credit_header", "98 Oak Avenue", "", "2026-05-01");
        let new_b = record("3", "utility", "98 OAK AVE", "2175550199", "2026-04-01");
        let points = shown_contacts(
            &[&old, &new_a, &new_b],
            &row("12 Main Street", "4155552671", ""),
        );
        assert_eq!(
            best_line1(&points),
            Some(("98 OAK AVE".into(), ContactStatus::New))
        );
        let best = best_contact(&points, ContactKind::Address).expect("an address");
        assert_eq!((best.sources.len(), best.record_count), (2, 2));
        let on_file: Vec<&ContactPoint> = points.iter().filter(|p| p.on_file).collect();
        assert_eq!(
            on_file.len(),
            2,
            "the old address and the old phone are on file"
        );
        assert!(on_file.iter().all(|p| p.status.is_none()));
        let phone = best_contact(&points, ContactKind::Phone).expect("a phone");
        assert_eq!(
            (phone.value.as_str(), phone.status),
            ("(217) 555-0199", Some(ContactStatus::New))
        );
    }

    #[test]
    fn the_address_on_file_is_confirmed_while_it_is_the_newest_evidence() {
        let home = [
            record("1", "credit_header", "12 Main St", "", "2026-06-16"),
            record("2", "utility", "12 MAIN STREET", "", "2026-05-01"),
        ];
        let older = record("3", "public_records", "98 Oak Ave", "", "2020-03-01");
        let records = [&home[0], &home[1], &older];
        let points = shown_contacts(&records, &row("12 Main St", "", ""));
        assert_eq!(
            best_line1(&points),
            Some(("12 MAIN ST".into(), ContactStatus::Confirmed))
        );
        assert_eq!(
            points[0].status,
            Some(ContactStatus::Confirmed),
            "best listed first"
        );
    }

    #[test]
    fn a_stale_phone_never_outranks_a_fresher_one_on_file() {
        let on_file: Vec<NormalizedRecord> = (0..4)
            .map(|i| {
                let source = [
                    "credit_header",
                    "utility",
                    "phone_directory",
                    "public_records",
                ][i];
                record(
                    &i.to_string(),
                    source,
                    "12 Main St",
                    "3125550188",
                    "2026-06-16",
                )
            })
            .collect();
        let stale = record(
            "9",
            "marketing_list",
            "12 Main St",
            "3125550111",
            "2020-02-01",
        );
        let mut all: Vec<&NormalizedRecord> = on_file.iter().collect();
        all.push(&stale);
        let points = shown_contacts(&all, &row("12 Main St", "(312) 555-0188", ""));
        let phone = best_contact(&points, ContactKind::Phone).expect("a phone");
        assert_eq!(phone.status, Some(ContactStatus::Confirmed));
        assert_eq!(phone.value, "(312) 555-0188");
        let stale_point = points
            .iter()
            .find(|p| p.value == "(312) 555-0111")
            .expect("listed");
        assert!(stale_point.confidence < phone.confidence && stale_point.status.is_none());
    }

    #[test]
    fn every_phone_of_the_row_counts_as_its_own() {
        let raw = RawRecord::new()
            .with(Field::LastName, "Smith")
            .with(Field::Phone, "3125550188")
            .with(Field::OtherPhones, "217-555-0199");
        let query = NormalizedRecord::from_raw(&raw).0;
        let mobile = record(
            "1",
            "phone_directory",
            "12 Main St",
            "2175550199",
            "2026-06-01",
        );
        let points = shown_contacts(&[&mobile], &OnFileContacts::of(&query));
        let phone = best_contact(&points, ContactKind::Phone).expect("a phone");
        assert_eq!(phone.status, Some(ContactStatus::Confirmed));
    }

    #[test]
    fn the_row_without_its_unit_is_corrected_to_the_unit_the_records_give() {
        let with_unit = record("1", "credit_header", "12 Main St Apt 4", "", "2026-06-01");
        for reason in ["", "INSUFFICIENT ADDRESS"] {
            let points = shown_contacts(&[&with_unit], &row("12 Main St", "", reason));
            assert_eq!(
                best_line1(&points),
                Some(("12 MAIN ST APT 4".into(), ContactStatus::Corrected)),
                "{reason:?}"
            );
        }
        let zip_fixed = {
            let raw = RawRecord::new()
                .with(Field::LastName, "Smith")
                .with(Field::AddressLine1, "12 Maple St")
                .with(Field::City, "Springfield")
                .with(Field::Zip, "62704");
            NormalizedRecord::from_raw(&raw).0
        };
        let raw = RawRecord::new()
            .with(Field::LastName, "Smith")
            .with(Field::AddressLine1, "12 Mapel St")
            .with(Field::City, "Springfield")
            .with(Field::Zip, "62707");
        let row_typo = OnFileContacts::of(&NormalizedRecord::from_raw(&raw).0);
        let points = shown_contacts(&[&zip_fixed], &row_typo);
        assert_eq!(
            best_line1(&points),
            Some(("12 MAPLE ST".into(), ContactStatus::Corrected))
        );
    }

    #[test]
    fn an_address_marked_bad_is_never_confirmed_and_older_homes_are_not_offered() {
        let on_file = seen_record(
            "1",
            "credit_header",
            "12 Main St",
            "",
            "2022-01-01",
            "2026-06-01",
        );
        let before = seen_record("2", "utility", "98 Oak Ave", "", "2015-01-01", "2021-12-01");
        let points = shown_contacts(
            &[&on_file, &before],
            &row("12 Main St", "", "ATTEMPTED NOT KNOWN"),
        );
        assert_eq!(best_line1(&points), None, "{points:?}");
        assert!(points.iter().any(|p| p.on_file && p.marked_bad));

        let after = seen_record("3", "utility", "7 Elm St", "", "2025-01-01", "2026-06-20");
        let points = shown_contacts(
            &[&on_file, &before, &after],
            &row("12 Main St", "", "MOVED LEFT NO ADDRESS"),
        );
        assert_eq!(
            best_line1(&points),
            Some(("7 ELM ST".into(), ContactStatus::New))
        );
    }

    #[test]
    fn a_contact_last_seen_before_the_account_had_its_own_is_never_offered() {
        let older_home = record("1", "utility", "98 Oak Ave", "3125550111", "2021-07-01");
        let raw = RawRecord::new()
            .with(Field::LastName, "Smith")
            .with(Field::AddressLine1, "12 Main St")
            .with(Field::Zip, "62704")
            .with(Field::Phone, "3125550188")
            .with(Field::OnFileDate, "2022-03-15");
        let on_file = OnFileContacts::of(&NormalizedRecord::from_raw(&raw).0);
        let points = shown_contacts(&[&older_home], &on_file);
        assert_eq!(best_line1(&points), None, "{points:?}");
        assert!(best_contact(&points, ContactKind::Phone).is_none());
        let newer = record("2", "utility", "7 Elm St", "", "2023-01-01");
        let points = shown_contacts(&[&older_home, &newer], &on_file);
        assert_eq!(
            best_line1(&points),
            Some(("7 ELM ST".into(), ContactStatus::New))
        );
        let without_date = row("12 Main St", "3125550188", "");
        let points = shown_contacts(&[&older_home], &without_date);
        assert!(
            best_line1(&points).is_some(),
            "no date on the row: nothing is older than it"
        );
    }

    #[test]
    fn an_address_on_file_unreported_for_years_is_not_confirmed() {
        let home = record(
            "1",
            "credit_header",
            "12 Main St",
            "3125550188",
            "2024-03-01",
        );
        let on_file =
            row("12 Main St", "3125550188", "").with_evidence_as_of(Date::new(2026, 6, 1));
        let points = shown_contacts(&[&home], &on_file);
        assert_eq!(best_line1(&points), None, "{points:?}");
        let phone = best_contact(&points, ContactKind::Phone).expect("phones keep three years");
        assert_eq!(phone.status, Some(ContactStatus::Confirmed));
        let decade = row("12 Main St", "3125550188", "").with_evidence_as_of(Date::new(2034, 6, 1));
        let points = shown_contacts(&[&home], &decade);
        assert!(
            best_contact(&points, ContactKind::Phone).is_none(),
            "{points:?}"
        );
        let recent = row("12 Main St", "", "").with_evidence_as_of(Date::new(2025, 1, 1));
        let points = shown_contacts(&[&home], &recent);
        assert_eq!(
            best_line1(&points),
            Some(("12 MAIN ST".into(), ContactStatus::Confirmed))
        );
    }

    #[test]
    fn a_bad_mark_never_lets_an_older_weaker_home_through() {
        let on_file = [
            seen_record(
                "1",
                "credit_header",
                "12 Main St",
                "",
                "2018-06-01",
                "2026-06-05",
            ),
            seen_record("2", "utility", "12 Main St", "", "2018-07-01", "2026-06-01"),
        ];
        let elsewhere = seen_record(
            "3",
            "credit_header",
            "98 Oak Ave",
            "",
            "2025-04-01",
            "2026-05-09",
        );
        let points = shown_contacts(
            &[&on_file[0], &on_file[1], &elsewhere],
            &row("12 Main St", "", "ATTEMPTED NOT KNOWN"),
        );
        assert_eq!(best_line1(&points), None, "{points:?}");
    }

    #[test]
    fn another_street_or_another_town_is_never_the_row_s_own() {
        let place = |line1: &str, city: &str, zip: &str| {
            let raw = RawRecord::new()
                .with(Field::RecordId, "1")
                .with(Field::Source, "credit_header")
                .with(Field::LastName, "Smith")
                .with(Field::AddressLine1, line1)
                .with(Field::City, city)
                .with(Field::State, "IL")
                .with(Field::Zip, zip)
                .with(Field::LastSeen, "2026-06-01");
            NormalizedRecord::from_raw(&raw).0
        };
        let row = OnFileContacts::of(&place("123 N Maple St", "Chicago", "60601"));
        for other in [
            place("123 S Maple St", "Chicago", "60601"),
            place("123 N Maple Ave", "Chicago", "60601"),
            place("123 N Maple St", "Peoria", ""),
        ] {
            let points = shown_contacts(&[&other], &row);
            assert_eq!(
                best_contact(&points, ContactKind::Address).and_then(|p| p.status),
                Some(ContactStatus::New),
                "{other:?}"
            );
        }
    }

    #[test]
    fn a_returned_address_reported_without_its_unit_is_still_the_returned_one() {
        let without_unit = record("1", "utility", "12 Main St", "", "2026-06-01");
        let points = shown_contacts(
            &[&without_unit],
            &row("12 Main St Apt 4", "", "MOVED LEFT NO ADDRESS"),
        );
        assert!(
            best_contact(&points, ContactKind::Address).is_none(),
            "{points:?}"
        );
        assert!(points[0].marked_bad);
    }

    #[test]
    fn a_disconnected_phone_is_never_confirmed() {
        let phone = record("1", "utility", "12 Main St", "3125550188", "2026-06-01");
        let raw = RawRecord::new()
            .with(Field::LastName, "Smith")
            .with(Field::Phone, "3125550188")
            .with(Field::PhoneBad, "Y");
        let query = NormalizedRecord::from_raw(&raw).0;
        let points = shown_contacts(&[&phone], &OnFileContacts::of(&query));
        assert!(best_contact(&points, ContactKind::Phone).is_none());
    }

    #[test]
    fn on_a_last_seen_tie_the_home_first_reported_most_recently_wins() {
        // A credit header stamps every address it holds with its report date.
        let stamp = "2026-06-30";
        let old_home: Vec<NormalizedRecord> = ["credit_header", "utility", "public_records"]
            .iter()
            .enumerate()
            .map(|(i, source)| {
                seen_record(
                    &i.to_string(),
                    source,
                    "99 Franklin Dr",
                    "",
                    "2019-04-01",
                    stamp,
                )
            })
            .collect();
        let new_home = seen_record(
            "9",
            "credit_header",
            "4077 Washington Pl",
            "",
            "2026-02-01",
            stamp,
        );
        let mut all: Vec<&NormalizedRecord> = old_home.iter().collect();
        all.push(&new_home);
        let points = shown_contacts(&all, &row("920 Aspen St", "", ""));
        assert_eq!(
            best_line1(&points),
            Some(("4077 WASHINGTON PL".into(), ContactStatus::New))
        );
    }

    #[test]
    fn a_mobile_ranks_before_a_landline_seen_as_recently() {
        let mut landline = record("1", "utility", "12 Main St", "3125550100", "2026-06-01");
        landline.phone_type = Some(PhoneType::Landline);
        let mut mobile = record(
            "2",
            "phone_directory",
            "12 Main St",
            "3125550177",
            "2026-06-01",
        );
        mobile.phone_type = Some(PhoneType::Mobile);
        let points = shown_contacts(&[&landline, &mobile], &row("", "", ""));
        let phone = best_contact(&points, ContactKind::Phone).expect("a phone");
        assert_eq!(phone.value, "(312) 555-0177");
        assert_eq!(phone.phone_type, Some(PhoneType::Mobile));
    }

    #[test]
    fn an_address_reported_without_its_unit_corroborates_the_one_with_it() {
        let with_unit = record("1", "credit_header", "98 Oak Ave Apt 4", "", "2026-05-01");
        let without = record("2", "utility", "98 OAK AVENUE", "", "2026-06-01");
        let query = row("12 Main St", "", "");
        let points = shown_contacts(&[&with_unit, &without], &query);
        let addresses: Vec<&ContactPoint> = points
            .iter()
            .filter(|p| p.kind == ContactKind::Address)
            .collect();
        assert_eq!(addresses.len(), 1, "{addresses:?}");
        assert_eq!(addresses[0].address.as_ref().unwrap().line2, "APT 4");
        assert_eq!(addresses[0].sources.len(), 2);
        assert_eq!(addresses[0].last_seen, Date::new(2026, 6, 1));

        let other_unit = record("3", "public_records", "98 Oak Ave Apt 7", "", "2025-01-01");
        let points = shown_contacts(&[&with_unit, &without, &other_unit], &query);
        let addresses = points
            .iter()
            .filter(|p| p.kind == ContactKind::Address)
            .count();
        assert_eq!(
            addresses, 3,
            "a unit-less report of a building with two units stays apart"
        );
    }

    #[test]
    fn confidence_favours_recency_and_sources() {
        let newest = Date::new(2026, 6, 1);
        for kind in [ContactKind::Address, ContactKind::Phone] {
            let recent = confidence(kind, newest, newest, 1);
            let stale = confidence(kind, Date::new(2022, 6, 1), newest, 1);
            let corroborated = confidence(kind, newest, newest, 3);
            assert!(recent > stale && corroborated > recent, "{kind:?}");
            assert!((0.0..=1.0).contains(&corroborated));
        }
    }

    #[test]
    fn an_address_seen_after_the_move_outranks_one_more_sources_saw_before_it() {
        let newest = Date::new(2026, 6, 29);
        let after_move = confidence(ContactKind::Address, newest, newest, 1);
        let before_move = confidence(ContactKind::Address, Date::new(2026, 5, 22), newest, 4);
        assert!(after_move > before_move);
        let old_home = [
            record("1", "credit_header", "99 NW Franklin Dr", "", "2026-04-18"),
            record("2", "utility", "99 NW Franklin Dr", "", "2026-05-03"),
            record(
                "3",
                "phone_directory",
                "99 NW Franklin Dr",
                "",
                "2026-05-22",
            ),
        ];
        let new_home = record("4", "credit_header", "4077 Washington Pl", "", "2026-06-29");
        let mut all: Vec<&NormalizedRecord> = old_home.iter().collect();
        all.push(&new_home);
        let points = shown_contacts(&all, &row("920 Aspen St", "", ""));
        assert_eq!(
            best_line1(&points),
            Some(("4077 WASHINGTON PL".into(), ContactStatus::New))
        );
    }
}
