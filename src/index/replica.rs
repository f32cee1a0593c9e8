//! Read replicas: copying an index's commits to another directory, and noticing new ones.
//!
//! A tantivy commit is a set of immutable segment files named after their segment, plus
//! `meta.json`, which lists the segments and is replaced atomically last. So a copy is
//! consistent at every moment when the segment files of a commit arrive before its
//! `meta.json` does, and a reader that reopens on a new `meta.json` sees whole commits only.
//! [`sync_commit`] copies in that order; [`CommitWatch`] tells a replica that a new
//! `meta.json` arrived. docs/scaling.md shows the set-up.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The file naming an index's last commit.
pub const META_FILE: &str = "meta.json";

/// What [`sync_commit`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// The source's commit was already in place: nothing was copied.
    pub unchanged: bool,
    /// Segment files copied.
    pub files_copied: usize,
    /// Bytes copied.
    pub bytes_copied: u64,
    /// Files of segments no longer in the commit, removed from the copy.
    pub files_removed: usize,
    /// Segments in the commit.
    pub segments: usize,
    /// The outcome log (`outcomes.jsonl`) had grown and was copied.
    pub outcomes_copied: bool,
}

/// Copies the last commit of the index in `from` into `to` (created when absent): first each
/// segment file the commit lists that `to` lacks (or holds at another size, a copy cut short),
/// synced, and the outcome log when it grew, then `meta.json` by an atomic rename, then removes files of segments the commit no
/// longer lists. A reader of `to` therefore never sees a `meta.json` whose files are missing.
///
/// The writer of `from` may commit meanwhile: the `meta.json` read first is the one installed,
/// and when a segment it lists was merged away before it was copied, the call fails and the
/// next one copies the newer commit.
///
/// # Errors
/// When `from` holds no index, or a file cannot be read or written.
pub fn sync_commit(from: &Path, to: &Path) -> Result<SyncReport> {
    let meta_path = from.join(META_FILE);
    let meta = fs::read(&meta_path).map_err(|e| Error::io(&meta_path, e))?;
    let segments = segment_ids(&meta).map_err(|message| Error::IndexDirectory {
        path: from.to_path_buf(),
        message,
    })?;
    fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    let mut report = SyncReport {
        segments: segments.len(),
        ..SyncReport::default()
    };
    // The outcome log travels with the index (it only grows: another size is news).
    let outcomes = from.join(crate::outcomes::OUTCOMES_FILE);
    if let Ok(size) = fs::metadata(&outcomes).map(|m| m.len()) {
        let target = to.join(crate::outcomes::OUTCOMES_FILE);
        if fs::metadata(&target).map_or(true, |m| m.len() != size) {
            copy_synced(&outcomes, &target)?;
            report.outcomes_copied = true;
        }
    }
    let installed = fs::read(to.join(META_FILE)).ok();
    if installed.as_deref() == Some(meta.as_slice()) {
        report.unchanged = !report.outcomes_copied;
        return Ok(report);
    }
    for entry in fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !segment_of(name).is_some_and(|id| segments.contains(id)) {
            continue;
        }
        let source = entry.path();
        let target = to.join(name);
        let size = entry.metadata().map_err(|e| Error::io(&source, e))?.len();
        if fs::metadata(&target).is_ok_and(|m| m.len() == size) {
            continue;
        }
        copy_synced(&source, &target)?;
        report.files_copied += 1;
        report.bytes_copied += size;
    }
    let staged = to.join(format!("{META_FILE}.incoming"));
    write_synced(&staged, &meta)?;
    fs::rename(&staged, to.join(META_FILE)).map_err(|e| Error::io(to, e))?;
    sync_dir(to)?;
    for entry in fs::read_dir(to).map_err(|e| Error::io(to, e))? {
        let entry = entry.map_err(|e| Error::io(to, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if segment_of(name).is_some_and(|id| !segments.contains(id)) {
            // A replica still reading the old commit keeps its open files (unlinked files
            // stay readable while mapped).
            fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
            report.files_removed += 1;
        }
    }
    Ok(report)
}

/// Watches an index directory's `meta.json` for a new commit.
#[derive(Debug)]
pub struct CommitWatch {
    meta: PathBuf,
    seen: Option<[u8; 32]>,
}

impl CommitWatch {
    /// Watches `dir`, taking its current commit as seen.
    pub fn new(dir: &Path) -> CommitWatch {
        let meta = dir.join(META_FILE);
        let seen = digest_of(&meta);
        CommitWatch { meta, seen }
    }

    /// Says whether `meta.json` changed since the last call that said so (or since
    /// [`CommitWatch::new`]). A missing or unreadable file is no change.
    pub fn changed(&mut self) -> bool {
        match digest_of(&self.meta) {
            Some(digest) if self.seen != Some(digest) => {
                self.seen = Some(digest);
                true
            }
            _ => false,
        }
    }

    /// Forgets the last commit seen, so the next [`CommitWatch::changed`] says yes (a reload
    /// that failed is tried again).
    pub fn forget(&mut self) {
        self.seen = None;
    }
}

fn digest_of(path: &Path) -> Option<[u8; 32]> {
    fs::read(path)
        .ok()
        .map(|bytes| Sha256::digest(&bytes).into())
}

/// The segment ids a `meta.json` lists, as its files are named (hex, without dashes).
fn segment_ids(meta: &[u8]) -> std::result::Result<HashSet<String>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(meta).map_err(|e| format!("meta.json does not parse: {e}"))?;
    let segments = value
        .get("segments")
        .and_then(|s| s.as_array())
        .ok_or("meta.json lists no segments")?;
    segments
        .iter()
        .map(|segment| {
            segment
                .get("segment_id")
                .and_then(|id| id.as_str())
                .map(|id| id.replace('-', ""))
                .ok_or_else(|| "a segment in meta.json has no segment_id".to_string())
        })
        .collect()
}

/// The segment a file belongs to: its name's part before the first dot, when that is a
/// 32-digit hex id (`<id>.idx`, `<id>.<opstamp>.del`).
fn segment_of(name: &str) -> Option<&str> {
    let (stem, _) = name.split_once('.')?;
    (stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit())).then_some(stem)
}

fn copy_synced(source: &Path, target: &Path) -> Result<()> {
    let partial = target.with_extension("incoming");
    fs::copy(source, &partial).map_err(|e| Error::io(source, e))?;
    File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(&partial, e))?;
    fs::rename(&partial, target).map_err(|e| Error::io(target, e))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = File::create(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Field, RawRecord};

    fn add(index: &crate::index::SkipIndex, id: &str, last: &str) {
        let mut writer = index.writer().expect("writer");
        let raw = RawRecord::new()
            .with(Field::RecordId, id)
            .with(Field::FirstName, "Ann")
            .with(Field::LastName, last)
            .with(Field::Dob, "1980-02-03");
        writer
            .upsert(&crate::normalize::NormalizedRecord::from_raw(&raw).0)
            .expect("upsert");
        writer.commit().expect("commit");
    }

    #[test]
    fn a_copy_follows_the_source_commit_by_commit() {
        let root = tempfile::tempdir().expect("tempdir");
        let (from, to) = (root.path().join("writer"), root.path().join("replica"));
        let source = crate::index::SkipIndex::open_or_create(&from).expect("source");
        add(&source, "R1", "Lee");
        let first = sync_commit(&from, &to).expect("sync");
        assert!(!first.unchanged && first.files_copied > 0);
        let replica = crate::index::SkipIndex::open(&to).expect("replica opens");
        assert_eq!(replica.num_records(), 1);
        assert!(sync_commit(&from, &to).expect("again").unchanged);

        let mut watch = CommitWatch::new(&to);
        assert!(!watch.changed());
        add(&source, "R2", "Park");
        let second = sync_commit(&from, &to).expect("sync");
        assert!(second.files_copied > 0);
        assert!(watch.changed());
        assert!(!watch.changed());
        replica.reload().expect("reload");
        assert_eq!(replica.num_records(), 2);
        assert!(replica.get("R2").expect("get").is_some());
    }

    #[test]
    fn segments_merged_away_leave_the_copy() {
        let root = tempfile::tempdir().expect("tempdir");
        let (from, to) = (root.path().join("writer"), root.path().join("replica"));
        fs::create_dir_all(&to).expect("dir");
        let stale = to.join(format!("{}.idx", "ab".repeat(16)));
        fs::write(&stale, b"old segment").expect("write");
        fs::write(to.join("notes.txt"), b"not a segment").expect("write");
        let source = crate::index::SkipIndex::open_or_create(&from).expect("source");
        add(&source, "R1", "Lee");
        let report = sync_commit(&from, &to).expect("sync");
        assert_eq!(report.files_removed, 1);
        assert!(!stale.exists());
        assert!(
            to.join("notes.txt").exists(),
            "only segment files are removed"
        );
    }

    #[test]
    fn the_outcome_log_travels_with_the_index() {
        let root = tempfile::tempdir().expect("tempdir");
        let (from, to) = (root.path().join("writer"), root.path().join("replica"));
        let source = crate::index::SkipIndex::open_or_create(&from).expect("source");
        add(&source, "R1", "Lee");
        assert!(!sync_commit(&from, &to).expect("sync").outcomes_copied);
        let log = crate::outcomes::OUTCOMES_FILE;
        fs::write(from.join(log), b"{}\n").expect("write");
        let report = sync_commit(&from, &to).expect("sync");
        assert!(report.outcomes_copied && !report.unchanged, "{report:?}");
        assert_eq!(fs::read(to.join(log)).expect("copied"), b"{}\n");
        assert!(sync_commit(&from, &to).expect("again").unchanged);
    }

    #[test]
    fn a_directory_without_an_index_is_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        let error = sync_commit(root.path(), &root.path().join("copy")).expect_err("no index");
        assert!(error.to_string().contains("meta.json"), "{error}");
    }

    #[test]
    fn file_names_map_to_their_segment() {
        let id = "212d4ec7c6d84c76a823f3006f46f44b";
        assert_eq!(segment_of(&format!("{id}.idx")), Some(id));
        assert_eq!(segment_of(&format!("{id}.12.del")), Some(id));
        assert_eq!(segment_of("meta.json"), None);
        assert_eq!(segment_of(".tantivy-writer.lock"), None);
    }
}
