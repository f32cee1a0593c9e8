//! Candidate retrieval (blocking): a normalized query becomes a disjunction of its blocking keys;
//! tantivy's BM25 (here a sum of IDFs, see `index::schema`) ranks records by how many rare keys
//! they share, so the true person is found when several fields are wrong as long as enough
//! others agree.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Searcher, Term};

use crate::error::Result;
use crate::index::keys::{for_each_key, KeyKind};
use crate::index::SkipIndex;
use crate::normalize::{NormalizedRecord, Ssn};

/// Candidates the first retrieval pass returns by default. On the 1M-record synth set, 50
/// instead of 100 costs 0.0005 of retrieval recall and no measurable F1 (0.9914 vs 0.9915) for
/// 17% fewer instructions per search: block-max WAND prunes more with a shorter top list and
/// half as many records are read.
pub const DEFAULT_CANDIDATES: usize = 50;

/// Records the second pass adds: those sharing an SSN, address, phone or email with a strong
/// first-pass candidate (how a new address and phone are reached from an old one).
pub const EXPANSION_CANDIDATES: usize = 60;

/// Records the first pass adds that share one of the query's own identifiers (full SSN, other
/// id, street address, any phone, email) but fell outside the ranked top list, ranked by the
/// IDFs of the identifiers they share. A common name's pair keys outweigh one shared identifier
/// (`michael|turner` and its code pair hold more IDF than a phone), so without this a Michael
/// Turner whose only record spells the given name `Mcihale` but carries the query's phone was
/// crowded out by 50 other Michael Turners.
pub const IDENTIFIER_CANDIDATES: usize = 10;

/// A retrieved record.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Where the record lives in the index (identifies it within one searcher).
    pub address: DocAddress,
    /// The stored, normalized record, boxed: candidates are moved and sorted, and a record is
    /// hundreds of bytes.
    pub record: Box<NormalizedRecord>,
    /// Its retrieval score (sum of IDFs of shared keys).
    pub retrieval_score: f32,
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

/// Returns the query's blocking-key clauses, deduplicated.
///
/// Keys held by many records are left out ([`in_first_pass`]). The given name counts through
/// its pairs with the surname, the birth year and the surname's code instead
/// ([`Fields::name_pair`]), which are rare.
///
/// The formal names a given name may stand for share one key's weight between them: MARY may
/// stand for eleven names, and a record of another Mary Kneeland holds all twelve pairs, which
/// would otherwise outweigh a matching DOB and push the debtor's own records (under a nickname)
/// out of the candidates.
///
/// [`Fields::name_pair`]: crate::index::Fields::name_pair
fn key_clauses(index: &SkipIndex, query: &NormalizedRecord) -> Vec<(Occur, Box<dyn Query>)> {
    let fields = index.fields();
    // Ordered: the clauses' order fixes the order BM25 scores are summed in, and with it which
    // of two equally scored records makes the cut; a hash order varied run to run.
    let mut keys: BTreeMap<Term, KeyKind> = BTreeMap::new();
    let mut push = |field, text: &str, kind| {
        if in_first_pass(kind) {
            keys.insert(Term::from_field_text(field, text), kind);
        }
    };
    // The swapped-DOB keys are DOB parts, which the first pass leaves out.
    for_each_key(query, fields, &mut push);
    let forms = query
        .name
        .first_formal
        .iter()
        .filter(|f| **f != query.name.first)
        .count();
    keys.into_iter()
        .map(|(term, kind)| {
            let query = term_query(term);
            if forms > 1 && kind == KeyKind::FormalNamePair {
                let shared: Box<dyn Query> = Box::new(BoostQuery::new(query, 1.0 / forms as f32));
                (Occur::Should, shared)
            } else {
                (Occur::Should, query)
            }
        })
        .collect()
}

/// True for the kinds of key the first pass retrieves by. Left out are the keys that each
/// match 0.1–3% of records, whose postings were most of a search's cost:
/// - a given name and its code alone (85% of the postings a query touched on a 1M-record index
///   before the name pairs);
/// - DOB parts and a surname's code alone: 17% of a search's instructions after the pairs.
///   Without them, on the 1M synth set, retrieval recall rose from 0.9990 to 0.9992: their many
///   shared postings had pushed records that agree on rarer keys out of the top candidates.
///
/// A record whose DOB has one part wrong is still retrieved by its names, identifiers and
/// address, and one with a misspelt name by the surname, the code pairs and the rest. The keys
/// stay in the index for the second pass, name frequencies and training.
fn in_first_pass(kind: KeyKind) -> bool {
    !matches!(
        kind,
        KeyKind::GivenName | KeyKind::GivenNameCode | KeyKind::DobPart | KeyKind::SurnameCode
    )
}

/// Runs `query` and loads the top `limit` records not in `exclude` (checked before loading:
/// reading a stored record is the dearest step of retrieval).
fn collect(
    index: &SkipIndex,
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
    exclude: &HashSet<DocAddress>,
) -> Result<Vec<Candidate>> {
    let hits = searcher.search(query, &TopDocs::with_limit(limit + exclude.len()))?;
    let records = index.record_reader(searcher);
    hits.into_iter()
        .filter(|(_, address)| !exclude.contains(address))
        .take(limit)
        .map(|(score, address)| {
            Ok(Candidate {
                address,
                record: Box::new(records.load(address)?),
                retrieval_score: score,
            })
        })
        .collect()
}

/// First pass: the `limit` records sharing the most (and rarest) keys with the query, then up
/// to [`IDENTIFIER_CANDIDATES`] more that share one of its identifiers.
///
/// # Errors
/// On index failures.
pub fn retrieve(
    index: &SkipIndex,
    searcher: &Searcher,
    query: &NormalizedRecord,
    limit: usize,
) -> Result<Vec<Candidate>> {
    let clauses = key_clauses(index, query);
    if clauses.is_empty() {
        return Ok(Vec::new());
    }
    let mut candidates = collect(
        index,
        searcher,
        &BooleanQuery::new(clauses),
        limit,
        &HashSet::new(),
    )?;
    // A short top list already holds every record sharing a key with the query, identifiers
    // included, but for the other phones on file, which are not keys.
    if candidates.len() < limit && query.on_file.other_phones.is_empty() {
        return Ok(candidates);
    }
    let identifiers = identifier_terms(index, &[query]);
    if identifiers.is_empty() {
        return Ok(candidates);
    }
    let seen: HashSet<DocAddress> = candidates.iter().map(|c| c.address).collect();
    let any_identifier = BooleanQuery::new(
        identifiers
            .into_iter()
            .map(|t| (Occur::Should, term_query(t)))
            .collect(),
    );
    candidates.extend(collect(
        index,
        searcher,
        &any_identifier,
        IDENTIFIER_CANDIDATES,
        &seen,
    )?);
    Ok(candidates)
}

/// The strong identifiers of `records`: full SSN, other id, street address, phones (a query's
/// other phones on file too) and email.
fn identifier_terms(index: &SkipIndex, records: &[&NormalizedRecord]) -> BTreeSet<Term> {
    let fields = index.fields();
    let mut identifiers = BTreeSet::new();
    for record in records {
        if let Some(Ssn::Full(digits)) = &record.ssn {
            identifiers.insert(Term::from_field_text(fields.ssn, digits));
        }
        if let Some(other_id) = &record.other_id {
            identifiers.insert(Term::from_field_text(fields.other_id, other_id));
        }
        if let Some(street) = record.address.as_ref().and_then(|a| a.street_key()) {
            identifiers.insert(Term::from_field_text(fields.street, &street));
        }
        for phone in record.phone.iter().chain(&record.on_file.other_phones) {
            identifiers.insert(Term::from_field_text(fields.phone, phone));
        }
        if let Some(email) = &record.email {
            identifiers.insert(Term::from_field_text(fields.email, email));
        }
    }
    identifiers
}

/// Second pass: records sharing a strong identifier (full SSN, other id, street address, phone,
/// email)
/// with any of `seeds`, ranked by name agreement too, excluding records already retrieved.
///
/// # Errors
/// On index failures.
pub fn expand(
    index: &SkipIndex,
    searcher: &Searcher,
    seeds: &[&NormalizedRecord],
    limit: usize,
    exclude: &HashSet<DocAddress>,
) -> Result<Vec<Candidate>> {
    let fields = index.fields();
    let identifiers = identifier_terms(index, seeds);
    let mut names: BTreeSet<Term> = BTreeSet::new();
    for seed in seeds {
        for token in seed.name.last_tokens() {
            names.insert(Term::from_field_text(fields.last, token));
        }
        if seed.name.first.len() > 1 {
            names.insert(Term::from_field_text(fields.first, &seed.name.first));
        }
    }
    if identifiers.is_empty() {
        return Ok(Vec::new());
    }
    let any_identifier: Box<dyn Query> = Box::new(BooleanQuery::new(
        identifiers
            .into_iter()
            .map(|t| (Occur::Should, term_query(t)))
            .collect(),
    ));
    // Each name adds its score to the records found by an identifier, one name per level of
    // nesting: tantivy then seeks that name's postings to each such record. Side by side in one
    // query the names formed a union, which scanned every posting of a common given name near
    // each record found (a sixth of a search's instructions, profiled).
    let query = names.into_iter().fold(any_identifier, |required, name| {
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, required),
            (Occur::Should, term_query(name)),
        ]))
    });
    collect(index, searcher, query.as_ref(), limit, exclude)
}
