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
    document.add_bytes(fields.payload, &postcard::to_allocvec(record)?);
    for_each_key(record, fields, |field, term, _| {
        document.add_text(field, term)
    });
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

    /// Adds a prepared document whose record id is known to be in neither the index nor the
    /// changes since the last commit (bulk loads check; skipping the delete saves its memory).
    ///
    /// # Errors
    /// When the writer has failed.
    pub fn add_new_document(&self, document: TantivyDocument) -> Result<()> {
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

    /// Merges `segments` into one, waits for the merge, and removes the files it freed.
    ///
    /// # Errors
    /// When the merge fails.
    pub fn merge_all(&mut self, segments: &[tantivy::index::SegmentId]) -> Result<()> {
        self.writer.merge(segments).wait()?;
        self.writer.garbage_collect_files().wait()?;
        Ok(())
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

#[cfg(test)]
mod tests {
    use crate::normalize::NormalizedRecord;
    use crate::record::{Field, RawRecord};

    #[test]
    fn a_stored_record_decodes_to_the_record_written() {
        for ssn in ["123-45-6789", "6789", ""] {
            let raw = RawRecord::new()
                .with(Field::RecordId, "R1")
                .with(Field::Source, "utility")
                .with(Field::FirstName, "Mary")
                .with(Field::MiddleName, "Ann")
                .with(Field::LastName, "O'Brien-Smith")
                .with(Field::NameSuffix, "Jr")
                .with(Field::Dob, "1980-02-29")
                .with(Field::Ssn, ssn)
                .with(Field::AddressLine1, "12 Oak St")
                .with(Field::AddressLine2, "Apt 4")
                .with(Field::City, "Austin")
                .with(Field::State, "TX")
                .with(Field::Zip, "78701")
                .with(Field::Phone, "512-555-0134")
                .with(Field::Email, "Mary.Smith@Example.com")
                .with(Field::FirstSeen, "2020-01-01")
                .with(Field::LastSeen, "2024-06-30");
            let (record, _) = NormalizedRecord::from_raw(&raw);
            let bytes = postcard::to_allocvec(&record).unwrap();
            let decoded: NormalizedRecord = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(decoded, record);
        }
    }
}
