//! `skiptrace eval`: measures match quality on labelled data, skiptrace's own answers and any
//! other system's side by side, into a report folder.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use skiptrace::bulk::{self, RematchOptions};
use skiptrace::eval::report::{self, Dataset, EvalReport, IndexInfo, SystemSource};
use skiptrace::eval::truth::{self, LabelledSet};
use skiptrace::eval::{self as evaluation, SystemRun};
use skiptrace::index::SkipIndex;
use skiptrace::input::{MappingOverrides, RecordReader};
use skiptrace::search::{Engine, SearchOptions};

/// Flags of `skiptrace eval`.
#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("data").required(true).args(["synth", "records"])),
    after_help = "Examples:\n  skiptrace synth --people 20000 --seed 7 --out gen\n  skiptrace eval --synth gen --report eval-report\n\
  skiptrace eval --records people.csv --queries debtors.csv --label-column person --report eval-report\n\
  skiptrace rematch --index gen/index --out rematched.csv gen/returned_mail.csv\n\
  skiptrace eval --synth gen --score-output rematch=rematched.csv --score-output splink=splink.csv\n\
  skiptrace eval --synth gen --model shipped=default.json --model trained=trained.json\n\n\
Indexes the records (unless --index already holds them), re-matches every query exactly as\n\
`skiptrace rematch` does, and scores the answers against the truth: precision, recall and F1 at\n\
the shipped thresholds and over every score threshold (PR curve, best F1), candidate-retrieval\n\
recall, right-party address/phone/email rates, the same per hard case, a calibration table, and\n\
error samples (SSN and DOB masked). Every --model and --score-output is one more system, side by\n\
side. A scored file's rows are lined up with the queries by the id column, else by row order.\n\
Latency is per row as run in parallel; set RAYON_NUM_THREADS=1 for single-client latency."
)]
pub struct Args {
    /// A `skiptrace synth` output folder: queries in returned_mail.csv, truth in truth/.
    #[arg(long, conflicts_with_all = ["records", "queries", "label_column"])]
    pub synth: Option<PathBuf>,
    /// Records file (CSV, TSV or JSON Lines) with a label column naming each record's person.
    #[arg(long, requires_all = ["queries", "label_column"])]
    pub records: Option<PathBuf>,
    /// Queries file carrying the same label column (empty label: the person has no record).
    #[arg(long, requires = "records")]
    pub queries: Option<PathBuf>,
    /// Column naming the true person in both files; never mapped to a field, never indexed.
    #[arg(long, requires = "records")]
    pub label_column: Option<String>,
    /// Index to search; built from the records when it holds none (default: SYNTH/index, or in
    /// memory for --records).
    #[arg(long)]
    pub index: Option<PathBuf>,
    /// Explicit column mapping, field=COLUMN (repeatable), for the records and, unless
    /// --queries-map is given, the queries.
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// Explicit column mapping of the queries, field=COLUMN (repeatable).
    #[arg(long = "queries-map", value_name = "FIELD=COLUMN")]
    pub queries_map: Vec<String>,
    /// Query id column answers are lined up by (default: account_id, account, acct, ... row_id).
    #[arg(long)]
    pub id_column: Option<String>,
    /// Model file to evaluate, [NAME=]FILE (repeatable: models side by side; default: the
    /// shipped model).
    #[arg(long = "model", value_name = "[NAME=]FILE")]
    pub models: Vec<String>,
    /// Also score a file in the rematch output format, [NAME=]FILE (repeatable). FILE.meta.json
    /// (or FILE without extension + .meta.json) gives its system name and wall time.
    #[arg(long = "score-output", value_name = "[NAME=]FILE")]
    pub score_outputs: Vec<String>,
    /// Do not index or re-match: only score the --score-output files.
    #[arg(long, requires = "score_outputs", conflicts_with_all = ["models", "index"])]
    pub no_rematch: bool,
    /// Probability the top identity needs for `matched` (as `skiptrace rematch`).
    #[arg(long, default_value_t = skiptrace::search::DEFAULT_MATCH_THRESHOLD)]
    pub match_threshold: f64,
    /// Probability at which an unresolved top identity is left for `review` (as `skiptrace rematch`).
    #[arg(long, default_value_t = bulk::DEFAULT_REVIEW_THRESHOLD)]
    pub review_threshold: f64,
    /// Report folder: report.md, report.json and pr_curve.svg.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Print the report as JSON instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Also print the error samples.
    #[arg(long)]
    pub errors: bool,
    /// Then run N rounds of simulated collection outcomes (the shipped or first model): each
    /// round's offers are worked by collectors whose results follow the truth, recorded as
    /// outcomes in memory (never in the index's log), and the queries re-matched; prints the
    /// right-party rates per round and the wrong-party contacts offered again.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        conflicts_with = "no_rematch"
    )]
    pub outcome_rounds: usize,
    /// Write the simulated outcomes of --outcome-rounds to FILE (JSON Lines, the form of an
    /// index's outcomes.jsonl; one date per round).
    #[arg(long, value_name = "FILE", requires = "outcome_rounds")]
    pub outcomes_out: Option<PathBuf>,
    /// Then replay the outcomes in FILE (JSON Lines, the form of an index's outcomes.jsonl or
    /// of --outcomes-out), one round per date, oldest first: re-match, record the round's
    /// outcomes in memory, re-match again; each outcome's `account` names the query it was
    /// reported for. Prints the same table as --outcome-rounds.
    #[arg(
        long = "outcomes",
        value_name = "FILE",
        conflicts_with_all = ["no_rematch", "outcome_rounds"]
    )]
    pub replay_outcomes: Option<PathBuf>,
}

/// Splits `[NAME=]FILE`; a `=` inside a path (after a `/`) is part of the file name.
fn named(spec: &str) -> (Option<String>, PathBuf) {
    match spec.split_once('=') {
        Some((name, file)) if !name.is_empty() && !name.contains(['/', '\\']) => {
            (Some(name.to_string()), PathBuf::from(file))
        }
        _ => (None, PathBuf::from(spec)),
    }
}

fn command_line() -> String {
    std::env::args()
        .map(|arg| {
            if arg.is_empty() || arg.contains(char::is_whitespace) {
                format!("'{arg}'")
            } else {
                arg
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where the records and queries are read from.
struct Inputs {
    records: PathBuf,
    queries: PathBuf,
    record_overrides: MappingOverrides,
}

/// Reads the labelled data in either form.
fn load(args: &Args) -> anyhow::Result<(LabelledSet, Inputs)> {
    let map = MappingOverrides::parse(&args.map)?;
    let queries_map = if args.queries_map.is_empty() {
        map.clone()
    } else {
        MappingOverrides::parse(&args.queries_map)?
    };
    if let Some(dir) = &args.synth {
        let set = truth::load_synth(dir, &queries_map, &map, args.id_column.as_deref())
            .with_context(|| format!("reading the synth folder {}", dir.display()))?;
        let inputs = Inputs {
            records: dir.join("records.csv"),
            queries: dir.join("returned_mail.csv"),
            record_overrides: map,
        };
        return Ok((set, inputs));
    }
    let (Some(records), Some(queries), Some(label)) =
        (&args.records, &args.queries, &args.label_column)
    else {
        anyhow::bail!("give --synth DIR, or --records, --queries and --label-column");
    };
    let record_overrides = map.ignoring(label);
    let query_overrides = queries_map.ignoring(label);
    let record_reader = RecordReader::open(records, &record_overrides)
        .with_context(|| format!("reading {}", records.display()))?;
    let query_reader = RecordReader::open(queries, &query_overrides)
        .with_context(|| format!("reading {}", queries.display()))?;
    let set = truth::load_labelled(
        record_reader,
        query_reader,
        label,
        args.id_column.as_deref(),
    )
    .context("reading the labelled files")?;
    let inputs = Inputs {
        records: records.clone(),
        queries: queries.clone(),
        record_overrides,
    };
    Ok((set, inputs))
}

/// Opens the index, building it from the records when it holds none.
fn open_index(args: &Args, inputs: &Inputs) -> anyhow::Result<(SkipIndex, IndexInfo)> {
    let dir = args
        .index
        .clone()
        .or_else(|| args.synth.as_ref().map(|s| s.join("index")));
    let (index, location) = match &dir {
        Some(dir) => (
            SkipIndex::open_or_create(dir).with_context(|| format!("opening {}", dir.display()))?,
            dir.display().to_string(),
        ),
        None => (SkipIndex::create_in_ram()?, "in memory".to_string()),
    };
    if index.num_records() > 0 {
        eprintln!(
            "reusing the index in {location} ({} records)",
            index.num_records()
        );
        let info = IndexInfo {
            location,
            records: index.num_records(),
            built_seconds: None,
        };
        return Ok((index, info));
    }
    eprintln!("indexing {} into {location} ...", inputs.records.display());
    let started = std::time::Instant::now();
    let summary = skiptrace::ingest::index_files(
        &index,
        &[inputs.records.as_path()],
        &inputs.record_overrides,
        skiptrace::ingest::IndexOptions::default(),
        &|_| {},
    )?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("indexed {} records in {seconds:.1}s", summary.indexed);
    let info = IndexInfo {
        location,
        records: index.num_records(),
        built_seconds: Some(seconds),
    };
    Ok((index, info))
}

/// Re-matches the queries with each model, one system each.
fn rematch_systems(
    args: &Args,
    set: &LabelledSet,
    index: &SkipIndex,
    info: &IndexInfo,
) -> anyhow::Result<Vec<SystemRun>> {
    let models: Vec<(Option<String>, Option<PathBuf>)> = if args.models.is_empty() {
        vec![(None, None)]
    } else {
        args.models
            .iter()
            .map(|spec| {
                let (name, file) = named(spec);
                (name, Some(file))
            })
            .collect()
    };
    let options = RematchOptions {
        search: SearchOptions {
            match_threshold: args.match_threshold,
            ..SearchOptions::default()
        },
        review_threshold: args.review_threshold,
        // Benchmarking reads the true levels (the error tables show them).
        unmasked: true,
        ..RematchOptions::default()
    };
    let single = models.len() == 1;
    let mut runs = Vec::new();
    for (name, file) in models {
        let model = super::load_model(file.as_deref()).with_context(|| {
            format!(
                "loading model {}",
                file.as_deref().unwrap_or(Path::new("")).display()
            )
        })?;
        let name = match (name, &file) {
            (Some(name), _) => name,
            (None, Some(file)) if !single => format!(
                "skiptrace:{}",
                file.file_stem().unwrap_or_default().to_string_lossy()
            ),
            _ => "skiptrace".to_string(),
        };
        let engine = Engine::new(index.clone(), model);
        let bar = super::RowsBar::new(Some(set.rows.len() as u64), &format!("matched by {name}"));
        let (predictions, match_seconds) =
            evaluation::rematch_queries(&engine, set, &options, &|done| bar.set(done));
        bar.finish();
        eprintln!(
            "{name}: re-matched {} queries in {match_seconds:.1}s",
            set.rows.len()
        );
        let mut phases = BTreeMap::new();
        if let Some(seconds) = info.built_seconds {
            phases.insert("index".to_string(), serde_json::json!(seconds));
        }
        phases.insert("match".to_string(), serde_json::json!(match_seconds));
        runs.push(SystemRun {
            name,
            source: SystemSource::InProcess {
                model: file.map_or_else(|| "shipped".to_string(), |f| f.display().to_string()),
            },
            predictions,
            wall_seconds: Some(info.built_seconds.unwrap_or(0.0) + match_seconds),
            phases,
            alignment: None,
            notes: Vec::new(),
        });
    }
    Ok(runs)
}

/// Runs `--outcome-rounds` or `--outcomes` with the shipped model (or the first `--model`).
fn outcome_rounds(
    args: &Args,
    set: &LabelledSet,
    index: &SkipIndex,
) -> anyhow::Result<Vec<evaluation::RoundFigures>> {
    let model_file = args.models.first().map(|spec| named(spec).1);
    let engine = Engine::new(index.clone(), super::load_model(model_file.as_deref())?);
    let options = RematchOptions {
        search: SearchOptions {
            match_threshold: args.match_threshold,
            ..SearchOptions::default()
        },
        review_threshold: args.review_threshold,
        ..RematchOptions::default()
    };
    if let Some(path) = &args.replay_outcomes {
        let stream = skiptrace::outcomes::read_outcomes(path)?;
        eprintln!(
            "replaying {} outcomes from {}",
            stream.len(),
            path.display()
        );
        return Ok(evaluation::replay_outcomes(&engine, set, &options, stream));
    }
    let today = skiptrace::normalize::Date::today();
    let (rounds, stream) =
        evaluation::outcome_rounds(&engine, set, &options, args.outcome_rounds, 1, today);
    if let Some(path) = &args.outcomes_out {
        let mut lines = String::new();
        for outcome in &stream {
            lines.push_str(&serde_json::to_string(outcome)?);
            lines.push('\n');
        }
        std::fs::write(path, lines).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(rounds)
}

/// Runs `skiptrace eval`.
pub fn run(args: Args) -> anyhow::Result<()> {
    for (name, value) in [
        ("--match-threshold", args.match_threshold),
        ("--review-threshold", args.review_threshold),
    ] {
        anyhow::ensure!(
            (0.0..=1.0).contains(&value),
            "{name} must be between 0 and 1"
        );
    }
    let (set, inputs) = load(&args)?;
    eprintln!(
        "{} queries ({} whose person has a record), {} records",
        set.queries.len(),
        set.present(),
        set.records
    );
    let mut dataset = Dataset::of(&set);
    dataset.command = command_line();
    dataset.records_source = inputs.records.display().to_string();
    dataset.queries_source = inputs.queries.display().to_string();
    dataset.label_column = args.label_column.clone();
    dataset.match_threshold = args.match_threshold;
    dataset.review_threshold = args.review_threshold;

    let mut runs = Vec::new();
    let mut rounds = Vec::new();
    if !args.no_rematch {
        let (index, info) = open_index(&args, &inputs)?;
        runs.extend(rematch_systems(&args, &set, &index, &info)?);
        dataset.index = Some(info);
        if args.outcome_rounds > 0 || args.replay_outcomes.is_some() {
            rounds = outcome_rounds(&args, &set, &index)?;
        }
    }
    for spec in &args.score_outputs {
        let (name, file) = named(spec);
        let run = evaluation::score_file(&file, name.as_deref(), &set)
            .with_context(|| format!("scoring {}", file.display()))?;
        for note in &run.notes {
            eprintln!("{}: {note}", run.name);
        }
        runs.push(run);
    }
    let mut names = HashSet::new();
    for run in &runs {
        anyhow::ensure!(
            names.insert(run.name.as_str()),
            "two systems are named {}: name them with NAME=FILE",
            run.name
        );
    }

    let report = evaluation::evaluate(&set, dataset, &runs);
    if let Some(dir) = &args.report {
        report::write_report(dir, &report)
            .with_context(|| format!("writing the report into {}", dir.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report::summary(&report));
        if let Some(dir) = &args.report {
            println!("report: {}", dir.join("report.md").display());
        }
    }
    if args.errors {
        print_errors(&report);
    }
    if !rounds.is_empty() {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&rounds)?);
        } else {
            let whose = if args.replay_outcomes.is_some() {
                "replayed outcomes"
            } else {
                "simulated collectors"
            };
            println!("\nOutcome rounds ({whose}; rates over matched debtors in the records, findable = the current contact is in their records, the rate's ceiling):");
            println!("| round | matched debtors | right-party address | findable address | right-party phone | findable phone | address offers right | phone offers right | outcomes recorded after | forbidden offered again |");
            println!("|---|---|---|---|---|---|---|---|---|---|");
            for r in &rounds {
                println!(
                    "| {} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {} | {} |",
                    r.round,
                    r.matched_debtors,
                    r.right_party_address,
                    r.findable_address,
                    r.right_party_phone,
                    r.findable_phone,
                    r.address_offer_precision,
                    r.phone_offer_precision,
                    r.outcomes_recorded,
                    r.forbidden_offered_again
                );
            }
        }
    }
    Ok(())
}

fn print_errors(report: &EvalReport) {
    for system in &report.systems {
        for (kind, samples) in [
            ("false positive", &system.false_positives),
            ("false negative", &system.false_negatives),
        ] {
            for e in samples.iter().take(10) {
                eprintln!(
                    "{}: {kind} {}: {} (true {}) status {} score {} match {} flags [{}] {}",
                    system.name,
                    e.reason,
                    e.query_id,
                    e.person,
                    e.status.map_or("missing", bulk::MatchStatus::as_str),
                    e.match_probability
                        .map_or("-".into(), |s| format!("{s:.4}")),
                    e.record_id.as_deref().unwrap_or("-"),
                    e.flags.join(" "),
                    e.explanation
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_from_files() {
        assert_eq!(
            named("splink=out/s.csv"),
            (Some("splink".to_string()), PathBuf::from("out/s.csv"))
        );
        assert_eq!(named("out/s.csv"), (None, PathBuf::from("out/s.csv")));
        assert_eq!(named("out/a=b.csv"), (None, PathBuf::from("out/a=b.csv")));
    }
}
