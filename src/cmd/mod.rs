//! Subcommands of the `skiptrace` binary, one module each.

mod audit;
mod demo;
mod eval;
mod index;
mod keys;
mod latency;
mod rematch;
mod search;
mod serve;
mod synth;
mod train;

use clap::{Parser, Subcommand};

/// skiptrace finds lost debtors: it indexes person records from many sources and answers "who is
/// this debtor, and where can they be reached now?" with scored identities and contact points.
#[derive(Debug, Parser)]
#[command(name = "skiptrace", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verify the audit log of `skiptrace serve` (hash chain).
    Audit(audit::Args),
    /// First run: generate a demo population (cached), index it, and show a search.
    Demo(demo::Args),
    /// Measure match quality on labelled data, side by side with other systems' outputs.
    Eval(eval::Args),
    /// Index person records from CSV or JSON Lines files (upsert by record_id).
    Index(index::Args),
    /// Make, list and revoke the API keys of `skiptrace serve`.
    Keys(keys::Args),
    /// Measure single-client search latency in the library over a queries file.
    Latency(latency::Args),
    /// Re-match a whole debtor file (CSV or JSON Lines) into a CSV with the best current contacts.
    Rematch(Box<rematch::Args>),
    /// Search for one debtor: ranked identities, explanation, contact points.
    Search(Box<search::Args>),
    /// Serve the HTTP query API (keys, permissible purpose, audit log).
    Serve(serve::Args),
    /// Generate a synthetic population of debtors and their source records, with ground truth.
    Synth(synth::Args),
    /// Estimate a match model from the indexed records, without labels.
    Train(train::Args),
}

/// Installs the tracing subscriber: `RUST_LOG` or `skiptrace=info`, on stderr.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("skiptrace=info,tower_http=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Audit(args) => audit::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Index(args) => index::run(args),
        Command::Keys(args) => keys::run(args),
        Command::Latency(args) => latency::run(args),
        Command::Rematch(args) => rematch::run(*args),
        Command::Search(args) => search::run(*args),
        Command::Serve(args) => serve::run(args),
        Command::Synth(args) => synth::run(args),
        Command::Train(args) => train::run(args),
    }
}

/// Returns a progress bar drawn on stderr when it is a terminal, hidden otherwise.
pub fn progress_bar(length: Option<u64>) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    match length {
        Some(length) => indicatif::ProgressBar::new(length),
        None => indicatif::ProgressBar::new_spinner(),
    }
}

/// Parses `--encoding`: any WHATWG label.
pub fn parse_encoding(label: &str) -> Result<skiptrace::input::FileEncoding, String> {
    skiptrace::input::FileEncoding::from_label(label)
        .ok_or_else(|| skiptrace::input::encoding::UNKNOWN_ENCODING_HINT.to_string())
}

/// Loads a model file, or the shipped default.
pub fn load_model(path: Option<&std::path::Path>) -> anyhow::Result<skiptrace::score::Model> {
    match path {
        Some(path) => Ok(skiptrace::score::Model::load(path)?),
        None => Ok(skiptrace::score::Model::default_model()),
    }
}

/// Opens the index in `index_dir`, first building it from `synth_dir/records.csv` when it holds
/// no records (used by `demo` and `eval` on a `skiptrace synth` folder).
pub fn index_synth_folder(
    index_dir: &std::path::Path,
    synth_dir: &std::path::Path,
) -> anyhow::Result<skiptrace::index::SkipIndex> {
    use anyhow::Context;
    let index = skiptrace::index::SkipIndex::open_or_create(index_dir)
        .with_context(|| format!("opening {}", index_dir.display()))?;
    if index.num_records() > 0 {
        eprintln!(
            "reusing the index in {} ({} records)",
            index_dir.display(),
            index.num_records()
        );
        return Ok(index);
    }
    let records = synth_dir.join("records.csv");
    eprintln!(
        "indexing {} into {} ...",
        records.display(),
        index_dir.display()
    );
    let started = std::time::Instant::now();
    let summary = skiptrace::ingest::index_files(
        &index,
        &[records.as_path()],
        &skiptrace::input::MappingOverrides::default(),
        skiptrace::ingest::IndexOptions::default(),
        &|_| {},
    )?;
    eprintln!(
        "indexed {} records in {:.1}s",
        summary.indexed,
        started.elapsed().as_secs_f64()
    );
    Ok(index)
}
