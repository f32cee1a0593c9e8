//! The search engine: one [`Query`] in, a [`SearchOutcome`] out.
//!
//! The query is normalized like a record, once ([`Query::from_raw`]); [`retrieve`](mod@crate::retrieve) pulls candidates in two
//! passes; each candidate is compared and scored ([`Model`]); candidates group into identities
//! ([`cluster`]); each identity takes, per field, the best level any of its records
//! reached, and its contact points are merged and ranked.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use tantivy::DocAddress;

use crate::compare::{Comparison, ComparisonVector, NOT_SUPPLIED};
use crate::error::{Error, Result};
use crate::index::SkipIndex;
use crate::normalize::{FieldIssue, NormalizedRecord, Ssn};
use crate::record::RawRecord;
use crate::resolve::contact::{merge_contacts, OnFileContacts};
use crate::resolve::decision::{self, sort_best_first, IdentityGroup};
use crate::resolve::identity::cluster;
use crate::resolve::{FieldExplanation, Identity, RecordRef, Resolution, ResolutionStatus};
use crate::retrieve::{self, Candidate};
use crate::score::{
    probability_from_weight, Band, FrequencyCache, Model, TermFrequencies, STRONG_THRESHOLD,
};

/// Default number of identities returned.
pub const DEFAULT_LIMIT: usize = 5;

/// Default probability an identity needs to be returned at all.
pub const DEFAULT_MIN_MATCH_PROBABILITY: f64 = 0.01;

/// Default probability the top identity needs for the search to be `resolved`.
pub const DEFAULT_MATCH_THRESHOLD: f64 = STRONG_THRESHOLD;

/// A first-pass candidate at or above this probability seeds an identity.
pub const SEED_PROBABILITY: f64 = 0.001;

/// A seed at or above this probability has its identifiers followed by the second retrieval
/// pass. Weaker seeds (another John Smith in the ZIP) pulled in their households and
/// neighbours, all of which were then clustered: 0.1 instead of 0.001 took 10% off a search's
/// instructions and changed no figure on the 416k and 1M synth sets but email (+0.001); 0.5
/// lost an address on the 1M set.
pub const EXPANSION_SEED_PROBABILITY: f64 = 0.1;

/// At most this many seeds drive the second pass.
pub const MAX_SEEDS: usize = 6;

/// Knobs of one search.
#[derive(Debug, Clone, Serialize)]
pub struct SearchOptions {
    /// Identities returned at most.
    pub limit: usize,
    /// Minimum probability for an identity to be returned.
    pub min_match_probability: f64,
    /// First-pass candidates retrieved.
    pub candidates: usize,
    /// Probability the top identity needs for `resolved`.
    pub match_threshold: f64,
}

impl Default for SearchOptions {
    fn default() -> SearchOptions {
        SearchOptions {
            limit: DEFAULT_LIMIT,
            min_match_probability: DEFAULT_MIN_MATCH_PROBABILITY,
            candidates: retrieve::DEFAULT_CANDIDATES,
            match_threshold: DEFAULT_MATCH_THRESHOLD,
        }
    }
}

/// A query normalized once, with the values that could not be used. Build it with
/// [`Query::from_raw`] and search it with [`Engine::search`].
#[derive(Debug, Clone)]
pub struct Query {
    record: NormalizedRecord,
    issues: Vec<FieldIssue>,
}

impl Query {
    /// Normalizes a query like a record; a bad value becomes an issue and is left out.
    pub fn from_raw(raw: &RawRecord) -> Query {
        let (record, issues) = NormalizedRecord::from_raw(raw);
        Query { record, issues }
    }

    /// Returns the normalized query.
    pub fn record(&self) -> &NormalizedRecord {
        &self.record
    }

    /// Returns the values that could not be used (masked).
    pub fn issues(&self) -> &[FieldIssue] {
        &self.issues
    }

    /// Checks the query has enough to search on.
    ///
    /// # Errors
    /// [`Error::UnusableQuery`] when there is neither a last name nor a full SSN, other id,
    /// phone or email, or an SSN last 4 comes without first and last name (docs/domain.md §2).
    pub fn check_usable(&self) -> Result<()> {
        let query = &self.record;
        let has_identifier = matches!(query.ssn, Some(Ssn::Full(_)))
            || query.other_id.is_some()
            || query.phone.is_some()
            || query.email.is_some();
        if query.name.last.is_empty() && !has_identifier {
            return Err(Error::UnusableQuery(
                "a search needs a last name, or a full SSN, other id, phone or email".into(),
            ));
        }
        if matches!(query.ssn, Some(Ssn::Last4(_)))
            && (query.name.first.is_empty() || query.name.last.is_empty())
        {
            return Err(Error::UnusableQuery(
                "an SSN last 4 needs first and last name".into(),
            ));
        }
        Ok(())
    }
}

/// What one search found, and what it looked at.
#[derive(Debug, Clone)]
pub struct SearchOutcome {
    /// The identities found and the verdict.
    pub resolution: Resolution,
    /// [`SkipIndex::commit_id`] of the commit searched.
    pub index_commit: String,
    /// Ids of every record retrieved, both passes (`skiptrace eval` measures retrieval recall
    /// with them).
    pub retrieved: Vec<String>,
}

/// An index and a model, ready to answer searches. Cheap to share across threads.
#[derive(Debug, Clone)]
pub struct Engine {
    index: SkipIndex,
    model: Model,
    /// [`Model::digest`], computed once.
    model_digest: String,
}

/// A candidate with its comparison against the query.
struct Scored {
    address: DocAddress,
    record: Box<NormalizedRecord>,
    vector: ComparisonVector,
    weight: f64,
}

impl Engine {
    /// Builds an engine.
    pub fn new(index: SkipIndex, model: Model) -> Engine {
        let model_digest = model.digest();
        Engine {
            index,
            model,
            model_digest,
        }
    }

    /// Returns the model's [`Model::digest`].
    pub fn model_digest(&self) -> &str {
        &self.model_digest
    }

    /// Returns the index.
    pub fn index(&self) -> &SkipIndex {
        &self.index
    }

    /// Returns the model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Returns this engine with another outcome store in place of the index's own (an
    /// evaluation that records simulated outcomes without touching the index's log).
    pub fn with_outcome_store(&self, store: Arc<crate::outcomes::OutcomeStore>) -> Engine {
        Engine {
            index: self.index.with_outcome_store(store),
            ..self.clone()
        }
    }

    /// Searches for the person a query describes: retrieve, score, resolve, rank contacts.
    ///
    /// # Errors
    /// [`Error::UnusableQuery`] (see [`Query::check_usable`]) or index failures.
    pub fn search(&self, query: &Query, options: &SearchOptions) -> Result<SearchOutcome> {
        query.check_usable()?;
        let query = &query.record;
        let searcher = self.index.searcher();
        let frequencies = FrequencyCache::new(&self.index, &self.model, &searcher);
        let query_tf = frequencies.of(query);

        let first_pass = retrieve::retrieve(&self.index, &searcher, query, options.candidates)?;
        let mut scored = self.score(query, first_pass, &query_tf);
        scored.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        let seed_weight = weight_of(SEED_PROBABILITY);
        let seed_count = scored
            .iter()
            .take_while(|s| s.weight >= seed_weight)
            .count();
        let candidates_first = scored.len();
        let mut retrieved: Vec<String> =
            scored.iter().map(|s| s.record.record_id.clone()).collect();
        scored.truncate(seed_count);
        if scored.is_empty() {
            let resolution = Resolution {
                status: ResolutionStatus::NoMatch,
                identities: Vec::new(),
                candidates_scored: candidates_first,
            };
            return Ok(SearchOutcome {
                resolution,
                index_commit: SkipIndex::commit_id(&searcher),
                retrieved,
            });
        }
        let expansion_weight = weight_of(EXPANSION_SEED_PROBABILITY);
        let seeds: Vec<&NormalizedRecord> = scored
            .iter()
            .take(MAX_SEEDS)
            .take_while(|s| s.weight >= expansion_weight)
            .map(|s| s.record.as_ref())
            .collect();
        let seen: HashSet<DocAddress> = scored.iter().map(|s| s.address).collect();
        let expansion = retrieve::expand(
            &self.index,
            &searcher,
            &seeds,
            retrieve::EXPANSION_CANDIDATES,
            &seen,
        )?;
        let expansion_count = expansion.len();
        retrieved.extend(expansion.iter().map(|c| c.record.record_id.clone()));
        scored.extend(self.score(query, expansion, &query_tf));

        let records: Vec<&NormalizedRecord> = scored.iter().map(|s| s.record.as_ref()).collect();
        let clusters = cluster(&records, &self.model, &|r| frequencies.of(r));
        let evidence_as_of = scored.iter().filter_map(|s| s.record.seen()).max();
        let outcomes = self
            .index
            .outcomes()
            .for_records(scored.iter().map(|s| s.record.record_id.as_str()));
        let on_file = OnFileContacts::of(query)
            .with_evidence_as_of(evidence_as_of)
            .with_outcomes(outcomes, crate::normalize::Date::today());
        let mut groups: Vec<IdentityGroup> = clusters
            .groups
            .iter()
            .filter(|g| g.iter().any(|&i| i < seed_count))
            .map(|g| IdentityGroup {
                identity: self.identity(g, &scored, &query_tf, &on_file),
                members: g.clone(),
            })
            .collect();
        groups.sort_by(|a, b| {
            b.identity
                .match_weight
                .total_cmp(&a.identity.match_weight)
                .then(a.identity.identity_id.cmp(&b.identity.identity_id))
        });
        decision::apply_rivalry(&mut groups, &clusters, &[]);
        decision::absorb_fragments(&mut groups, &clusters, &records, &on_file);
        let look_alikes = decision::flag_look_alikes(&mut groups, &clusters, &records);
        if !look_alikes.is_empty() {
            decision::apply_rivalry(&mut groups, &clusters, &look_alikes);
        }
        let mut identities: Vec<Identity> = groups.into_iter().map(|g| g.identity).collect();
        decision::flag_near_dob_only(&mut identities);
        let status = decision::status_of(&identities, options.match_threshold);
        decision::cap_bands_to_verdict(&mut identities, status);
        identities.retain(|i| i.match_probability >= options.min_match_probability);
        identities.truncate(options.limit);
        let resolution = Resolution {
            status,
            identities,
            candidates_scored: candidates_first + expansion_count,
        };
        Ok(SearchOutcome {
            resolution,
            index_commit: SkipIndex::commit_id(&searcher),
            retrieved,
        })
    }

    fn score(
        &self,
        query: &NormalizedRecord,
        candidates: Vec<Candidate>,
        tf: &TermFrequencies,
    ) -> Vec<Scored> {
        let score_one = |candidate: Candidate| {
            let vector = ComparisonVector::between(query, &candidate.record);
            let weight = self.model.match_weight(&vector, tf);
            Scored {
                address: candidate.address,
                record: candidate.record,
                vector,
                weight,
            }
        };
        // Inside a rayon worker the caller already runs searches in parallel (rematch, eval):
        // splitting each search again only adds scheduling cost.
        if rayon::current_thread_index().is_some() {
            candidates.into_iter().map(score_one).collect()
        } else {
            candidates
                .into_par_iter()
                .with_min_len(16)
                .map(score_one)
                .collect()
        }
    }

    fn identity(
        &self,
        group: &[usize],
        scored: &[Scored],
        tf: &TermFrequencies,
        on_file: &OnFileContacts,
    ) -> Identity {
        let mut explanation = Vec::with_capacity(Comparison::COUNT);
        let mut total = self.model.prior_weight();
        for comparison in Comparison::ALL {
            let best = group
                .iter()
                .map(|&i| {
                    let level = usize::from(scored[i].vector.levels[comparison as usize]);
                    (self.model.level_weight(comparison, level, tf), level, i)
                })
                .filter(|(_, level, _)| *level != 0)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let entry = match best {
                Some((weight, level, i)) => FieldExplanation {
                    comparison,
                    level: comparison.levels()[level],
                    match_weight: weight,
                    record_id: Some(scored[i].record.record_id.clone()),
                },
                None => FieldExplanation {
                    comparison,
                    level: NOT_SUPPLIED,
                    match_weight: 0.0,
                    record_id: None,
                },
            };
            total += entry.match_weight;
            explanation.push(entry);
        }
        let members: Vec<&NormalizedRecord> =
            group.iter().map(|&i| scored[i].record.as_ref()).collect();
        let mut records: Vec<RecordRef> = group
            .iter()
            .map(|&i| RecordRef {
                record_id: scored[i].record.record_id.clone(),
                source: scored[i].record.source.clone(),
                last_seen: scored[i].record.seen(),
                match_probability: probability_from_weight(scored[i].weight),
            })
            .collect();
        sort_best_first(&mut records);
        let probability = probability_from_weight(total);
        let contacts = merge_contacts(&members, on_file);
        Identity {
            identity_id: members
                .iter()
                .map(|r| r.record_id.as_str())
                .min()
                .unwrap_or_default()
                .to_string(),
            match_probability: probability,
            match_weight: total,
            band: Band::of(probability),
            explanation,
            names: most_common(
                members
                    .iter()
                    .map(|r| r.display_name.clone())
                    .filter(|n| !n.is_empty()),
            ),
            dob: most_common(members.iter().filter_map(|r| r.dob).filter(|d| d.is_full()))
                .into_iter()
                .next(),
            ssn: best_ssn(&members),
            records,
            contacts: contacts.points,
            hidden_contacts: contacts.hidden,
            flags: Vec::new(),
        }
    }
}

/// Returns the weight (prior included) whose probability is `probability`.
fn weight_of(probability: f64) -> f64 {
    (probability / (1.0 - probability)).log2()
}

fn most_common<T: Eq + std::hash::Hash + Clone + Ord>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut counts: HashMap<T, usize> = HashMap::new();
    for value in values {
        *counts.entry(value).or_default() += 1;
    }
    let mut ranked: Vec<(T, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.into_iter().map(|(v, _)| v).collect()
}

fn best_ssn(members: &[&NormalizedRecord]) -> Option<Ssn> {
    let full = most_common(members.iter().filter_map(|r| match &r.ssn {
        Some(Ssn::Full(d)) => Some(d.clone()),
        _ => None,
    }));
    if let Some(digits) = full.into_iter().next() {
        return Some(Ssn::Full(digits));
    }
    members.iter().find_map(|r| r.ssn.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Field;
    use crate::resolve::{ContactKind, ContactStatus, Flag};

    /// `(id, source, first, last, dob, ssn, street, zip, phone, last_seen)`.
    type Row<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
    );

    fn engine(rows: &[Row<'_>]) -> Engine {
        let index = SkipIndex::create_in_ram().expect("index");
        let mut writer = index.writer().expect("writer");
        for &(id, source, first, last, dob, ssn, street, zip, phone, seen) in rows {
            let raw = RawRecord::new()
                .with(Field::RecordId, id)
                .with(Field::Source, source)
                .with(Field::FirstName, first)
                .with(Field::LastName, last)
                .with(Field::Dob, dob)
                .with(Field::Ssn, ssn)
                .with(Field::AddressLine1, street)
                .with(Field::Zip, zip)
                .with(Field::Phone, phone)
                .with(Field::FirstSeen, seen)
                .with(Field::LastSeen, seen);
            writer
                .upsert(&NormalizedRecord::from_raw(&raw).0)
                .expect("upsert");
        }
        writer.commit().expect("commit");
        index.reload().expect("reload");
        Engine::new(index, Model::default_model())
    }

    fn new_address(resolution: &Resolution) -> Option<String> {
        resolution.identities.first().and_then(|i| {
            i.best_contact(ContactKind::Address)
                .filter(|p| p.status == Some(ContactStatus::New))
                .and_then(|p| p.address.as_ref())
                .map(|a| a.line1.clone())
        })
    }

    /// The returned-mail row: Hoa Johnson at her old address with her mobile.
    fn search(engine: &Engine) -> Resolution {
        let query = RawRecord::new()
            .with(Field::FirstName, "Hoa")
            .with(Field::LastName, "Johnson")
            .with(Field::Dob, "1990-10-06")
            .with(Field::AddressLine1, "749 8th Ave")
            .with(Field::Zip, "39352")
            .with(Field::Phone, "6015993033");
        engine
            .search(&Query::from_raw(&query), &SearchOptions::default())
            .expect("search")
            .resolution
    }

    /// A utility record under her married name at the new address shares only her mobile with
    /// the debtor's other records: too little to group them, enough to match the query.
    #[test]
    fn name_counts_follow_the_index_across_commits() {
        let row = |id| (id, "utility", "Hoa", "Kneeland", "", "", "", "", "", "");
        let kneelands = engine(&[row("R1"), row("R2")]);
        let count = |engine: &Engine| {
            let searcher = engine.index.searcher();
            FrequencyCache::new(&engine.index, &engine.model, &searcher).count(false, "kneeland")
        };
        assert_eq!(count(&kneelands), Some(2));
        let mut writer = kneelands.index.writer().expect("writer");
        let raw = RawRecord::new()
            .with(Field::RecordId, "R3")
            .with(Field::FirstName, "Hoa")
            .with(Field::LastName, "Kneeland");
        writer
            .upsert(&NormalizedRecord::from_raw(&raw).0)
            .expect("upsert");
        writer.commit().expect("commit");
        kneelands.index.reload().expect("reload");
        assert_eq!(
            count(&kneelands),
            Some(3),
            "a commit is seen by the next search"
        );
        let other = engine(&[row("S1")]);
        assert_eq!(count(&other), Some(1), "another index keeps its own counts");
    }

    /// More namesakes than the first pass keeps outrank, on name keys alone, a record that
    /// shares only the query's phone and misspells the given name; it is still retrieved. The
    /// strangers make the name keys rare enough to outweigh the phone, as at scale.
    #[test]
    fn a_shared_phone_is_retrieved_past_a_crowd_of_namesakes() {
        let letters = |mut i: usize| {
            let mut name = String::from("Q");
            for _ in 0..4 {
                name.push(char::from(b'a' + (i % 26) as u8));
                i /= 26;
            }
            name
        };
        let strangers: Vec<(String, String, String)> = (0..20_000)
            .map(|i| (format!("s{i}"), letters(i), letters(i * 7 + 3)))
            .collect();
        let namesakes: Vec<String> = (0..retrieve::DEFAULT_CANDIDATES + 10)
            .map(|i| format!("n{i}"))
            .collect();
        let mut rows: Vec<Row<'_>> = namesakes
            .iter()
            .map(|id| {
                (
                    id.as_str(),
                    "utility",
                    "Michael",
                    "Turner",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                )
            })
            .collect();
        rows.extend(strangers.iter().map(|(id, first, last)| {
            (
                id.as_str(),
                "utility",
                first.as_str(),
                last.as_str(),
                "",
                "",
                "",
                "",
                "",
                "",
            )
        }));
        let own = (
            "own",
            "phone_directory",
            "Mcihale",
            "Turner",
            "",
            "",
            "",
            "",
            "5024603487",
            "2024-04-14",
        );
        rows.push(own);
        let engine = engine(&rows);
        let query = RawRecord::new()
            .with(Field::FirstName, "Michael")
            .with(Field::LastName, "Turner")
            .with(Field::Phone, "(502) 460-3487");
        let outcome = engine
            .search(&Query::from_raw(&query), &SearchOptions::default())
            .expect("search");
        assert!(
            outcome.retrieved.iter().any(|id| id == "own"),
            "the record with the query's phone is among the candidates"
        );
    }

    #[test]
    fn a_married_name_record_at_the_new_address_joins_the_debtor() {
        let engine = engine(&[
            (
                "a1",
                "credit_header",
                "Hoa",
                "Johnson",
                "1990-10-06",
                "111-22-3333",
                "749 8th Ave",
                "39352",
                "",
                "2022-01-25",
            ),
            (
                "a2",
                "phone_directory",
                "Hoa",
                "Johnson",
                "",
                "",
                "749 8th Ave",
                "39352",
                "6015993033",
                "2021-10-18",
            ),
            (
                "a3",
                "utility",
                "Hoa",
                "Brazeal",
                "",
                "",
                "678 Madison Blvd",
                "39358",
                "6015993033",
                "2026-06-25",
            ),
        ]);
        let resolution = search(&engine);
        assert_eq!(resolution.status, ResolutionStatus::Resolved);
        assert_eq!(
            new_address(&resolution).as_deref(),
            Some("678 MADISON BLVD")
        );
        assert_eq!(resolution.identities[0].records.len(), 3);
        let best = resolution.identities[0]
            .best_contact(ContactKind::Address)
            .expect("a best address");
        assert!(
            best.from_fragment,
            "only the married-name record reports it"
        );
        let on_file = resolution.identities[0]
            .contacts
            .iter()
            .find(|c| c.on_file)
            .expect("the address on file is listed");
        assert!(!on_file.from_fragment);
    }

    /// The debtor's twin sister Hien shares her surname and DOB; a utility record under the
    /// initial "H" carries the debtor's phone and the twin's address. It may be either twin's,
    /// so the debtor is not offered the twin's address.
    #[test]
    fn a_record_that_could_be_the_twin_lends_the_debtor_nothing() {
        let engine = engine(&[
            (
                "b1",
                "credit_header",
                "Hoa",
                "Johnson",
                "1990-10-06",
                "111-22-3333",
                "749 8th Ave",
                "39352",
                "6015993033",
                "2022-01-25",
            ),
            (
                "b2",
                "credit_header",
                "Hien",
                "Johnson",
                "1990-10-06",
                "444-55-6666",
                "55 Pine St",
                "39358",
                "",
                "2026-05-15",
            ),
            (
                "b3",
                "utility",
                "H",
                "Johnson",
                "1990-10-06",
                "",
                "55 Pine St",
                "39358",
                "6015993033",
                "2026-06-25",
            ),
        ]);
        let resolution = search(&engine);
        assert_eq!(new_address(&resolution), None);
        assert!(resolution.identities[0]
            .records
            .iter()
            .all(|r| r.record_id == "b1"));
        assert!(resolution
            .identities
            .iter()
            .any(|i| i.flags.contains(&Flag::PossibleTwin)));
    }

    /// Another person's record carries the debtor's SSN (a keying error in one source): the
    /// debtor's identity says so.
    #[test]
    fn an_ssn_another_person_reports_too_is_flagged() {
        let shared = engine(&[
            (
                "c1",
                "credit_header",
                "Hoa",
                "Johnson",
                "1990-10-06",
                "111-22-3333",
                "749 8th Ave",
                "39352",
                "6015993033",
                "2026-01-25",
            ),
            (
                "c2",
                "credit_header",
                "Marcus",
                "Whitfield",
                "1961-03-14",
                "111-22-3333",
                "12 Oak St",
                "80202",
                "",
                "2026-05-15",
            ),
        ]);
        let query = RawRecord::new()
            .with(Field::FirstName, "Hoa")
            .with(Field::LastName, "Johnson")
            .with(Field::Dob, "1990-10-06")
            .with(Field::Ssn, "111-22-3333");
        let options = SearchOptions {
            min_match_probability: 0.0,
            ..SearchOptions::default()
        };
        let query = Query::from_raw(&query);
        let resolution = shared.search(&query, &options).expect("search").resolution;
        let flagged: Vec<&str> = resolution
            .identities
            .iter()
            .filter(|i| i.flags.contains(&Flag::SsnShared))
            .map(|i| i.identity_id.as_str())
            .collect();
        assert_eq!(flagged, ["c1"], "{resolution:?}");
        let alone = engine(&[(
            "d1",
            "credit_header",
            "Hoa",
            "Johnson",
            "1990-10-06",
            "111-22-3333",
            "",
            "",
            "",
            "",
        )]);
        let resolution = alone.search(&query, &options).expect("search").resolution;
        assert!(resolution.identities[0].flags.is_empty());
    }
}
