//! Sampling the index for training: random records, random record pairs (for u), and candidate
//! pairs under a blocking rule (for m by EM).
//!
//! Candidate pairs are retrieved by a disjunction of the query record's blocking keys
//! ([`crate::index::keys`]), ranked by tantivy's BM25 (the sum of the IDFs of the shared keys),
//! top `limit`, over every key of the fields a [`BlockingRule`] admits (given names and their
//! phonetic codes alone and DOB parts included, which the engine's first pass
//! ([`crate::retrieve`]) leaves out). A rule keeps only the keys of some fields, so that the
//! comparisons of the other fields are not biased by the blocking (Splink trains a comparison's m
//! only from blocking rules that do not use it).
//!
//! Every random draw comes from its own ChaCha8 stream, numbered by the unit of work, so results
//! do not depend on the thread count.

use std::collections::HashSet;
use std::str::FromStr;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Searcher, Term};

use crate::compare::{Comparison, ComparisonVector};
use crate::error::{Error, Result};
use crate::index::keys::{for_each_key, swapped_dob_keys};
use crate::index::{Fields, SkipIndex};
use crate::normalize::NormalizedRecord;

/// Which blocking keys a training round retrieves candidates by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockingRule {
    /// DOB and DOB-part keys: trains every comparison but the DOB.
    Dob,
    /// Given name, surname and phonetic keys: trains every comparison but the given name and
    /// surname.
    Name,
    /// Full SSN and SSN-part keys: trains every comparison but the SSN.
    Ssn,
}

impl BlockingRule {
    /// Every rule.
    pub const ALL: [BlockingRule; 3] = [BlockingRule::Dob, BlockingRule::Name, BlockingRule::Ssn];

    /// Returns the snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            BlockingRule::Dob => "dob",
            BlockingRule::Name => "name",
            BlockingRule::Ssn => "ssn",
        }
    }

    /// Returns the comparisons whose m this rule biases: those of the fields it blocks on.
    pub fn blocked(self) -> &'static [Comparison] {
        match self {
            BlockingRule::Dob => &[Comparison::Dob],
            BlockingRule::Name => &[Comparison::FirstName, Comparison::LastName],
            BlockingRule::Ssn => &[Comparison::Ssn],
        }
    }

    /// True when the rule retrieves by keys of `field`.
    fn admits(self, fields: &Fields, field: Field) -> bool {
        match self {
            BlockingRule::Dob => field == fields.dob || field == fields.dob_part,
            BlockingRule::Name => {
                field == fields.first || field == fields.last || field == fields.phonetic
            }
            BlockingRule::Ssn => field == fields.ssn || field == fields.ssn_part,
        }
    }
}

/// A blocking rule name that is none of `dob`, `name`, `ssn`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown blocking rule {0} (dob, name, ssn)")]
pub struct UnknownBlockingRule(pub String);

impl FromStr for BlockingRule {
    type Err = UnknownBlockingRule;

    fn from_str(text: &str) -> std::result::Result<BlockingRule, UnknownBlockingRule> {
        BlockingRule::ALL
            .into_iter()
            .find(|rule| rule.name() == text)
            .ok_or_else(|| UnknownBlockingRule(text.to_string()))
    }
}

/// The independent random streams of a training run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    /// Records sampled for random pairs.
    URecords = 1,
    /// Random pairs, numbered by chunk.
    UPairs = 2,
    /// Query records of a round, numbered by the round's rule.
    Queries = 3,
}

/// Returns the generator of `stream` number `index` for `seed`.
pub(crate) fn stream_rng(seed: u64, stream: Stream, index: u64) -> ChaCha8Rng {
    let key = seed ^ (stream as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut rng = ChaCha8Rng::seed_from_u64(key);
    rng.set_stream(index);
    rng
}

/// Returns `count` distinct live documents drawn uniformly (all of them, in index order, when
/// the index holds no more).
pub fn sample_addresses(searcher: &Searcher, count: usize, rng: &mut impl Rng) -> Vec<DocAddress> {
    let segments = searcher.segment_readers();
    let live = searcher.num_docs() as usize;
    let is_alive = |address: DocAddress| {
        segments[address.segment_ord as usize]
            .alive_bitset()
            .is_none_or(|alive| alive.is_alive(address.doc_id))
    };
    if count >= live {
        let mut all = Vec::with_capacity(live);
        for (ord, segment) in segments.iter().enumerate() {
            for doc_id in 0..segment.max_doc() {
                let address = DocAddress::new(ord as u32, doc_id);
                if is_alive(address) {
                    all.push(address);
                }
            }
        }
        return all;
    }
    let starts: Vec<u64> = segments
        .iter()
        .scan(0u64, |next, segment| {
            let start = *next;
            *next += u64::from(segment.max_doc());
            Some(start)
        })
        .collect();
    let total: u64 = segments.iter().map(|s| u64::from(s.max_doc())).sum();
    let mut chosen = Vec::with_capacity(count);
    let mut seen = HashSet::with_capacity(count);
    while chosen.len() < count {
        let global = rng.random_range(0..total);
        let ord = starts.partition_point(|&start| start <= global) - 1;
        let address = DocAddress::new(ord as u32, (global - starts[ord]) as u32);
        if is_alive(address) && seen.insert(address) {
            chosen.push(address);
        }
    }
    chosen
}

/// Loads the stored records behind `addresses`, in order.
///
/// # Errors
/// When a record cannot be read.
pub fn load_records(
    index: &SkipIndex,
    searcher: &Searcher,
    addresses: &[DocAddress],
) -> Result<Vec<NormalizedRecord>> {
    addresses
        .par_iter()
        .map(|&address| index.load(searcher, address))
        .collect()
}

/// Random pairs compared per unit of work (each unit draws from its own stream).
const PAIRS_PER_CHUNK: u64 = 65_536;

/// Compares `pairs` random pairs of distinct records drawn from `records` and returns, per
/// comparison, how many pairs reached each level (`not_supplied` included, at index 0).
///
/// # Errors
/// [`Error::Training`] when there are fewer than two records.
pub fn random_pair_level_counts(
    records: &[NormalizedRecord],
    pairs: u64,
    seed: u64,
) -> Result<Vec<Vec<u64>>> {
    if records.len() < 2 {
        return Err(Error::Training(
            "random pairs need at least two records".into(),
        ));
    }
    let empty = || -> Vec<Vec<u64>> {
        Comparison::ALL
            .iter()
            .map(|c| vec![0; c.levels().len()])
            .collect()
    };
    let chunks = pairs.div_ceil(PAIRS_PER_CHUNK);
    let counts = (0..chunks)
        .into_par_iter()
        .map(|chunk| {
            let mut rng = stream_rng(seed, Stream::UPairs, chunk);
            let mut counts = empty();
            let in_chunk = PAIRS_PER_CHUNK.min(pairs - chunk * PAIRS_PER_CHUNK);
            for _ in 0..in_chunk {
                let i = rng.random_range(0..records.len());
                let mut j = rng.random_range(0..records.len() - 1);
                if j >= i {
                    j += 1;
                }
                let vector = ComparisonVector::between(&records[i], &records[j]);
                for (k, &level) in vector.levels.iter().enumerate() {
                    counts[k][usize::from(level)] += 1;
                }
            }
            counts
        })
        .reduce(empty, |mut total, part| {
            for (t, p) in total.iter_mut().zip(part) {
                for (a, b) in t.iter_mut().zip(p) {
                    *a += b;
                }
            }
            total
        });
    Ok(counts)
}

/// One query record and the comparison vectors of its candidates.
#[derive(Debug, Clone)]
pub struct QueryPairs {
    /// The query record's id.
    pub query_id: String,
    /// Each candidate's record id and its comparison with the query.
    pub candidates: Vec<(String, ComparisonVector)>,
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}

/// Returns the clauses of `record`'s blocking keys in the fields `rule` admits (all of them,
/// unlike the engine's first pass).
fn rule_clauses(
    index: &SkipIndex,
    record: &NormalizedRecord,
    rule: BlockingRule,
) -> Vec<(Occur, Box<dyn Query>)> {
    let fields = index.fields();
    let mut terms: HashSet<Term> = HashSet::new();
    let mut push = |field: Field, text: &str, _| {
        if rule.admits(fields, field) {
            terms.insert(Term::from_field_text(field, text));
        }
    };
    for_each_key(record, fields, &mut push);
    if let Some(dob) = &record.dob {
        swapped_dob_keys(dob, fields, &mut push);
    }
    let mut terms: Vec<Term> = terms.into_iter().collect();
    // Sorted so that the query, and tantivy's tie-breaking, never depend on hash order.
    terms.sort();
    terms
        .into_iter()
        .map(|t| (Occur::Should, term_query(t)))
        .collect()
}

/// Retrieves the candidates of each query record under `rule` (the top `limit` by BM25, the
/// query record itself excluded) and compares them with it.
///
/// # Errors
/// On index failures.
pub fn candidate_pairs(
    index: &SkipIndex,
    searcher: &Searcher,
    queries: &[DocAddress],
    rule: BlockingRule,
    limit: usize,
) -> Result<Vec<QueryPairs>> {
    queries
        .par_iter()
        .map(|&address| {
            let query = index.load(searcher, address)?;
            let clauses = rule_clauses(index, &query, rule);
            let mut candidates = Vec::new();
            if !clauses.is_empty() {
                let hits = searcher
                    .search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit + 1))?;
                for (_, hit) in hits.into_iter().filter(|(_, a)| *a != address).take(limit) {
                    let record = index.load(searcher, hit)?;
                    let vector = ComparisonVector::between(&query, &record);
                    candidates.push((record.record_id, vector));
                }
            }
            Ok(QueryPairs {
                query_id: query.record_id,
                candidates,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Field as RecordField, RawRecord};

    fn record(id: &str, first: &str, last: &str, dob: &str) -> NormalizedRecord {
        let raw = RawRecord::new()
            .with(RecordField::RecordId, id)
            .with(RecordField::FirstName, first)
            .with(RecordField::LastName, last)
            .with(RecordField::Dob, dob);
        NormalizedRecord::from_raw(&raw).0
    }

    fn small_index() -> SkipIndex {
        let index = SkipIndex::create_in_ram().expect("index");
        let mut writer = index.writer().expect("writer");
        let rows = [
            ("a1", "Ann", "Quill", "1970-01-02"),
            ("a2", "Ann", "Quill", "1970-01-02"),
            ("b1", "Bob", "Quill", "1980-03-04"),
            ("c1", "Cy", "Zed", "1970-01-02"),
            ("d1", "Di", "Ode", "1990-05-06"),
        ];
        for (id, first, last, dob) in rows {
            writer
                .upsert(&record(id, first, last, dob))
                .expect("upsert");
        }
        writer.commit().expect("commit");
        index.reload().expect("reload");
        index
    }

    #[test]
    fn rules_parse_by_name_and_block_their_own_fields() {
        for rule in BlockingRule::ALL {
            assert_eq!(rule.name().parse::<BlockingRule>(), Ok(rule));
        }
        assert_eq!(
            "zip".parse::<BlockingRule>(),
            Err(UnknownBlockingRule("zip".into()))
        );
        assert!(BlockingRule::Dob.blocked().contains(&Comparison::Dob));
        assert!(!BlockingRule::Dob.blocked().contains(&Comparison::FirstName));
    }

    #[test]
    fn samples_distinct_live_documents_reproducibly() {
        let index = small_index();
        let searcher = index.searcher();
        let draw = |seed| sample_addresses(&searcher, 3, &mut stream_rng(seed, Stream::Queries, 0));
        let first = draw(1);
        assert_eq!(first.len(), 3);
        assert_eq!(first.iter().collect::<HashSet<_>>().len(), 3);
        assert_eq!(first, draw(1));
        assert_eq!(sample_addresses(&searcher, 10, &mut rand::rng()).len(), 5);
    }

    #[test]
    fn a_rule_retrieves_by_its_keys_only_and_never_the_query_itself() {
        let index = small_index();
        let searcher = index.searcher();
        let all = sample_addresses(&searcher, 10, &mut rand::rng());
        let records = load_records(&index, &searcher, &all).expect("load");
        let a1 = all[records
            .iter()
            .position(|r| r.record_id == "a1")
            .expect("a1")];
        let ids = |rule| {
            let pairs = candidate_pairs(&index, &searcher, &[a1], rule, 10).expect("pairs");
            let mut ids: Vec<String> = pairs[0].candidates.iter().map(|c| c.0.clone()).collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(BlockingRule::Dob), ["a2", "c1"]);
        assert_eq!(ids(BlockingRule::Name), ["a2", "b1"]);
        assert_eq!(ids(BlockingRule::Ssn), Vec::<String>::new());
    }

    #[test]
    fn random_pairs_are_counted_per_level_and_reproducibly() {
        let records = vec![
            record("a1", "Ann", "Quill", "1970-01-02"),
            record("a2", "Ann", "Quill", "1970-01-02"),
        ];
        let counts = random_pair_level_counts(&records, 1000, 3).expect("counts");
        let exact = Comparison::FirstName.level_index("exact").expect("exact");
        assert_eq!(counts[Comparison::FirstName as usize][exact], 1000);
        assert_eq!(
            counts[Comparison::Ssn as usize][0],
            1000,
            "no SSN: not_supplied"
        );
        let error = random_pair_level_counts(&records[..1], 10, 3).expect_err("one record");
        assert!(
            error.to_string().contains("at least two records"),
            "{error}"
        );
    }
}
