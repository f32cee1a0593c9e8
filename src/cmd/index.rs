//! `skiptrace index`: builds or updates the index from CSV / JSON Lines files.

use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::ProgressStyle;
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
    /// Files to index (CSV delimited by comma, tab, pipe or semicolon, or JSON Lines).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs `skiptrace index`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let overrides = MappingOverrides::parse(&args.map)?;
    let index = SkipIndex::open_or_create(&args.index)
        .with_context(|| format!("opening index {}", args.index.display()))?;
    let started = std::time::Instant::now();
    let bar = super::progress_bar(None);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} rows read ({per_sec}) {elapsed}")
            .expect("valid template"),
    );
    let paths: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    let summary = index_files(&index, &paths, &overrides, &|read| bar.set_position(read))?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
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
    Ok(())
}
