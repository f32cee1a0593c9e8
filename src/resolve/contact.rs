//! Contact points: an identity's addresses, phones and emails merged across its records by
//! normalized equality, every reporting source counted (corroboration is signal; DOMAIN.md §3),
//! and ranked by a confidence that favours recent, corroborated points (DOMAIN.md §4).

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::normalize::phone::format_phone;
use crate::normalize::{Address, Date, NormalizedRecord};

/// Years after which a contact point's recency factor halves.
pub const RECENCY_HALF_LIFE_YEARS: f64 = 1.5;

/// Factor applied to a contact point last seen before the address the query already had: the
/// person has most likely moved on from it.
pub const OLDER_THAN_KNOWN_FACTOR: f64 = 0.5;

/// Kind of contact point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// Postal address.
    Address,
    /// Telephone.
    Phone,
    /// Email.
    Email,
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
    /// Earliest first-seen date across reporting records.
    pub first_seen: Option<Date>,
    /// Latest last-seen date across reporting records.
    pub last_seen: Option<Date>,
    /// Distinct sources reporting it.
    pub sources: Vec<String>,
    /// Records reporting it.
    pub record_count: usize,
    /// 0–1: recency × corroboration, see [`confidence`].
    pub confidence: f64,
    /// True when the query already had it (e.g. the address the mail came back from): listed,
    /// never offered as new.
    pub known: bool,
}

/// Returns a contact point's confidence: a recency factor (halving every
/// [`RECENCY_HALF_LIFE_YEARS`] before the identity's newest observation) times a corroboration
/// factor (`1 - 0.5^(sources + 1)`: one source 0.75, two 0.875, three 0.94).
pub fn confidence(last_seen: Option<Date>, newest: Option<Date>, sources: usize) -> f64 {
    let years_behind = match (last_seen, newest) {
        (Some(seen), Some(newest)) => {
            (newest.days_since_epoch() - seen.days_since_epoch()).max(0) as f64 / 365.25
        }
        (None, _) => 2.0 * RECENCY_HALF_LIFE_YEARS,
        (Some(_), None) => 0.0,
    };
    let recency = 0.5f64.powf(years_behind / RECENCY_HALF_LIFE_YEARS);
    let corroboration = 1.0 - 0.5f64.powi(sources as i32 + 1);
    recency * corroboration
}

struct Merged {
    value: String,
    address: Option<PostalAddress>,
    first_seen: Option<Date>,
    last_seen: Option<Date>,
    sources: BTreeSet<String>,
    record_count: usize,
}

/// What the query already knows, so it is never offered back as new.
#[derive(Debug, Clone, Default)]
pub struct KnownContacts {
    /// Delivery key and street key + ZIP of the query's address.
    pub address: Option<Address>,
    /// Query phone (10 digits).
    pub phone: Option<String>,
    /// Query email (canonical).
    pub email: Option<String>,
}

impl KnownContacts {
    /// Takes the query's contact points.
    pub fn of(query: &NormalizedRecord) -> KnownContacts {
        KnownContacts {
            address: query.address.clone().filter(Address::has_street),
            phone: query.phone.clone(),
            email: query.email.clone(),
        }
    }

    fn is_known_address(&self, address: &Address) -> bool {
        let Some(known) = &self.address else {
            return false;
        };
        known.house_number == address.house_number
            && known.street_name == address.street_name
            && (known.zip5 == address.zip5 || known.zip5.is_empty() || address.zip5.is_empty())
    }
}

/// Merges the contact points of an identity's records and ranks each kind best first (known
/// points last).
pub fn merge_contacts(records: &[&NormalizedRecord], known: &KnownContacts) -> Vec<ContactPoint> {
    let mut merged: HashMap<(ContactKind, String), Merged> = HashMap::new();
    let mut add = |kind: ContactKind,
                   key: String,
                   value: String,
                   address: Option<PostalAddress>,
                   record: &NormalizedRecord| {
        let entry = merged.entry((kind, key)).or_insert_with(|| Merged {
            value,
            address,
            first_seen: None,
            last_seen: None,
            sources: BTreeSet::new(),
            record_count: 0,
        });
        let first = record.first_seen.or(record.last_seen);
        entry.first_seen = min_date(entry.first_seen, first);
        entry.last_seen = max_date(entry.last_seen, record.seen());
        entry.sources.insert(record.source.clone());
        entry.record_count += 1;
    };
    for record in records {
        if let Some(address) = record.address.as_ref().filter(|a| a.has_street()) {
            let postal = PostalAddress::of(address);
            add(
                ContactKind::Address,
                address.delivery_key(),
                postal.one_line(),
                Some(postal),
                record,
            );
        }
        if let Some(phone) = &record.phone {
            add(
                ContactKind::Phone,
                phone.clone(),
                format_phone(phone),
                None,
                record,
            );
        }
        if let (Some(email), Some(display)) = (&record.email, &record.email_display) {
            add(
                ContactKind::Email,
                email.clone(),
                display.clone(),
                None,
                record,
            );
        }
    }
    let newest = records.iter().filter_map(|r| r.seen()).max();
    let known_address_seen = merged
        .iter()
        .filter(|((kind, _), _)| *kind == ContactKind::Address)
        .filter(|((_, key), _)| {
            records.iter().any(|r| {
                r.address
                    .as_ref()
                    .is_some_and(|a| a.delivery_key() == *key && known.is_known_address(a))
            })
        })
        .filter_map(|(_, m)| m.last_seen)
        .max();
    let mut points: Vec<ContactPoint> = merged
        .into_iter()
        .map(|((kind, key), m)| {
            let known_point = match kind {
                ContactKind::Address => records.iter().any(|r| {
                    r.address
                        .as_ref()
                        .is_some_and(|a| a.delivery_key() == key && known.is_known_address(a))
                }),
                ContactKind::Phone => known.phone.as_deref() == Some(key.as_str()),
                ContactKind::Email => known.email.as_deref() == Some(key.as_str()),
            };
            let mut score = confidence(m.last_seen, newest, m.sources.len());
            if kind == ContactKind::Address && !known_point {
                if let (Some(seen), Some(known_seen)) = (m.last_seen, known_address_seen) {
                    if seen < known_seen {
                        score *= OLDER_THAN_KNOWN_FACTOR;
                    }
                }
            }
            ContactPoint {
                kind,
                value: m.value,
                address: m.address,
                first_seen: m.first_seen,
                last_seen: m.last_seen,
                sources: m.sources.into_iter().collect(),
                record_count: m.record_count,
                confidence: score,
                known: known_point,
            }
        })
        .collect();
    points.sort_by(|a, b| {
        a.known
            .cmp(&b.known)
            .then(b.confidence.total_cmp(&a.confidence))
            .then(b.last_seen.cmp(&a.last_seen))
            .then(a.value.cmp(&b.value))
    });
    points
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

/// Returns the best new contact point of `kind` (not known), if any.
pub fn best_new(points: &[ContactPoint], kind: ContactKind) -> Option<&ContactPoint> {
    points.iter().find(|p| p.kind == kind && !p.known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Field, RawRecord};

    fn record(
        id: &str,
        source: &str,
        line1: &str,
        phone: &str,
        last_seen: &str,
    ) -> NormalizedRecord {
        let raw = RawRecord::new()
            .with(Field::RecordId, id)
            .with(Field::Source, source)
            .with(Field::LastName, "Smith")
            .with(Field::AddressLine1, line1)
            .with(Field::Zip, "62704")
            .with(Field::Phone, phone)
            .with(Field::LastSeen, last_seen);
        NormalizedRecord::from_raw(&raw).0
    }

    #[test]
    fn recent_corroborated_points_rank_first_and_known_ones_last() {
        let old = record(
            "1",
            "credit_header",
            "12 Main St",
            "4155552671",
            "2019-01-01",
        );
        let new_a = record("2", "credit_header", "98 Oak Avenue", "", "2026-05-01");
        let new_b = record("3", "utility", "98 OAK AVE", "2175550199", "2026-04-01");
        let query = record("q", "", "12 Main Street", "4155552671", "");
        let points = merge_contacts(&[&old, &new_a, &new_b], &KnownContacts::of(&query));
        let best = best_new(&points, ContactKind::Address).expect("a new address");
        assert_eq!(
            best.address.as_ref().map(|a| a.line1.as_str()),
            Some("98 OAK AVE")
        );
        assert_eq!(best.sources.len(), 2);
        assert_eq!(best.record_count, 2);
        let known: Vec<&ContactPoint> = points.iter().filter(|p| p.known).collect();
        assert_eq!(
            known.len(),
            2,
            "the old address and the old phone are known"
        );
        assert_eq!(
            best_new(&points, ContactKind::Phone).map(|p| p.value.as_str()),
            Some("(217) 555-0199")
        );
    }

    #[test]
    fn confidence_favours_recency_and_sources() {
        let newest = Date::new(2026, 6, 1);
        let recent = confidence(newest, newest, 1);
        let stale = confidence(Date::new(2022, 6, 1), newest, 1);
        let corroborated = confidence(newest, newest, 3);
        assert!(recent > stale && corroborated > recent);
        assert!((0.0..=1.0).contains(&corroborated));
    }
}
