//! Rotation and retention of the audit log without breaking its chain.
//!
//! When the live log grows past a size, the server checkpoints it and renames it (and its
//! checkpoint file) to a *segment* named by its last line's `seq`: `audit.jsonl.000000012345`
//! holds lines up to 12345. The next line, in a fresh live file, carries on the chain: its `seq`
//! follows and its `prev_hash` is the segment's last hash. [`super::verify`] walks the segments
//! oldest first and then the live file as one chain.
//!
//! Retention removes whole segments from the oldest end, never the live file, and only those
//! whose every account has been quiet for the retention period (docs/domain.md §6: records kept
//! until three years after the last activity). It leaves a sealed [`Pruned`] anchor naming the
//! last line removed and its hash, so the chain still verifies from the first line kept, and a
//! segment deleted by anyone else is still a gap.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{now_rfc3339, with_suffix, AuditKey, AuditLine};
use crate::error::{Error, Result};

/// Digits of the `seq` in a segment's name (zero-padded, so names sort in chain order).
const SEGMENT_DIGITS: usize = 12;

/// Default size at which the server rotates the live log: 256 MiB, about a million lines.
pub const DEFAULT_ROTATE_BYTES: u64 = 256 * 1024 * 1024;

/// Default retention: three years after an account's last activity, plus a leap day.
pub const DEFAULT_RETENTION_DAYS: u32 = 3 * 365 + 1;

/// One rotated segment of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// `seq` of its last line.
    pub last_seq: u64,
    /// Its file.
    pub path: PathBuf,
}

/// The segment of `log` ending at line `last_seq`.
pub fn segment_path(log: &Path, last_seq: u64) -> PathBuf {
    with_suffix(log, &format!(".{last_seq:0SEGMENT_DIGITS$}"))
}

/// The checkpoints of the segment ending at `last_seq`, beside the live checkpoint file.
pub fn segment_checkpoints_path(checkpoints: &Path, last_seq: u64) -> PathBuf {
    with_suffix(checkpoints, &format!(".{last_seq:0SEGMENT_DIGITS$}"))
}

/// The retention anchor of `log`: its path with `.pruned` appended.
pub fn pruned_path(log: &Path) -> PathBuf {
    with_suffix(log, ".pruned")
}

/// Returns the rotated segments of `log`, oldest first.
///
/// # Errors
/// When the log's directory cannot be listed.
pub fn segments(log: &Path) -> Result<Vec<Segment>> {
    let directory = match log.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let Some(name) = log.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let prefix = format!("{name}.");
    let entries = match std::fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(directory, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(directory, e))?;
        let file_name = entry.file_name();
        let Some(digits) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        if digits.len() != SEGMENT_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(last_seq) = digits.parse() {
            found.push(Segment {
                last_seq,
                path: segment_path(log, last_seq),
            });
        }
    }
    found.sort_by_key(|s| s.last_seq);
    Ok(found)
}

/// A sealed record that the lines up to `through_seq` were removed by retention; the first line
/// kept must follow it and point at `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pruned {
    /// The last line removed.
    pub through_seq: u64,
    /// Its hash.
    pub hash: String,
    /// When the segments were removed (RFC 3339, UTC).
    pub time: String,
    /// HMAC-SHA256 under the audit key of through_seq, hash and time, hex.
    pub mac: String,
}

impl Pruned {
    fn new(through_seq: u64, hash: &str, key: &AuditKey) -> Pruned {
        let time = now_rfc3339();
        let mac = Pruned::expected_mac(through_seq, hash, &time, key);
        Pruned {
            through_seq,
            hash: hash.to_string(),
            time,
            mac,
        }
    }

    fn expected_mac(through_seq: u64, hash: &str, time: &str, key: &AuditKey) -> String {
        key.mac(
            "pruned",
            &[
                through_seq.to_string().as_bytes(),
                b"|",
                hash.as_bytes(),
                b"|",
                time.as_bytes(),
            ],
        )
    }

    /// Reads the anchor of `log`, `None` when nothing was ever pruned.
    ///
    /// # Errors
    /// [`Error::Audit`] when the file exists but is not an anchor sealed with `key`.
    pub fn read(log: &Path, key: &AuditKey) -> Result<Option<Pruned>> {
        let path = pruned_path(log);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        serde_json::from_slice::<Pruned>(&bytes)
            .ok()
            .filter(|p| p.mac == Pruned::expected_mac(p.through_seq, &p.hash, &p.time, key))
            .map(Some)
            .ok_or(Error::Audit {
                path,
                message: "not a retention anchor sealed with this key: forged or edited".into(),
            })
    }

    /// Writes the anchor atomically (a temporary file renamed over the old one).
    fn write(&self, log: &Path) -> Result<()> {
        let path = pruned_path(log);
        let temporary = with_suffix(&path, ".tmp");
        let mut bytes = serde_json::to_vec(self).expect("an anchor serializes");
        bytes.push(b'\n');
        let mut file = File::create(&temporary).map_err(|e| Error::io(&temporary, e))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(&temporary, e))?;
        std::fs::rename(&temporary, &path).map_err(|e| Error::io(&path, e))?;
        sync_directory(&path)
    }
}

/// Syncs the directory holding `path`, so a rename or removal in it is durable.
pub(super) fn sync_directory(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        File::open(directory)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(directory, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// What [`prune`] removed, or would remove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Segments removed (or that would be, on a dry run).
    pub removed: Vec<Segment>,
    /// The oldest segment kept, and why, when any segment is left.
    pub kept_because: Option<String>,
}

/// Removes the oldest segments of `log` whose lines are all older than `retention_days` before
/// `now` and whose accounts (`client_reference`) have no line newer than that anywhere in the
/// log; the live file is never touched. With `dry_run`, only reports.
///
/// # Errors
/// When a file cannot be read, a segment's last line is not sealed with `key`, or the anchor or
/// a removal cannot be written.
pub fn prune(
    log: &Path,
    checkpoints: &Path,
    key: &AuditKey,
    retention_days: u32,
    now: time::OffsetDateTime,
    dry_run: bool,
) -> Result<PruneReport> {
    let cutoff = now - time::Duration::days(i64::from(retention_days));
    let mut report = PruneReport::default();
    let anchored = Pruned::read(log, key)?.map_or(0, |p| p.through_seq);
    let all = segments(log)?;
    // Accounts active within the retention period, anywhere in the log.
    let mut recent: HashSet<String> = HashSet::new();
    for path in all.iter().map(|s| s.path.as_path()).chain([log]) {
        for_each_line(path, |line| {
            if parse_time(&line.time).is_some_and(|t| t >= cutoff) {
                recent.extend(line.client_reference);
            }
        })?;
    }
    let mut last_removed: Option<AuditLine> = None;
    for segment in all.into_iter().filter(|s| s.last_seq > anchored) {
        let mut newest = None;
        let mut active_account = None;
        let mut last = None;
        for_each_line(&segment.path, |line| {
            newest = parse_time(&line.time).or(newest);
            if active_account.is_none() {
                active_account = line
                    .client_reference
                    .as_ref()
                    .filter(|r| recent.contains(*r))
                    .cloned();
            }
            last = Some(line);
        })?;
        let name = segment.path.display();
        if newest.is_none_or(|t| t >= cutoff) {
            report.kept_because = Some(format!(
                "{name} has lines from the last {retention_days} days"
            ));
            break;
        }
        if let Some(account) = active_account {
            report.kept_because = Some(format!(
                "{name} names account {account}, active in the last {retention_days} days"
            ));
            break;
        }
        let Some(last) = last.filter(|l| l.hash == l.expected_hash(key)) else {
            return Err(Error::Audit {
                path: segment.path.clone(),
                message: "its last line is not sealed with this key (run `skiptrace audit \
                          verify`); nothing removed"
                    .into(),
            });
        };
        last_removed = Some(last);
        report.removed.push(segment);
    }
    if dry_run {
        return Ok(report);
    }
    let Some(last) = last_removed else {
        // Segments an interrupted run anchored but did not remove.
        for segment in segments(log)?.iter().filter(|s| s.last_seq <= anchored) {
            remove_if_present(&segment.path)?;
            remove_if_present(&segment_checkpoints_path(checkpoints, segment.last_seq))?;
        }
        return Ok(report);
    };
    // The anchor first: a crash before the removals leaves segments verify skips and the next
    // run removes.
    Pruned::new(last.seq, &last.hash, key).write(log)?;
    for segment in &report.removed {
        remove_if_present(&segment.path)?;
        remove_if_present(&segment_checkpoints_path(checkpoints, segment.last_seq))?;
    }
    sync_directory(log)?;
    Ok(report)
}

/// Returns line `seq` of the log, from the segment that holds it or the live file, `None` when
/// the log has no such line (pruned, or not yet written).
///
/// # Errors
/// When a file cannot be read, or the line found is not sealed with `key` (run `skiptrace
/// audit verify`).
pub fn find_line(log: &Path, key: &AuditKey, seq: u64) -> Result<Option<AuditLine>> {
    let file = segments(log)?
        .into_iter()
        .find(|s| s.last_seq >= seq)
        .map_or_else(|| log.to_path_buf(), |s| s.path);
    let mut found = None;
    for_each_line(&file, |line| {
        if line.seq == seq && found.is_none() {
            found = Some(line);
        }
    })?;
    match found {
        Some(line) if line.hash != line.expected_hash(key) => Err(Error::Audit {
            path: file,
            message: format!(
                "line {seq} is not sealed with this key (run `skiptrace audit verify`)"
            ),
        }),
        other => Ok(other),
    }
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

fn parse_time(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// Calls `each` with every line of the file that parses as an audit line (verify reports the
/// others); a missing file has none.
fn for_each_line(path: &Path, mut each: impl FnMut(AuditLine)) -> Result<()> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    };
    for bytes in BufReader::new(file).split(b'\n') {
        let bytes = bytes.map_err(|e| Error::io(path, e))?;
        if let Ok(line) = serde_json::from_slice::<AuditLine>(&bytes) {
            each(line);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{default_checkpoint_path, verify, AuditEvent, AuditLog, KEY_BYTES};
    use super::*;

    fn key() -> AuditKey {
        AuditKey([9; KEY_BYTES])
    }

    fn event(account: &str) -> AuditEvent {
        AuditEvent {
            key_id: Some("0123456789ab".into()),
            route: "POST /v1/search".into(),
            status: 200,
            client_reference: Some(account.to_string()),
            ..AuditEvent::default()
        }
    }

    /// A log in a fresh directory that rotates after every line.
    fn rotating_log(dir: &Path) -> (PathBuf, PathBuf, AuditLog) {
        let path = dir.join("audit.jsonl");
        let checkpoints = default_checkpoint_path(&path);
        let log = AuditLog::open(&path, key(), &checkpoints)
            .expect("open")
            .rotate_at(1);
        (path, checkpoints, log)
    }

    #[test]
    fn a_rotated_log_verifies_as_one_chain_and_reopens_where_it_ended() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, checkpoints, log) = rotating_log(dir.path());
        for n in 0..5 {
            log.append(event(&format!("ACC-{n}"))).expect("append");
        }
        assert_eq!(
            segments(&path)
                .expect("list")
                .iter()
                .map(|s| s.last_seq)
                .collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        drop(log);
        assert_eq!(std::fs::metadata(&path).expect("live file").len(), 0);
        let report = verify(&path, &key(), &checkpoints).expect("verify");
        assert_eq!(report.failure, None);
        assert_eq!(report.lines_verified, 5);
        // The live file is empty: the chain carries on from the newest segment.
        let reopened = AuditLog::open(&path, key(), &checkpoints).expect("reopen");
        let next = reopened.append(event("ACC-9")).expect("append");
        assert_eq!(next.seq, 6);
        drop(reopened);
        assert_eq!(
            verify(&path, &key(), &checkpoints)
                .expect("verify")
                .lines_verified,
            6
        );
    }

    #[test]
    fn a_segment_deleted_by_hand_is_a_gap() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, checkpoints, log) = rotating_log(dir.path());
        for n in 0..4 {
            log.append(event(&format!("ACC-{n}"))).expect("append");
        }
        drop(log);
        std::fs::remove_file(segment_path(&path, 2)).expect("remove");
        let failure = verify(&path, &key(), &checkpoints)
            .expect("verify")
            .failure
            .expect("a middle segment missing is found");
        assert_eq!(failure.file, Some(segment_path(&path, 3)));
        assert!(failure.reason.contains("expected 2"), "{}", failure.reason);
        std::fs::remove_file(segment_path(&path, 1)).expect("remove");
        let failure = verify(&path, &key(), &checkpoints)
            .expect("verify")
            .failure
            .expect("the oldest segments missing without an anchor is found");
        assert_eq!(failure.file, Some(segment_path(&path, 3)));
    }

    #[test]
    fn prune_removes_only_quiet_segments_and_leaves_a_verifiable_chain() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, checkpoints, log) = rotating_log(dir.path());
        for account in ["ACC-1", "ACC-2", "ACC-3", "ACC-4"] {
            log.append(event(account)).expect("append");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        let cutoff = time::OffsetDateTime::now_utc();
        std::thread::sleep(std::time::Duration::from_millis(5));
        // ACC-3 is worked again after the cutoff: its old line must stay.
        log.append(event("ACC-3")).expect("append");
        drop(log);
        let now = cutoff + time::Duration::days(1);

        let dry = prune(&path, &checkpoints, &key(), 1, now, true).expect("dry run");
        assert_eq!(dry.removed.len(), 2);
        assert_eq!(
            segments(&path).expect("list").len(),
            5,
            "a dry run removes nothing"
        );

        let report = prune(&path, &checkpoints, &key(), 1, now, false).expect("prune");
        let removed: Vec<u64> = report.removed.iter().map(|s| s.last_seq).collect();
        assert_eq!(removed, vec![1, 2]);
        assert!(report.kept_because.expect("why").contains("ACC-3"));
        assert!(!segment_path(&path, 1).exists());
        assert!(!segment_checkpoints_path(&checkpoints, 2).exists());
        let verified = verify(&path, &key(), &checkpoints).expect("verify");
        assert_eq!(verified.failure, None);
        assert_eq!(verified.lines_verified, 3);

        // The anchor is what vouches for the gap: forged or removed, the gap shows.
        let anchor = pruned_path(&path);
        let text = std::fs::read_to_string(&anchor).expect("anchor");
        std::fs::write(
            &anchor,
            text.replace("\"through_seq\":2", "\"through_seq\":1"),
        )
        .expect("forge");
        let forged = verify(&path, &key(), &checkpoints).expect("verify");
        assert_eq!(forged.failure.expect("forged").file, Some(anchor.clone()));
        std::fs::remove_file(&anchor).expect("remove");
        let failure = verify(&path, &key(), &checkpoints)
            .expect("verify")
            .failure
            .expect("no anchor");
        assert!(failure.reason.contains("expected 1"), "{}", failure.reason);
    }
}
