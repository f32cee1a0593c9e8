//! Reading person files: CSV (comma, tab, pipe or semicolon, sniffed from the header) or JSON Lines,
//! headers mapped to canonical fields by alias or by explicit `field=COLUMN` overrides.
//!
//! Every data row comes out as an [`InputRow`], with its original columns (bulk output repeats
//! them) and any problems located by row and column. Nothing is skipped silently. The file's
//! character encoding is found once ([`encoding`]) and every row decoded with it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, InputError, Result};
use crate::record::{Field, RawRecord};

pub mod encoding;

pub use encoding::FileEncoding;
use encoding::{decode_value, TranscodingReader, SAMPLE_BYTES};

/// File layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Delimited text with a header row.
    Csv {
        /// Field delimiter byte.
        delimiter: u8,
    },
    /// One JSON object per line.
    JsonLines,
}

impl InputFormat {
    /// Guesses the format from a file name: `.jsonl`, `.ndjson` and `.json` are JSON Lines,
    /// `.tsv` is tab-delimited, anything else CSV with its delimiter sniffed from the header.
    pub fn from_path(path: &Path) -> Option<InputFormat> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "jsonl" | "ndjson" | "json" => Some(InputFormat::JsonLines),
            "tsv" => Some(InputFormat::Csv { delimiter: b'\t' }),
            _ => None,
        }
    }
}

/// Explicit column overrides, `field=COLUMN`, as given to `--map`, and columns that must never
/// map to a field (the truth label of `skiptrace eval`).
#[derive(Debug, Clone, Default)]
pub struct MappingOverrides {
    overrides: Vec<(Field, String)>,
    ignored: Vec<String>,
}

impl MappingOverrides {
    /// Parses `field=COLUMN` strings; `none=COLUMN` keeps a column out of every field (one a
    /// header alias would map wrongly).
    ///
    /// # Errors
    /// When an entry has no `=` or names no canonical field.
    pub fn parse(entries: &[String]) -> Result<MappingOverrides> {
        let mut overrides = Vec::new();
        let mut ignored = Vec::new();
        for entry in entries {
            let (field, column) = entry
                .split_once('=')
                .ok_or_else(|| InputError::new(0, entry.clone(), "mapping must be field=COLUMN"))?;
            if field.trim() == "none" {
                ignored.push(column.trim().to_string());
                continue;
            }
            let field = Field::from_name(field).ok_or_else(|| {
                let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                InputError::new(
                    0,
                    entry.clone(),
                    format!("unknown field {field} (fields: {})", known.join(", ")),
                )
            })?;
            overrides.push((field, column.trim().to_string()));
        }
        Ok(MappingOverrides { overrides, ignored })
    }

    /// Returns these overrides with `column` kept out of every field, whatever its name (an
    /// `id` or `name` column would otherwise map by alias): its values are read with the row but
    /// never reach normalization, matching or the index.
    pub fn ignoring(mut self, column: &str) -> MappingOverrides {
        self.ignored.push(column.trim().to_string());
        self
    }

    fn is_ignored(&self, column: &str) -> bool {
        self.ignored
            .iter()
            .any(|ignored| ignored.eq_ignore_ascii_case(column.trim()))
    }
}

/// How a file's columns map onto canonical fields.
#[derive(Debug, Clone)]
pub struct ColumnMapping {
    /// Column headers as the file spells them.
    pub columns: Vec<String>,
    /// Field per column (`None`: kept, reported, not used for matching).
    pub fields: Vec<Option<Field>>,
}

impl ColumnMapping {
    /// Maps headers, overrides first, then aliases, and never an ignored column. Several
    /// columns may feed one field, read together per row ([`ColumnMapping::fill`]): an explicit
    /// `--map` column first, then the others in file order. A second phone-like column becomes
    /// one of the row's other phones.
    ///
    /// # Errors
    /// When an override names a column the file does not have, or an ignored one.
    pub fn new(columns: Vec<String>, overrides: &MappingOverrides) -> Result<ColumnMapping> {
        let mut fields: Vec<Option<Field>> = vec![None; columns.len()];
        for (field, column) in &overrides.overrides {
            if overrides.is_ignored(column) {
                return Err(InputError::new(
                    0,
                    column.clone(),
                    format!(
                        "--map {}: the column is the label column and is never used for matching",
                        field.name()
                    ),
                )
                .into());
            }
            let position = columns
                .iter()
                .position(|c| c.trim().eq_ignore_ascii_case(column))
                .ok_or_else(|| {
                    InputError::new(
                        0,
                        column.clone(),
                        format!("--map {}: no such column", field.name()),
                    )
                })?;
            fields[position] = Some(*field);
        }
        for (i, column) in columns.iter().enumerate() {
            if fields[i].is_some() || overrides.is_ignored(column) {
                continue;
            }
            let field = match Field::from_header(column) {
                Some(Field::Phone) if fields.contains(&Some(Field::Phone)) => {
                    Some(Field::OtherPhones)
                }
                other => other,
            };
            // A field given by --map is not fed by alias too: the caller chose its column.
            let mapped_explicitly = |f: Field| overrides.overrides.iter().any(|(o, _)| *o == f);
            fields[i] = field.filter(|&f| !mapped_explicitly(f) || f.takes_several_columns());
        }
        Ok(ColumnMapping { columns, fields })
    }

    /// Returns the fields fed by more than one column, with those columns in the order they are
    /// read, for the run summary.
    pub fn shared_fields(&self) -> Vec<(Field, Vec<&str>)> {
        let mut shared: Vec<(Field, Vec<&str>)> = Vec::new();
        for (column, field) in self.columns.iter().zip(&self.fields) {
            let Some(field) = field else { continue };
            match shared.iter_mut().find(|(f, _)| f == field) {
                Some((_, columns)) => columns.push(column),
                None => shared.push((*field, vec![column])),
            }
        }
        shared.retain(|(_, columns)| columns.len() > 1);
        shared
    }

    /// Fills `raw` from one row's values. A field several columns feed takes every value when
    /// it holds several (other phones, joined with `;`), else the first non-empty one, except
    /// that a full SSN wins over a last 4 in an earlier column (a file with an `ssn_last4`
    /// column beside `ssn`).
    pub fn fill(&self, values: &[String], raw: &mut RawRecord) {
        for (value, field) in values.iter().zip(&self.fields) {
            let Some(field) = *field else { continue };
            let value = value.trim();
            if field.takes_several_columns() {
                raw.append(field, value);
            } else if !value.is_empty()
                && (raw.get(field).is_empty() || (field == Field::Ssn && is_full_ssn(value)))
                && !(field == Field::Ssn && is_full_ssn(raw.get(field)))
            {
                raw.set(field, value);
            }
        }
    }

    /// Describes each field several columns feed: `ssn <- ssn_last4, ssn (first non-empty)`.
    pub fn shared_field_notes(&self) -> Vec<String> {
        self.shared_fields()
            .into_iter()
            .map(|(field, columns)| {
                let how = match field.joiner() {
                    Some(_) => "all kept",
                    None if field == Field::Ssn => "a full SSN, else the first non-empty",
                    None => "first non-empty",
                };
                format!("{} <- {} ({how})", field.name(), columns.join(", "))
            })
            .collect()
    }

    /// Returns the columns that map to no field.
    pub fn unmapped(&self) -> Vec<&str> {
        self.columns
            .iter()
            .zip(&self.fields)
            .filter(|(_, f)| f.is_none())
            .map(|(c, _)| c.as_str())
            .collect()
    }

    /// Builds data row `row` (1-based) from its values in the file's column order. `problem`
    /// is a reading problem of the row (bad encoding, a malformed line): such a row keeps its
    /// values but is never searched, and neither is a row with another count of values than
    /// there are columns. A row without a record id column gets `ID_PREFIX:ROW`.
    pub fn row(
        &self,
        row: u64,
        mut values: Vec<String>,
        problem: Option<String>,
        id_prefix: &str,
    ) -> InputRow {
        let mut issues = Vec::new();
        if let Some(message) = problem {
            issues.push(InputError::whole_row(row, message));
        }
        if !values.is_empty() && values.len() != self.columns.len() {
            issues.push(InputError::whole_row(
                row,
                format!(
                    "row has {} columns, header has {}",
                    values.len(),
                    self.columns.len()
                ),
            ));
        }
        values.resize(self.columns.len(), String::new());
        let mut raw = RawRecord::new();
        self.fill(&values, &mut raw);
        if raw.get(Field::RecordId).is_empty() {
            raw.set(Field::RecordId, &format!("{id_prefix}:{row}"));
        }
        InputRow {
            row,
            values,
            raw,
            issues,
        }
    }

    /// Returns the column index holding `field`, if any.
    pub fn column_of(&self, field: Field) -> Option<usize> {
        self.fields.iter().position(|f| *f == Some(field))
    }
}

/// One data row: its original values and the canonical record built from them.
#[derive(Debug, Clone)]
pub struct InputRow {
    /// 1-based data row number.
    pub row: u64,
    /// Values in the file's column order (as many as there are columns).
    pub values: Vec<String>,
    /// The row mapped onto canonical fields.
    pub raw: RawRecord,
    /// Problems reading the row itself (encoding, column count, bad JSON).
    pub issues: Vec<InputError>,
}

/// Streams [`InputRow`]s from a file.
pub struct RecordReader {
    mapping: ColumnMapping,
    rows: Rows,
    id_prefix: String,
    broken: Broken,
    encoding: FileEncoding,
    /// Values of a UTF-8 file that were not valid UTF-8, read as Windows-1252.
    fallbacks: Arc<AtomicU64>,
}

/// Where reading stopped because the file is broken (a quote never closed), set by the rows
/// iterator.
type Broken = Arc<Mutex<Option<InputError>>>;

impl std::fmt::Debug for RecordReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordReader")
            .field("mapping", &self.mapping)
            .finish()
    }
}

impl RecordReader {
    /// Opens a file, its encoding detected; `id_prefix` for generated record ids is the file
    /// name.
    ///
    /// # Errors
    /// When the file cannot be opened, is empty, or an override names a missing column.
    pub fn open(path: &Path, overrides: &MappingOverrides) -> Result<RecordReader> {
        RecordReader::open_in(path, overrides, None)
    }

    /// [`RecordReader::open`] in a given encoding (`None` detects it).
    ///
    /// # Errors
    /// As [`RecordReader::open`].
    pub fn open_in(
        path: &Path,
        overrides: &MappingOverrides,
        encoding: Option<FileEncoding>,
    ) -> Result<RecordReader> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("input")
            .to_string();
        RecordReader::from_reader(
            Box::new(file),
            InputFormat::from_path(path),
            overrides,
            &name,
            encoding,
        )
    }

    /// Reads from any byte stream; `format` `None` sniffs JSON Lines or the CSV delimiter,
    /// `encoding` `None` detects it from the first megabyte.
    ///
    /// # Errors
    /// When the stream is empty or unreadable, or an override names a missing column.
    pub fn from_reader(
        reader: Box<dyn Read + Send>,
        format: Option<InputFormat>,
        overrides: &MappingOverrides,
        id_prefix: &str,
        encoding: Option<FileEncoding>,
    ) -> Result<RecordReader> {
        let mut sampled = BufReader::with_capacity(SAMPLE_BYTES, reader);
        let sample = sampled.fill_buf().map_err(|e| Error::io(id_prefix, e))?;
        let encoding = encoding.unwrap_or_else(|| FileEncoding::detect(sample));
        let stream: Box<dyn Read + Send> = if encoding.is_utf8() {
            Box::new(sampled)
        } else {
            Box::new(TranscodingReader::new(sampled, encoding.encoding))
        };
        let mut buffered = BufReader::with_capacity(1 << 16, stream);
        let head = buffered.fill_buf().map_err(|e| Error::io(id_prefix, e))?;
        let format = format.unwrap_or_else(|| sniff(head));
        let broken = Broken::default();
        let fallbacks = Arc::new(AtomicU64::new(0));
        let (columns, rows) = match format {
            InputFormat::JsonLines => json_rows(buffered)?,
            InputFormat::Csv { delimiter } => {
                csv_rows(buffered, delimiter, broken.clone(), fallbacks.clone())?
            }
        };
        let mapping = ColumnMapping::new(columns, overrides)?;
        Ok(RecordReader {
            mapping,
            rows,
            id_prefix: id_prefix.to_string(),
            broken,
            encoding,
            fallbacks,
        })
    }

    /// Returns the encoding the file is read in.
    pub fn encoding(&self) -> FileEncoding {
        self.encoding
    }

    /// Returns how many values so far were not valid UTF-8 in a UTF-8 file and were read as
    /// Windows-1252 (their rows are searched all the same).
    pub fn values_read_as_windows_1252(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    /// Says whether the whole file was read: reading stops at a quote that is never closed
    /// (the lines after it would otherwise be read into one field, and their rows lost), and
    /// this then names the line. Call it when the rows run out.
    ///
    /// # Errors
    /// The [`InputError`] of the line where reading stopped.
    pub fn finish(&self) -> Result<()> {
        match self.broken.lock().map(|b| b.clone()) {
            Ok(Some(error)) => Err(error.into()),
            _ => Ok(()),
        }
    }

    /// Returns the column mapping.
    pub fn mapping(&self) -> &ColumnMapping {
        &self.mapping
    }
}

impl Iterator for RecordReader {
    type Item = InputRow;

    fn next(&mut self) -> Option<InputRow> {
        let (row, values, problem) = self.rows.next()?;
        Some(self.mapping.row(row, values, problem, &self.id_prefix))
    }
}

/// True when a value holds the nine digits of a full SSN (however laid out).
fn is_full_ssn(value: &str) -> bool {
    value.bytes().filter(u8::is_ascii_digit).count() == 9
}

fn sniff(head: &[u8]) -> InputFormat {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let trimmed = first_line.trim_ascii_start();
    if trimmed.first() == Some(&b'{') {
        return InputFormat::JsonLines;
    }
    let count = |d: u8| first_line.iter().filter(|b| **b == d).count();
    let delimiter = [b',', b'\t', b'|', b';']
        .into_iter()
        .max_by_key(|d| count(*d))
        .unwrap_or(b',');
    InputFormat::Csv { delimiter }
}

/// Data rows: number, values (empty when unreadable) and a problem with the row, if any.
type Rows = Box<dyn Iterator<Item = (u64, Vec<String>, Option<String>)> + Send>;

/// Returns the error for a record one of whose fields swallowed later lines: a line inside a
/// value that holds as many delimiters as a whole row is a row read into the value, which is
/// what a quote left open does. A real multi-line value (`12 Main St` / `Springfield, IL`)
/// holds fewer.
fn unclosed_quote(
    record: &csv::ByteRecord,
    row: u64,
    delimiter: u8,
    headers: &[String],
) -> Option<InputError> {
    let row_delimiters = headers.len().saturating_sub(1).max(2);
    let (column, field) = record.iter().enumerate().find(|(_, field)| {
        field
            .split(|b| *b == b'\n')
            .skip(1)
            .any(|line| line.iter().filter(|b| **b == delimiter).count() >= row_delimiters)
    })?;
    let line = record.position().map_or(0, |p| p.line());
    let swallowed = field.iter().filter(|b| **b == b'\n').count() as u64;
    let name = headers
        .get(column)
        .cloned()
        .unwrap_or_else(|| format!("#{}", column + 1));
    Some(InputError {
        row,
        column: Some(name),
        message: format!(
            "a quote opened on line {line} is never closed: lines {line}–{} were read as one \
             value, so reading stopped here; close the quote (or double it: \"\") and run again",
            line + swallowed
        ),
    })
}

fn csv_rows(
    reader: BufReader<Box<dyn Read + Send>>,
    delimiter: u8,
    broken: Broken,
    fallbacks: Arc<AtomicU64>,
) -> Result<(Vec<String>, Rows)> {
    let mut csv_reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(reader);
    let headers: Vec<String> = csv_reader
        .byte_headers()?
        .iter()
        .map(|h| {
            decode_value(h, &mut 0)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_string()
        })
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(InputError::whole_row(0, "the file has no header row").into());
    }
    let names = headers.clone();
    let rows = csv_reader
        .into_byte_records()
        .enumerate()
        .map_while(move |(i, record)| {
            let row = i as u64 + 1;
            Some(match record {
                Ok(record) => {
                    if let Some(error) = unclosed_quote(&record, row, delimiter, &names) {
                        if let Ok(mut broken) = broken.lock() {
                            *broken = Some(error);
                        }
                        return None;
                    }
                    let mut read_as_1252 = 0;
                    let values: Vec<String> = record
                        .iter()
                        .map(|v| decode_value(v, &mut read_as_1252))
                        .collect();
                    if read_as_1252 > 0 {
                        fallbacks.fetch_add(read_as_1252, Ordering::Relaxed);
                    }
                    (row, values, None)
                }
                Err(e) => (row, Vec::new(), Some(format!("unreadable row: {e}"))),
            })
        });
    Ok((headers, Box::new(rows)))
}

fn json_rows(reader: BufReader<Box<dyn Read + Send>>) -> Result<(Vec<String>, Rows)> {
    let mut lines = reader
        .split(b'\n')
        .enumerate()
        .filter(|(_, line)| line.as_ref().map_or(true, |l| !l.trim_ascii().is_empty()));
    let Some((_, first)) = lines.next() else {
        return Err(InputError::whole_row(0, "the file is empty").into());
    };
    let first = first.map_err(|e| Error::io("input", e))?;
    let first_object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&first)
            .map_err(|e| InputError::whole_row(1, format!("line 1 is not a JSON object: {e}")))?;
    let columns: Vec<String> = first_object.keys().cloned().collect();
    let to_values = {
        let columns = columns.clone();
        move |object: BTreeMap<String, serde_json::Value>| -> Vec<String> {
            columns
                .iter()
                .map(|c| match object.get(c) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                })
                .collect()
        }
    };
    let first_values = to_values(first_object.into_iter().collect());
    let rest = lines.map(move |(i, line)| {
        let row = i as u64 + 1;
        let parsed = line
            .map_err(|e| format!("unreadable line: {e}"))
            .and_then(|bytes| {
                serde_json::from_slice::<BTreeMap<String, serde_json::Value>>(&bytes)
                    .map_err(|e| format!("not a JSON object: {e}"))
            });
        match parsed {
            Ok(object) => (row, to_values(object), None),
            Err(message) => (row, Vec::new(), Some(message)),
        }
    });
    let rows = std::iter::once((1, first_values, None)).chain(rest);
    Ok((columns, Box::new(rows)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(text: &'static str, overrides: &[&str]) -> RecordReader {
        let overrides =
            MappingOverrides::parse(&overrides.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .expect("overrides");
        RecordReader::from_reader(Box::new(text.as_bytes()), None, &overrides, "test", None)
            .expect("reader")
    }

    #[test]
    fn maps_aliases_and_reports_unmapped_columns() {
        let rows = reader(
            "Given_Name|SURNAME|zip_code|favourite\nJohn|Smith|62704|blue\n",
            &[],
        );
        assert_eq!(rows.mapping().unmapped(), vec!["favourite"]);
        let all: Vec<InputRow> = rows.collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].raw.get(Field::LastName), "Smith");
        assert_eq!(all[0].raw.get(Field::RecordId), "test:1");
        assert_eq!(all[0].values[3], "blue");
    }

    #[test]
    fn every_phone_column_of_a_row_is_kept() {
        let text = "phone,cell,phone2,work_phone\n312-555-0188,312 555 0199,,(217) 555-0100\n";
        let rows: Vec<InputRow> = reader(text, &[]).collect();
        assert_eq!(rows[0].raw.get(Field::Phone), "312-555-0188");
        assert_eq!(
            rows[0].raw.get(Field::OtherPhones),
            "312 555 0199;(217) 555-0100"
        );
    }

    #[test]
    fn several_columns_for_one_field_are_read_together() {
        let text = "ssn_last4,ssn,email,email2,zip\n,123-45-6789,,b@x.com,62704\n\
                    6789,123-45-6789,a@x.com,b@x.com,\n6789,,,,\n";
        let rows = reader(text, &[]);
        assert_eq!(
            rows.mapping().shared_field_notes(),
            [
                "ssn <- ssn_last4, ssn (a full SSN, else the first non-empty)",
                "email <- email, email2 (first non-empty)"
            ]
        );
        let rows: Vec<InputRow> = rows.collect();
        let ssn = |i: usize| rows[i].raw.get(Field::Ssn).to_string();
        assert_eq!(
            ssn(0),
            "123-45-6789",
            "an empty last-4 column hides nothing"
        );
        assert_eq!(ssn(1), "123-45-6789", "the full SSN wins over the last 4");
        assert_eq!(ssn(2), "6789");
        assert_eq!(rows[0].raw.get(Field::Email), "b@x.com");
        assert_eq!(rows[1].raw.get(Field::Email), "a@x.com");
    }

    #[test]
    fn a_street_split_into_columns_is_read_in_file_order() {
        let text = "street_number,street_name,street_type,apt,zip\n12,Elm,St,4B,62704\n";
        let rows: Vec<InputRow> = reader(text, &[]).collect();
        assert_eq!(rows[0].raw.get(Field::HouseNumber), "12");
        assert_eq!(rows[0].raw.get(Field::StreetName), "Elm St");
        let (record, issues) = crate::normalize::NormalizedRecord::from_raw(&rows[0].raw);
        assert!(issues.is_empty(), "{issues:?}");
        let address = record.address.expect("an address");
        assert_eq!(
            (address.house_number.as_str(), address.street.as_str()),
            ("12", "elm st")
        );
        assert!(address.unit.ends_with("4b"), "{}", address.unit);
    }

    #[test]
    fn overrides_win_over_aliases() {
        let rows = reader("name,nom\nJohn Smith,Jean\n", &["first_name=nom"]);
        let all: Vec<InputRow> = rows.collect();
        assert_eq!(all[0].raw.get(Field::FirstName), "Jean");
        assert_eq!(all[0].raw.get(Field::FullName), "John Smith");
    }

    #[test]
    fn short_rows_and_bad_json_are_reported_not_dropped() {
        let rows: Vec<InputRow> = reader("first,last,dob\nJohn,Smith\n", &[]).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].issues.len(), 1);
        let rows: Vec<InputRow> = reader(
            "{\"first\":\"a\",\"zip\":62704}\nnot json\n{\"first\":\"b\"}\n",
            &[],
        )
        .collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].raw.get(Field::Zip), "62704");
        assert_eq!(rows[1].issues.len(), 1);
        assert_eq!(rows[2].raw.get(Field::FirstName), "b");
    }

    #[test]
    fn a_none_mapping_keeps_a_column_out_of_every_field() {
        let rows: Vec<InputRow> = reader("surname,zip\nLee,62704\n", &["none=surname"]).collect();
        assert_eq!(rows[0].raw.get(Field::LastName), "");
        assert_eq!(rows[0].raw.get(Field::Zip), "62704");
        assert_eq!(
            rows[0].values[0], "Lee",
            "the value is still read and written back"
        );
    }

    #[test]
    fn an_ignored_column_never_maps_even_by_alias() {
        let overrides = MappingOverrides::default().ignoring("ID");
        let rows: Vec<InputRow> = RecordReader::from_reader(
            Box::new("id,record_id,first\nP1,r1,Ann\n".as_bytes()),
            None,
            &overrides,
            "test",
            None,
        )
        .expect("reader")
        .collect();
        assert_eq!(rows[0].raw.get(Field::RecordId), "r1");
        assert_eq!(rows[0].values[0], "P1", "the value is still read");
        let alone: Vec<InputRow> = RecordReader::from_reader(
            Box::new("id,first\nP1,Ann\n".as_bytes()),
            None,
            &overrides,
            "test",
            None,
        )
        .expect("reader")
        .collect();
        assert_eq!(alone[0].raw.get(Field::RecordId), "test:1", "not the label");
        let mapped = MappingOverrides::parse(&["record_id=id".to_string()])
            .expect("overrides")
            .ignoring("id");
        assert!(
            RecordReader::from_reader(Box::new("id\nP1\n".as_bytes()), None, &mapped, "t", None)
                .is_err(),
            "mapping the label column is refused"
        );
    }

    #[test]
    fn unknown_override_field_is_an_error() {
        let error = MappingOverrides::parse(&["colour=x".to_string()]).expect_err("no such field");
        assert!(
            error.to_string().contains("unknown field colour"),
            "{error}"
        );
    }
}
