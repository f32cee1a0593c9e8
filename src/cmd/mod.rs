//! Subcommands of the `skiptrace` binary, one module each.

mod audit;
mod demo;
mod eval;
mod index;
mod keys;
mod latency;
mod outcomes;
mod rematch;
mod replicate;
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
    /// Colour in log lines: auto (only on a terminal, and not with NO_COLOR set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Errors only: no progress bars, no warnings.
    #[arg(short, long, global = true)]
    quiet: bool,
}

/// When log lines carry colour codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// Set by `--quiet`: progress bars stay hidden.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

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
    /// Record collection outcomes (right party, wrong party, disconnected, cease...) for later
    /// searches and re-matches.
    Outcomes(outcomes::Args),
    /// Re-match a whole debtor file (CSV or JSON Lines) into a CSV with the best current contacts.
    Rematch(Box<rematch::Args>),
    /// Keep a copy of an index in step with its writer's commits (for read replicas).
    Replicate(replicate::Args),
    /// Search for one debtor: ranked identities, explanation, contact points.
    Search(Box<search::Args>),
    /// Serve the HTTP query API (keys, permissible purpose, audit log).
    Serve(serve::Args),
    /// Generate a synthetic population of debtors and their source records, with ground truth.
    Synth(synth::Args),
    /// Estimate a match model from the indexed records, without labels.
    Train(train::Args),
    /// Print shell completions (bash, zsh, fish, powershell, elvish) to stdout.
    #[command(
        after_help = "Example:\n  skiptrace completions bash > /etc/bash_completion.d/skiptrace\n  \
skiptrace completions zsh > \"${fpath[1]}/_skiptrace\""
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    #[command(after_help = "Example:\n  skiptrace man > /usr/local/share/man/man1/skiptrace.1")]
    Man,
}

/// Installs the tracing subscriber on stderr. `RUST_LOG` decides what is logged; without it a
/// server logs its own events at info and every other command only warnings (`-q`: errors).
/// Colour codes only on a terminal, unless `--color` says otherwise or `NO_COLOR` is set.
pub fn init_tracing(cli: &Cli) {
    use std::io::IsTerminal;
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    let default = if cli.quiet {
        "error"
    } else if matches!(cli.command, Command::Serve(_) | Command::Demo(_)) {
        "skiptrace=info,warn"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let ansi = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && !no_color,
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
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
        Command::Outcomes(args) => outcomes::run(args),
        Command::Rematch(args) => rematch::run(*args),
        Command::Replicate(args) => replicate::run(args),
        Command::Search(args) => search::run(*args),
        Command::Serve(args) => serve::run(args),
        Command::Synth(args) => synth::run(args),
        Command::Train(args) => train::run(args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "skiptrace", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            use clap::CommandFactory;
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                // `skiptrace man | head` is not a failure.
                Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
                _ => Ok(()),
            }
        }
    }
}

/// Returns a progress bar drawn on stderr when it is a terminal, hidden otherwise.
pub fn progress_bar(length: Option<u64>) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() || QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        return indicatif::ProgressBar::hidden();
    }
    match length {
        Some(length) => indicatif::ProgressBar::new(length),
        None => indicatif::ProgressBar::new_spinner(),
    }
}

/// A progress bar over rows: with a total (estimated from the files' sizes), it shows the share
/// done, rows a second (rounded) and the time left; drawn only on a terminal and without `-q`.
pub struct RowsBar {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
}

impl RowsBar {
    /// A bar for `what` (`read`, `matched`) over about `total` rows (a spinner when unknown).
    pub fn new(total: Option<u64>, what: &str) -> RowsBar {
        let bar = progress_bar(total);
        let template = match total {
            Some(_) => format!(
                "{{bar:30}} {{percent:>3}}% {{human_pos}} of ~{{human_len}} rows {what}, {{msg}}, \
                 {{eta}} left"
            ),
            None => format!("{{spinner}} {{human_pos}} rows {what}, {{msg}}, {{elapsed}}"),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(&template).expect("a valid template"),
        );
        RowsBar {
            bar,
            started: std::time::Instant::now(),
        }
    }

    /// Moves the bar to `rows` done.
    pub fn set(&self, rows: u64) {
        if self.bar.length().is_some_and(|length| rows > length) {
            self.bar.set_length(rows);
        }
        self.bar.set_position(rows);
        let seconds = self.started.elapsed().as_secs_f64();
        if seconds > 0.2 {
            self.bar
                .set_message(format!("{:.0} rows/s", rows as f64 / seconds));
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Estimates the data rows of files from their sizes and the mean line length of their first
/// megabyte (a progress bar's total; `None` when a file cannot be read).
pub fn estimate_rows(paths: &[&std::path::Path]) -> Option<u64> {
    use std::io::Read;
    let mut total = 0u64;
    for path in paths {
        let size = std::fs::metadata(path).ok()?.len();
        let mut sample = Vec::with_capacity(1 << 20);
        std::fs::File::open(path)
            .ok()?
            .take(1 << 20)
            .read_to_end(&mut sample)
            .ok()?;
        let lines = sample.iter().filter(|b| **b == b'\n').count() as u64;
        if lines == 0 {
            return None;
        }
        let per_line = sample.len() as u64 / lines;
        total += (size / per_line.max(1)).saturating_sub(1);
    }
    Some(total)
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
