//! Bulk indexing: files are streamed row by row, normalized in parallel batches (rayon) and
//! upserted, so memory stays flat whatever the file size. Every row is accounted for: indexed,
//! updated (its record id was already indexed) or rejected with its reasons.

use std::collections::HashSet;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;
use tracing::instrument;

use crate::error::{Error, InputError, Result};
use crate::index::{writer::document, RecordWriter, SkipIndex};
use crate::input::{FileEncoding, InputRow, MappingOverrides, RecordReader};
use crate::normalize::NormalizedRecord;

/// Rows normalized per parallel batch.
pub const BATCH_ROWS: usize = 8_192;

/// Rows between commits of a bulk load. Tantivy keeps every pending delete until the commit,
/// so committing as the load goes keeps memory flat (one commit at the end grew to 14 GB at
/// 10M records); a load that fails part-way keeps the chunks committed before the failure.
/// Each commit ends a segment per writer thread, and a search pays for every segment (term
/// lookups, scorer setup): a million rows a commit makes a 1M-record load two segments rather
/// than four, for 13% fewer search instructions.
pub const COMMIT_ROWS: u64 = 1_000_000;

/// At most this many row problems are kept in a summary (all are counted).
pub const MAX_REPORTED_ISSUES: usize = 1_000;

/// What an indexing run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    /// Data rows read.
    pub read: u64,
    /// Records written (new or replacing an indexed one).
    pub indexed: u64,
    /// Of `indexed`, records whose id was already in the index (or earlier in the same file).
    pub updated: u64,
    /// Rows with nothing usable, not indexed.
    pub rejected: u64,
    /// Values that could not be used (the rest of their record was indexed).
    pub value_issues: u64,
    /// Columns that map to no field, per file.
    pub unmapped_columns: Vec<String>,
    /// Fields several columns feed, read together per row, per file (`ssn <- ssn_last4, ssn`).
    pub shared_columns: Vec<String>,
    /// The first [`MAX_REPORTED_ISSUES`] problems, by row and column (values masked).
    pub issues: Vec<InputError>,
    /// The encoding each file was read in (`people.csv: windows-1252 (detected)`).
    pub encodings: Vec<String>,
    /// Values of UTF-8 files that were not valid UTF-8 and were read as Windows-1252.
    pub values_read_as_windows_1252: u64,
}

impl IngestSummary {
    fn note(&mut self, issue: InputError) {
        if self.issues.len() < MAX_REPORTED_ISSUES {
            self.issues.push(issue);
        }
    }
}

/// Normalizes one row: its record, or the reasons it was rejected, plus value issues.
fn normalize_row(row: &InputRow) -> (Option<NormalizedRecord>, Vec<InputError>) {
    let mut issues = row.issues.clone();
    let (record, field_issues) = NormalizedRecord::from_raw(&row.raw);
    for issue in field_issues {
        issues.push(InputError::new(row.row, issue.field.name(), issue.detail()));
    }
    if record.record_id.len() > crate::index::MAX_RECORD_ID_BYTES {
        issues.push(InputError::new(
            row.row,
            "record_id",
            format!(
                "record_id is {} bytes; at most {} are accepted (a longer id could not be found, \
                 updated or deleted)",
                record.record_id.len(),
                crate::index::MAX_RECORD_ID_BYTES
            ),
        ));
        return (None, issues);
    }
    if record.is_unusable() {
        issues.push(InputError::whole_row(
            row.row,
            "row has no usable name, DOB, SSN, street address, phone or email",
        ));
        return (None, issues);
    }
    (Some(record), issues)
}

/// How [`index_files`] reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexOptions {
    /// The files' encoding; `None` detects it per file.
    pub encoding: Option<FileEncoding>,
    /// Stop once more than this many rows were rejected (a broken file); `None` reads on.
    pub max_rejected: Option<u64>,
}

/// Indexes every file into `index` and commits. `progress` is called with rows read so far.
///
/// # Errors
/// When a file cannot be opened or the index cannot be written. Bad rows are not errors: they
/// are counted and reported in the summary.
#[instrument(skip_all, fields(files = paths.len()))]
pub fn index_files(
    index: &SkipIndex,
    paths: &[&Path],
    overrides: &MappingOverrides,
    options: IndexOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<IngestSummary> {
    let mut summary = IngestSummary::default();
    let mut writer = index.writer()?;
    let mut searcher = index.searcher();
    // Ids written since the last commit: only a record already committed or repeated within
    // the chunk needs the delete half of an upsert.
    let mut pending: HashSet<String> = HashSet::new();
    for path in paths {
        let mut reader = RecordReader::open_in(path, overrides, options.encoding)?;
        summary.encodings.push(format!(
            "{}: {}",
            path.display(),
            reader.encoding().describe()
        ));
        for column in reader.mapping().unmapped() {
            summary
                .unmapped_columns
                .push(format!("{}: {column}", path.display()));
        }
        for note in reader.mapping().shared_field_notes() {
            summary
                .shared_columns
                .push(format!("{}: {note}", path.display()));
        }
        loop {
            let batch: Vec<InputRow> = reader.by_ref().take(BATCH_ROWS).collect();
            if batch.is_empty() {
                break;
            }
            let prepared: Vec<_> = batch
                .par_iter()
                .map(|row| {
                    let (record, issues) = normalize_row(row);
                    let document = record.as_ref().map(|r| document(r, index.fields()));
                    (record.map(|r| r.record_id), document, issues)
                })
                .collect();
            for (record_id, document, issues) in prepared {
                summary.read += 1;
                let has_value_issue = issues.iter().any(|i| i.column.is_some());
                for issue in issues {
                    summary.note(issue);
                }
                let (Some(record_id), Some(document)) = (record_id, document) else {
                    summary.rejected += 1;
                    continue;
                };
                if has_value_issue {
                    summary.value_issues += 1;
                }
                let document = document?;
                let repeated = !pending.insert(record_id.clone());
                if repeated || index.contains(&searcher, &record_id)? {
                    summary.updated += 1;
                    writer.upsert_document(&record_id, document)?;
                } else {
                    writer.add_new_document(document)?;
                }
                summary.indexed += 1;
            }
            progress(summary.read);
            if let Some(max) = options.max_rejected.filter(|max| summary.rejected > *max) {
                // What was read so far is committed; a rerun on the fixed file upserts it.
                writer.finish()?;
                index.reload()?;
                let first = summary
                    .issues
                    .first()
                    .map_or_else(String::new, |issue| format!(" The first: {issue}."));
                return Err(Error::UnusableFile(format!(
                    "{}: stopped after {} rejected rows (--max-errors {max}).{first}",
                    path.display(),
                    summary.rejected
                )));
            }
            if pending.len() as u64 >= COMMIT_ROWS {
                writer.commit()?;
                index.reload()?;
                searcher = index.searcher();
                pending.clear();
            }
        }
        // A broken file stops the run with its line (rows already committed stay: a rerun on
        // the fixed file upserts them).
        reader.finish()?;
        summary.values_read_as_windows_1252 += reader.values_read_as_windows_1252();
    }
    writer.finish()?;
    index.reload()?;
    tracing::info!(
        read = summary.read,
        indexed = summary.indexed,
        updated = summary.updated,
        rejected = summary.rejected,
        "indexing finished"
    );
    Ok(summary)
}

/// What [`upsert_rows`] did: the summary and the ids of the records written.
#[derive(Debug, Clone, Default)]
pub struct Upserted {
    /// Counts and row problems, as for a file.
    pub summary: IngestSummary,
    /// Ids of the records written, in row order.
    pub record_ids: Vec<String>,
}

/// Normalizes and upserts rows given in memory with a writer the caller keeps (the HTTP API's
/// `POST /v1/records` holds one for the server's lifetime: tantivy allows one per index), then
/// commits and reloads, so the change is durable and visible when this returns. On failure the
/// uncommitted changes are rolled back, so a failed call never lands with a later one.
/// `before_commit` gets the ids about to be committed; when it fails nothing is committed (the
/// server writes the change's audit line there, so no change lands without one).
///
/// # Errors
/// When the index cannot be written, or `before_commit` fails.
pub fn upsert_rows(
    index: &SkipIndex,
    writer: &mut RecordWriter,
    rows: &[InputRow],
    before_commit: impl FnOnce(&[String]) -> Result<()>,
) -> Result<Upserted> {
    let mut upserted = Upserted::default();
    if let Err(error) = write_rows(index, writer, rows, &mut upserted, before_commit) {
        writer.rollback();
        return Err(error);
    }
    index.reload()?;
    Ok(upserted)
}

/// Upserts rows and commits; the caller rolls back on error.
fn write_rows(
    index: &SkipIndex,
    writer: &mut RecordWriter,
    rows: &[InputRow],
    upserted: &mut Upserted,
    before_commit: impl FnOnce(&[String]) -> Result<()>,
) -> Result<()> {
    let searcher = index.searcher();
    let summary = &mut upserted.summary;
    for row in rows {
        summary.read += 1;
        let (record, issues) = normalize_row(row);
        for issue in issues {
            summary.note(issue);
        }
        let Some(record) = record else {
            summary.rejected += 1;
            continue;
        };
        if index.contains(&searcher, &record.record_id)? {
            summary.updated += 1;
        }
        writer.upsert(&record)?;
        summary.indexed += 1;
        upserted.record_ids.push(record.record_id);
    }
    before_commit(&upserted.record_ids)?;
    writer.commit()
}

/// Deletes records by id with a writer the caller keeps (see [`upsert_rows`], also for
/// `before_commit`, given the ids present), commits and reloads; returns how many were
/// present. On failure nothing is deleted.
///
/// # Errors
/// When the index cannot be written, or `before_commit` fails.
pub fn delete_records(
    index: &SkipIndex,
    writer: &mut RecordWriter,
    record_ids: &[&str],
    before_commit: impl FnOnce(&[String]) -> Result<()>,
) -> Result<u64> {
    let present = match delete_ids(index, writer, record_ids, before_commit) {
        Ok(present) => present,
        Err(error) => {
            writer.rollback();
            return Err(error);
        }
    };
    index.reload()?;
    Ok(present)
}

/// Deletes ids and commits; returns how many were present. The caller rolls back on error.
fn delete_ids(
    index: &SkipIndex,
    writer: &mut RecordWriter,
    record_ids: &[&str],
    before_commit: impl FnOnce(&[String]) -> Result<()>,
) -> Result<u64> {
    let searcher = index.searcher();
    let mut present = Vec::new();
    for id in record_ids {
        if index.contains(&searcher, id)? {
            present.push((*id).to_string());
        }
        writer.delete(id);
    }
    before_commit(&present)?;
    writer.commit()?;
    Ok(present.len() as u64)
}
