//! The outcome log: one JSON line per outcome in `outcomes.jsonl` beside the index's segments,
//! appended and synced before a report is acknowledged, and read whole when the index opens.
//! Re-indexing rewrites segments, never this file, so outcomes outlive it; a crash can cut
//! only a last line that was never acknowledged, which the next open skips.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::effect::ContactOutcomes;
use super::Outcome;
use crate::error::{Error, Result};

/// The outcome log's file name inside an index directory.
pub const OUTCOMES_FILE: &str = "outcomes.jsonl";

/// Outcomes of one index, on disk and in memory (by anchor record).
#[derive(Debug)]
pub struct OutcomeStore {
    path: Option<PathBuf>,
    by_record: RwLock<HashMap<String, Vec<Arc<Outcome>>>>,
    /// Bytes of the file read or written by this store: another size means another process
    /// appended (`skiptrace outcomes` beside a server, `skiptrace replicate` on a replica).
    known_bytes: AtomicU64,
}

impl OutcomeStore {
    /// A store kept in memory only (an in-RAM index, tests).
    pub fn in_memory() -> OutcomeStore {
        OutcomeStore {
            path: None,
            by_record: RwLock::default(),
            known_bytes: AtomicU64::new(0),
        }
    }

    /// Opens the outcome log of the index in `dir` (empty when there is none yet).
    ///
    /// # Errors
    /// When the file exists but cannot be read, or a line other than an unfinished last one
    /// does not parse (the log was edited by hand: it names the line).
    pub fn open(dir: &Path) -> Result<OutcomeStore> {
        let path = dir.join(OUTCOMES_FILE);
        let store = OutcomeStore {
            path: Some(path.clone()),
            by_record: RwLock::default(),
            known_bytes: AtomicU64::new(0),
        };
        let (outcomes, bytes) = read_log(&path)?;
        store.remember(outcomes);
        store.known_bytes.store(bytes, Ordering::Relaxed);
        Ok(store)
    }

    /// Reads the log again when another process appended to it since this store last read or
    /// wrote it. Returns whether it did.
    ///
    /// # Errors
    /// As [`OutcomeStore::open`]; the outcomes known stay as they were.
    pub fn refresh(&self) -> Result<bool> {
        let Some(path) = &self.path else {
            return Ok(false);
        };
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        if size == self.known_bytes.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let (outcomes, bytes) = read_log(path)?;
        let mut by_record = self.by_record.write().unwrap_or_else(|e| e.into_inner());
        by_record.clear();
        for outcome in outcomes {
            by_record
                .entry(outcome.record_id.clone())
                .or_default()
                .push(outcome);
        }
        self.known_bytes.store(bytes, Ordering::Relaxed);
        Ok(true)
    }

    /// Appends outcomes: written and synced to disk before this returns, then applied.
    ///
    /// # Errors
    /// When the log cannot be written; then none of them is applied.
    pub fn append(&self, outcomes: Vec<Outcome>) -> Result<()> {
        if let Some(path) = &self.path {
            let mut bytes = Vec::new();
            for outcome in &outcomes {
                serde_json::to_writer(&mut bytes, outcome)
                    .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
                bytes.push(b'\n');
            }
            let existed = path.exists();
            let mut file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| Error::io(path, e))?;
            file.write_all(&bytes).map_err(|e| Error::io(path, e))?;
            file.sync_all().map_err(|e| Error::io(path, e))?;
            self.known_bytes
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            if !existed {
                if let Some(dir) = path.parent() {
                    File::open(dir)
                        .and_then(|d| d.sync_all())
                        .map_err(|e| Error::io(dir, e))?;
                }
            }
        }
        self.remember(outcomes.into_iter().map(Arc::new).collect());
        Ok(())
    }

    /// The outcomes anchored on any of `record_ids`.
    pub fn for_records<'a>(&self, record_ids: impl Iterator<Item = &'a str>) -> ContactOutcomes {
        let by_record = self.by_record.read().unwrap_or_else(|e| e.into_inner());
        if by_record.is_empty() {
            return ContactOutcomes::default();
        }
        ContactOutcomes::new(
            record_ids
                .filter_map(|id| by_record.get(id))
                .flatten()
                .cloned()
                .collect::<Vec<_>>(),
        )
    }

    /// Every outcome, in the order reported (reports, compliance listings).
    pub fn all(&self) -> Vec<Arc<Outcome>> {
        let by_record = self.by_record.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<Arc<Outcome>> = by_record.values().flatten().cloned().collect();
        all.sort_by_key(|o| o.at);
        all
    }

    /// Outcomes known.
    pub fn len(&self) -> usize {
        let by_record = self.by_record.read().unwrap_or_else(|e| e.into_inner());
        by_record.values().map(Vec::len).sum()
    }

    /// True when none is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn remember(&self, outcomes: Vec<Arc<Outcome>>) {
        let mut by_record = self.by_record.write().unwrap_or_else(|e| e.into_inner());
        for outcome in outcomes {
            by_record
                .entry(outcome.record_id.clone())
                .or_default()
                .push(outcome);
        }
    }
}

/// Reads a file of outcomes in the log's form (JSON Lines, as `INDEX/outcomes.jsonl` or
/// `skiptrace eval --outcomes-out` write them), oldest first as written.
///
/// # Errors
/// When the file cannot be read, or a line other than an unfinished last one is not an outcome
/// (named by its line).
pub fn read_outcomes(path: &Path) -> Result<Vec<Outcome>> {
    std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let (outcomes, _) = read_log(path)?;
    Ok(outcomes.into_iter().map(Arc::unwrap_or_clone).collect())
}

/// Reads the outcome log at `path` (nothing when absent): its outcomes and the bytes read.
fn read_log(path: &Path) -> Result<(Vec<Arc<Outcome>>, u64)> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(Error::io(path, e)),
    };
    let bytes = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut lines = BufReader::new(file).split(b'\n').enumerate().peekable();
    let mut loaded = Vec::new();
    while let Some((number, line)) = lines.next() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Outcome>(&line) {
            Ok(outcome) => loaded.push(Arc::new(outcome)),
            // A report cut by a crash before it was acknowledged.
            Err(_) if lines.peek().is_none() => {
                tracing::warn!(path = %path.display(), line = number + 1, "skipping an unfinished last outcome line");
            }
            Err(error) => {
                return Err(Error::OutcomeLog {
                    path: path.to_path_buf(),
                    line: number + 1,
                    message: error.to_string(),
                })
            }
        }
    }
    Ok((loaded, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcomes::OutcomeKind;
    use crate::resolve::ContactKind;

    fn outcome(record: &str, kind: OutcomeKind) -> Outcome {
        Outcome {
            outcome: kind,
            channel: ContactKind::Phone,
            contact: "6145550142".into(),
            record_id: record.into(),
            account: "A1".into(),
            at: crate::normalize::parse_date("2026-10-02").expect("date"),
            reported_by: "desk 4".into(),
        }
    }

    #[test]
    fn outcomes_survive_a_reopen_and_are_found_by_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = OutcomeStore::open(dir.path()).expect("open");
        assert!(store.is_empty());
        store
            .append(vec![
                outcome("R1", OutcomeKind::RightParty),
                outcome("R2", OutcomeKind::Disconnected),
            ])
            .expect("append");
        store
            .append(vec![outcome("R1", OutcomeKind::NoAnswer)])
            .expect("append");
        let reopened = OutcomeStore::open(dir.path()).expect("reopen");
        assert_eq!(reopened.len(), 3);
        let found = reopened.for_records(["R1", "R9"].into_iter());
        assert_eq!(found.of_identity(["R1"].into_iter()).len(), 2);
        assert!(
            found.of_identity(["R2"].into_iter()).is_empty(),
            "R2 was not asked for"
        );
    }

    #[test]
    fn another_process_appending_is_picked_up_by_refresh() {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = OutcomeStore::open(dir.path()).expect("open");
        assert!(!server.refresh().expect("refresh"), "nothing new");
        let cli = OutcomeStore::open(dir.path()).expect("open");
        cli.append(vec![outcome("R1", OutcomeKind::DoNotCall)])
            .expect("append");
        assert!(server.for_records(["R1"].into_iter()).is_empty());
        assert!(server.refresh().expect("refresh"));
        assert_eq!(
            server
                .for_records(["R1"].into_iter())
                .of_identity(["R1"].into_iter())
                .len(),
            1
        );
        server
            .append(vec![outcome("R2", OutcomeKind::RightParty)])
            .expect("append");
        assert!(
            !server.refresh().expect("refresh"),
            "its own append is known"
        );
        assert_eq!(server.len(), 2);
    }

    #[test]
    fn an_unfinished_last_line_is_skipped_and_a_broken_one_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = OutcomeStore::open(dir.path()).expect("open");
        store
            .append(vec![outcome("R1", OutcomeKind::RightParty)])
            .expect("append");
        let path = dir.path().join(OUTCOMES_FILE);
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("{\"outcome\":\"right_pa");
        std::fs::write(&path, &text).expect("write");
        assert_eq!(OutcomeStore::open(dir.path()).expect("open").len(), 1);
        std::fs::write(&path, format!("not json\n{text}")).expect("write");
        let error = OutcomeStore::open(dir.path()).expect_err("broken line");
        assert!(error.to_string().contains("line 1"), "{error}");
    }
}
