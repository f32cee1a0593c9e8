//! `skiptrace outcomes`: records what collectors learned from working contacts (right party,
//! wrong party, disconnected, mail returned, cease contact...), so that later searches and
//! re-matches rank and suppress contacts by it.

use std::path::PathBuf;

use anyhow::Context;
use skiptrace::index::SkipIndex;
use skiptrace::input::{FileEncoding, MappingOverrides, RecordReader};
use skiptrace::normalize::Date;
use skiptrace::outcomes::{read_reports, ReadReports};

/// Flags of `skiptrace outcomes`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace outcomes --index index/ --reported-by 'floor 2' dispositions.csv\n  skiptrace outcomes --index index/ --report      # suppressions in force, contacts masked\n\n\
Each row reports one outcome: an outcome column (right_party, wrong_party, disconnected,\n\
no_answer, mail_returned, mail_delivered, cease_contact, do_not_call, suppression_lifted), the\n\
contact it is about (phone, email, or address_line1 with zip or city), match_record_id (the\n\
record the contact was offered from, as a search or re-match gave it), and optionally\n\
account_id, date (default today) and collector. Outcomes are appended to INDEX/outcomes.jsonl\n\
(synced before this returns) and apply to every later search and re-match whose identity\n\
holds that record. A running server picks them up within its reload period."
)]
pub struct Args {
    /// Index directory.
    #[arg(long, env = "SKIPTRACE_INDEX", default_value = skiptrace::index::DEFAULT_INDEX_DIR)]
    pub index: PathBuf,
    /// Who reported rows that name no collector.
    #[arg(long, default_value = "skiptrace outcomes")]
    pub reported_by: String,
    /// Explicit column mapping for the contact's fields, field=COLUMN (repeatable).
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// Character encoding of the input (default: detected).
    #[arg(long, value_parser = super::parse_encoding)]
    pub encoding: Option<FileEncoding>,
    /// Instead of recording, list what outcomes keep from collectors now: channels under a
    /// cease or do-not-call not lifted, and wrong-party contacts, with when and by whom
    /// (contacts masked).
    #[arg(long, conflicts_with = "input")]
    pub report: bool,
    /// With --report: JSON instead of a table.
    #[arg(long, requires = "report")]
    pub json: bool,
    /// Outcomes file: CSV (delimiter sniffed), TSV or JSON Lines.
    #[arg(required_unless_present = "report")]
    pub input: Option<PathBuf>,
}

/// Runs `skiptrace outcomes`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let index = SkipIndex::open(&args.index)
        .with_context(|| format!("opening index {}", args.index.display()))?;
    let Some(input) = &args.input else {
        return report(&index, args.json);
    };
    let overrides = MappingOverrides::parse(&args.map)?;
    let reader = RecordReader::open_in(input, &overrides, args.encoding)
        .with_context(|| format!("reading {}", input.display()))?;
    let ReadReports {
        rows,
        outcomes,
        rejected,
    } = read_reports(reader, &args.reported_by, Date::today())?;
    let recorded = outcomes.len();
    index
        .outcomes()
        .append(outcomes)
        .context("recording the outcomes")?;
    for error in rejected.iter().take(20) {
        eprintln!("rejected: {error}");
    }
    if rejected.len() > 20 {
        eprintln!("... and {} more rejected rows", rejected.len() - 20);
    }
    eprintln!(
        "{rows} rows: {recorded} outcomes recorded, {} rejected; {} outcomes on file",
        rejected.len(),
        index.outcomes().len()
    );
    if recorded == 0 && !rejected.is_empty() {
        return Err(skiptrace::Error::UnusableFile(format!(
            "every one of the {rows} rows was rejected; the first: {}",
            rejected[0]
        ))
        .into());
    }
    Ok(())
}

/// Prints the suppressions in force (`--report`).
fn report(index: &SkipIndex, json: bool) -> anyhow::Result<()> {
    let listed = skiptrace::outcomes::suppressions(&index.outcomes().all());
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(());
    }
    println!("| since | record | account | channel | contact | reason | reported by |");
    println!("|---|---|---|---|---|---|---|");
    for s in &listed {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            s.at,
            s.record_id,
            s.account,
            s.channel.as_str(),
            s.contact,
            s.reason.as_str(),
            s.reported_by
        );
    }
    eprintln!(
        "{} suppressions in force, of {} outcomes on file",
        listed.len(),
        index.outcomes().len()
    );
    Ok(())
}
