//! The records of each segment in a file of our own, addressed by document id: a search reads
//! a candidate's payload straight out of a mapped file (one offset, one slice) instead of
//! through tantivy's doc store, whose skip-index seek and block copy were a fifth of a search
//! (docs/architecture.md, "Reading candidates").
//!
//! A segment's file, `<segment id>.records` beside the segment's own files, is built from the
//! doc store the first time a reader sees the segment, written under a temporary name and
//! renamed into place, so two processes building it at once both end with the same whole file.
//! The doc store stays the source of truth: a segment whose file is missing, short or from
//! another layout is rebuilt, and a reader that finds none falls back to the doc store.
//!
//! Layout: the magic `SKREC001`, the document count (u32, little-endian), four reserved bytes,
//! `count + 1` byte offsets (u64, little-endian) into the payloads, then the payloads.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use rayon::prelude::*;
use tantivy::index::SegmentId;
use tantivy::{DocId, Searcher, SegmentReader};

use super::StoredPayload;
use crate::error::{Error, Result};

/// First bytes of a record file: the layout's name and version.
const MAGIC: &[u8; 8] = b"SKREC001";

/// Bytes before the offsets: magic, count, reserved.
const HEADER_BYTES: usize = 16;

/// Extension of a segment's record file.
pub const RECORDS_EXTENSION: &str = "records";

/// The record files of the segments readers have seen, by segment.
#[derive(Debug, Default)]
pub struct RecordStore {
    dir: Option<PathBuf>,
    segments: RwLock<HashMap<SegmentId, Arc<SegmentRecords>>>,
    /// Set once this process writes the index: it then removes the files of segments a merge
    /// or a commit retired.
    writes: AtomicBool,
}

/// One segment's records: the file's bytes, mapped (or in memory for an in-RAM index).
#[derive(Debug)]
pub struct SegmentRecords {
    bytes: Bytes,
    count: u32,
}

#[derive(Debug)]
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Owned(bytes) => bytes,
        }
    }
}

impl RecordStore {
    /// A store for the index in `dir` (`None`: an in-RAM index, whose records stay in memory).
    pub fn new(dir: Option<PathBuf>) -> RecordStore {
        RecordStore {
            dir,
            segments: RwLock::default(),
            writes: AtomicBool::new(false),
        }
    }

    /// Marks this process as the index's writer: from now on [`RecordStore::refresh`] removes
    /// the files of segments the index no longer has.
    pub fn mark_writer(&self) {
        self.writes.store(true, Ordering::Relaxed);
    }

    /// Makes every segment of `searcher` readable here: opens its record file, or builds it
    /// from the doc store when it is missing or does not fit the segment. A segment whose file
    /// cannot be built is read from the doc store (and the failure logged). Segments no longer
    /// searched are forgotten (their mapped files stay valid for a searcher still using them).
    ///
    /// # Errors
    /// When this process writes the index and a retired segment's file cannot be removed.
    pub fn refresh(&self, searcher: &Searcher) -> Result<()> {
        let known = self.segments.read().expect("record store lock").clone();
        // New segments are opened or built side by side (a bulk load ends with one per writer
        // thread).
        let current: HashMap<SegmentId, Arc<SegmentRecords>> = searcher
            .segment_readers()
            .par_iter()
            .filter_map(|segment| {
                let id = segment.segment_id();
                if let Some(records) = known.get(&id) {
                    return Some((id, records.clone()));
                }
                match self.open_or_build(segment) {
                    Ok(records) => Some((id, Arc::new(records))),
                    Err(error) => {
                        tracing::warn!(segment = %id.uuid_string(), %error, "reading this segment's records from the doc store");
                        None
                    }
                }
            })
            .collect();
        *self.segments.write().expect("record store lock") = current;
        if self.writes.load(Ordering::Relaxed) {
            let live: Vec<SegmentId> = searcher
                .segment_readers()
                .iter()
                .map(SegmentReader::segment_id)
                .collect();
            self.remove_stale(&live)?;
        }
        Ok(())
    }

    /// Returns the records of `searcher`'s segments, by segment ordinal (`None` for a segment
    /// this store does not hold: read it from the doc store). Taken once per batch of reads,
    /// so that reading a record takes no lock.
    pub fn snapshot(&self, searcher: &Searcher) -> Vec<Option<Arc<SegmentRecords>>> {
        let segments = self.segments.read().expect("record store lock");
        searcher
            .segment_readers()
            .iter()
            .map(|segment| segments.get(&segment.segment_id()).cloned())
            .collect()
    }

    /// Removes the record files of segments not in `live`, and temporary files a crashed
    /// build left.
    fn remove_stale(&self, live: &[SegmentId]) -> Result<usize> {
        let Some(dir) = &self.dir else { return Ok(0) };
        let live: Vec<String> = live.iter().map(SegmentId::uuid_string).collect();
        let mut removed = 0;
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let path = entry.map_err(|e| Error::io(dir, e))?.path();
            let name = path
                .file_name()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let Some((segment, extension)) = name.split_once('.') else {
                continue;
            };
            let ours = extension == RECORDS_EXTENSION
                || extension.starts_with(&format!("{RECORDS_EXTENSION}."));
            if ours && !live.iter().any(|l| l == segment) {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn open_or_build(&self, segment: &SegmentReader) -> Result<SegmentRecords> {
        let count = segment.max_doc();
        let Some(dir) = &self.dir else {
            return in_memory(segment);
        };
        let path = dir.join(format!(
            "{}.{RECORDS_EXTENSION}",
            segment.segment_id().uuid_string()
        ));
        if let Some(records) = map(&path, count)? {
            return Ok(records);
        }
        match write_whole(&path, segment) {
            Ok(()) => map(&path, count)?.ok_or_else(|| corrupt(&path)),
            // A directory this process may not write (an index shipped read-only): the records
            // stay in memory for this process.
            Err(error) => {
                tracing::warn!(%error, "keeping this segment's records in memory");
                in_memory(segment)
            }
        }
    }
}

/// Builds a segment's records in memory.
fn in_memory(segment: &SegmentReader) -> Result<SegmentRecords> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    build(segment, &mut bytes).map_err(|e| Error::io(Path::new("(in memory)"), e))?;
    SegmentRecords::parse(Bytes::Owned(bytes.into_inner()), segment.max_doc())
        .ok_or_else(|| corrupt(Path::new("(in memory)")))
}

impl SegmentRecords {
    /// Checks `bytes` holds `count` records in this layout.
    fn parse(bytes: Bytes, count: u32) -> Option<SegmentRecords> {
        let offsets_end = HEADER_BYTES + (count as usize + 1) * 8;
        if bytes.len() < offsets_end
            || &bytes[..8] != MAGIC
            || u32::from_le_bytes(bytes[8..12].try_into().ok()?) != count
        {
            return None;
        }
        let records = SegmentRecords { bytes, count };
        let payload_bytes = (records.bytes.len() - offsets_end) as u64;
        (records.offset(count) == payload_bytes).then_some(records)
    }

    fn offset(&self, i: u32) -> u64 {
        let at = HEADER_BYTES + i as usize * 8;
        u64::from_le_bytes(self.bytes[at..at + 8].try_into().expect("eight bytes"))
    }

    /// Returns the payload of `doc`, if the segment has that document.
    pub fn payload(&self, doc: DocId) -> Option<&[u8]> {
        if doc >= self.count {
            return None;
        }
        let base = HEADER_BYTES + (self.count as usize + 1) * 8;
        let (start, end) = (self.offset(doc) as usize, self.offset(doc + 1) as usize);
        self.bytes.get(base + start..base + end)
    }
}

/// Builds a segment's record file at `path`: written under a temporary name, synced, then
/// renamed into place, so that a reader finds the whole file or none.
fn write_whole(path: &Path, segment: &SegmentReader) -> Result<()> {
    // Unique to this build: two threads of one process may refresh at once.
    static BUILDS: AtomicU64 = AtomicU64::new(0);
    let build_number = BUILDS.fetch_add(1, Ordering::Relaxed);
    let temporary = path.with_extension(format!(
        "{RECORDS_EXTENSION}.{}-{build_number}",
        std::process::id()
    ));
    let file = File::create(&temporary).map_err(|e| Error::io(&temporary, e))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    build(segment, &mut out)
        .and_then(|()| out.into_inner().map_err(|e| e.into_error()))
        .and_then(|file| file.sync_all())
        .map_err(|e| Error::io(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| Error::io(path, e))
}

/// Maps the record file at `path` when it holds `count` records in this layout.
fn map(path: &Path, count: u32) -> Result<Option<SegmentRecords>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    // SAFETY: the file is written whole under another name and renamed into place, never
    // written again; it is removed only when its segment is gone, and a mapping outlives that.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    Ok(SegmentRecords::parse(Bytes::Mapped(map), count))
}

/// Writes a segment's records to `out` from its doc store, every document in id order (deleted
/// ones too: their ids stay taken until a merge). The payloads stream out; the offsets, held
/// meanwhile, are written last into the room left for them.
fn build(segment: &SegmentReader, out: &mut (impl Write + Seek)) -> std::io::Result<()> {
    let count = segment.max_doc();
    // One cached block: documents come in order, many to a block.
    let store = segment.get_store_reader(1)?;
    out.write_all(MAGIC)?;
    out.write_all(&count.to_le_bytes())?;
    out.write_all(&[0; 4])?;
    let offsets_at = out.stream_position()?;
    out.write_all(&vec![0; (count as usize + 1) * 8])?;
    let mut offsets: Vec<u8> = Vec::with_capacity((count as usize + 1) * 8);
    let mut written = 0u64;
    for doc in 0..count {
        offsets.extend_from_slice(&written.to_le_bytes());
        let StoredPayload(payload) = store.get(doc).map_err(std::io::Error::other)?;
        out.write_all(&payload)?;
        written += payload.len() as u64;
    }
    offsets.extend_from_slice(&written.to_le_bytes());
    out.seek(SeekFrom::Start(offsets_at))?;
    out.write_all(&offsets)?;
    out.flush()
}

fn corrupt(path: &Path) -> Error {
    Error::IndexDirectory {
        path: path.to_path_buf(),
        message: "records just built do not read back".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::SkipIndex;
    use crate::normalize::NormalizedRecord;
    use crate::record::{Field, RawRecord};

    fn record(id: usize) -> NormalizedRecord {
        let raw = RawRecord::new()
            .with(Field::RecordId, &format!("R{id}"))
            .with(Field::Source, "utility")
            .with(Field::FirstName, "Mary")
            .with(Field::LastName, &format!("Smith{}", "x".repeat(id % 7)))
            .with(Field::AddressLine1, &format!("{id} Oak St"))
            .with(Field::Zip, "78701");
        NormalizedRecord::from_raw(&raw).0
    }

    /// An index in `dir` with `batches` commits of 50 records each (a segment per commit).
    fn index_in(dir: &Path, batches: usize) -> SkipIndex {
        let index = SkipIndex::open_or_create(dir).expect("index");
        let mut writer = index.writer().expect("writer");
        for batch in 0..batches {
            for i in 0..50 {
                writer.upsert(&record(batch * 50 + i)).expect("upsert");
            }
            writer.commit().expect("commit");
        }
        drop(writer);
        index.reload().expect("reload");
        index
    }

    fn record_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == RECORDS_EXTENSION))
            .collect();
        files.sort();
        files
    }

    /// Every live record as the doc store has it and as the record files give it.
    fn both_ways(index: &SkipIndex) -> Vec<(NormalizedRecord, NormalizedRecord)> {
        let searcher = index.searcher();
        let reader = index.record_reader(&searcher);
        let mut pairs = Vec::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc in 0..segment.max_doc() {
                let address = tantivy::DocAddress::new(ord as u32, doc);
                let StoredPayload(bytes) = searcher.doc(address).expect("doc store");
                let stored = postcard::from_bytes(&bytes).expect("payload");
                pairs.push((stored, reader.load(address).expect("record file")));
            }
        }
        pairs
    }

    #[test]
    fn each_segment_gets_a_file_that_reads_as_the_doc_store() {
        let dir = tempfile::tempdir().expect("dir");
        let index = index_in(dir.path(), 2);
        let segments = index.searcher().segment_readers().len();
        assert!(segments >= 2, "a segment per commit: {segments}");
        assert_eq!(record_files(dir.path()).len(), segments);
        let pairs = both_ways(&index);
        assert_eq!(pairs.len(), 100);
        for (stored, read) in &pairs {
            assert_eq!(stored, read);
        }
        // Another process opening the index maps the same files and reads the same records.
        let again = SkipIndex::open(dir.path()).expect("reopen");
        assert_eq!(both_ways(&again), pairs);
    }

    #[test]
    fn a_damaged_file_is_rebuilt_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let index = index_in(dir.path(), 1);
        let pairs = both_ways(&index);
        let file = record_files(dir.path()).pop().expect("a record file");
        let whole = std::fs::read(&file).expect("read");
        std::fs::write(&file, &whole[..whole.len() - 3]).expect("cut");
        let reopened = SkipIndex::open(dir.path()).expect("reopen");
        assert_eq!(both_ways(&reopened), pairs);
        assert_eq!(std::fs::read(&file).expect("read"), whole);
    }

    #[test]
    fn the_writer_removes_the_files_of_merged_segments() {
        let dir = tempfile::tempdir().expect("dir");
        let index = index_in(dir.path(), 3);
        let pairs = both_ways(&index);
        assert!(record_files(dir.path()).len() >= 3);
        index.optimize().expect("merge");
        assert_eq!(index.searcher().segment_readers().len(), 1);
        assert_eq!(
            record_files(dir.path()).len(),
            1,
            "only the merged segment's"
        );
        let mut after = both_ways(&index);
        let mut before = pairs;
        let by_id = |p: &(NormalizedRecord, NormalizedRecord)| p.0.record_id.clone();
        before.sort_by_key(by_id);
        after.sort_by_key(by_id);
        assert_eq!(after, before, "the same records, renumbered");
    }
}
