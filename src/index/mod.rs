//! The on-disk (or in-RAM) tantivy index of normalized person records.
//!
//! Second step of the flow: a [`NormalizedRecord`] is written as one document carrying its
//! blocking keys ([`keys`]) and its serialized form, so scoring never re-normalizes (a name's
//! formal names and phonetic codes are rebuilt from its stored parts, see
//! [`PersonName`](crate::normalize::PersonName)).

pub mod keys;
pub mod record_store;
pub mod replica;
pub mod schema;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::document::{
    DeserializeError, DocumentDeserialize, DocumentDeserializer, ValueDeserialize,
    ValueDeserializer,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, IndexReader, ReloadPolicy, Searcher, Term};

use record_store::{RecordStore, SegmentRecords};
pub use schema::Fields;
pub use writer::RecordWriter;

use crate::error::{Error, Result};
use crate::normalize::NormalizedRecord;
use crate::outcomes::OutcomeStore;

/// Longest record id accepted, in bytes. tantivy drops terms over 65,530 bytes from the index,
/// so a longer id could be written but never found, updated or deleted: each upsert would add
/// a duplicate. Real ids (account numbers, source keys) are far shorter.
pub const MAX_RECORD_ID_BYTES: usize = 256;

/// Default index directory, relative to the working directory.
pub const DEFAULT_INDEX_DIR: &str = "index";

/// Heap the index writer may use for buffering documents before flushing a segment, shared by
/// its threads: enough that a bulk load's segments end at its commits
/// ([`crate::ingest::COMMIT_ROWS`]), not earlier.
pub const WRITER_MEMORY_BYTES: usize = 1_500_000_000;

/// Indexing threads of the writer: each writes its own segments, which finish in parallel at a
/// commit. One thread made one segment per commit but a 1M load took 30 s instead of 24 s.
pub const WRITER_THREADS: usize = 2;

/// Doc-store block size. Searches read records from the record files ([`record_store`]); the
/// doc store is read in order to build them, and for one record by id, so its blocks are
/// large and compressed.
const DOCSTORE_BLOCK_BYTES: usize = 16 * 1024;

/// A skiptrace index: tantivy plus the field handles and a reader.
#[derive(Clone)]
pub struct SkipIndex {
    index: tantivy::Index,
    fields: Fields,
    reader: IndexReader,
    path: Option<PathBuf>,
    /// Collection outcomes kept beside the segments (`outcomes.jsonl`).
    outcomes: Arc<OutcomeStore>,
    /// The segments' records in files of our own, read without the doc store.
    records: Arc<RecordStore>,
}

impl std::fmt::Debug for SkipIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkipIndex")
            .field("path", &self.path)
            .finish()
    }
}

impl SkipIndex {
    /// Opens the index in `dir`, creating the directory and an empty index when absent.
    ///
    /// # Errors
    /// When the directory cannot be created or holds an index of another schema.
    pub fn open_or_create(dir: &Path) -> Result<SkipIndex> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let directory =
            tantivy::directory::MmapDirectory::open(dir).map_err(|e| Error::IndexDirectory {
                path: dir.to_path_buf(),
                message: e.to_string(),
            })?;
        let index = if tantivy::Index::exists(&directory).unwrap_or(false) {
            tantivy::Index::open(directory)?
        } else {
            tantivy::Index::builder()
                .schema(Fields::build().schema)
                .settings(settings())
                .open_or_create(directory)?
        };
        SkipIndex::from_index(index, Some(dir.to_path_buf()))
    }

    /// Opens an existing index, failing when `dir` holds none.
    ///
    /// # Errors
    /// When there is no skiptrace index in `dir`.
    pub fn open(dir: &Path) -> Result<SkipIndex> {
        if !dir.join("meta.json").exists() {
            return Err(Error::IndexDirectory {
                path: dir.to_path_buf(),
                message: "no index here (build one with `skiptrace index`)".into(),
            });
        }
        SkipIndex::open_or_create(dir)
    }

    /// Creates an empty in-memory index (tests, examples).
    ///
    /// # Errors
    /// Only on tantivy failures.
    pub fn create_in_ram() -> Result<SkipIndex> {
        let index = tantivy::Index::builder()
            .schema(Fields::build().schema)
            .settings(settings())
            .create_in_ram()?;
        SkipIndex::from_index(index, None)
    }

    fn from_index(index: tantivy::Index, path: Option<PathBuf>) -> Result<SkipIndex> {
        let fields =
            Fields::from_schema(&index.schema()).map_err(|error| Error::IndexDirectory {
                path: path.clone().unwrap_or_default(),
                message: format!(
                    "holds an index of another schema ({error}): an older skiptrace version \
                     wrote it; rebuild it with `skiptrace index`"
                ),
            })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            // No block cache: candidates come from random blocks (97% of reads missed a
            // 1,000-block cache), and the cache's one mutex, taken by every searching thread,
            // cost more than its hits saved: rematch of 20,000 rows ran 8% faster without it.
            .doc_store_cache_num_blocks(0)
            .try_into()?;
        let outcomes = match &path {
            Some(dir) => OutcomeStore::open(dir)?,
            None => OutcomeStore::in_memory(),
        };
        let records = RecordStore::new(path.clone());
        records.refresh(&reader.searcher())?;
        Ok(SkipIndex {
            index,
            fields,
            reader,
            path,
            outcomes: Arc::new(outcomes),
            records: Arc::new(records),
        })
    }

    /// Returns a writer for upserts and deletes.
    ///
    /// # Errors
    /// When another writer holds the index lock.
    pub fn writer(&self) -> Result<RecordWriter> {
        let writer = self
            .index
            .writer_with_num_threads(WRITER_THREADS, WRITER_MEMORY_BYTES)
            .map_err(|error| match error {
                tantivy::TantivyError::LockFailure(
                    tantivy::directory::error::LockError::LockBusy,
                    _,
                ) => Error::IndexDirectory {
                    path: self.path.clone().unwrap_or_default(),
                    message: "is in use by another skiptrace process (a running `skiptrace \
                                  serve` or `skiptrace index`): stop it first, or load records \
                                  through the server's POST /v1/records"
                        .into(),
                },
                other => other.into(),
            })?;
        self.records.mark_writer();
        Ok(RecordWriter::new(writer, self.fields.clone()))
    }

    /// Merges every segment into one and waits for it (`skiptrace index --optimize`): a search
    /// then looks each key up once instead of once per segment. A bulk load's writer threads
    /// leave one segment each per commit. Returns the segments before.
    ///
    /// # Errors
    /// When another writer holds the index lock, or the merge fails.
    pub fn optimize(&self) -> Result<usize> {
        let segments = self.index.searchable_segment_ids()?;
        if segments.len() > 1 {
            let mut writer = self.writer()?;
            writer.merge_all(&segments)?;
        }
        self.reload()?;
        Ok(segments.len())
    }

    /// Returns this index reading its outcomes from `store` instead of its own log.
    pub fn with_outcome_store(&self, store: Arc<OutcomeStore>) -> SkipIndex {
        SkipIndex {
            outcomes: store,
            ..self.clone()
        }
    }

    /// Returns the collection outcomes reported on this index's records.
    pub fn outcomes(&self) -> &Arc<OutcomeStore> {
        &self.outcomes
    }

    /// Returns the schema's field handles.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Returns a searcher on the last reloaded commit.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Makes the last commit visible to new searchers, and outcomes another process appended
    /// since (a long-lived reader such as the Python module sees both).
    ///
    /// # Errors
    /// On tantivy failures, or an outcome log that no longer reads.
    pub fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        self.records.refresh(&self.reader.searcher())?;
        self.outcomes.refresh()?;
        Ok(())
    }

    /// Returns an id of the commit a searcher reads: a digest of its segments and their deletes
    /// (hex, 16 digits), the same in every process that opens that commit and different after
    /// any change, so an audit line says which state of the index was searched.
    pub fn commit_id(searcher: &Searcher) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for (segment, deletes) in searcher.generation().segments() {
            hasher.update(segment.uuid_string().as_bytes());
            hasher.update(deletes.map_or(String::new(), |d| d.to_string()).as_bytes());
            hasher.update(b";");
        }
        hex::encode(&hasher.finalize()[..8])
    }

    /// Returns the index directory, `None` for an in-RAM index.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Returns the number of live records.
    pub fn num_records(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// Returns the bytes the index occupies on disk (0 in RAM).
    pub fn size_on_disk(&self) -> u64 {
        let Some(path) = &self.path else { return 0 };
        std::fs::read_dir(path)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Reads the stored record behind a document address.
    ///
    /// # Errors
    /// When the document cannot be read or its payload does not decode.
    pub fn load(&self, searcher: &Searcher, address: DocAddress) -> Result<NormalizedRecord> {
        self.record_reader(searcher).load(address)
    }

    /// Returns a reader of `searcher`'s records, for reading many (a search's candidates).
    pub fn record_reader<'a>(&self, searcher: &'a Searcher) -> RecordReader<'a> {
        RecordReader {
            searcher,
            segments: self.records.snapshot(searcher),
        }
    }

    /// Returns the record with `record_id`, if indexed.
    ///
    /// # Errors
    /// On index failures.
    pub fn get(&self, record_id: &str) -> Result<Option<NormalizedRecord>> {
        let searcher = self.searcher();
        let term = Term::from_field_text(self.fields.record_id, record_id);
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let hits = searcher.search(&query, &TopDocs::with_limit(1))?;
        match hits.first() {
            Some((_, address)) => Ok(Some(self.load(&searcher, *address)?)),
            None => Ok(None),
        }
    }

    /// True when `record_id` is in the last reloaded commit.
    ///
    /// # Errors
    /// On index failures.
    pub fn contains(&self, searcher: &Searcher, record_id: &str) -> Result<bool> {
        let term = Term::from_field_text(self.fields.record_id, record_id);
        Ok(searcher.doc_freq(&term)? > 0)
    }
}

/// Reads the records of one searcher's segments: from their record files
/// ([`record_store`]), or from the doc store for a segment that has none yet.
pub struct RecordReader<'a> {
    searcher: &'a Searcher,
    segments: Vec<Option<Arc<SegmentRecords>>>,
}

impl RecordReader<'_> {
    /// Reads the stored record behind a document address.
    ///
    /// # Errors
    /// When the document cannot be read or its payload does not decode.
    pub fn load(&self, address: DocAddress) -> Result<NormalizedRecord> {
        let segment = self.segments.get(address.segment_ord as usize);
        if let Some(payload) = segment
            .and_then(Option::as_ref)
            .and_then(|records| records.payload(address.doc_id))
        {
            return Ok(postcard::from_bytes(payload)?);
        }
        let StoredPayload(payload) = self.searcher.doc(address)?;
        Ok(postcard::from_bytes(&payload)?)
    }
}

/// The one stored field of a document, the payload, read straight from the doc store: building
/// a whole [`tantivy::TantivyDocument`] first cost a fifth of a record fetch (profiled).
struct StoredPayload(Vec<u8>);

impl DocumentDeserialize for StoredPayload {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(
        mut deserializer: D,
    ) -> std::result::Result<StoredPayload, DeserializeError> {
        match deserializer.next_field::<PayloadBytes>()? {
            Some((_, PayloadBytes(bytes))) => Ok(StoredPayload(bytes)),
            None => Err(DeserializeError::custom("document has no payload")),
        }
    }
}

/// A stored bytes value.
struct PayloadBytes(Vec<u8>);

impl ValueDeserialize for PayloadBytes {
    fn deserialize<'de, D: ValueDeserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<PayloadBytes, DeserializeError> {
        deserializer.deserialize_bytes().map(PayloadBytes)
    }
}

fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_blocksize: DOCSTORE_BLOCK_BYTES,
        // Off the search path since the record files: compressed, it takes less disk than the
        // record files beside it.
        docstore_compression: tantivy::store::Compressor::Lz4,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_of_another_schema_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = tantivy::schema::Schema::builder();
        builder.add_text_field("record_id", tantivy::schema::STRING);
        tantivy::Index::create_in_dir(dir.path(), builder.build()).unwrap();
        let error = SkipIndex::open(dir.path()).unwrap_err().to_string();
        assert!(error.contains("another schema"), "{error}");
        assert!(error.contains("skiptrace index"), "{error}");
    }
}
