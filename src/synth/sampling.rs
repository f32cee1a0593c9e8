//! Random streams and weighted draws.
//!
//! Determinism regardless of thread count rests on one rule: every unit of work (a household, a
//! debtor, a chunk's shuffle) draws from its own ChaCha8 stream, keyed by the seed and a
//! [`Stream`] tag and numbered by the unit's index, never from a shared generator.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The independent random streams of one generation run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    /// Household composition and life histories, numbered by household.
    Household = 1,
    /// Source observations, numbered by household.
    Observation = 2,
    /// Shuffling records inside a written chunk, numbered by chunk.
    ChunkShuffle = 3,
    /// Extra (absent) debtors' lives, numbered by absent debtor.
    AbsentHousehold = 4,
    /// A debtor's creditor record, numbered by person.
    Debt = 5,
    /// Order of the returned-mail file.
    MailShuffle = 6,
    /// Keys of the SSN permutation.
    SsnKey = 7,
    /// Which observed adult an absent debtor looks like, numbered by absent debtor.
    LookAlike = 8,
}

/// Returns the generator of `stream` number `index` for `seed`.
pub(crate) fn stream_rng(seed: u64, stream: Stream, index: u64) -> ChaCha8Rng {
    let key = seed ^ (stream as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut rng = ChaCha8Rng::seed_from_u64(key);
    rng.set_stream(index);
    rng
}

/// A table of items drawn with probability proportional to their weights.
#[derive(Debug, Clone)]
pub(crate) struct Weighted<T> {
    items: Vec<T>,
    cumulative: Vec<f64>,
}

impl<T> Weighted<T> {
    /// Builds the table; items with a zero weight are never drawn.
    pub(crate) fn new(pairs: impl IntoIterator<Item = (T, f64)>) -> Weighted<T> {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for (item, weight) in pairs {
            total += weight.max(0.0);
            items.push(item);
            cumulative.push(total);
        }
        debug_assert!(total > 0.0, "a weighted table needs a positive total");
        Weighted { items, cumulative }
    }

    /// Draws one item.
    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> &T {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = rng.random::<f64>() * total;
        let index = self.cumulative.partition_point(|c| *c <= target);
        &self.items[index.min(self.items.len() - 1)]
    }

    /// The items, in table order.
    pub(crate) fn items(&self) -> &[T] {
        &self.items
    }
}

/// Returns true with probability `p` (clamped to 0..=1, so rounding never panics).
pub(crate) fn chance<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    rng.random::<f64>() < p.clamp(0.0, 1.0)
}

/// Draws a whole number of days in `0..=max`.
pub(crate) fn days_up_to<R: Rng + ?Sized>(rng: &mut R, max: u32) -> i32 {
    rng.random_range(0..=max as i32)
}

/// Draws a uniform value in `low..high` (returns `low` when the range is empty).
pub(crate) fn uniform<R: Rng + ?Sized>(rng: &mut R, low: f64, high: f64) -> f64 {
    if high <= low {
        return low;
    }
    rng.random_range(low..high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let first: u64 = stream_rng(7, Stream::Household, 3).random();
        let again: u64 = stream_rng(7, Stream::Household, 3).random();
        let other_index: u64 = stream_rng(7, Stream::Household, 4).random();
        let other_stream: u64 = stream_rng(7, Stream::Observation, 3).random();
        let other_seed: u64 = stream_rng(8, Stream::Household, 3).random();
        assert_eq!(first, again);
        assert_ne!(first, other_index);
        assert_ne!(first, other_stream);
        assert_ne!(first, other_seed);
    }

    #[test]
    fn weighted_draws_follow_weights() {
        let table = Weighted::new([("never", 0.0), ("rare", 1.0), ("common", 9.0)]);
        let mut rng = stream_rng(1, Stream::Household, 0);
        let mut common = 0;
        for _ in 0..10_000 {
            let item = *table.sample(&mut rng);
            assert_ne!(item, "never");
            common += usize::from(item == "common");
        }
        assert!(
            (8_700..9_300).contains(&common),
            "common drawn {common} times"
        );
    }
}
