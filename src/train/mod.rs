//! Model training without labels (`skiptrace train`): estimates the Fellegi–Sunter parameters
//! that scoring ([`crate::score`]) uses from the indexed records themselves, and returns a
//! [`Model`] of the shape [`Model::load`] reads. The shipped model stays the default.
//!
//! The method follows Splink's (`splink/internals/estimate_u.py`,
//! `expectation_maximisation.py`, `linker_components/training.py`):
//!
//! 1. **u** per level: the level frequencies among random record pairs
//!    ([`sample::random_pair_level_counts`]), Laplace-smoothed. A random pair is a match with a
//!    small probability that is not negligible in a small index (about 4 in 100,000 at 100,000
//!    records), so the estimated share of matching pairs is taken out:
//!    `u = (f - λ_pair·m) / (1 - λ_pair)`, floored at the smoothing floor ([`remove_matches`]).
//! 2. **m** per level: expectation–maximisation ([`em`]) over candidate pairs. Records sampled
//!    from the index are used as queries and their candidates retrieved by BM25 over the keys of
//!    the fields one [`BlockingRule`] admits per round (all of them, unlike the engine's first
//!    pass, which leaves some out). A
//!    comparison's m is taken only from rounds that do not block on it (blocked pairs agree on
//!    the blocking field more often than matches do), weighted by the expected matches behind
//!    each estimate ([`combine_m`]). Within a round u is estimated too by default
//!    ([`TrainOptions::fix_u`] = false): the non-matches among blocked candidates are not random
//!    pairs (a name-blocked non-match is often a relative at the same address), and holding them
//!    to random-pair u makes EM call relatives matches. The model keeps the random-pair u.
//! 3. **prior**: the engine's prior is the probability that a query and one candidate person
//!    match before any comparison, i.e. `1 / people in the index` for a query whose person is
//!    indexed. A query record's expected matches `k` in a round (the sum of its candidates' match
//!    probabilities under the round's EM) estimate how many other records its person has, and
//!    `people = Σ_records 1 / (1 + k)` ([`estimate_people`]). The round used is the one with
//!    the most expected matches per query: name blocking, since a person's records nearly always
//!    share a name key. It leaves the names out of its likelihood, which matters here: among
//!    candidates retrieved by the engine's full key set, given name and surname agreements of
//!    non-matches are far from independent (a candidate shares one name key or the other), and
//!    EM on them either counts namesakes and relatives as matches (u from random pairs) or
//!    misses a third of the matches (u free). The same `k` gives the random-pair match rate of
//!    step 1.
//! 4. **Term frequencies** come from the index at search time: the tf-adjusted levels, the floor
//!    and the smoothing of the shipped model are kept.
//!
//! One dependence is corrected by construction: a first/last swap reaches
//! `swapped_first_last` in both name comparisons at once, so its evidence is counted once, on
//! the given name (the surname level gets `m = u`).

pub mod em;
pub mod sample;

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use tracing::{info, instrument};

use crate::compare::{Comparison, NOT_SUPPLIED};
use crate::error::{Error, Result};
use crate::index::SkipIndex;
use crate::retrieve::DEFAULT_CANDIDATES;
use crate::score::{ComparisonLevel, Model};

use em::{
    expectation_maximisation, smoothed_distribution, EmOptions, EmOutcome, FsParameters,
    PatternCounts,
};
use sample::{
    candidate_pairs, load_records, random_pair_level_counts, sample_addresses, stream_rng,
    BlockingRule, QueryPairs, Stream,
};

/// Default number of random pairs for u.
pub const DEFAULT_U_PAIRS: u64 = 2_000_000;
/// Default number of records sampled to draw the random pairs from.
pub const DEFAULT_U_RECORDS: usize = 50_000;
/// Default number of query records per EM round.
pub const DEFAULT_EM_QUERIES: usize = 5_000;
/// Default seed.
pub const DEFAULT_SEED: u64 = 1;
/// Default EM rounds: DOB blocking trains the names, name blocking trains the DOB, both train
/// the rest.
pub const DEFAULT_ROUNDS: [BlockingRule; 2] = [BlockingRule::Dob, BlockingRule::Name];
/// Fewest records an index needs to be trained on.
pub const MIN_RECORDS: u64 = 10;
/// EM's starting share of matches among candidate pairs (a round retrieves up to
/// `retrieve::DEFAULT_CANDIDATES`, 50, candidates per query record; a person has a few records).
const INITIAL_LAMBDA: f64 = 0.1;
/// The prior never exceeds this (an index of one person).
const MAX_PRIOR: f64 = 0.5;

/// Knobs of a training run.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Seed of every random draw: the same index and seed give the same model.
    pub seed: u64,
    /// Random pairs compared for u.
    pub u_pairs: u64,
    /// Records sampled to draw the random pairs from.
    pub u_records: usize,
    /// Query records sampled per round.
    pub em_queries: usize,
    /// Candidates retrieved per query record (default [`crate::retrieve::DEFAULT_CANDIDATES`], 50,
    /// as many as the engine's first pass).
    pub candidates: usize,
    /// The EM rounds, one per blocking rule.
    pub rounds: Vec<BlockingRule>,
    /// EM iteration cap, tolerance and smoothing (`fix_u` and `active` are set per round from
    /// [`TrainOptions::fix_u`] and the rule).
    pub em: EmOptions,
    /// Hold u at the random-pair estimate in EM (Splink's default) instead of estimating the
    /// candidates' own u.
    pub fix_u: bool,
    /// Keep every round's candidate pairs in [`Training::rounds`] (for inspection).
    pub keep_pairs: bool,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            seed: DEFAULT_SEED,
            u_pairs: DEFAULT_U_PAIRS,
            u_records: DEFAULT_U_RECORDS,
            em_queries: DEFAULT_EM_QUERIES,
            candidates: DEFAULT_CANDIDATES,
            rounds: DEFAULT_ROUNDS.to_vec(),
            em: EmOptions::default(),
            fix_u: false,
            keep_pairs: false,
        }
    }
}

/// What one EM round saw and found.
#[derive(Debug, Clone, Serialize)]
pub struct RoundReport {
    /// The blocking rule.
    pub blocking: BlockingRule,
    /// Comparisons whose m this round contributes to the model.
    pub trains: Vec<Comparison>,
    /// Query records sampled.
    pub queries: usize,
    /// Query records that had at least one candidate.
    pub queries_with_candidates: usize,
    /// Candidate pairs compared.
    pub pairs: u64,
    /// Distinct comparison patterns among them.
    pub distinct_patterns: usize,
    /// EM iterations.
    pub iterations: usize,
    /// Whether EM converged before the cap.
    pub converged: bool,
    /// Estimated share of matches among the pairs.
    pub lambda: f64,
    /// Expected matching candidates per query record.
    pub matches_per_query: f64,
    /// Estimated m per comparison and level label (every comparison in the likelihood).
    pub m: BTreeMap<Comparison, BTreeMap<&'static str, f64>>,
}

/// A training run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingReport {
    /// Live records in the index.
    pub records: u64,
    /// Records sampled for random pairs.
    pub u_records: usize,
    /// Random pairs compared.
    pub u_pairs: u64,
    /// Seed.
    pub seed: u64,
    /// Whether EM held u at the random-pair estimate.
    pub fix_u: bool,
    /// Every round, in order.
    pub rounds: Vec<RoundReport>,
    /// Estimated number of distinct people in the index.
    pub estimated_people: f64,
    /// Estimated probability that two random records are the same person.
    pub random_pair_match_rate: f64,
    /// The prior written to the model.
    pub prior: f64,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// One round's pairs and EM result.
#[derive(Debug, Clone)]
pub struct Round {
    /// The blocking rule.
    pub blocking: BlockingRule,
    /// The candidate pairs per query record (empty unless [`TrainOptions::keep_pairs`]).
    pub pairs: Vec<QueryPairs>,
    /// The EM result.
    pub outcome: EmOutcome,
}

/// A trained model with how it was obtained.
#[derive(Debug, Clone)]
pub struct Training {
    /// The model, ready for [`Model::save`].
    pub model: Model,
    /// The figures behind it.
    pub report: TrainingReport,
    /// Every round, in order.
    pub rounds: Vec<Round>,
}

/// Returns each comparison's level counts, `not_supplied` included.
fn level_counts() -> Vec<usize> {
    Comparison::ALL.iter().map(|c| c.levels().len()).collect()
}

/// Returns the shipped model's m per comparison and level, normalized to sum to 1 over the
/// supplied levels: EM's starting point.
pub fn starting_m(base: &Model) -> Vec<Vec<f64>> {
    Comparison::ALL
        .iter()
        .map(|comparison| {
            let levels = comparison.levels();
            let configured = base.comparisons.get(comparison.name());
            let raw: Vec<f64> = levels
                .iter()
                .map(|label| {
                    if *label == NOT_SUPPLIED {
                        return 0.0;
                    }
                    configured
                        .and_then(|ls| ls.iter().find(|l| l.label == *label))
                        .map_or(0.01, |l| l.m_probability)
                })
                .collect();
            let total: f64 = raw.iter().sum();
            raw.iter().map(|p| p / total).collect()
        })
        .collect()
}

/// Combines the m estimates of several rounds: per comparison, the average over the rounds
/// that train it, weighted by the expected matches behind each estimate; `fallback` where no
/// round trains a comparison.
pub fn combine_m(rounds: &[(Vec<bool>, &EmOutcome)], fallback: &[Vec<f64>]) -> Vec<Vec<f64>> {
    fallback
        .iter()
        .enumerate()
        .map(|(k, fallback_k)| {
            let mut sum = vec![0.0; fallback_k.len()];
            let mut weight = 0.0;
            for (trains, outcome) in rounds {
                if !trains[k] {
                    continue;
                }
                let w = outcome.expected_matches[k];
                weight += w;
                for (s, m) in sum.iter_mut().zip(&outcome.parameters.m[k]) {
                    *s += w * m;
                }
            }
            if weight > 0.0 {
                sum.iter().map(|s| s / weight).collect()
            } else {
                fallback_k.clone()
            }
        })
        .collect()
}

/// Takes the matching pairs out of a level distribution measured on random pairs:
/// `f = λ·m + (1 - λ)·u`, so `u = (f - λ·m) / (1 - λ)`, each level at least `floor`, renormalized
/// over the supplied levels (index 0 stays 0).
pub fn remove_matches(frequencies: &[f64], m: &[f64], lambda: f64, floor: f64) -> Vec<f64> {
    let mut u: Vec<f64> = frequencies
        .iter()
        .zip(m)
        .enumerate()
        .map(|(l, (f, m))| {
            if l == 0 {
                0.0
            } else {
                ((f - lambda * m) / (1.0 - lambda)).max(floor)
            }
        })
        .collect();
    let total: f64 = u.iter().sum();
    for p in u.iter_mut() {
        *p /= total;
    }
    u
}

/// Estimates the number of distinct people among `records` records from the expected number
/// of other records of the same person for a sample of them: a person with `n` records
/// contributes `n · 1/n = 1` to `Σ_records 1/n`.
pub fn estimate_people(records: u64, matches_per_record: &[f64]) -> f64 {
    if matches_per_record.is_empty() {
        return records as f64;
    }
    let mean: f64 = matches_per_record
        .iter()
        .map(|k| 1.0 / (1.0 + k.max(0.0)))
        .sum::<f64>()
        / matches_per_record.len() as f64;
    (records as f64 * mean).max(1.0)
}

/// Writes `m` and `u` into the shape of `base` (its labels, tf flags and tf settings), with the
/// surname's `swapped_first_last` neutral (see the module doc). A comparison `unobserved` (no
/// sampled pair had a value on both sides: an index without `other_id`) keeps `base`'s levels:
/// smoothing alone would make its levels uniform and weightless.
///
/// # Errors
/// [`Error::Training`] when the result is not a consistent model.
pub fn build_model(
    base: &Model,
    m: &[Vec<f64>],
    u: &[Vec<f64>],
    unobserved: &[bool],
    prior: f64,
    description: String,
) -> Result<Model> {
    let mut comparisons = BTreeMap::new();
    for comparison in Comparison::ALL {
        let k = comparison as usize;
        let shipped = base.comparisons.get(comparison.name());
        if let (true, Some(shipped)) = (unobserved[k], shipped) {
            comparisons.insert(comparison.name().to_string(), shipped.clone());
            continue;
        }
        let levels = comparison
            .levels()
            .iter()
            .enumerate()
            .skip(1)
            .map(|(l, label)| {
                let tf_adjusted = shipped
                    .and_then(|ls| ls.iter().find(|level| level.label == *label))
                    .is_some_and(|level| level.tf_adjusted);
                let neutral = comparison == Comparison::LastName && *label == "swapped_first_last";
                ComparisonLevel {
                    label: (*label).to_string(),
                    m_probability: if neutral { u[k][l] } else { m[k][l] },
                    u_probability: u[k][l],
                    tf_adjusted,
                }
            })
            .collect();
        comparisons.insert(comparison.name().to_string(), levels);
    }
    let mut model = base.clone();
    model.description = description;
    model.prior = prior;
    model.comparisons = comparisons;
    model
        .prepared()
        .map_err(|e| Error::Training(format!("the trained model is inconsistent: {e}")))
}

/// Runs one round: samples query records, retrieves and compares their candidates under
/// `rule`, and runs EM on the pairs.
fn run_round(
    index: &SkipIndex,
    options: &TrainOptions,
    rule: BlockingRule,
    initial: &FsParameters,
    em_options: EmOptions,
) -> Result<(Round, RoundReport, Vec<f64>)> {
    let searcher = index.searcher();
    let mut rng = stream_rng(options.seed, Stream::Queries, rule as u64);
    let queries = sample_addresses(&searcher, options.em_queries, &mut rng);
    let pairs = candidate_pairs(index, &searcher, &queries, rule, options.candidates)?;
    let mut counts = PatternCounts::new(level_counts());
    for query in &pairs {
        for (_, vector) in &query.candidates {
            counts.add(&vector.levels, 1.0);
        }
    }
    if counts.total() == 0.0 {
        return Err(Error::Training(format!(
            "the {} round found no candidate pairs",
            rule.name()
        )));
    }
    let active: Vec<bool> = Comparison::ALL
        .iter()
        .map(|c| !rule.blocked().contains(c))
        .collect();
    let em_options = EmOptions {
        active: active.clone(),
        ..em_options
    };
    let outcome = expectation_maximisation(&counts, initial, &em_options);
    let matches_per_query: Vec<f64> = pairs
        .iter()
        .map(|query| {
            query
                .candidates
                .iter()
                .map(|(_, v)| outcome.parameters.match_probability(&v.levels, &active))
                .sum()
        })
        .collect();
    let trains: Vec<Comparison> = Comparison::ALL
        .into_iter()
        .filter(|c| !rule.blocked().contains(c))
        .collect();
    let m = Comparison::ALL
        .iter()
        .filter(|c| active[**c as usize])
        .map(|&c| {
            let levels = c.levels().iter().enumerate().skip(1);
            let by_label = levels
                .map(|(l, label)| (*label, outcome.parameters.m[c as usize][l]))
                .collect();
            (c, by_label)
        })
        .collect();
    let report = RoundReport {
        blocking: rule,
        trains,
        queries: queries.len(),
        queries_with_candidates: pairs.iter().filter(|q| !q.candidates.is_empty()).count(),
        pairs: counts.total() as u64,
        distinct_patterns: counts.distinct(),
        iterations: outcome.iterations,
        converged: outcome.converged,
        lambda: outcome.parameters.lambda,
        matches_per_query: matches_per_query.iter().sum::<f64>()
            / matches_per_query.len().max(1) as f64,
        m,
    };
    info!(
        blocking = rule.name(),
        queries = report.queries,
        pairs = report.pairs,
        iterations = report.iterations,
        converged = report.converged,
        lambda = report.lambda,
        "EM round done"
    );
    let round = Round {
        blocking: rule,
        pairs: if options.keep_pairs {
            pairs
        } else {
            Vec::new()
        },
        outcome,
    };
    Ok((round, report, matches_per_query))
}

/// Trains a model on `index` (see the module doc for the method).
///
/// # Errors
/// [`Error::Training`] when the index holds fewer than [`MIN_RECORDS`] records, no round is
/// asked for or a round finds no candidate pairs; index failures.
#[instrument(skip_all, fields(seed = options.seed))]
pub fn train(index: &SkipIndex, options: &TrainOptions) -> Result<Training> {
    let started = Instant::now();
    let searcher = index.searcher();
    let records = searcher.num_docs();
    if records < MIN_RECORDS {
        return Err(Error::Training(format!(
            "the index holds {records} records; training needs at least {MIN_RECORDS}"
        )));
    }
    let base = Model::default_model();
    let pseudo_count = options.em.pseudo_count;

    let mut rng = stream_rng(options.seed, Stream::URecords, 0);
    let u_addresses = sample_addresses(&searcher, options.u_records, &mut rng);
    let u_sample = load_records(index, &searcher, &u_addresses)?;
    let random_counts = random_pair_level_counts(&u_sample, options.u_pairs, options.seed)?;
    let random_frequencies: Vec<Vec<f64>> = random_counts
        .iter()
        .map(|counts| {
            let counts: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
            smoothed_distribution(&counts, pseudo_count)
        })
        .collect();
    info!(
        records = u_sample.len(),
        pairs = options.u_pairs,
        "u from random pairs"
    );

    let mut rules: Vec<BlockingRule> = Vec::new();
    for &rule in &options.rounds {
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    if rules.is_empty() {
        return Err(Error::Training("at least one EM round is needed".into()));
    }
    let initial = FsParameters {
        lambda: INITIAL_LAMBDA,
        m: starting_m(&base),
        u: random_frequencies.clone(),
    };
    let training_em = EmOptions {
        fix_u: options.fix_u,
        ..options.em.clone()
    };
    let mut rounds = Vec::with_capacity(rules.len());
    let mut reports = Vec::with_capacity(rules.len());
    let mut counts_per_query = Vec::with_capacity(rules.len());
    for &rule in &rules {
        let (round, report, counts) =
            run_round(index, options, rule, &initial, training_em.clone())?;
        rounds.push(round);
        reports.push(report);
        counts_per_query.push(counts);
    }
    let trained: Vec<(Vec<bool>, &EmOutcome)> = rounds
        .iter()
        .map(|round| {
            let trains = Comparison::ALL
                .iter()
                .map(|c| !round.blocking.blocked().contains(c))
                .collect();
            (trains, &round.outcome)
        })
        .collect();
    let m = combine_m(&trained, &initial.m);

    // People are counted in the round that finds the most matches (see the module doc).
    let counting = counts_per_query
        .iter()
        .zip(&reports)
        .max_by(|a, b| a.1.matches_per_query.total_cmp(&b.1.matches_per_query))
        .map(|(k, _)| k.as_slice())
        .unwrap_or_default();
    let estimated_people = estimate_people(records, counting);
    let mean_matches = counting.iter().sum::<f64>() / counting.len().max(1) as f64;
    let random_pair_match_rate = (mean_matches / (records - 1) as f64).clamp(0.0, 0.5);
    let prior = (1.0 / estimated_people).min(MAX_PRIOR);
    let u: Vec<Vec<f64>> = random_counts
        .iter()
        .zip(&random_frequencies)
        .zip(&m)
        .map(|((counts, frequencies), m_k)| {
            let supplied: u64 = counts.iter().skip(1).sum();
            let levels = (counts.len() - 1) as f64;
            let floor = pseudo_count / (supplied as f64 + pseudo_count * levels);
            remove_matches(frequencies, m_k, random_pair_match_rate, floor)
        })
        .collect();

    let report = TrainingReport {
        records,
        u_records: u_sample.len(),
        u_pairs: options.u_pairs,
        seed: options.seed,
        fix_u: options.fix_u,
        rounds: reports,
        estimated_people,
        random_pair_match_rate,
        prior,
        seconds: started.elapsed().as_secs_f64(),
    };
    let unobserved: Vec<bool> = random_counts
        .iter()
        .map(|counts| counts.iter().skip(1).sum::<u64>() == 0)
        .collect();
    let model = build_model(&base, &m, &u, &unobserved, prior, describe(&report))?;
    Ok(Training {
        model,
        report,
        rounds,
    })
}

/// Returns the model description: how and when it was trained.
fn describe(report: &TrainingReport) -> String {
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let rounds: Vec<String> = report
        .rounds
        .iter()
        .map(|r| {
            format!(
                "{} blocking ({} queries, {} pairs, {} EM iterations{}, lambda {:.4})",
                r.blocking.name(),
                r.queries,
                r.pairs,
                r.iterations,
                if r.converged { "" } else { ", not converged" },
                r.lambda
            )
        })
        .collect();
    format!(
        "Trained by `skiptrace train` {version} at {date} on an index of {records} records, \
         seed {seed}, without labels. u: level frequencies among {u_pairs} random pairs of \
         {u_records} sampled records, Laplace-smoothed, less the estimated matching pairs \
         (random-pair match rate {rate:.2e}). m: expectation-maximisation (u {u_mode}) over \
         candidate pairs retrieved with the engine's blocking keys restricted per round; a \
         comparison's m comes only from rounds that do not block on it: {rounds}. prior: 1 / \
         {people:.0} estimated people (from the expected matches per record of the round that \
         finds the most). last_name swapped_first_last has m = u: a swap reaches both name comparisons \
         and is counted once. Term-frequency levels and settings as shipped.",
        version = env!("CARGO_PKG_VERSION"),
        records = report.records,
        seed = report.seed,
        u_pairs = report.u_pairs,
        u_records = report.u_records,
        rate = report.random_pair_match_rate,
        u_mode = if report.fix_u {
            "fixed at the random-pair estimate"
        } else {
            "estimated among candidates"
        },
        rounds = rounds.join("; "),
        people = report.estimated_people,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starting_m_is_a_distribution_per_comparison() {
        for (comparison, m) in Comparison::ALL
            .iter()
            .zip(starting_m(&Model::default_model()))
        {
            assert_eq!(m.len(), comparison.levels().len());
            assert_eq!(m[0], 0.0);
            assert!((m.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(m.iter().skip(1).all(|&p| p > 0.0));
        }
    }

    #[test]
    fn removing_matches_recovers_u_and_respects_the_floor() {
        let m = [0.0, 0.9, 0.1];
        let u = [0.0, 0.01, 0.99];
        let lambda = 0.05;
        let f: Vec<f64> = (0..3)
            .map(|l| lambda * m[l] + (1.0 - lambda) * u[l])
            .collect();
        let recovered = remove_matches(&f, &m, lambda, 1e-6);
        assert!((recovered[1] - 0.01).abs() < 1e-12);
        assert!((recovered[2] - 0.99).abs() < 1e-12);
        let floored = remove_matches(&[0.0, 0.001, 0.999], &[0.0, 0.9, 0.1], 0.01, 1e-4);
        assert!(floored[1] >= 1e-4 * 0.99 && floored[1] < 1e-3);
        assert!((floored.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn people_are_counted_once_whatever_their_number_of_records() {
        // 2 people with 3 records each and 4 people with 1: 10 records, 6 people.
        let k = [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0];
        assert!((estimate_people(10, &k) - 6.0).abs() < 1e-12);
        // A sample of the same population scales to the index size.
        assert!((estimate_people(1000, &[2.0, 0.0]) - 666.666).abs() < 0.01);
        assert_eq!(estimate_people(10, &[]), 10.0);
    }

    #[test]
    fn m_comes_only_from_rounds_that_train_the_comparison() {
        let outcome = |m: f64, expected: f64| EmOutcome {
            parameters: FsParameters {
                lambda: 0.1,
                m: vec![vec![0.0, m, 1.0 - m]],
                u: vec![vec![0.0, 0.5, 0.5]],
            },
            iterations: 1,
            converged: true,
            initial_log_likelihood: 0.0,
            log_likelihood: 0.0,
            expected_matches: vec![expected],
        };
        let (a, b, c) = (outcome(0.8, 100.0), outcome(0.6, 300.0), outcome(0.1, 1e6));
        let rounds = vec![(vec![true], &a), (vec![true], &b), (vec![false], &c)];
        let fallback = vec![vec![0.0, 0.3, 0.7]];
        let combined = combine_m(&rounds, &fallback);
        assert!((combined[0][1] - 0.65).abs() < 1e-12);
        assert_eq!(combine_m(&rounds[2..], &fallback), fallback);
    }

    #[test]
    fn a_built_model_keeps_the_shipped_shape_and_loads() {
        let base = Model::default_model();
        let m = starting_m(&base);
        let u: Vec<Vec<f64>> = Comparison::ALL
            .iter()
            .map(|c| {
                let n = c.levels().len();
                (0..n)
                    .map(|l| if l == 0 { 0.0 } else { 1.0 / (n - 1) as f64 })
                    .collect()
            })
            .collect();
        let observed = [false; Comparison::COUNT];
        let model = build_model(&base, &m, &u, &observed, 1e-5, "test".into()).expect("consistent");
        let mut unobserved = [false; Comparison::COUNT];
        unobserved[Comparison::OtherId as usize] = true;
        let without_ids =
            build_model(&base, &m, &u, &unobserved, 1e-5, "test".into()).expect("consistent");
        assert_eq!(
            without_ids.comparisons["other_id"], base.comparisons["other_id"],
            "an index without other ids keeps the shipped other_id levels"
        );
        assert_ne!(model.comparisons["other_id"], base.comparisons["other_id"]);
        for (name, levels) in &base.comparisons {
            let trained: Vec<(&str, bool)> = model.comparisons[name]
                .iter()
                .map(|l| (l.label.as_str(), l.tf_adjusted))
                .collect();
            let shipped: Vec<(&str, bool)> = levels
                .iter()
                .map(|l| (l.label.as_str(), l.tf_adjusted))
                .collect();
            assert_eq!(trained, shipped, "{name}");
        }
        let swapped = model.comparisons["last_name"]
            .iter()
            .find(|l| l.label == "swapped_first_last")
            .expect("level");
        assert_eq!(swapped.match_weight(), 0.0);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("model.json");
        model.save(&path).expect("save");
        let loaded = Model::load(&path).expect("load");
        // serde_json parses floats to within an ulp, not always exactly.
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs());
        assert!(close(loaded.prior, model.prior));
        for (name, levels) in &model.comparisons {
            for (a, b) in levels.iter().zip(&loaded.comparisons[name]) {
                assert_eq!(a.label, b.label);
                assert!(
                    close(a.m_probability, b.m_probability),
                    "{name}.{}",
                    a.label
                );
                assert!(
                    close(a.u_probability, b.u_probability),
                    "{name}.{}",
                    a.label
                );
            }
        }
    }
}
