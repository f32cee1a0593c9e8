//! `skiptrace audit verify`: the keyed chain checked line by line across the rotated segments and
//! the live log, and against the checkpoints written beside each.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::segments::{segment_checkpoints_path, segments, Pruned};
use super::{AuditKey, AuditLine, Checkpoint, GENESIS_HASH};
use crate::error::{Error, Result};

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    /// Lines that verified before the first failure (all of them when there is none).
    pub lines_verified: u64,
    /// Checkpoints that verified against the log.
    pub checkpoints_verified: u64,
    /// The first broken line, if any.
    pub failure: Option<VerifyFailure>,
}

/// Where and why a log failed verification.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyFailure {
    /// The file (a segment, the live log, or the retention anchor); `None` from
    /// [`verify_lines`].
    pub file: Option<PathBuf>,
    /// 1-based line number in that file (in its checkpoint file when the reason says so).
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

/// Where a chain stands: the last line's `seq` and hash.
#[derive(Debug, Clone)]
struct ChainEnd {
    seq: u64,
    hash: String,
}

impl ChainEnd {
    fn genesis() -> ChainEnd {
        ChainEnd {
            seq: 0,
            hash: GENESIS_HASH.to_string(),
        }
    }
}

/// Verifies the keyed chain of the log at `path` across its rotated segments (oldest first,
/// from the retention anchor when segments were pruned) and the live file, each against its own
/// checkpoints (`checkpoints` and its segment copies).
///
/// # Errors
/// When a file cannot be opened; a broken chain, a missing segment or checkpoint file, a forged
/// anchor, or a log shorter than a checkpoint is not an error but a [`VerifyFailure`].
pub fn verify(path: &Path, key: &AuditKey, checkpoints: &Path) -> Result<VerifyReport> {
    let mut total = VerifyReport {
        lines_verified: 0,
        checkpoints_verified: 0,
        failure: None,
    };
    let anchor = match Pruned::read(path, key) {
        Ok(anchor) => anchor,
        Err(Error::Audit { path, message }) => {
            total.failure = Some(VerifyFailure {
                file: Some(path),
                line: 1,
                reason: message,
            });
            return Ok(total);
        }
        Err(other) => return Err(other),
    };
    let mut end = anchor.map_or_else(ChainEnd::genesis, |a| ChainEnd {
        seq: a.through_seq,
        hash: a.hash,
    });
    let anchored = end.seq;
    let files = segments(path)?
        .into_iter()
        // Segments an interrupted prune anchored but did not remove.
        .filter(|s| s.last_seq > anchored)
        .map(|s| (s.path, segment_checkpoints_path(checkpoints, s.last_seq)))
        .chain([(path.to_path_buf(), checkpoints.to_path_buf())]);
    for (file, checkpoint_path) in files {
        let lines = File::open(&file).map_err(|e| Error::io(&file, e))?;
        let checkpoint_file = match File::open(&checkpoint_path) {
            Ok(found) => Some(BufReader::new(found)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&checkpoint_path, e)),
        };
        let (report, next) = verify_chain(BufReader::new(lines), key, checkpoint_file, end);
        total.lines_verified += report.lines_verified;
        total.checkpoints_verified += report.checkpoints_verified;
        if let Some(mut failure) = report.failure {
            failure.file = Some(file);
            total.failure = Some(failure);
            return Ok(total);
        }
        end = next;
    }
    Ok(total)
}

/// Reads checkpoints one by one, checking each is sealed and later than the one before.
struct CheckpointReader<R> {
    lines: std::io::Split<R>,
    number: u64,
    last_seq: u64,
}

impl<R: BufRead> CheckpointReader<R> {
    fn next(&mut self, key: &AuditKey) -> Option<std::result::Result<Checkpoint, VerifyFailure>> {
        let bytes = loop {
            let bytes = self.lines.next()?;
            self.number += 1;
            match bytes {
                Ok(bytes) if bytes.is_empty() => continue,
                other => break other,
            }
        };
        let number = self.number;
        let fail = |reason: String| {
            Some(Err(VerifyFailure {
                file: None,
                line: number,
                reason: format!("checkpoint file, line {number}: {reason}"),
            }))
        };
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(e) => return fail(format!("unreadable: {e}")),
        };
        let checkpoint: Checkpoint = match serde_json::from_slice(&bytes) {
            Ok(checkpoint) => checkpoint,
            Err(e) => return fail(format!("not a checkpoint: {e}")),
        };
        if !checkpoint.is_sealed(key) {
            return fail("not sealed with this key: forged or edited".into());
        }
        if checkpoint.seq <= self.last_seq {
            return fail(format!(
                "seq {} after {}: checkpoints reordered or replayed",
                checkpoint.seq, self.last_seq
            ));
        }
        self.last_seq = checkpoint.seq;
        Some(Ok(checkpoint))
    }
}

/// Verifies a chain read from any reader: every line parses, has the next `seq`, points at the
/// previous line's hash, and matches its own hash under `key`; then every checkpoint is sealed
/// with `key`, names a line the log holds, with that line's hash. `checkpoints` is `None` when
/// there is no checkpoint file, which fails a log that has lines.
pub fn verify_lines(
    reader: impl BufRead,
    key: &AuditKey,
    checkpoints: Option<impl BufRead>,
) -> VerifyReport {
    verify_chain(reader, key, checkpoints, ChainEnd::genesis()).0
}

/// [`verify_lines`] for a file whose chain carries on from `start`; returns where it ends.
fn verify_chain(
    reader: impl BufRead,
    key: &AuditKey,
    checkpoints: Option<impl BufRead>,
    start: ChainEnd,
) -> (VerifyReport, ChainEnd) {
    let mut previous_hash = start.hash;
    let mut verified = 0u64;
    let mut checkpoints_verified = 0u64;
    let mut checkpoints = checkpoints.map(|r| CheckpointReader {
        lines: r.split(b'\n'),
        number: 0,
        last_seq: start.seq,
    });
    macro_rules! fail {
        ($line:expr, $reason:expr) => {
            return (
                VerifyReport {
                    lines_verified: verified,
                    checkpoints_verified,
                    failure: Some(VerifyFailure {
                        file: None,
                        line: $line,
                        reason: $reason,
                    }),
                },
                ChainEnd {
                    seq: start.seq + verified,
                    hash: previous_hash,
                },
            )
        };
    }
    macro_rules! next_checkpoint {
        () => {
            match checkpoints.as_mut().and_then(|c| c.next(key)) {
                None => None,
                Some(Ok(checkpoint)) => Some(checkpoint),
                Some(Err(failure)) => fail!(failure.line, failure.reason),
            }
        };
    }
    let mut pending: Option<Checkpoint> = next_checkpoint!();
    for (index, text) in reader.split(b'\n').enumerate() {
        let number = index as u64 + 1;
        let bytes = match text {
            Ok(bytes) => bytes,
            Err(e) => fail!(number, format!("unreadable: {e}")),
        };
        let line: AuditLine = match serde_json::from_slice(&bytes) {
            Ok(line) => line,
            Err(e) => fail!(number, format!("not an audit line: {e}")),
        };
        let expected = start.seq + number;
        if line.seq != expected {
            fail!(
                number,
                format!(
                    "seq is {}, expected {expected}: a line (or a whole segment) was deleted, \
                     inserted or moved",
                    line.seq
                )
            );
        }
        if line.prev_hash != previous_hash {
            fail!(
                number,
                "prev_hash does not match the previous line's hash: a line before it was \
                 deleted, reordered or rewritten"
                    .into()
            );
        }
        if line.hash != line.expected_hash(key) {
            fail!(
                number,
                "hash does not match the line's content under this key: the line was edited, \
                 or the chain recomputed without the key"
                    .into()
            );
        }
        while pending.as_ref().is_some_and(|c| c.seq == expected) {
            let checkpoint = pending.take().expect("checked");
            if checkpoint.hash != line.hash {
                fail!(
                    number,
                    "differs from the checkpoint written for it: the log was rewritten from \
                     here"
                        .into()
                );
            }
            checkpoints_verified += 1;
            pending = next_checkpoint!();
        }
        previous_hash = line.hash;
        verified += 1;
    }
    if checkpoints.is_none() && verified > 0 {
        fail!(
            verified + 1,
            "no checkpoint file: lines cut from the end could not be detected".into()
        );
    }
    // The first durable line is checkpointed at once: a log with lines and no checkpoint had
    // its checkpoints emptied.
    if checkpoints_verified == 0 && verified > 0 {
        fail!(
            verified + 1,
            "no checkpoint vouches for any line: the checkpoint file was emptied".into()
        );
    }
    if let Some(checkpoint) = pending {
        fail!(
            verified + 1,
            format!(
                "the file ends at seq {} but a checkpoint vouches for {}: lines were cut off \
                 the end",
                start.seq + verified,
                checkpoint.seq
            )
        );
    }
    let end = ChainEnd {
        seq: start.seq + verified,
        hash: previous_hash,
    };
    let report = VerifyReport {
        lines_verified: verified,
        checkpoints_verified,
        failure: None,
    };
    (report, end)
}
