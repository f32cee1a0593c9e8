//! Subcommands of the `skiptrace` binary, one module each.

mod synth;

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
    /// Generate a synthetic population of debtors and their source records, with ground truth.
    Synth(synth::Args),
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
        Command::Synth(args) => synth::run(args),
    }
}
