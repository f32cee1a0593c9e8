//! Expectation–maximisation for the Fellegi–Sunter model, on comparison vectors alone (no index,
//! no IO): the pure core of `skiptrace train`.
//!
//! Pairs are given as distinct level patterns with their counts ([`PatternCounts`]), as Splink
//! aggregates them (`splink/internals/expectation_maximisation.py`), so an iteration costs the
//! number of distinct patterns, not of pairs. Level 0 of every comparison is `not_supplied`: it
//! contributes the same factor to both classes (missing at random) and is left out of the
//! likelihood and of the m and u distributions.
//!
//! The M-step is a maximum a posteriori step under a symmetric Dirichlet prior
//! ([`EmOptions::pseudo_count`] pseudo-pairs per level, Laplace smoothing), so no level ever gets a
//! probability of 0 or 1, however rarely it is observed.

use std::collections::BTreeMap;

/// Distinct comparison-level patterns and how many pairs reached each.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternCounts {
    level_counts: Vec<usize>,
    patterns: BTreeMap<Vec<u8>, f64>,
}

impl PatternCounts {
    /// Creates an empty table for comparisons with `level_counts[k]` levels each, `not_supplied`
    /// (level 0) included.
    pub fn new(level_counts: Vec<usize>) -> PatternCounts {
        debug_assert!(
            level_counts.iter().all(|&n| n >= 2),
            "a comparison needs not_supplied and at least one other level"
        );
        PatternCounts {
            level_counts,
            patterns: BTreeMap::new(),
        }
    }

    /// Adds `count` pairs that reached `levels` (one level index per comparison).
    pub fn add(&mut self, levels: &[u8], count: f64) {
        debug_assert_eq!(levels.len(), self.level_counts.len());
        debug_assert!(levels
            .iter()
            .zip(&self.level_counts)
            .all(|(&level, &n)| usize::from(level) < n));
        *self.patterns.entry(levels.to_vec()).or_default() += count;
    }

    /// Returns the number of levels of each comparison (`not_supplied` included).
    pub fn level_counts(&self) -> &[usize] {
        &self.level_counts
    }

    /// Returns the distinct patterns with their counts, in a fixed (sorted) order.
    pub fn patterns(&self) -> impl Iterator<Item = (&[u8], f64)> {
        self.patterns.iter().map(|(p, &c)| (p.as_slice(), c))
    }

    /// Returns the number of distinct patterns.
    pub fn distinct(&self) -> usize {
        self.patterns.len()
    }

    /// Returns the number of pairs.
    pub fn total(&self) -> f64 {
        self.patterns.values().sum()
    }
}

/// Fellegi–Sunter parameters: `m[k][l]` and `u[k][l]` are the probabilities that a matching
/// (non-matching) pair reaches level `l` of comparison `k` given both values are supplied; index
/// 0 (`not_supplied`) is unused and holds 0. `lambda` is the share of matches among the pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct FsParameters {
    /// Share of matching pairs.
    pub lambda: f64,
    /// m probabilities per comparison and level.
    pub m: Vec<Vec<f64>>,
    /// u probabilities per comparison and level.
    pub u: Vec<Vec<f64>>,
}

impl FsParameters {
    /// Returns the probability that a pair with `levels` is a match, comparisons in `active`
    /// only (all when `active` is empty).
    pub fn match_probability(&self, levels: &[u8], active: &[bool]) -> f64 {
        let (log_match, log_non_match) = self.log_likelihoods(levels, active);
        posterior(self.lambda, log_match, log_non_match)
    }

    /// Returns `(ln P(levels | match), ln P(levels | non-match))` over the active comparisons.
    fn log_likelihoods(&self, levels: &[u8], active: &[bool]) -> (f64, f64) {
        let mut log_match = 0.0;
        let mut log_non_match = 0.0;
        for (k, &level) in levels.iter().enumerate() {
            if level == 0 || !active.get(k).copied().unwrap_or(true) {
                continue;
            }
            let l = usize::from(level);
            log_match += self.m[k][l].ln();
            log_non_match += self.u[k][l].ln();
        }
        (log_match, log_non_match)
    }

    /// Returns the largest absolute difference between two parameter sets of the same shape.
    fn max_change(&self, other: &FsParameters) -> f64 {
        let flat = |a: &[Vec<f64>], b: &[Vec<f64>]| {
            a.iter()
                .flatten()
                .zip(b.iter().flatten())
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max)
        };
        (self.lambda - other.lambda)
            .abs()
            .max(flat(&self.m, &other.m))
            .max(flat(&self.u, &other.u))
    }
}

/// `P(match | pattern)` from the prior share and the two log-likelihoods, without overflow.
fn posterior(lambda: f64, log_match: f64, log_non_match: f64) -> f64 {
    let log_odds = lambda.ln() - (1.0 - lambda).ln() + log_match - log_non_match;
    1.0 / (1.0 + (-log_odds).exp())
}

/// Knobs of one EM run.
#[derive(Debug, Clone, PartialEq)]
pub struct EmOptions {
    /// Iteration cap (Splink: 25; ours are cheap, over distinct patterns).
    pub max_iterations: usize,
    /// Converged when no parameter moves by more than this in one iteration (Splink's
    /// `em_convergence` is 1e-4).
    pub tolerance: f64,
    /// Dirichlet pseudo-pairs added to every level in the M-step (Laplace smoothing).
    pub pseudo_count: f64,
    /// Keep the initial u (from random pairs) and estimate only m and lambda, as Splink does;
    /// otherwise u is estimated too, for the non-matches among these pairs.
    pub fix_u: bool,
    /// Comparisons in the likelihood (empty: all). A comparison used for blocking is left out:
    /// among blocked pairs it says more about the blocking than about matching.
    pub active: Vec<bool>,
}

/// Default EM iteration cap.
pub const DEFAULT_MAX_ITERATIONS: usize = 500;
/// Default EM convergence tolerance (largest parameter change).
pub const DEFAULT_TOLERANCE: f64 = 1e-6;
/// Default Dirichlet pseudo-count per level.
pub const DEFAULT_PSEUDO_COUNT: f64 = 1.0;

impl Default for EmOptions {
    fn default() -> EmOptions {
        EmOptions {
            max_iterations: DEFAULT_MAX_ITERATIONS,
            tolerance: DEFAULT_TOLERANCE,
            pseudo_count: DEFAULT_PSEUDO_COUNT,
            fix_u: false,
            active: Vec::new(),
        }
    }
}

impl EmOptions {
    fn is_active(&self, comparison: usize) -> bool {
        self.active.get(comparison).copied().unwrap_or(true)
    }
}

/// What an EM run found.
#[derive(Debug, Clone, PartialEq)]
pub struct EmOutcome {
    /// The estimated parameters (inactive comparisons keep their initial values).
    pub parameters: FsParameters,
    /// Iterations run.
    pub iterations: usize,
    /// Whether the tolerance was reached before the cap.
    pub converged: bool,
    /// Log-likelihood of the pairs under the initial parameters.
    pub initial_log_likelihood: f64,
    /// Log-likelihood of the pairs under the final parameters.
    pub log_likelihood: f64,
    /// Per comparison, the expected number of matching pairs with both values supplied: how
    /// much evidence its m estimate rests on (for weighing estimates from several rounds).
    pub expected_matches: Vec<f64>,
}

/// Returns a probability distribution over levels `1..counts.len()` from observed counts
/// (index 0, `not_supplied`, ignored and returned as 0), with `pseudo_count` added to every
/// level: `(count_l + α) / (Σ count + α·L)`. With α > 0 and at least two levels, every level lies
/// strictly between 0 and 1.
pub fn smoothed_distribution(counts: &[f64], pseudo_count: f64) -> Vec<f64> {
    let levels = counts.len().saturating_sub(1);
    let total: f64 = counts.iter().skip(1).sum::<f64>() + pseudo_count * levels as f64;
    let mut distribution = vec![0.0; counts.len()];
    if total <= 0.0 {
        for p in distribution.iter_mut().skip(1) {
            *p = 1.0 / levels as f64;
        }
        return distribution;
    }
    for (p, count) in distribution.iter_mut().zip(counts).skip(1) {
        *p = (count + pseudo_count) / total;
    }
    distribution
}

/// Runs EM from `initial` until the largest parameter change falls below
/// [`EmOptions::tolerance`] or [`EmOptions::max_iterations`] is reached.
///
/// Deterministic: patterns are visited in a fixed order.
pub fn expectation_maximisation(
    pairs: &PatternCounts,
    initial: &FsParameters,
    options: &EmOptions,
) -> EmOutcome {
    let level_counts = pairs.level_counts();
    debug_assert_eq!(initial.m.len(), level_counts.len());
    let mut parameters = initial.clone();
    let initial_log_likelihood = log_likelihood(pairs, &parameters, options);
    let mut iterations = 0;
    let mut converged = false;
    let mut expected_matches = vec![0.0; level_counts.len()];
    while iterations < options.max_iterations {
        iterations += 1;
        let (next, matches) = em_step(pairs, &parameters, options);
        let change = next.max_change(&parameters);
        parameters = next;
        expected_matches = matches;
        if change < options.tolerance {
            converged = true;
            break;
        }
    }
    EmOutcome {
        log_likelihood: log_likelihood(pairs, &parameters, options),
        parameters,
        iterations,
        converged,
        initial_log_likelihood,
        expected_matches,
    }
}

/// One E-step and M-step; also returns the expected matching pairs per comparison.
fn em_step(
    pairs: &PatternCounts,
    parameters: &FsParameters,
    options: &EmOptions,
) -> (FsParameters, Vec<f64>) {
    let level_counts = pairs.level_counts();
    let mut match_counts: Vec<Vec<f64>> = level_counts.iter().map(|&n| vec![0.0; n]).collect();
    let mut non_match_counts = match_counts.clone();
    let mut expected_matches = 0.0;
    let mut total = 0.0;
    for (levels, count) in pairs.patterns() {
        let (log_match, log_non_match) = parameters.log_likelihoods(levels, &options.active);
        let weight = posterior(parameters.lambda, log_match, log_non_match);
        expected_matches += weight * count;
        total += count;
        for (k, &level) in levels.iter().enumerate() {
            match_counts[k][usize::from(level)] += weight * count;
            non_match_counts[k][usize::from(level)] += (1.0 - weight) * count;
        }
    }
    let mut next = parameters.clone();
    // The prior share gets the same Dirichlet smoothing, so it never reaches 0 or 1 either.
    next.lambda = (expected_matches + options.pseudo_count)
        / (total + 2.0 * options.pseudo_count).max(f64::MIN_POSITIVE);
    for k in 0..level_counts.len() {
        if !options.is_active(k) {
            continue;
        }
        next.m[k] = smoothed_distribution(&match_counts[k], options.pseudo_count);
        if !options.fix_u {
            next.u[k] = smoothed_distribution(&non_match_counts[k], options.pseudo_count);
        }
    }
    let supplied_matches = match_counts
        .iter()
        .map(|levels| levels.iter().skip(1).sum())
        .collect();
    (next, supplied_matches)
}

/// Returns the log-likelihood of the pairs (active comparisons only).
pub fn log_likelihood(
    pairs: &PatternCounts,
    parameters: &FsParameters,
    options: &EmOptions,
) -> f64 {
    pairs
        .patterns()
        .map(|(levels, count)| {
            let (log_match, log_non_match) = parameters.log_likelihoods(levels, &options.active);
            let a = parameters.lambda.ln() + log_match;
            let b = (1.0 - parameters.lambda).ln() + log_non_match;
            let high = a.max(b);
            count * (high + ((a - high).exp() + (b - high).exp()).ln())
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Draws a level from a distribution over levels 1.. (index 0 unused).
    fn draw(rng: &mut ChaCha8Rng, distribution: &[f64]) -> u8 {
        let target: f64 = rng.random();
        let mut cumulative = 0.0;
        for (level, p) in distribution.iter().enumerate().skip(1) {
            cumulative += p;
            if target < cumulative {
                return level as u8;
            }
        }
        (distribution.len() - 1) as u8
    }

    /// Generates `n` pairs from `truth`, each value missing with probability `missing`.
    fn generate(truth: &FsParameters, n: usize, missing: f64, seed: u64) -> PatternCounts {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut pairs = PatternCounts::new(truth.m.iter().map(Vec::len).collect());
        let mut levels = vec![0u8; truth.m.len()];
        for _ in 0..n {
            let is_match = rng.random::<f64>() < truth.lambda;
            for (k, slot) in levels.iter_mut().enumerate() {
                *slot = if rng.random::<f64>() < missing {
                    0
                } else if is_match {
                    draw(&mut rng, &truth.m[k])
                } else {
                    draw(&mut rng, &truth.u[k])
                };
            }
            pairs.add(&levels, 1.0);
        }
        pairs
    }

    /// A small model shaped like skiptrace's: a name, a DOB, an SSN and an address comparison.
    fn known_model() -> FsParameters {
        FsParameters {
            lambda: 0.08,
            m: vec![
                vec![0.0, 0.80, 0.10, 0.04, 0.06],
                vec![0.0, 0.90, 0.04, 0.02, 0.04],
                vec![0.0, 0.92, 0.05, 0.03],
                vec![0.0, 0.45, 0.15, 0.15, 0.25],
            ],
            u: vec![
                vec![0.0, 0.02, 0.01, 0.07, 0.90],
                vec![0.0, 0.01, 0.03, 0.06, 0.90],
                vec![0.0, 0.001, 0.01, 0.989],
                vec![0.0, 0.02, 0.05, 0.13, 0.80],
            ],
        }
    }

    /// A neutral starting point: "agree" likely for matches, "different" likely for non-matches.
    fn neutral_start(shape: &FsParameters) -> FsParameters {
        let start = |levels: usize, first: f64| {
            let mut p = vec![0.0; levels];
            let rest = (1.0 - first) / (levels - 2) as f64;
            for (l, slot) in p.iter_mut().enumerate().skip(1) {
                *slot = if l == 1 { first } else { rest };
            }
            p
        };
        let reversed = |levels: usize| {
            let mut p = start(levels, 0.7);
            p[1..].reverse();
            p
        };
        FsParameters {
            lambda: 0.3,
            m: shape.m.iter().map(|l| start(l.len(), 0.7)).collect(),
            u: shape.u.iter().map(|l| reversed(l.len())).collect(),
        }
    }

    fn assert_close(label: &str, estimate: &[Vec<f64>], truth: &[Vec<f64>], tolerance: f64) {
        for (k, (e, t)) in estimate.iter().zip(truth).enumerate() {
            for l in 1..t.len() {
                assert!(
                    (e[l] - t[l]).abs() < tolerance,
                    "{label}[{k}][{l}]: estimated {:.4}, true {:.4}",
                    e[l],
                    t[l]
                );
            }
        }
    }

    // 200,000 pairs at lambda 0.08 give ~16,000 matches: the standard error of an m near 0.5 is
    // sqrt(0.25 / 16,000) ≈ 0.004, of a u ≈ 0.001. The tolerances allow about five standard
    // errors plus the extra variance of not knowing which pairs match.
    const PAIRS: usize = 200_000;
    const M_TOLERANCE: f64 = 0.02;
    const U_TOLERANCE: f64 = 0.01;
    const LAMBDA_TOLERANCE: f64 = 0.005;

    #[test]
    fn recovers_known_m_u_and_lambda() {
        let truth = known_model();
        let pairs = generate(&truth, PAIRS, 0.1, 7);
        let outcome =
            expectation_maximisation(&pairs, &neutral_start(&truth), &EmOptions::default());
        assert!(outcome.converged, "{} iterations", outcome.iterations);
        let found = &outcome.parameters;
        assert!(
            (found.lambda - truth.lambda).abs() < LAMBDA_TOLERANCE,
            "lambda {}",
            found.lambda
        );
        assert_close("m", &found.m, &truth.m, M_TOLERANCE);
        assert_close("u", &found.u, &truth.u, U_TOLERANCE);
        assert!(outcome.log_likelihood > outcome.initial_log_likelihood);
    }

    #[test]
    fn recovers_m_with_u_fixed_from_random_pairs() {
        let truth = known_model();
        let pairs = generate(&truth, PAIRS, 0.1, 8);
        let mut start = neutral_start(&truth);
        start.u = truth.u.clone();
        let options = EmOptions {
            fix_u: true,
            ..EmOptions::default()
        };
        let outcome = expectation_maximisation(&pairs, &start, &options);
        assert_eq!(outcome.parameters.u, truth.u, "u must stay fixed");
        assert!((outcome.parameters.lambda - truth.lambda).abs() < LAMBDA_TOLERANCE);
        assert_close("m", &outcome.parameters.m, &truth.m, M_TOLERANCE);
    }

    #[test]
    fn an_inactive_comparison_keeps_its_start_and_does_not_steer_the_others() {
        let truth = known_model();
        let mut pairs = PatternCounts::new(truth.m.iter().map(Vec::len).collect());
        // Comparison 2 (the SSN) agrees on every pair, as if the pairs had been blocked on it.
        for (levels, count) in generate(&truth, PAIRS, 0.0, 9).patterns() {
            let mut blocked = levels.to_vec();
            blocked[2] = 1;
            pairs.add(&blocked, count);
        }
        let start = neutral_start(&truth);
        let options = EmOptions {
            active: vec![true, true, false, true],
            ..EmOptions::default()
        };
        let outcome = expectation_maximisation(&pairs, &start, &options);
        assert_eq!(outcome.parameters.m[2], start.m[2]);
        assert_eq!(outcome.parameters.u[2], start.u[2]);
        let kept = |p: &[Vec<f64>]| vec![p[0].clone(), p[1].clone(), p[3].clone()];
        assert_close(
            "m",
            &kept(&outcome.parameters.m),
            &kept(&truth.m),
            M_TOLERANCE,
        );
    }

    #[test]
    fn never_observed_levels_get_a_small_nonzero_probability() {
        let distribution = smoothed_distribution(&[5.0, 1000.0, 0.0, 0.0], 1.0);
        assert_eq!(distribution[0], 0.0);
        assert!(distribution[2] > 0.0 && distribution[2] < 0.001);
        assert!(distribution[1] < 1.0);
        let empty = smoothed_distribution(&[0.0, 0.0, 0.0], 0.0);
        assert_eq!(empty, vec![0.0, 0.5, 0.5]);
    }

    #[test]
    fn is_deterministic() {
        let truth = known_model();
        let pairs = generate(&truth, 20_000, 0.1, 10);
        let start = neutral_start(&truth);
        let a = expectation_maximisation(&pairs, &start, &EmOptions::default());
        let b = expectation_maximisation(&pairs, &start, &EmOptions::default());
        assert_eq!(a, b);
    }

    #[test]
    fn stops_at_the_iteration_cap() {
        let truth = known_model();
        let pairs = generate(&truth, 5_000, 0.1, 11);
        let options = EmOptions {
            max_iterations: 2,
            tolerance: 0.0,
            ..EmOptions::default()
        };
        let outcome = expectation_maximisation(&pairs, &neutral_start(&truth), &options);
        assert_eq!(outcome.iterations, 2);
        assert!(!outcome.converged);
    }

    fn check_distributions(parameters: &FsParameters) -> std::result::Result<(), TestCaseError> {
        for distribution in parameters.m.iter().chain(&parameters.u) {
            let sum: f64 = distribution.iter().skip(1).sum();
            prop_assert!((sum - 1.0).abs() < 1e-9, "sums to {}", sum);
            for &p in distribution.iter().skip(1) {
                prop_assert!(p > 0.0 && p < 1.0, "probability {}", p);
            }
        }
        prop_assert!(parameters.lambda > 0.0 && parameters.lambda < 1.0);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the pairs (even one pattern only, or every level unseen), EM's m and u sum
        /// to 1 per comparison and lie strictly between 0 and 1.
        #[test]
        fn outputs_are_distributions_in_the_open_unit_interval(
            raw in proptest::collection::vec(
                (proptest::collection::vec(0u8..8, 3), 1u32..1000),
                1..40,
            ),
            fix_u in any::<bool>(),
        ) {
            let level_counts = vec![8, 3, 5];
            let mut pairs = PatternCounts::new(level_counts.clone());
            for (levels, count) in &raw {
                let clamped: Vec<u8> = levels
                    .iter()
                    .zip(&level_counts)
                    .map(|(&l, &n)| l % n as u8)
                    .collect();
                pairs.add(&clamped, f64::from(*count));
            }
            let shape = FsParameters {
                lambda: 0.5,
                m: level_counts.iter().map(|&n| vec![0.0; n]).collect(),
                u: level_counts.iter().map(|&n| vec![0.0; n]).collect(),
            };
            let start = neutral_start(&shape);
            let options = EmOptions { fix_u, max_iterations: 50, ..EmOptions::default() };
            let outcome = expectation_maximisation(&pairs, &start, &options);
            check_distributions(&outcome.parameters)?;
            for (levels, _) in pairs.patterns() {
                let p = outcome.parameters.match_probability(levels, &[]);
                prop_assert!((0.0..=1.0).contains(&p));
            }
        }
    }
}
