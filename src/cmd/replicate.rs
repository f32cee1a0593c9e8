//! `skiptrace replicate`: keeps a copy of an index in step with its writer's commits, for
//! read replicas (`skiptrace serve --read-only`) on other disks or machines.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use skiptrace::index::replica::sync_commit;

/// Flags of `skiptrace replicate`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  \
skiptrace replicate --from /mnt/writer/index --to /srv/skiptrace/index &\n  \
skiptrace serve --read-only --index /srv/skiptrace/index --addr 0.0.0.0:8080\n\n\
Copies each new commit's segment files first and its meta.json last (by an atomic rename), so\n\
a replica reading the copy only ever sees whole commits; files of segments no longer in the\n\
commit are removed. FROM is any directory the writer's index is visible at (a shared mount, a\n\
synced bucket). Runs until killed; --once copies the current commit and exits.")]
pub struct Args {
    /// The writer's index directory.
    #[arg(long)]
    pub from: PathBuf,
    /// The copy (created when absent); a `serve --read-only` opens it.
    #[arg(long)]
    pub to: PathBuf,
    /// How often to look for a new commit, in milliseconds.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..))]
    pub every_ms: u64,
    /// Copy the current commit once and exit.
    #[arg(long)]
    pub once: bool,
}

/// Runs `skiptrace replicate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.from.canonicalize().ok() != args.to.canonicalize().ok(),
        "--from and --to are the same directory"
    );
    loop {
        match sync_commit(&args.from, &args.to) {
            Ok(report) if !report.unchanged => eprintln!(
                "commit copied to {}: {} segments, {} files ({:.1} MB) copied, {} removed{}",
                args.to.display(),
                report.segments,
                report.files_copied,
                report.bytes_copied as f64 / 1e6,
                report.files_removed,
                if report.outcomes_copied {
                    "; outcome log copied"
                } else {
                    ""
                }
            ),
            Ok(_) => {}
            // A commit merged away while it was copied: the next pass copies the newer one.
            Err(error) if !args.once => tracing::warn!(%error, "commit not copied yet; retrying"),
            Err(error) => {
                return Err(error).with_context(|| {
                    format!("copying {} to {}", args.from.display(), args.to.display())
                })
            }
        }
        if args.once {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(args.every_ms));
    }
}
