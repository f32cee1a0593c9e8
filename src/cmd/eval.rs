//! `skiptrace eval`: measures match quality on a `skiptrace synth` folder.

use std::path::PathBuf;

use skiptrace::eval::{evaluate_synth, Quality};
use skiptrace::search::{Engine, SearchOptions};

/// Flags of `skiptrace eval`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace synth --people 20000 --seed 7 --out gen\n  skiptrace eval --synth gen\n\n\
Indexes gen/records.csv into gen/index (unless --index is given or it exists), re-matches every row of\n\
gen/returned_mail.csv and scores the answers against gen/truth/. Latency is per search as run in\n\
parallel; set RAYON_NUM_THREADS=1 for single-client latency."
)]
pub struct Args {
    /// A `skiptrace synth` output folder.
    #[arg(long)]
    pub synth: PathBuf,
    /// Index to search (default: SYNTH/index, built from SYNTH/records.csv when absent).
    #[arg(long)]
    pub index: Option<PathBuf>,
    /// Model file (default: the shipped model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also print the worst false negatives and false positives.
    #[arg(long)]
    pub errors: bool,
}

/// Runs `skiptrace eval`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let index_dir = args
        .index
        .clone()
        .unwrap_or_else(|| args.synth.join("index"));
    let index = super::index_synth_folder(&index_dir, &args.synth)?;
    let engine = Engine::new(index, super::load_model(args.model.as_deref())?);
    let report = evaluate_synth(&engine, &args.synth, &SearchOptions::default())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{:<16} {:>7} {:>9} {:>7} {:>7} {:>9} {:>9} {:>8}",
        "debtors", "n", "precision", "recall", "f1", "retrieval", "rp_addr", "rp_phone"
    );
    print_row("all", &report.overall);
    for (case, quality) in &report.by_case {
        print_row(case, quality);
    }
    if args.errors {
        for (kind, samples) in [
            ("false negative", &report.false_negatives),
            ("false positive", &report.false_positives),
        ] {
            for e in samples.iter().take(10) {
                println!(
                    "{kind}: {} {} status {:?} top {:.4} (true person: {}) runner-up {:.4} flags {:?} {}",
                    e.account_id, e.person_id, e.status, e.top_probability, e.top_is_true_person, e.runner_up_probability, e.flags, e.explanation
                );
            }
        }
    }
    println!(
        "absent debtors given no match: {:.3}; mean candidates scored {:.1}; latency p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms; {:.1} s wall",
        report.overall.absent_no_match_rate,
        report.mean_candidates,
        report.latency_ms[0],
        report.latency_ms[1],
        report.latency_ms[2],
        report.wall_seconds
    );
    Ok(())
}

fn print_row(name: &str, q: &Quality) {
    println!(
        "{:<16} {:>7} {:>9.4} {:>7.4} {:>7.4} {:>9.4} {:>9.4} {:>8.4}",
        name,
        q.debtors,
        q.precision,
        q.recall,
        q.f1,
        q.retrieval_recall,
        q.right_party_address_rate,
        q.right_party_phone_rate
    );
}
