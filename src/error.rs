//! Library errors: what the caller did wrong (user errors) kept apart from what broke inside.

use std::path::PathBuf;

/// Result type of the skiptrace library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors the skiptrace library returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file or value the caller supplied cannot be used.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A query has too little to search on.
    #[error("unusable query: {0}")]
    UnusableQuery(String),
    /// A record id that is not in the index.
    #[error("record not found: {0}")]
    RecordNotFound(String),
    /// A whole file is unusable: every row rejected, or more bad rows than the caller allows.
    #[error("{0}")]
    UnusableFile(String),
    /// The model file cannot be read or is inconsistent.
    #[error("model {path}: {source}")]
    Model {
        /// Model file path.
        path: PathBuf,
        /// What is wrong with it.
        source: crate::score::ModelError,
    },
    /// The search index failed.
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory cannot be opened.
    #[error("index directory {path}: {message}")]
    IndexDirectory {
        /// Directory path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A line of an outcome log (or a file in its form) is not an outcome.
    #[error("{path}: line {line} is not an outcome: {message}")]
    OutcomeLog {
        /// File path.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// File path.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// CSV encoding or decoding failed outside a row (e.g. writing output).
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    /// JSON encoding or decoding failed outside a row.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// A stored record payload does not decode (an index written by another version).
    #[error("stored record: {0}")]
    Payload(#[from] postcard::Error),
    /// The API key file cannot be used.
    #[error("key file {path}: {source}")]
    KeyFile {
        /// Key file path.
        path: PathBuf,
        /// What is wrong with it.
        source: crate::access::KeyFileError,
    },
    /// A chart of a report cannot be drawn.
    #[error("plot: {0}")]
    Plot(String),
    /// A model cannot be trained on this index (too few records, no candidate pairs).
    #[error("training: {0}")]
    Training(String),
    /// The audit log cannot be continued or written.
    #[error("audit log {path}: {message}")]
    Audit {
        /// Audit log path.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl Error {
    /// Wraps an IO error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// True for errors caused by the caller's input rather than by the system.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::Input(_)
                | Error::UnusableQuery(_)
                | Error::RecordNotFound(_)
                | Error::UnusableFile(_)
        )
    }
}

/// A problem with one input value, located by row and column like rust-csv's `Position`. It
/// reads `row 4, column dob: ...`, `row 4: ...` for a whole row, `column dob: ...` for the
/// header, and just the message for the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{}{message}", located(*.row, .column))]
pub struct InputError {
    /// 1-based data row (the header is row 0).
    pub row: u64,
    /// Column header as the file spells it (or the canonical field name); `None` when the
    /// problem is the whole row (written `*` in reports and on the wire).
    #[serde(serialize_with = "serialize_column")]
    pub column: Option<String>,
    /// What is wrong, with any sensitive value masked.
    pub message: String,
}

/// How reports and the API name the whole row in place of a column.
pub const WHOLE_ROW: &str = "*";

/// The `row N, column C: ` prefix of an [`InputError`], leaving out what is not known.
fn located(row: u64, column: &Option<String>) -> String {
    match (row, column) {
        (0, None) => String::new(),
        (0, Some(column)) => format!("column {column}: "),
        (row, None) => format!("row {row}: "),
        (row, Some(column)) => format!("row {row}, column {column}: "),
    }
}

fn column_name(column: &Option<String>) -> &str {
    column.as_deref().unwrap_or(WHOLE_ROW)
}

fn serialize_column<S: serde::Serializer>(
    column: &Option<String>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(column_name(column))
}

impl InputError {
    /// Builds an error about one column's value.
    pub fn new(row: u64, column: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError {
            row,
            column: Some(column.into()),
            message: message.into(),
        }
    }

    /// Builds an error about a whole row (unreadable, wrong column count, nothing usable).
    pub fn whole_row(row: u64, message: impl Into<String>) -> InputError {
        InputError {
            row,
            column: None,
            message: message.into(),
        }
    }

    /// Returns the column as reports name it: the header, or `*` for the whole row.
    pub fn column_name(&self) -> &str {
        column_name(&self.column)
    }
}
