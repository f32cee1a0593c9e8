//! `skiptrace synth`: writes a synthetic population (filled in by the synth work).

/// Flags of `skiptrace synth`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `skiptrace synth`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("synth is not built yet")
}
