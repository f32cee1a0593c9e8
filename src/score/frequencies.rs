//! Name frequencies for term-frequency adjustment: how many records of the index hold a given
//! name or surname, from tantivy's document frequencies, cached per thread across searches
//! (names repeat: a returned-mail file's thousands of Smiths) and turned into the smoothed
//! frequency the model weighs exact name agreements by ([`super::Model::smoothed_frequency`]).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use tantivy::index::SegmentId;
use tantivy::{Opstamp, Searcher, Term};

use super::{Model, TermFrequencies};
use crate::compare::Comparison;
use crate::index::SkipIndex;
use crate::normalize::NormalizedRecord;

/// Names of each kind (given, surname) a thread keeps the record counts of before it starts
/// over: at most about 6 MB a thread, and a server searches on at most `--max-concurrency`
/// threads at once.
const NAME_COUNT_CACHE_ENTRIES: usize = 65_536;

thread_local! {
    /// Record counts of given names and surnames, kept across searches: names repeat (a
    /// returned-mail file's thousands of Smiths), and counting one takes a term lookup per
    /// segment.
    static NAME_COUNTS: RefCell<NameCounts> = RefCell::new(NameCounts::default());
}

/// Record counts of names on one state of one index.
#[derive(Default)]
struct NameCounts {
    /// The segments, with their deletes, the counts were taken on: segment ids are unique, so
    /// counts never outlive a commit nor pass from one index to another.
    segments: BTreeMap<SegmentId, Option<Opstamp>>,
    first: HashMap<String, u64>,
    last: HashMap<String, u64>,
}

/// Name frequencies from the index's document frequencies.
pub(crate) struct FrequencyCache<'a> {
    index: &'a SkipIndex,
    model: &'a Model,
    searcher: &'a Searcher,
    num_docs: u64,
}

impl<'a> FrequencyCache<'a> {
    /// Returns the frequencies of names on the index state `searcher` sees.
    pub(crate) fn new(
        index: &'a SkipIndex,
        model: &'a Model,
        searcher: &'a Searcher,
    ) -> FrequencyCache<'a> {
        FrequencyCache {
            index,
            model,
            searcher,
            num_docs: searcher.num_docs(),
        }
    }

    /// Returns the smoothed frequency of a given name (`is_first`) or surname.
    fn frequency(&self, is_first: bool, value: &str) -> Option<f64> {
        if value.is_empty() {
            return None;
        }
        let count = self.count(is_first, value)?;
        let comparison = if is_first {
            Comparison::FirstName
        } else {
            Comparison::LastName
        };
        Some(
            self.model
                .smoothed_frequency(comparison, count, self.num_docs),
        )
    }

    /// Returns how many records hold `value` as given name (`is_first`) or surname.
    pub(crate) fn count(&self, is_first: bool, value: &str) -> Option<u64> {
        let segments = self.searcher.generation().segments();
        let cached = NAME_COUNTS.with_borrow_mut(|counts| {
            if counts.segments != *segments {
                *counts = NameCounts {
                    segments: segments.clone(),
                    ..NameCounts::default()
                };
            }
            let names = if is_first {
                &counts.first
            } else {
                &counts.last
            };
            names.get(value).copied()
        });
        if cached.is_some() {
            return cached;
        }
        let fields = self.index.fields();
        let field = if is_first { fields.first } else { fields.last };
        let count = self
            .searcher
            .doc_freq(&Term::from_field_text(field, value))
            .ok()?;
        NAME_COUNTS.with_borrow_mut(|counts| {
            let names = if is_first {
                &mut counts.first
            } else {
                &mut counts.last
            };
            if names.len() >= NAME_COUNT_CACHE_ENTRIES {
                names.clear();
            }
            names.insert(value.to_string(), count);
        });
        Some(count)
    }

    /// Returns the term frequencies of a record's given name and surname.
    pub(crate) fn of(&self, record: &NormalizedRecord) -> TermFrequencies {
        let last = if record.name.last.contains(' ') {
            Cow::Owned(record.name.last_joined())
        } else {
            Cow::Borrowed(record.name.last.as_str())
        };
        TermFrequencies {
            first_name: (record.name.first.len() > 1)
                .then(|| self.frequency(true, &record.name.first))
                .flatten(),
            last_name: self.frequency(false, &last),
        }
    }
}
