//! The `skiptrace` command line: each subcommand parses its flags and calls one library function.

mod cmd;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = cmd::Cli::parse();
    cmd::init_tracing();
    cmd::run(cli)
}
