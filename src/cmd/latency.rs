//! `skiptrace latency`: single-client search latency in the library (retrieve + score +
//! identities, no HTTP), over the rows of a queries file, for benchmarks and the scale script.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use skiptrace::index::SkipIndex;
use skiptrace::input::{MappingOverrides, RecordReader};
use skiptrace::search::{Engine, Query, SearchOptions};

/// Flags of `skiptrace latency`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace latency --index gen/index --limit 1000 gen/returned_mail.csv\n\n\
Searches the first --limit rows one after another on one thread (after --warmup rows that are\n\
not counted) and prints p50, p95, p99 and the mean in milliseconds."
)]
pub struct Args {
    /// Index directory.
    #[arg(long, env = "SKIPTRACE_INDEX", default_value = skiptrace::index::DEFAULT_INDEX_DIR)]
    pub index: PathBuf,
    /// Model file (default: the shipped model).
    #[arg(long, env = "SKIPTRACE_MODEL")]
    pub model: Option<PathBuf>,
    /// Rows searched and timed.
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
    /// Rows searched first and not timed (warms the page cache).
    #[arg(long, default_value_t = 100)]
    pub warmup: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Queries: CSV (comma, tab, pipe or semicolon) or JSON Lines, with the columns of a returned-mail file.
    pub queries: PathBuf,
}

/// Runs `skiptrace latency`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let index = SkipIndex::open(&args.index)
        .with_context(|| format!("opening the index {}", args.index.display()))?;
    let engine = Engine::new(index, super::load_model(args.model.as_deref())?);
    let mut reader = RecordReader::open(&args.queries, &MappingOverrides::default())?;
    let queries: Vec<Query> = reader
        .by_ref()
        .take(args.warmup + args.limit)
        .map(|row| Query::from_raw(&row.raw))
        .collect();
    reader.finish()?;
    anyhow::ensure!(
        queries.len() > args.warmup,
        "{} has {} rows, fewer than the {} warm-up rows",
        args.queries.display(),
        queries.len(),
        args.warmup
    );
    // One thread: the scoring step would otherwise spread over the rayon pool.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let options = SearchOptions::default();
    let mut millis = pool.install(|| -> anyhow::Result<Vec<f64>> {
        let mut millis = Vec::with_capacity(args.limit);
        for (i, query) in queries.iter().enumerate() {
            let started = Instant::now();
            engine.search(query, &options)?;
            if i >= args.warmup {
                millis.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        Ok(millis)
    })?;
    millis.sort_by(f64::total_cmp);
    let at = |q: f64| millis[((millis.len() - 1) as f64 * q).round() as usize];
    let mean = millis.iter().sum::<f64>() / millis.len() as f64;
    let (p50, p95, p99) = (at(0.5), at(0.95), at(0.99));
    if args.json {
        let figures = serde_json::json!({
            "queries": millis.len(), "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "mean_ms": mean,
        });
        println!("{figures}");
    } else {
        println!(
            "{} searches, one client: p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms, mean {mean:.2} ms",
            millis.len()
        );
    }
    Ok(())
}
