//! Match-quality figures, computed from judged answers only: no IO, no engine, so every figure
//! can be checked on hand-built cases.
//!
//! Last step of `skiptrace eval`: each query's answer has been [`Judged`] against the truth
//! (is the best match the true person? is the offered address the current one?); this module
//! turns a set of judged answers into precision, recall and F1 at the shipped thresholds, the
//! precision–recall curve over every score threshold, the reliability (calibration) table,
//! candidate-retrieval recall and right-party contact rates.
//!
//! Conventions (as in splink's `truth_space_table`): a query whose true person has no record is
//! *absent*; an answer naming anyone for it is a false positive, no answer a true negative. For a
//! present query, naming the true person is a true positive; naming someone else is both a false
//! positive and a false negative. Precision is TP / (TP + FP), recall TP / present queries.

use serde::Serialize;

use crate::bulk::MatchStatus;
use crate::resolve::ContactStatus;

/// One query's answer compared with the truth.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Judged {
    /// True when the query's person has at least one record (the right answer is that person).
    pub present: bool,
    /// Status of the answer; a row missing from a scored file counts as `no_match`.
    pub status: Option<MatchStatus>,
    /// Score of the answer's best match (its top identity's probability), when it has one.
    pub match_probability: Option<f64>,
    /// Whether the best match the answer names is the true person; `None` when it names nobody.
    pub named_right: Option<bool>,
    /// Whether the true person was among the candidates retrieved (known for in-process runs).
    pub retrieved: Option<bool>,
    /// Candidates scored for the query (known for in-process runs).
    pub candidates: Option<u64>,
    /// Whether the best address offered came only from fragment records (in-process runs).
    pub address_from_fragment: Option<bool>,
    /// The offered best address against the true current one (`None`: truth has none).
    pub address: Option<ContactHit>,
    /// The offered best phone against the true current one.
    pub phone: Option<ContactHit>,
    /// The offered best email against the true current one.
    pub email: Option<ContactHit>,
}

/// A judged contact point, wherever truth has a current value: the one on file confirmed is an
/// answer as much as a new one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactHit {
    /// The answer offers the true current value (on a matched row), with any status.
    pub right: bool,
    /// The true current value appears in at least one of the person's source records, so a
    /// system could have found it.
    pub findable: bool,
    /// The query already carries the true current value (the debtor did not move).
    pub on_file: bool,
    /// The query carries the true current value and marks it as bad, so no answer may confirm
    /// it.
    pub marked_bad: bool,
    /// The status of the contact the answer offers, if it offers one.
    pub offered: Option<ContactStatus>,
    /// Truth has a current value of the kind; an offer without one is wrong, and counts only
    /// against the offers' precision.
    pub has_truth: bool,
}

impl Judged {
    /// True when the answer acts on a match at the shipped thresholds: status `matched`.
    pub fn matched(&self) -> bool {
        self.status == Some(MatchStatus::Matched)
    }

    /// True when the answer's best match is the true person (who then has a record).
    pub fn is_right(&self) -> bool {
        self.present && self.named_right == Some(true)
    }

    /// True when the answer predicts its best match at score threshold `threshold`: it names
    /// one and its score reaches the threshold.
    pub fn predicts_at(&self, threshold: f64) -> bool {
        self.named_right.is_some() && self.match_probability.is_some_and(|s| s >= threshold)
    }
}

/// Confusion counts over a set of queries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Queries counted.
    pub queries: u64,
    /// Queries whose person has a record.
    pub present: u64,
    /// Queries whose person has none.
    pub absent: u64,
    /// Present queries answered with their person.
    pub true_positives: u64,
    /// Answers naming the wrong person (for present or absent queries).
    pub false_positives: u64,
    /// Present queries not answered with their person.
    pub false_negatives: u64,
    /// Absent queries given no answer.
    pub true_negatives: u64,
}

impl Counts {
    /// Counts `judged`, taking an answer as given when `predicts` says so.
    pub fn of<'a>(
        judged: impl IntoIterator<Item = &'a Judged>,
        predicts: impl Fn(&Judged) -> bool,
    ) -> Counts {
        let mut counts = Counts::default();
        for j in judged {
            counts.queries += 1;
            let answered = predicts(j);
            let right = answered && j.is_right();
            if j.present {
                counts.present += 1;
                if right {
                    counts.true_positives += 1;
                } else {
                    counts.false_negatives += 1;
                }
            } else {
                counts.absent += 1;
                if !answered {
                    counts.true_negatives += 1;
                }
            }
            if answered && !right {
                counts.false_positives += 1;
            }
        }
        counts
    }

    /// TP / (TP + FP); 0 when nothing was answered.
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// TP / present; 0 when no query is present.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.present)
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        f1(self.precision(), self.recall())
    }
}

/// Returns `numerator / denominator`, 0 when the denominator is 0.
pub fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        return 0.0;
    }
    numerator as f64 / denominator as f64
}

/// Returns the harmonic mean of precision and recall, 0 when both are 0.
pub fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall <= 0.0 {
        return 0.0;
    }
    2.0 * precision * recall / (precision + recall)
}

/// One point of the precision–recall curve: the figures when every answer whose best match
/// scores at least `threshold` is taken.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PrPoint {
    /// Score threshold.
    pub threshold: f64,
    /// Right answers at or above the threshold.
    pub true_positives: u64,
    /// Wrong answers at or above the threshold.
    pub false_positives: u64,
    /// TP / (TP + FP).
    pub precision: f64,
    /// TP / present queries.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// Returns the precision–recall curve: one point per distinct score of an answer that names a
/// best match, highest threshold first. Answers naming nobody never count as predictions.
pub fn pr_curve(judged: &[Judged]) -> Vec<PrPoint> {
    let present = judged.iter().filter(|j| j.present).count() as u64;
    let mut scored: Vec<(f64, bool)> = judged
        .iter()
        .filter(|j| j.named_right.is_some())
        .filter_map(|j| Some((j.match_probability?, j.is_right())))
        .filter(|(score, _)| score.is_finite())
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut points = Vec::new();
    let (mut true_positives, mut false_positives) = (0u64, 0u64);
    for (i, &(score, right)) in scored.iter().enumerate() {
        if right {
            true_positives += 1;
        } else {
            false_positives += 1;
        }
        let last_of_score = scored.get(i + 1).is_none_or(|next| next.0 < score);
        if last_of_score {
            let precision = ratio(true_positives, true_positives + false_positives);
            let recall = ratio(true_positives, present);
            points.push(PrPoint {
                threshold: score,
                true_positives,
                false_positives,
                precision,
                recall,
                f1: f1(precision, recall),
            });
        }
    }
    points
}

/// Returns the point of highest F1, the highest threshold among ties (fewest answers).
pub fn best_f1(curve: &[PrPoint]) -> Option<PrPoint> {
    curve
        .iter()
        .copied()
        .reduce(|best, point| if point.f1 > best.f1 { point } else { best })
}

/// Upper edges of the calibration buckets; the first starts at 0, the last includes 1. Finer at
/// the top, where the match threshold sits and where a collector acts.
pub const CALIBRATION_EDGES: [f64; 12] =
    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0];

/// One row of the reliability table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CalibrationBucket {
    /// Lower edge (inclusive).
    pub lower: f64,
    /// Upper edge (exclusive, but 1.0 is in the last bucket).
    pub upper: f64,
    /// Answers in the bucket that name a best match (the ones that can be checked).
    pub count: u64,
    /// Mean score of those answers: the predicted probability of being right.
    pub mean_predicted: f64,
    /// Share of those answers whose best match is the true person.
    pub observed: f64,
    /// Answers with a score in the bucket that name nobody (a `no_match` row of a rematch
    /// output names no record), so cannot be checked.
    pub unnamed: u64,
}

/// The reliability table: predicted probability against observed share right, per bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Calibration {
    /// Buckets, lowest first.
    pub buckets: Vec<CalibrationBucket>,
    /// Expected calibration error: the count-weighted mean of |mean predicted − observed|.
    pub expected_calibration_error: f64,
}

/// Returns the bucket index of a score (clamped to 0–1).
fn bucket_of(score: f64) -> usize {
    let score = score.clamp(0.0, 1.0);
    CALIBRATION_EDGES
        .iter()
        .position(|&upper| score < upper)
        .unwrap_or(CALIBRATION_EDGES.len() - 1)
}

/// Returns the reliability table of the answers that have a score.
pub fn calibration(judged: &[Judged]) -> Calibration {
    let mut buckets: Vec<CalibrationBucket> = CALIBRATION_EDGES
        .iter()
        .enumerate()
        .map(|(i, &upper)| CalibrationBucket {
            lower: if i == 0 {
                0.0
            } else {
                CALIBRATION_EDGES[i - 1]
            },
            upper,
            ..CalibrationBucket::default()
        })
        .collect();
    let mut score_sums = vec![0.0; buckets.len()];
    let mut right = vec![0u64; buckets.len()];
    for j in judged {
        let Some(score) = j.match_probability.filter(|s| s.is_finite()) else {
            continue;
        };
        let b = bucket_of(score);
        if j.named_right.is_some() {
            buckets[b].count += 1;
            score_sums[b] += score;
            right[b] += u64::from(j.is_right());
        } else {
            buckets[b].unnamed += 1;
        }
    }
    let mut weighted_gap = 0.0;
    let mut total = 0;
    for (b, bucket) in buckets.iter_mut().enumerate() {
        if bucket.count == 0 {
            continue;
        }
        bucket.mean_predicted = score_sums[b] / bucket.count as f64;
        bucket.observed = ratio(right[b], bucket.count);
        weighted_gap += bucket.count as f64 * (bucket.mean_predicted - bucket.observed).abs();
        total += bucket.count;
    }
    Calibration {
        buckets,
        expected_calibration_error: if total == 0 {
            0.0
        } else {
            weighted_gap / total as f64
        },
    }
}

/// Right-party rate of one contact kind, over the present queries answered `matched` whose
/// truth has a current value of the kind, and the precision of every offer on a matched row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ContactRate {
    /// Matched present queries whose truth has a current value.
    pub debtors: u64,
    /// Of those, the ones offered their true current value (any status).
    pub right: u64,
    /// right / debtors.
    pub rate: f64,
    /// Of `debtors`, those whose current value appears in one of their source records.
    pub findable_debtors: u64,
    /// Of those, the ones offered their true current value.
    pub findable_right: u64,
    /// findable_right / findable_debtors: the share of what the records allow.
    pub findable_rate: f64,
    /// findable_debtors / debtors: the best rate the records allow.
    pub ceiling: f64,
    /// Of the findable debtors, those whose query marks the current value as bad (a carrier
    /// returned mail to where the debtor still lives): the rules forbid offering it.
    pub marked_bad_debtors: u64,
    /// findable_right / (findable_debtors - marked_bad_debtors): the share of what the records
    /// and the file's own marks allow.
    pub allowed_rate: f64,
    /// Of `debtors`, those whose query already carries the current value (did not move).
    pub on_file_debtors: u64,
    /// Offers and right offers by status: new, confirmed, corrected.
    pub by_status: [StatusPrecision; 3],
}

/// Returns the place of `status` in [`ContactRate::by_status`] (the order of
/// [`ContactStatus::ALL`]).
fn status_index(status: ContactStatus) -> usize {
    ContactStatus::ALL
        .iter()
        .position(|s| *s == status)
        .expect("ALL holds every status")
}

/// How often a status was offered and how often it was right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct StatusPrecision {
    /// Contacts offered with the status.
    pub offered: u64,
    /// Of those, the true current value.
    pub right: u64,
    /// right / offered.
    pub precision: f64,
}

impl ContactRate {
    /// Returns the figures of one status.
    pub fn of_status(&self, status: ContactStatus) -> StatusPrecision {
        self.by_status[status_index(status)]
    }
}

/// Returns the right-party rate over the present, matched queries where `hit` judges a contact
/// with truth behind it, and the offers' precision over every matched row; `None` when nothing
/// is judged.
pub fn contact_rate<'a>(
    judged: impl IntoIterator<Item = &'a Judged>,
    hit: impl Fn(&Judged) -> Option<ContactHit>,
) -> Option<ContactRate> {
    let mut rate = ContactRate::default();
    for (present, h) in judged
        .into_iter()
        .filter(|j| j.matched())
        .filter_map(|j| hit(j).map(|h| (j.present, h)))
    {
        if present && h.has_truth {
            rate.debtors += 1;
            rate.right += u64::from(h.right);
            rate.on_file_debtors += u64::from(h.on_file);
            if h.findable {
                rate.findable_debtors += 1;
                rate.findable_right += u64::from(h.right);
                rate.marked_bad_debtors += u64::from(h.marked_bad);
            }
        }
        // Every offer on a matched row counts against its status's precision: to a debtor
        // with no current value of the kind, or to a person who is not in the records, it is
        // wrong.
        if let Some(status) = h.offered {
            let figures = &mut rate.by_status[status_index(status)];
            figures.offered += 1;
            figures.right += u64::from(h.right);
        }
    }
    // Without any truth of the kind (a labelled file with no contact history) there is no
    // figure to give, and offers cannot be judged.
    if rate.debtors == 0 {
        return None;
    }
    rate.rate = ratio(rate.right, rate.debtors);
    rate.findable_rate = ratio(rate.findable_right, rate.findable_debtors);
    rate.ceiling = ratio(rate.findable_debtors, rate.debtors);
    rate.allowed_rate = ratio(
        rate.findable_right,
        rate.findable_debtors - rate.marked_bad_debtors,
    );
    for status in &mut rate.by_status {
        status.precision = ratio(status.right, status.offered);
    }
    Some(rate)
}

/// Counts the best addresses on present, matched queries that only fragment records report,
/// and the right ones among them; `None` without in-process traces.
fn fragment_addresses(judged: &[Judged]) -> Option<StatusPrecision> {
    let mut figures = StatusPrecision::default();
    let mut traced = false;
    for j in judged.iter().filter(|j| j.present && j.matched()) {
        let Some(from_fragment) = j.address_from_fragment else {
            continue;
        };
        traced = true;
        if from_fragment {
            figures.offered += 1;
            figures.right += u64::from(j.address.is_some_and(|a| a.right));
        }
    }
    figures.precision = ratio(figures.right, figures.offered);
    traced.then_some(figures)
}

/// Every figure over one set of queries (all of them, or one hard case).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Quality {
    /// Confusion counts at the shipped thresholds (an answer is taken when `matched`).
    #[serde(flatten)]
    pub counts: Counts,
    /// Precision at the shipped thresholds.
    pub precision: f64,
    /// Recall at the shipped thresholds.
    pub recall: f64,
    /// F1 at the shipped thresholds.
    pub f1: f64,
    /// Share of absent queries not matched.
    pub absent_no_match_rate: f64,
    /// The point of the precision–recall curve with the highest F1.
    pub best_f1: Option<PrPoint>,
    /// Share of present queries whose true person was among the retrieved candidates (in-process
    /// runs only).
    pub retrieval_recall: Option<f64>,
    /// Mean candidates scored per query (in-process runs only).
    pub mean_candidates: Option<f64>,
    /// Right-party address rate.
    pub right_party_address: Option<ContactRate>,
    /// Right-party phone rate.
    pub right_party_phone: Option<ContactRate>,
    /// Right-party email rate.
    pub right_party_email: Option<ContactRate>,
    /// Best addresses on matched rows that only fragment records report, and how many of them
    /// are the true current address (in-process runs only).
    pub fragment_addresses: Option<StatusPrecision>,
}

impl Quality {
    /// Computes every figure over `judged`.
    pub fn of(judged: &[Judged]) -> Quality {
        let counts = Counts::of(judged, Judged::matched);
        let curve = pr_curve(judged);
        let retrieval: Vec<bool> = judged
            .iter()
            .filter(|j| j.present)
            .filter_map(|j| j.retrieved)
            .collect();
        let candidates: Vec<u64> = judged.iter().filter_map(|j| j.candidates).collect();
        Quality {
            precision: counts.precision(),
            recall: counts.recall(),
            f1: counts.f1(),
            absent_no_match_rate: ratio(counts.true_negatives, counts.absent),
            counts,
            best_f1: best_f1(&curve),
            retrieval_recall: (!retrieval.is_empty()).then(|| {
                ratio(
                    retrieval.iter().filter(|r| **r).count() as u64,
                    retrieval.len() as u64,
                )
            }),
            mean_candidates: (!candidates.is_empty())
                .then(|| candidates.iter().sum::<u64>() as f64 / candidates.len() as f64),
            right_party_address: contact_rate(judged, |j| j.address),
            right_party_phone: contact_rate(judged, |j| j.phone),
            right_party_email: contact_rate(judged, |j| j.email),
            fragment_addresses: fragment_addresses(judged),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn answer(present: bool, status: MatchStatus, score: f64, named_right: Option<bool>) -> Judged {
        Judged {
            present,
            status: Some(status),
            match_probability: Some(score),
            named_right,
            ..Judged::default()
        }
    }

    /// Eight queries with known answers: six present, two absent.
    fn hand_built() -> Vec<Judged> {
        use MatchStatus::*;
        vec![
            answer(true, Matched, 0.99, Some(true)),
            answer(true, Matched, 0.97, Some(true)),
            answer(true, Matched, 0.96, Some(false)),
            answer(true, Review, 0.80, Some(true)),
            answer(true, Review, 0.60, Some(false)),
            answer(true, NoMatch, 0.20, None),
            answer(false, Matched, 0.97, Some(false)),
            answer(false, NoMatch, 0.10, None),
        ]
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn default_threshold_counts_precision_recall_f1() {
        let q = Quality::of(&hand_built());
        let c = q.counts;
        assert_eq!((c.queries, c.present, c.absent), (8, 6, 2));
        assert_eq!(
            (
                c.true_positives,
                c.false_positives,
                c.false_negatives,
                c.true_negatives
            ),
            (2, 2, 4, 1)
        );
        assert!(close(q.precision, 0.5));
        assert!(close(q.recall, 2.0 / 6.0));
        assert!(close(q.f1, 2.0 * 0.5 * (1.0 / 3.0) / (0.5 + 1.0 / 3.0)));
        assert!(close(q.absent_no_match_rate, 0.5));
    }

    #[test]
    fn pr_points_at_every_distinct_named_score() {
        let curve = pr_curve(&hand_built());
        let thresholds: Vec<f64> = curve.iter().map(|p| p.threshold).collect();
        assert_eq!(thresholds, vec![0.99, 0.97, 0.96, 0.80, 0.60]);
        let at = |t: f64| *curve.iter().find(|p| p.threshold == t).expect("point");
        // 0.97 holds a right answer and an absent query's wrong one: both enter together.
        assert_eq!((at(0.97).true_positives, at(0.97).false_positives), (2, 1));
        assert!(close(at(0.97).precision, 2.0 / 3.0));
        assert!(close(at(0.97).recall, 2.0 / 6.0));
        assert_eq!((at(0.80).true_positives, at(0.80).false_positives), (3, 2));
        assert!(close(at(0.60).precision, 3.0 / 6.0));
        assert!(close(at(0.60).recall, 0.5));
    }

    #[test]
    fn best_f1_takes_the_highest_threshold_among_ties() {
        let curve = pr_curve(&hand_built());
        let best = best_f1(&curve).expect("a best point");
        // F1: 0.99 → 2/7, 0.97 → 4/9, 0.96 → 0.4, 0.80 → 6/11, 0.60 → 0.5.
        assert!(close(best.threshold, 0.80));
        assert!(close(best.f1, 6.0 / 11.0));
        let tie = [
            PrPoint {
                threshold: 0.9,
                true_positives: 1,
                false_positives: 0,
                precision: 1.0,
                recall: 0.5,
                f1: 0.5,
            },
            PrPoint {
                threshold: 0.5,
                true_positives: 1,
                false_positives: 1,
                precision: 0.5,
                recall: 0.5,
                f1: 0.5,
            },
        ];
        assert!(close(best_f1(&tie).expect("best").threshold, 0.9));
        assert_eq!(best_f1(&[]), None);
    }

    #[test]
    fn an_absent_person_is_right_only_without_a_match() {
        let quiet = [answer(false, MatchStatus::NoMatch, 0.3, None)];
        let c = Counts::of(&quiet, Judged::matched);
        assert_eq!((c.true_negatives, c.false_positives), (1, 0));
        // A possible (not matched) answer is no answer at the shipped thresholds...
        let possible = [answer(false, MatchStatus::Review, 0.7, Some(false))];
        let c = Counts::of(&possible, Judged::matched);
        assert_eq!((c.true_negatives, c.false_positives), (1, 0));
        // ...but a prediction on the curve once its score reaches the threshold.
        assert_eq!(pr_curve(&possible)[0].false_positives, 1);
        let wrong = [answer(false, MatchStatus::Matched, 0.99, Some(false))];
        let c = Counts::of(&wrong, Judged::matched);
        assert_eq!((c.true_negatives, c.false_positives, c.present), (0, 1, 0));
        assert!(close(c.recall(), 0.0) && close(c.precision(), 0.0));
    }

    #[test]
    fn calibration_buckets_hold_mean_score_and_share_right() {
        let table = calibration(&hand_built());
        assert_eq!(table.buckets.len(), CALIBRATION_EDGES.len());
        let bucket = |lower: f64| {
            *table
                .buckets
                .iter()
                .find(|b| close(b.lower, lower))
                .expect("bucket")
        };
        // 0.95–0.99: 0.97 right, 0.96 wrong, 0.97 wrong (absent).
        let top = bucket(0.95);
        assert_eq!((top.count, top.unnamed), (3, 0));
        assert!(close(top.mean_predicted, (0.97 + 0.96 + 0.97) / 3.0));
        assert!(close(top.observed, 1.0 / 3.0));
        assert_eq!(bucket(0.99).count, 1, "0.99 falls in the top bucket");
        assert!(close(bucket(0.99).observed, 1.0));
        assert_eq!((bucket(0.2).count, bucket(0.2).unnamed), (0, 1));
        assert_eq!(bucket(0.1).unnamed, 1);
        assert_eq!(bucket_of(1.0), CALIBRATION_EDGES.len() - 1);
        assert_eq!(bucket_of(0.0), 0);
        assert_eq!(bucket_of(0.95), 10);
        // Gaps: 0.6 → |0.6−0| ×1, 0.8 → |0.8−1| ×1, top → |0.9667−0.3333| ×3, 0.99 → 0.01.
        let expected = (0.6 + 0.2 + 3.0 * ((2.9 / 3.0) - 1.0 / 3.0) + 0.01) / 6.0;
        assert!((table.expected_calibration_error - expected).abs() < 1e-9);
    }

    #[test]
    fn contact_rates_count_matched_present_queries_and_split_by_status() {
        let with = |present: bool, status: MatchStatus, hit: ContactHit| Judged {
            present,
            status: Some(status),
            address: Some(hit),
            ..Judged::default()
        };
        let offered =
            |status: ContactStatus, right: bool, findable: bool, on_file: bool| ContactHit {
                right,
                findable,
                on_file,
                marked_bad: false,
                offered: Some(status),
                has_truth: true,
            };
        let judged = [
            with(
                true,
                MatchStatus::Matched,
                offered(ContactStatus::New, true, true, false),
            ),
            with(
                true,
                MatchStatus::Matched,
                offered(ContactStatus::Confirmed, true, true, true),
            ),
            with(
                true,
                MatchStatus::Matched,
                offered(ContactStatus::Confirmed, false, true, false),
            ),
            with(
                true,
                MatchStatus::Matched,
                ContactHit {
                    has_truth: true,
                    ..ContactHit::default()
                },
            ),
            // Not matched: not counted. Matched but absent: its offer counts against
            // precision only.
            with(
                true,
                MatchStatus::Review,
                ContactHit {
                    findable: true,
                    ..ContactHit::default()
                },
            ),
            with(
                false,
                MatchStatus::Matched,
                offered(ContactStatus::New, false, false, false),
            ),
            Judged {
                present: true,
                status: Some(MatchStatus::Matched),
                ..Judged::default()
            },
        ];
        let rate = contact_rate(&judged, |j| j.address).expect("a rate");
        assert_eq!((rate.debtors, rate.right, rate.on_file_debtors), (4, 2, 1));
        assert_eq!((rate.findable_debtors, rate.findable_right), (3, 2));
        assert!(close(rate.rate, 0.5) && close(rate.findable_rate, 2.0 / 3.0));
        assert!(close(rate.ceiling, 0.75));
        let confirmed = rate.of_status(ContactStatus::Confirmed);
        assert_eq!((confirmed.offered, confirmed.right), (2, 1));
        let new = rate.of_status(ContactStatus::New);
        assert_eq!(
            (new.offered, new.right),
            (2, 1),
            "the absent person's offer is wrong"
        );
        assert!(close(confirmed.precision, 0.5));
        assert_eq!(rate.of_status(ContactStatus::Corrected).offered, 0);
        assert_eq!(contact_rate(&judged, |j| j.phone), None);
    }

    #[test]
    fn retrieval_recall_is_over_present_queries_with_a_trace() {
        let traced = |present: bool, retrieved: bool| Judged {
            present,
            retrieved: Some(retrieved),
            candidates: Some(10),
            ..Judged::default()
        };
        let judged = [
            traced(true, true),
            traced(true, false),
            traced(false, false),
            traced(true, true),
        ];
        let q = Quality::of(&judged);
        assert!(close(q.retrieval_recall.expect("known"), 2.0 / 3.0));
        assert!(close(q.mean_candidates.expect("known"), 10.0));
        assert_eq!(Quality::of(&hand_built()).retrieval_recall, None);
    }

    fn judged_strategy() -> impl Strategy<Value = Judged> {
        (
            any::<bool>(),
            0usize..4,
            proptest::option::of(0.0f64..=1.0),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(|(present, status, score, named_right)| Judged {
                present,
                status: Some(MatchStatus::ALL[status]),
                // Round like a rematch output, so ties happen.
                match_probability: score.map(|s| (s * 20.0).round() / 20.0),
                // Includes the impossible "absent yet named right": it must count as wrong.
                named_right,
                ..Judged::default()
            })
    }

    proptest! {
        #[test]
        fn recall_falls_and_counts_add_up_as_the_threshold_rises(
            judged in proptest::collection::vec(judged_strategy(), 0..60)
        ) {
            let curve = pr_curve(&judged);
            for pair in curve.windows(2) {
                // Points run from the highest threshold down.
                prop_assert!(pair[0].threshold > pair[1].threshold);
                prop_assert!(pair[0].recall <= pair[1].recall);
                prop_assert!(pair[0].true_positives + pair[0].false_positives
                    < pair[1].true_positives + pair[1].false_positives);
            }
            for point in &curve {
                let at = Counts::of(&judged, |j| j.predicts_at(point.threshold));
                prop_assert_eq!(at.false_positives, point.false_positives);
                prop_assert_eq!(at.true_positives + at.false_negatives, at.present);
                let answered = judged.iter().filter(|j| j.predicts_at(point.threshold)).count();
                prop_assert_eq!(point.true_positives + point.false_positives, answered as u64);
                prop_assert!((0.0..=1.0).contains(&point.precision));
                prop_assert!((0.0..=1.0).contains(&point.f1));
            }
            let counts = Counts::of(&judged, Judged::matched);
            prop_assert_eq!(counts.present + counts.absent, judged.len() as u64);
            prop_assert_eq!(counts.true_positives + counts.false_negatives, counts.present);
            prop_assert!(counts.true_negatives <= counts.absent);
            let table = calibration(&judged);
            let counted: u64 = table.buckets.iter().map(|b| b.count + b.unnamed).sum();
            let scored = judged.iter().filter(|j| j.match_probability.is_some()).count() as u64;
            prop_assert_eq!(counted, scored);
            if let Some(best) = best_f1(&curve) {
                prop_assert!(curve.iter().all(|p| p.f1 <= best.f1));
            }
        }
    }
}
