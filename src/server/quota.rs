//! What a key may do per day, counted in rows, and the probing a key may not do at all.
//!
//! - [`DailyRowQuota`]: every search is one row and every row of a bulk file is one row, so a
//!   10,000-row `POST /v1/rematch` costs what 10,000 searches cost, not one request.
//! - [`EnumerationGuard`]: many searches from one key that agree on everything but the SSN or
//!   DOB (one person, many guesses of a masked identifier) are refused once they pass a threshold
//!   within a window, counted in metrics and written to the audit log (docs/domain.md §6).
//!
//! Both are kept in memory: a restart starts them afresh, which a caller cannot cause.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Default rows a key may search per UTC day (searches and bulk rows together).
pub const DEFAULT_DAILY_ROWS_PER_KEY: u64 = 1_000_000;

/// Default number of SSN/DOB variants tried for one person, within [`ENUMERATION_WINDOW`],
/// before a key's further guesses are refused.
pub const DEFAULT_ENUMERATION_VARIANTS: usize = 5;

/// How long the variants tried for one person are remembered.
pub const ENUMERATION_WINDOW: Duration = Duration::from_secs(3600);

/// Probes remembered before old ones are swept out.
const SWEEP_AT: usize = 100_000;

/// Rows per key per UTC day.
#[derive(Debug)]
pub struct DailyRowQuota {
    rows_per_day: u64,
    used: Mutex<HashMap<String, (i64, u64)>>,
}

/// A quota that cannot cover a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaRefusal {
    /// Rows the key has left today.
    pub left: u64,
    /// Seconds until the next UTC day.
    pub retry_after_seconds: u64,
}

impl DailyRowQuota {
    /// A quota of `rows_per_day` per key; 0 disables it.
    pub fn new(rows_per_day: u64) -> DailyRowQuota {
        DailyRowQuota {
            rows_per_day,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `rows` from `key_id`'s quota for the day of `unix_seconds`, all or none.
    pub fn take(&self, key_id: &str, rows: u64, unix_seconds: i64) -> Result<(), QuotaRefusal> {
        if self.rows_per_day == 0 {
            return Ok(());
        }
        let day = unix_seconds.div_euclid(86_400);
        let retry_after_seconds = (86_400 - unix_seconds.rem_euclid(86_400)) as u64;
        let Ok(mut used) = self.used.lock() else {
            return Ok(());
        };
        let entry = used.entry(key_id.to_string()).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        let left = self.rows_per_day.saturating_sub(entry.1);
        if rows > left {
            return Err(QuotaRefusal {
                left,
                retry_after_seconds,
            });
        }
        entry.1 += rows;
        Ok(())
    }
}

/// Remembers, per key and per person probed, the distinct SSN/DOB values tried.
#[derive(Debug)]
pub struct EnumerationGuard {
    max_variants: usize,
    window: Duration,
    probes: Mutex<HashMap<(String, String), Probe>>,
}

#[derive(Debug)]
struct Probe {
    started: Instant,
    variants: HashSet<String>,
}

impl EnumerationGuard {
    /// A guard refusing more than `max_variants` variants per person per `window`; 0 disables
    /// it.
    pub fn new(max_variants: usize, window: Duration) -> EnumerationGuard {
        EnumerationGuard {
            max_variants,
            window,
            probes: Mutex::new(HashMap::new()),
        }
    }

    /// Records that `key_id` searched `person` (a keyed fingerprint of the query without its
    /// SSN and DOB) with `variant` (its SSN and DOB, as a keyed fingerprint). Returns false
    /// when the key has now tried more variants for that person than allowed: the search is
    /// to be refused. A variant tried before is free.
    pub fn allows(&self, key_id: &str, person: &str, variant: &str, now: Instant) -> bool {
        if self.max_variants == 0 {
            return true;
        }
        let Ok(mut probes) = self.probes.lock() else {
            return true;
        };
        if probes.len() >= SWEEP_AT {
            let window = self.window;
            probes.retain(|_, p| now.saturating_duration_since(p.started) < window);
        }
        let probe = probes
            .entry((key_id.to_string(), person.to_string()))
            .or_insert_with(|| Probe {
                started: now,
                variants: HashSet::new(),
            });
        if now.saturating_duration_since(probe.started) >= self.window {
            probe.started = now;
            probe.variants.clear();
        }
        if probe.variants.contains(variant) {
            return true;
        }
        if probe.variants.len() >= self.max_variants {
            return false;
        }
        probe.variants.insert(variant.to_string());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_counts_rows_per_key_and_day() {
        let quota = DailyRowQuota::new(10);
        let noon = 20_000 * 86_400 + 43_200;
        assert_eq!(quota.take("a", 8, noon), Ok(()));
        assert_eq!(
            quota.take("a", 3, noon),
            Err(QuotaRefusal {
                left: 2,
                retry_after_seconds: 43_200
            }),
            "all or none"
        );
        assert_eq!(quota.take("a", 2, noon), Ok(()));
        assert_eq!(quota.take("b", 10, noon), Ok(()), "per key");
        assert_eq!(quota.take("a", 10, noon + 43_200), Ok(()), "a new day");
        assert_eq!(DailyRowQuota::new(0).take("a", u64::MAX, noon), Ok(()));
    }

    #[test]
    fn guesses_past_the_threshold_are_refused_and_repeats_are_free() {
        let guard = EnumerationGuard::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for variant in ["s1", "s2", "s3", "s1", "s2"] {
            assert!(guard.allows("k", "ann lee", variant, start), "{variant}");
        }
        assert!(!guard.allows("k", "ann lee", "s4", start), "a fourth guess");
        assert!(guard.allows("k", "ann lee", "s1", start), "a repeat");
        assert!(guard.allows("other key", "ann lee", "s4", start), "per key");
        assert!(guard.allows("k", "bo diaz", "s4", start), "per person");
        let later = start + Duration::from_secs(61);
        assert!(
            guard.allows("k", "ann lee", "s4", later),
            "the window passed"
        );
        let off = EnumerationGuard::new(0, Duration::from_secs(60));
        assert!((0..100).all(|i| off.allows("k", "p", &i.to_string(), start)));
    }
}
