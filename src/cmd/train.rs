//! `skiptrace train`: estimates a match model from the indexed records, without labels.

use std::path::PathBuf;

use anyhow::Context;
use skiptrace::compare::Comparison;
use skiptrace::index::SkipIndex;
use skiptrace::train::em::{self, EmOptions};
use skiptrace::train::sample::BlockingRule;
use skiptrace::train::{self, TrainOptions, Training};

/// Flags of `skiptrace train`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace train --index index/ --out model.json\n  skiptrace search --model model.json --last Quimby --first Robert --dob 1971-03-09\n\n\
Estimates u from random record pairs and m by expectation-maximisation over candidate pairs\n\
(records of the index used as queries, retrieved with the engine's blocking keys restricted per\n\
round so that no comparison is trained on pairs blocked on it), and the prior from the estimated\n\
number of people. Writes a model file of the shipped model's shape; pass it with --model to\n\
search, rematch, serve or eval. The same index and --seed give the same model."
)]
pub struct Args {
    /// Index directory.
    #[arg(long, env = "SKIPTRACE_INDEX", default_value = skiptrace::index::DEFAULT_INDEX_DIR)]
    pub index: PathBuf,
    /// Model file to write.
    #[arg(long, default_value = "model.json")]
    pub out: PathBuf,
    /// Seed of every random draw.
    #[arg(long, default_value_t = train::DEFAULT_SEED)]
    pub seed: u64,
    /// Random record pairs compared for u.
    #[arg(long, default_value_t = train::DEFAULT_U_PAIRS)]
    pub u_pairs: u64,
    /// Records sampled to draw the random pairs from.
    #[arg(long, default_value_t = train::DEFAULT_U_RECORDS)]
    pub u_records: usize,
    /// Query records sampled per EM round.
    #[arg(long, default_value_t = train::DEFAULT_EM_QUERIES)]
    pub em_queries: usize,
    /// Candidates retrieved per query record.
    #[arg(long, default_value_t = skiptrace::retrieve::DEFAULT_CANDIDATES)]
    pub candidates: usize,
    /// Blocking rules of the EM rounds (dob, name, ssn): each trains the m of the comparisons
    /// it does not block on.
    #[arg(long, value_delimiter = ',', default_values_t = train::DEFAULT_ROUNDS.map(|r| r.name().to_string()))]
    pub rounds: Vec<String>,
    /// EM iteration cap per round.
    #[arg(long, default_value_t = em::DEFAULT_MAX_ITERATIONS)]
    pub max_iterations: usize,
    /// EM stops when no parameter moves by more than this.
    #[arg(long, default_value_t = em::DEFAULT_TOLERANCE)]
    pub tolerance: f64,
    /// Hold u at the random-pair estimate during EM (Splink's default) instead of estimating the
    /// candidates' own.
    #[arg(long)]
    pub fix_u: bool,
    /// Also write every round's candidate pairs (record ids and levels) to this CSV.
    #[arg(long)]
    pub pairs_out: Option<PathBuf>,
    /// Print the training report as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `skiptrace train`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rounds = args
        .rounds
        .iter()
        .map(|r| r.parse::<BlockingRule>().map_err(anyhow::Error::from))
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(args.u_pairs > 0, "--u-pairs must be positive");
    anyhow::ensure!(args.em_queries > 0, "--em-queries must be positive");
    let index = SkipIndex::open(&args.index)
        .with_context(|| format!("opening index {}", args.index.display()))?;
    let options = TrainOptions {
        seed: args.seed,
        u_pairs: args.u_pairs,
        u_records: args.u_records,
        em_queries: args.em_queries,
        candidates: args.candidates,
        rounds,
        em: EmOptions {
            max_iterations: args.max_iterations,
            tolerance: args.tolerance,
            ..EmOptions::default()
        },
        fix_u: args.fix_u,
        keep_pairs: args.pairs_out.is_some(),
    };
    let training = train::train(&index, &options)?;
    training
        .model
        .save(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    if let Some(path) = &args.pairs_out {
        write_pairs(path, &training).with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&training.report)?);
    } else {
        print_summary(&training);
    }
    eprintln!(
        "wrote {} ({:.1}s); use it with --model {}",
        args.out.display(),
        training.report.seconds,
        args.out.display()
    );
    Ok(())
}

fn print_summary(training: &Training) {
    let report = &training.report;
    println!(
        "index: {} records; u from {} random pairs of {} records; seed {}",
        report.records, report.u_pairs, report.u_records, report.seed
    );
    for round in &report.rounds {
        println!(
            "round {:<6} {:>6} queries {:>8} pairs {:>4} iterations{} lambda {:.4} matches/query {:.2}",
            round.blocking.name(),
            round.queries,
            round.pairs,
            round.iterations,
            if round.converged { "" } else { " (cap)" },
            round.lambda,
            round.matches_per_query
        );
    }
    println!(
        "estimated people {:.0}; random-pair match rate {:.2e}; prior {:.3e}",
        report.estimated_people, report.random_pair_match_rate, report.prior
    );
    println!(
        "{:<12} {:<22} {:>10} {:>10} {:>8}",
        "comparison", "level", "m", "u", "weight"
    );
    for comparison in Comparison::ALL {
        for level in &training.model.comparisons[comparison.name()] {
            println!(
                "{:<12} {:<22} {:>10.6} {:>10.3e} {:>8.2}",
                comparison.name(),
                level.label,
                level.m_probability,
                level.u_probability,
                level.match_weight()
            );
        }
    }
}

/// Writes `round,query_id,candidate_id,<comparison>...` with level labels, one row per pair.
fn write_pairs(path: &std::path::Path, training: &Training) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_path(path)?;
    let mut header = vec!["round", "query_id", "candidate_id"];
    header.extend(Comparison::ALL.iter().map(|c| c.name()));
    out.write_record(&header)?;
    for round in &training.rounds {
        for query in &round.pairs {
            for (candidate, vector) in &query.candidates {
                let mut row = vec![round.blocking.name(), &query.query_id, candidate];
                row.extend(Comparison::ALL.iter().map(|&c| vector.label(c)));
                out.write_record(&row)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
