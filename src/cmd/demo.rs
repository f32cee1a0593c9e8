//! `skiptrace demo`: the first run on a fresh machine. Generates a demo population (cached),
//! indexes it, and shows a search for a debtor from the demo's returned-mail file.

use std::path::{Path, PathBuf};

use anyhow::Context;
use skiptrace::index::SkipIndex;
use skiptrace::ingest::index_files;
use skiptrace::input::{MappingOverrides, RecordReader};
use skiptrace::normalize::NormalizedRecord;
use skiptrace::record::Field;
use skiptrace::resolve::{ContactKind, Resolution, ResolutionStatus};
use skiptrace::search::{Engine, SearchOptions};
use skiptrace::synth::config::SynthConfig;
use skiptrace::synth::generate;

/// People in the demo population (about five source records each).
pub const DEMO_PEOPLE: usize = 60_000;

/// Seed of the demo population, so every first run shows the same data.
pub const DEMO_SEED: u64 = 2026;

/// Flags of `skiptrace demo`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  cargo run --release -- demo\n\n\
The first run generates demo-data/ and index/ (about a minute); later runs reuse them.")]
pub struct Args {
    /// Where the demo population is generated (reused when present).
    #[arg(long, default_value = "demo-data")]
    pub data: PathBuf,
    /// Index directory.
    #[arg(long, env = "SKIPTRACE_INDEX", default_value = skiptrace::index::DEFAULT_INDEX_DIR)]
    pub index: PathBuf,
    /// People in the generated population.
    #[arg(long, default_value_t = DEMO_PEOPLE)]
    pub people: usize,
}

/// Runs `skiptrace demo`.
pub fn run(args: Args) -> anyhow::Result<()> {
    ensure_population(&args.data, args.people)?;
    let index = ensure_index(&args.index, &args.data)?;
    let engine = Engine::new(index, skiptrace::score::Model::default_model());
    let (example, resolution) = find_example(&engine, &args.data)?;
    println!(
        "\nA debtor from {}/returned_mail.csv, as the creditor has them:",
        args.data.display()
    );
    println!("  {example}\n");
    super::search::print_resolution(&resolution, false);
    println!();
    println!(
        "Search it yourself:\n  cargo run --release -- search --index {} {example}\n",
        args.index.display()
    );
    println!("Measure match quality on the demo data:\n  cargo run --release -- eval --synth {} --index {}", args.data.display(), args.index.display());
    Ok(())
}

fn ensure_population(dir: &Path, people: usize) -> anyhow::Result<()> {
    if dir.join("records.csv").exists() && dir.join("returned_mail.csv").exists() {
        eprintln!("reusing the demo population in {}", dir.display());
        return Ok(());
    }
    eprintln!(
        "generating a demo population of {people} people in {} ...",
        dir.display()
    );
    let config = SynthConfig {
        people,
        seed: DEMO_SEED,
        ..SynthConfig::default()
    };
    generate(&config, dir).with_context(|| format!("generating {}", dir.display()))?;
    Ok(())
}

fn ensure_index(index_dir: &Path, data: &Path) -> anyhow::Result<SkipIndex> {
    let index = SkipIndex::open_or_create(index_dir)
        .with_context(|| format!("opening {}", index_dir.display()))?;
    if index.num_records() > 0 {
        eprintln!(
            "reusing the index in {} ({} records)",
            index_dir.display(),
            index.num_records()
        );
        return Ok(index);
    }
    eprintln!(
        "indexing {}/records.csv into {} ...",
        data.display(),
        index_dir.display()
    );
    let started = std::time::Instant::now();
    let records = data.join("records.csv");
    let summary = index_files(
        &index,
        &[records.as_path()],
        &MappingOverrides::default(),
        &|_| {},
    )?;
    eprintln!(
        "indexed {} records in {:.1}s",
        summary.indexed,
        started.elapsed().as_secs_f64()
    );
    Ok(index)
}

/// Returns the search flags of the first returned-mail debtor who resolves to someone with a
/// new address, and that search's (masked) resolution.
fn find_example(engine: &Engine, data: &Path) -> anyhow::Result<(String, Resolution)> {
    let reader = RecordReader::open(
        &data.join("returned_mail.csv"),
        &MappingOverrides::default(),
    )?;
    for row in reader.take(2_000) {
        let (query, _) = NormalizedRecord::from_raw(&row.raw);
        let Ok(mut resolution) = engine.search_normalized(&query, &SearchOptions::default()) else {
            continue;
        };
        let has_new_address = resolution
            .identities
            .first()
            .is_some_and(|i| i.best_new(ContactKind::Address).is_some());
        if resolution.status == ResolutionStatus::Resolved && has_new_address {
            let flags = [
                ("--first", Field::FirstName),
                ("--last", Field::LastName),
                ("--dob", Field::Dob),
                ("--ssn", Field::Ssn),
                ("--address", Field::AddressLine1),
                ("--city", Field::City),
                ("--state", Field::State),
                ("--zip", Field::Zip),
                ("--phone", Field::Phone),
                ("--email", Field::Email),
            ];
            let text: Vec<String> = flags
                .iter()
                .filter(|(_, field)| !row.raw.get(*field).is_empty())
                .map(|(flag, field)| format!("{flag} '{}'", row.raw.get(*field)))
                .collect();
            skiptrace::mask::mask_resolution(&mut resolution);
            return Ok((text.join(" "), resolution));
        }
    }
    anyhow::bail!(
        "no demo debtor resolved; is the index built from {}?",
        data.display()
    )
}
