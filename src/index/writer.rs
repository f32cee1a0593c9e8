//! Writing records: a normalized record becomes a tantivy document; upsert is delete-by-id then
//! add, so indexing the same file twice leaves the same records.

use tantivy::{IndexWriter, TantivyDocument, Term};

use super::keys::for_each_key;
use super::schema::Fields;
use crate::error::Result;
use crate::normalize::NormalizedRecord;

/// Builds the tantivy document of a record.
pub fn document(record: &NormalizedRecord, fields: &Fields) -> Result<TantivyDocument> {
    let mut document = TantivyDocument::new();
    document.add_text(fields.record_id, &record.record_id);
    document.add_bytes(fields.payload, &serde_json::to_vec(record)?);
    for_each_key(record, fields, |field, term| document.add_text(field, term));
    Ok(document)
}

/// Upserts and deletes records; changes are durable after [`RecordWriter::commit`].
pub struct RecordWriter {
    writer: IndexWriter,
    fields: Fields,
}

impl RecordWriter {
    pub(crate) fn new(writer: IndexWriter, fields: Fields) -> RecordWriter {
        RecordWriter { writer, fields }
    }

    /// Replaces any record with the same id by `record`.
    ///
    /// # Errors
    /// When the record cannot be serialized or the writer has failed.
    pub fn upsert(&self, record: &NormalizedRecord) -> Result<()> {
        let document = document(record, &self.fields)?;
        self.upsert_document(&record.record_id, document)
    }

    /// Replaces any record with the same id by a prepared document.
    ///
    /// # Errors
    /// When the writer has failed.
    pub fn upsert_document(&self, record_id: &str, document: TantivyDocument) -> Result<()> {
        self.writer
            .delete_term(Term::from_field_text(self.fields.record_id, record_id));
        self.writer.add_document(document)?;
        Ok(())
    }

    /// Deletes the record with `record_id` (a no-op when absent).
    pub fn delete(&self, record_id: &str) {
        self.writer
            .delete_term(Term::from_field_text(self.fields.record_id, record_id));
    }

    /// Makes every change so far durable.
    ///
    /// # Errors
    /// When the commit fails (disk full, lock lost).
    pub fn commit(&mut self) -> Result<()> {
        self.writer.commit()?;
        Ok(())
    }

    /// Drops every change since the last commit (after a failed write, so that it does not land
    /// with the next commit). A rollback failure is logged: it means the writer itself is broken
    /// and the next commit will fail too.
    pub fn rollback(&mut self) {
        if let Err(error) = self.writer.rollback() {
            tracing::error!(%error, "index writer rollback failed");
        }
    }

    /// Commits, then waits for background merges to finish (end of a bulk load).
    ///
    /// # Errors
    /// When the commit or a merge fails.
    pub fn finish(mut self) -> Result<()> {
        self.writer.commit()?;
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}
