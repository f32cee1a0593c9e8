//! `skiptrace index`: builds or updates the index from CSV / JSON Lines files.

use std::path::{Path, PathBuf};

use anyhow::Context;
use skiptrace::index::SkipIndex;
use skiptrace::ingest::index_files;
use skiptrace::input::MappingOverrides;

/// Flags of `skiptrace index`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace index --index index/ records.csv more_records.jsonl\n  skiptrace index --map first_name=GIVEN --map ssn=SOC records.csv\n\n\
Columns are matched to fields by name and common aliases (given_name, surname, soc_sec_id, zip_code, ...).\n\
Rows upsert by record_id (files without one get <file>:<row> ids), so indexing a file twice changes nothing."
)]
pub struct Args {
    /// Index directory (created when absent).
    #[arg(long, env = "SKIPTRACE_INDEX", default_value = skiptrace::index::DEFAULT_INDEX_DIR)]
    pub index: PathBuf,
    /// Explicit column mapping, field=COLUMN (repeatable).
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Character encoding of the files (utf-8, windows-1252, iso-8859-1, utf-16le...); by
    /// default detected from each file's first megabyte.
    #[arg(long, value_parser = super::parse_encoding)]
    pub encoding: Option<skiptrace::input::FileEncoding>,
    /// Stop once more than N rows were rejected (what was read so far stays indexed).
    #[arg(long, value_name = "N")]
    pub max_errors: Option<u64>,
    /// After loading, merge the index into one segment: searches get faster (one term lookup
    /// per key instead of one per segment) at the cost of a merge at the end of the load.
    #[arg(long)]
    pub optimize: bool,
    /// Files to index (CSV delimited by comma, tab, pipe or semicolon, or JSON Lines); none
    /// with --optimize merges the index as it is.
    #[arg(required_unless_present = "optimize")]
    pub files: Vec<PathBuf>,
}

/// Runs `skiptrace index`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let overrides = MappingOverrides::parse(&args.map)?;
    let index = SkipIndex::open_or_create(&args.index)
        .with_context(|| format!("opening index {}", args.index.display()))?;
    if args.files.is_empty() {
        return optimize(&index);
    }
    let started = std::time::Instant::now();
    let paths: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    let bar = super::RowsBar::new(super::estimate_rows(&paths), "read");
    let options = skiptrace::ingest::IndexOptions {
        encoding: args.encoding,
        max_rejected: args.max_errors,
    };
    let summary = index_files(&index, &paths, &overrides, options, &|read| bar.set(read))?;
    bar.finish();
    if args.optimize {
        optimize(&index)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return some_row_indexed(&summary);
    }
    for encoding in &summary.encodings {
        eprintln!("read as {encoding}");
    }
    if summary.values_read_as_windows_1252 > 0 {
        eprintln!(
            "{} values were not valid UTF-8 and were read as Windows-1252 (give --encoding to \
             read the whole file otherwise)",
            summary.values_read_as_windows_1252
        );
    }
    for column in &summary.unmapped_columns {
        eprintln!("unmapped column (kept, not used): {column}");
    }
    for note in &summary.shared_columns {
        eprintln!("columns read together: {note}");
    }
    for issue in summary.issues.iter().take(20) {
        eprintln!("{issue}");
    }
    if summary.issues.len() > 20 {
        eprintln!(
            "... and more problems ({} reported in --json)",
            summary.issues.len()
        );
    }
    println!(
        "read {}, indexed {}, updated {}, rejected {} ({} rows had unusable values) in {:.1}s ({:.0} records/s); index holds {} records",
        summary.read,
        summary.indexed,
        summary.updated,
        summary.rejected,
        summary.value_issues,
        elapsed,
        summary.read as f64 / elapsed.max(1e-9),
        index.num_records()
    );
    some_row_indexed(&summary)
}

/// A run that read rows and indexed none fails (exit 2): the file or its mapping is wrong.
fn some_row_indexed(summary: &skiptrace::ingest::IngestSummary) -> anyhow::Result<()> {
    if summary.read > 0 && summary.indexed == 0 {
        return Err(skiptrace::Error::UnusableFile(format!(
            "every one of the {} rows was rejected (see the problems reported): check the \
             file's columns and --map",
            summary.read
        ))
        .into());
    }
    Ok(())
}

/// Merges the index into one segment, saying how long it took.
fn optimize(index: &SkipIndex) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let segments = index
        .optimize()
        .context("merging the index into one segment")?;
    eprintln!(
        "merged {segments} segment(s) into one in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
