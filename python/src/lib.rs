//! `skiptrace._engine`: the skiptrace engine as a Python extension module.
//!
//! A thin binding over the library: an [`Index`] opened read-only searches one query with the
//! API's JSON and re-matches a batch of rows with `skiptrace rematch`'s columns, Arrow in and
//! Arrow out. The Python package (`python/skiptrace/__init__.py`) wraps it with dicts and
//! pyarrow types; docs/scaling.md says how Spark uses it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch, StringArray, StringViewArray};
use arrow_pyarrow::PyArrowType;
use arrow_schema::{DataType, Field as ArrowField, Schema};
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use skiptrace::bulk::{self, RematchOptions};
use skiptrace::index::SkipIndex;
use skiptrace::input::{ColumnMapping, InputRow, MappingOverrides};
use skiptrace::score::Model;
use skiptrace::search::{Engine, Query, SearchOptions};
use skiptrace::server::{answer, SearchRequest, SearchResponse};

/// Rust allocations of the module (not Python's) go to mimalloc, as in the `skiptrace` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// An index opened for searching and re-matching (never for writing: any number of processes
/// may open the same directory while one `skiptrace index` or `serve` writes it).
#[pyclass(frozen, module = "skiptrace._engine")]
struct Index {
    engine: Engine,
    /// Threads matching one batch: a Spark task gets the cores it was given, not the machine's.
    pool: rayon::ThreadPool,
}

#[pymethods]
impl Index {
    /// Opens the index in `path` with the model in `model` (default: the shipped model), and
    /// `threads` matching threads (default: one per core).
    #[new]
    #[pyo3(signature = (path, model = None, threads = None))]
    fn new(path: PathBuf, model: Option<PathBuf>, threads: Option<usize>) -> PyResult<Index> {
        let index = SkipIndex::open(&path).map_err(engine_error)?;
        let model = match model {
            Some(path) => Model::load(&path).map_err(engine_error)?,
            None => Model::default_model(),
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .thread_name(|i| format!("skiptrace-match-{i}"))
            .build()
            .map_err(|e| PyOSError::new_err(e.to_string()))?;
        Ok(Index {
            engine: Engine::new(index, model),
            pool,
        })
    }

    /// Records in the index (as of the last reload).
    #[getter]
    fn num_records(&self) -> u64 {
        self.engine.index().num_records()
    }

    /// Digest of the model in use, as audit lines carry it.
    #[getter]
    fn model_digest(&self) -> String {
        self.engine.model_digest().to_string()
    }

    /// Id of the index commit searched, as audit lines carry it.
    #[getter]
    fn commit_id(&self) -> String {
        SkipIndex::commit_id(&self.engine.index().searcher())
    }

    /// Picks up the index's last commit (a writer loaded records since it was opened).
    fn reload(&self) -> PyResult<()> {
        self.engine.index().reload().map_err(engine_error)
    }

    /// Searches one query given as the JSON body of `POST /v1/search` and answers with the
    /// API's JSON. SSNs and DOBs are masked, and the figures coarsened, unless `unmasked`.
    #[pyo3(signature = (request, unmasked = false))]
    fn search_json(&self, py: Python<'_>, request: &str, unmasked: bool) -> PyResult<String> {
        let request: SearchRequest =
            serde_json::from_str(request).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let api = |e: skiptrace::server::ApiError| PyValueError::new_err(e.message().to_string());
        let options = request.options().map_err(api)?;
        let raw = request.query().map_err(api)?;
        py.detach(|| {
            let started = Instant::now();
            let query = Query::from_raw(&raw);
            let answered = answer(&self.engine, &query, options, unmasked).map_err(api)?;
            let took_ms = started.elapsed().as_secs_f64() * 1000.0;
            let response = SearchResponse::of(&answered.resolution, unmasked, took_ms);
            serde_json::to_string(&response).map_err(|e| PyValueError::new_err(e.to_string()))
        })
    }

    /// Re-matches a batch of rows as `skiptrace rematch` does, and returns the batch's columns
    /// (as strings) followed by `rematch`'s output columns, one row per input row in order.
    ///
    /// Every column is an input column but `problem_column`: a non-empty value there is a
    /// reading problem of the row (a malformed line), which makes it an `error` row, never
    /// searched. Input columns must be strings; a null reads as an empty value.
    #[pyo3(signature = (
        batch,
        *,
        map = Vec::new(),
        unmasked = false,
        contacts = 0,
        match_threshold = skiptrace::search::DEFAULT_MATCH_THRESHOLD,
        review_threshold = bulk::DEFAULT_REVIEW_THRESHOLD,
        problem_column = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn rematch(
        &self,
        py: Python<'_>,
        batch: PyArrowType<RecordBatch>,
        map: Vec<String>,
        unmasked: bool,
        contacts: usize,
        match_threshold: f64,
        review_threshold: f64,
        problem_column: Option<String>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        for (name, value) in [
            ("match_threshold", match_threshold),
            ("review_threshold", review_threshold),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(PyValueError::new_err(format!(
                    "{name} must be between 0 and 1"
                )));
            }
        }
        if contacts > 10 {
            return Err(PyValueError::new_err("contacts must be between 0 and 10"));
        }
        let batch = batch.0;
        let schema = batch.schema();
        let mut columns = Vec::new();
        let mut inputs = Vec::new();
        let mut problems = None;
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            let values = StringColumn::of(field.name(), array)?;
            if problem_column.as_deref() == Some(field.name().as_str()) {
                problems = Some(values);
            } else {
                columns.push(field.name().clone());
                inputs.push(values);
            }
        }
        if let (Some(name), None) = (&problem_column, &problems) {
            return Err(PyValueError::new_err(format!(
                "problem_column {name}: no such column"
            )));
        }
        let overrides = MappingOverrides::parse(&map).map_err(engine_error)?;
        let mapping = ColumnMapping::new(columns.clone(), &overrides).map_err(engine_error)?;
        let options = RematchOptions {
            search: SearchOptions {
                match_threshold,
                ..SearchOptions::default()
            },
            review_threshold,
            unmasked,
            contacts,
            ..RematchOptions::default()
        };
        let rows: Vec<InputRow> = (0..batch.num_rows())
            .map(|i| {
                let values = inputs.iter().map(|c| c.value(i)).collect();
                let problem = problems
                    .as_ref()
                    .map(|p| p.value(i))
                    .filter(|p| !p.is_empty());
                mapping.row(i as u64 + 1, values, problem, "batch")
            })
            .collect();
        let lines = py.detach(|| {
            self.pool
                .install(|| bulk::rematch_batch(&self.engine, &rows, columns.len(), &options))
        });
        let mut names = columns;
        names.extend(output_columns(contacts));
        let arrays: Vec<ArrayRef> = (0..names.len())
            .map(|j| {
                let column: StringArray = lines
                    .iter()
                    .map(|(values, _)| Some(values[j].as_str()))
                    .collect();
                Arc::new(column) as ArrayRef
            })
            .collect();
        let fields: Vec<ArrowField> = names
            .iter()
            .map(|name| ArrowField::new(name, DataType::Utf8, false))
            .collect();
        let output = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(PyArrowType(output))
    }
}

/// One string column of an input batch, in any of Arrow's string layouts.
enum StringColumn {
    Utf8(StringArray),
    LargeUtf8(LargeStringArray),
    View(StringViewArray),
}

impl StringColumn {
    fn of(name: &str, array: &ArrayRef) -> PyResult<StringColumn> {
        let data = array.to_data();
        match array.data_type() {
            DataType::Utf8 => Ok(StringColumn::Utf8(StringArray::from(data))),
            DataType::LargeUtf8 => Ok(StringColumn::LargeUtf8(LargeStringArray::from(data))),
            DataType::Utf8View => Ok(StringColumn::View(StringViewArray::from(data))),
            other => Err(PyTypeError::new_err(format!(
                "column {name} is {other}, not a string: cast it first \
                 (skiptrace.rematch does this for a pyarrow batch)"
            ))),
        }
    }

    /// Value `i`, empty when null.
    fn value(&self, i: usize) -> String {
        let (valid, value) = match self {
            StringColumn::Utf8(a) => (a.is_valid(i), a.value(i)),
            StringColumn::LargeUtf8(a) => (a.is_valid(i), a.value(i)),
            StringColumn::View(a) => (a.is_valid(i), a.value(i)),
        };
        if valid {
            value.to_string()
        } else {
            String::new()
        }
    }
}

/// A library error as a Python exception: the caller's own input is a `ValueError`, anything
/// else an `OSError`.
fn engine_error(error: skiptrace::Error) -> PyErr {
    if error.is_user_error() {
        PyValueError::new_err(error.to_string())
    } else {
        PyOSError::new_err(error.to_string())
    }
}

/// The columns `Index.rematch` (and `skiptrace rematch`) append after the input's: the usual
/// ones, then with `contacts` > 0 the ranked addresses' and phones' columns.
#[pyfunction]
#[pyo3(signature = (contacts = 0))]
fn output_columns(contacts: usize) -> Vec<String> {
    let mut columns: Vec<String> = bulk::OUTPUT_COLUMNS.iter().map(|c| c.to_string()).collect();
    columns.extend(bulk::contact_columns(contacts));
    columns
}

/// The module: `Index`, and the names of `rematch`'s own output columns.
#[pymodule]
fn _engine(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Index>()?;
    m.add_function(wrap_pyfunction!(output_columns, m)?)?;
    m.add("OUTPUT_COLUMNS", bulk::OUTPUT_COLUMNS.to_vec())?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
