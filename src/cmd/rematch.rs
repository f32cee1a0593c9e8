//! `skiptrace rematch`: re-matches a whole debtor file (returned mail, a placement) and writes
//! it back as CSV with the match status, match probability, explanation and the best current
//! address, phone and email (new, confirmed or corrected) appended.

use std::path::PathBuf;

use anyhow::Context;
use skiptrace::bulk::{self, MatchStatus, RematchOptions};
use skiptrace::index::SkipIndex;
use skiptrace::input::{FileEncoding, MappingOverrides, RecordReader};
use skiptrace::search::{Engine, SearchOptions};

/// Flags of `skiptrace rematch`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace rematch --index index/ --out rematched.csv returned_mail.csv\n  skiptrace rematch --resume --out rematched.csv returned_mail.csv   # after a kill\n\n\
Writes one row per input row, in input order: every input column unchanged, then match_status\n\
(matched, review, no_match, error), outcome_code (new_address_and_phone, new_address,\n\
new_phone, confirmed_on_file, matched_no_new_contact, review, no_match, error), match_score, match_band, match_record_id, match_identity,\n\
the best current address, phone and email of a matched row, each with its status (new; confirmed:\n\
the row's own is still the best; corrected: the row's own with its unit, ZIP or spelling fixed),\n\
explanation and error. A return_reason or phone_bad column marks the row's contacts as bad: they\n\
are never confirmed. Every phone column of the row (phone, phone2, cell...) is the row's own.\n\
JSON Lines input is written as CSV with its keys as columns."
)]
pub struct Args {
    /// Index directory.
    #[arg(long, env = "SKIPTRACE_INDEX", default_value = skiptrace::index::DEFAULT_INDEX_DIR)]
    pub index: PathBuf,
    /// Model file (default: the shipped model).
    #[arg(long, env = "SKIPTRACE_MODEL")]
    pub model: Option<PathBuf>,
    /// Explicit column mapping, field=COLUMN (repeatable).
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// Account or row id column (default: account_id, account, acct, account_number or row_id).
    #[arg(long)]
    pub id_column: Option<String>,
    /// Probability the top identity needs for `matched`.
    #[arg(long, default_value_t = skiptrace::search::DEFAULT_MATCH_THRESHOLD)]
    pub match_threshold: f64,
    /// Probability at which an unresolved top identity is reported for `review`.
    #[arg(long, default_value_t = bulk::DEFAULT_REVIEW_THRESHOLD)]
    pub review_threshold: f64,
    /// Rows matched in parallel and written per batch.
    #[arg(long, default_value_t = bulk::DEFAULT_BATCH_ROWS, hide = true)]
    pub batch_rows: usize,
    /// Keep the complete rows of an existing OUT and append the rest.
    #[arg(long)]
    pub resume: bool,
    /// Explain SSN and DOB agreement level by level (`exact`, `ssn_one_digit`...); by default
    /// it reads `agrees`, as for API callers who may not see full SSNs and DOBs.
    #[arg(long)]
    pub unmasked: bool,
    /// Character encoding of the input (utf-8, windows-1252, iso-8859-1, utf-16le...); by
    /// default detected from the file's first megabyte.
    #[arg(long, value_parser = super::parse_encoding)]
    pub encoding: Option<FileEncoding>,
    /// Stop once more than N rows came back as errors (a broken file); the rows written stay
    /// and --resume carries on.
    #[arg(long, value_name = "N")]
    pub max_errors: Option<u64>,
    /// Append the top N addresses and phones of each matched row (address_1, address_1_status,
    /// address_1_confidence, address_1_last_seen, ..., phone_1, ...) after the usual columns.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u8).range(0..=10))]
    pub contacts: u8,
    /// Print the run's summary as JSON on stdout (counts by status and outcome code, encoding,
    /// rows/s).
    #[arg(long)]
    pub json: bool,
    /// Output CSV file (always UTF-8).
    #[arg(long)]
    pub out: PathBuf,
    /// Input file: CSV (delimiter sniffed), TSV or JSON Lines.
    pub input: PathBuf,
}

/// Runs `skiptrace rematch`.
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
    let overrides = MappingOverrides::parse(&args.map)?;
    let reader = RecordReader::open_in(&args.input, &overrides, args.encoding)
        .with_context(|| format!("reading {}", args.input.display()))?;
    for note in reader.mapping().shared_field_notes() {
        eprintln!("columns read together: {note}");
    }
    let id_column = bulk::id_column(&reader.mapping().columns, args.id_column.as_deref())?;
    if id_column.is_none() {
        eprintln!("no account id column found: rows are tracked by number only");
    }
    let index = SkipIndex::open(&args.index)
        .with_context(|| format!("opening index {}", args.index.display()))?;
    let engine = Engine::new(index, super::load_model(args.model.as_deref())?);
    let options = RematchOptions {
        search: SearchOptions {
            match_threshold: args.match_threshold,
            ..SearchOptions::default()
        },
        review_threshold: args.review_threshold,
        batch_rows: args.batch_rows,
        unmasked: args.unmasked,
        max_errors: args.max_errors,
        stop: None,
        resume: args.resume,
        contacts: usize::from(args.contacts),
    };
    let bar = super::RowsBar::new(super::estimate_rows(&[&args.input]), "matched");
    let summary = bulk::rematch_file(
        &engine,
        reader,
        &args.out,
        id_column,
        &options,
        &|_| {},
        &|done| bar.set(done),
    )
    .with_context(|| format!("re-matching into {}", args.out.display()))?;
    bar.finish();

    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    if summary.rows_resumed > 0 {
        eprintln!(
            "resumed after {} rows already in {}",
            summary.rows_resumed,
            args.out.display()
        );
    }
    let counts: Vec<String> = MatchStatus::ALL
        .iter()
        .map(|&status| format!("{} {}", status.as_str(), summary.of(status)))
        .collect();
    let processed = summary.rows_in - summary.rows_resumed;
    eprintln!(
        "{}; mean match probability of matched rows {}; {:.0} rows/s ({:.1}s)",
        counts.join(", "),
        summary
            .mean_match_probability
            .map_or_else(|| "-".to_string(), |s| format!("{s:.4}")),
        processed as f64 / summary.seconds.max(1e-9),
        summary.seconds
    );
    let outcomes: Vec<String> = summary
        .outcomes
        .pairs()
        .map(|(code, rows)| format!("{} {rows}", code.as_str()))
        .collect();
    eprintln!("outcomes: {}", outcomes.join(", "));
    eprintln!("input encoding: {}", summary.input_encoding);
    if summary.values_read_as_windows_1252 > 0 {
        eprintln!(
            "{} values were not valid UTF-8 and were read as Windows-1252 (their rows were \
             searched; give --encoding to read the whole file otherwise)",
            summary.values_read_as_windows_1252
        );
    }
    eprintln!(
        "rows in = {}, rows out = {}",
        summary.rows_in, summary.rows_out
    );
    anyhow::ensure!(
        summary.rows_in == summary.rows_out,
        "row count mismatch: {} rows in, {} rows out",
        summary.rows_in,
        summary.rows_out
    );
    if processed > 0 && summary.errors == processed {
        return Err(skiptrace::Error::UnusableFile(format!(
            "every one of the {processed} rows is an error (see the error column of {}): check \
             the file's columns and --map",
            args.out.display()
        ))
        .into());
    }
    Ok(())
}
