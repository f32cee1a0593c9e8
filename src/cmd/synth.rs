//! `skiptrace synth`: writes a synthetic population of debtors, the records five simulated
//! sources hold about them, a returned-mail file and the ground truth
//! ([`skiptrace::synth::generate`]).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use skiptrace::synth::config::SynthConfig;
use skiptrace::synth::{generate, SynthSummary};

const AFTER_HELP: &str = "\
Writes, deterministically for a seed (same seed and config: byte-identical files, whatever the
number of threads):
  DIR/records.csv             source records (credit_header, utility, phone_directory,
                              marketing_list, public_records) with realistic errors
  DIR/returned_mail.csv       the creditor's file: debtors as recorded when the debt was opened
  DIR/truth/records.csv       record_id -> person_id
  DIR/truth/debtors.csv       account_id -> person_id, current contact points, hard-case flags
  DIR/truth/people.csv        the latent population
  DIR/truth/config.json       the exact configuration used

Every rate lives in one configuration; print the defaults with --print-config, change any
subset in a JSON file and pass it with --config (keys left out keep their defaults).

Examples:
  skiptrace synth --people 20000 --seed 7 --out /tmp/synth
  skiptrace synth --print-config > synth.json
  skiptrace synth --config synth.json --people 200000 --out /tmp/synth-big";

/// Flags of `skiptrace synth`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// People in the observed population (debtors no source observes come on top)
    /// [default: 10000, or the config file's value]
    #[arg(long, value_name = "N")]
    people: Option<usize>,
    /// Random seed [default: 1, or the config file's value]
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Output directory, created if missing
    #[arg(long, value_name = "DIR", required_unless_present = "print_config")]
    out: Option<PathBuf>,
    /// Starting configuration: `default`, or `hard` (more typos and errors, return reasons and
    /// report-date stamping; data/synth_profiles/hard.json)
    #[arg(long, value_name = "NAME", default_value = "default")]
    profile: String,
    /// JSON file of configuration values overriding the profile's
    #[arg(long, value_name = "FILE.json")]
    config: Option<PathBuf>,
    /// Print the effective configuration as JSON and exit
    #[arg(long)]
    print_config: bool,
    /// Worker threads [default: all cores]; the output does not depend on it
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// Builds the configuration: the profile, then the `--config` file, then `--people` / `--seed`.
fn effective_config(args: &Args) -> anyhow::Result<SynthConfig> {
    let profile = SynthConfig::profile(&args.profile)?;
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read config {}", path.display()))?;
            profile
                .with_json_overrides(&text)
                .with_context(|| format!("invalid config {}", path.display()))?
        }
        None => profile,
    };
    if let Some(people) = args.people {
        config.people = people;
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    config.validate().context("invalid configuration")?;
    Ok(config)
}

/// Runs `skiptrace synth`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let config = effective_config(&args)?;
    if args.print_config {
        println!("{}", config.to_json_pretty()?);
        return Ok(());
    }
    let out = args.out.context("--out is required")?;
    let started = Instant::now();
    let summary = match args.threads {
        Some(threads) => rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .context("cannot start the worker threads")?
            .install(|| generate(&config, &out)),
        None => generate(&config, &out),
    }
    .with_context(|| format!("synth into {}", out.display()))?;
    print_summary(&summary, started.elapsed(), &out);
    Ok(())
}

/// Prints counts, realised rates and the elapsed time.
fn print_summary(summary: &SynthSummary, elapsed: Duration, out: &std::path::Path) {
    println!("wrote {}", out.display());
    println!(
        "people {}  households {}  records {}  debtors {}  absent debtors {} ({} look-alikes)  \
         elapsed {:.1} s",
        summary.people,
        summary.households,
        summary.records,
        summary.debtors,
        summary.absent_debtors,
        summary.absent_look_alikes,
        elapsed.as_secs_f64()
    );
    println!();
    println!(
        "{:<16} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "source", "records", "dob_err", "nickname", "typo", "swap", "maiden", "no_sfx", "ssn_l4"
    );
    for source in &summary.sources {
        println!(
            "{:<16} {:>9} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4}",
            source.source,
            source.records,
            source.dob_error_rate,
            source.nickname_rate,
            source.name_typo_rate,
            source.first_last_swap_rate,
            source.stale_surname_rate,
            source.suffix_omitted_rate,
            source.ssn_last4_share
        );
    }
    let population = &summary.population;
    println!();
    println!(
        "population: annual move rate {:.3}  twins {:.3}  jr/sr {:.4}  deceased {:.3}  \
         married surname changed {:.3}  current address seen {:.3}  Smith {:.4}",
        population.annual_move_rate,
        population.twin_share,
        population.jr_sr_share,
        population.deceased_share,
        population.married_surname_changed_share,
        population.current_address_seen_share,
        population.smith_share
    );
    let mail = &summary.returned_mail;
    println!(
        "returned mail: ssn full {:.3} last4 {:.3} missing {:.3}  dob error {:.3}  nickname {:.3}  \
         moved {:.3}  surname changed {:.3}  absent {:.3}",
        mail.ssn_full_share,
        mail.ssn_last4_share,
        mail.ssn_missing_share,
        mail.dob_error_share,
        mail.nickname_share,
        mail.moved_share,
        mail.surname_changed_share,
        mail.absent_share
    );
}
