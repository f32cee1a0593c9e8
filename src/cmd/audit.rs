//! `skiptrace audit verify`: checks the audit log's keyed chain and its checkpoints, and names
//! the first line that was edited, reordered, deleted or cut off.

use std::path::PathBuf;

use anyhow::Context;
use skiptrace::audit::{default_checkpoint_path, default_key_path, verify, AuditKey};

/// Flags of `skiptrace audit`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace audit verify --audit audit.jsonl\n\n\
Exits 0 when every line verifies under the key and the log holds every line its checkpoints\n\
vouch for, 1 with the first bad line number otherwise. Lines written after the last checkpoint\n\
(at most a second's worth, unless the server was killed) cannot be vouched for."
)]
pub struct Args {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Verify the hash chain.
    Verify {
        /// Audit log.
        #[arg(long, env = "SKIPTRACE_AUDIT", default_value = skiptrace::audit::DEFAULT_AUDIT_FILE)]
        audit: PathBuf,
        /// Key of the chain (default: the log's path + `.key`).
        #[arg(long, env = "SKIPTRACE_AUDIT_KEY")]
        audit_key: Option<PathBuf>,
        /// Checkpoints of the log (default: the log's path + `.checkpoints`).
        #[arg(long, env = "SKIPTRACE_AUDIT_CHECKPOINTS")]
        audit_checkpoints: Option<PathBuf>,
    },
}

/// Runs `skiptrace audit`; a broken chain exits with status 1.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Verify {
            audit,
            audit_key,
            audit_checkpoints,
        } => {
            let key_path = audit_key.unwrap_or_else(|| default_key_path(&audit));
            let key = AuditKey::load(&key_path)
                .with_context(|| format!("reading the audit key {}", key_path.display()))?;
            let checkpoints = audit_checkpoints.unwrap_or_else(|| default_checkpoint_path(&audit));
            let report = verify(&audit, &key, &checkpoints)
                .with_context(|| format!("reading {}", audit.display()))?;
            match report.failure {
                None => {
                    println!(
                        "{}: {} lines, chain intact, {} checkpoints agree",
                        audit.display(),
                        report.lines_verified,
                        report.checkpoints_verified
                    );
                    Ok(())
                }
                Some(failure) => {
                    eprintln!(
                        "{}: line {}: {} ({} lines verified before it)",
                        audit.display(),
                        failure.line,
                        failure.reason,
                        report.lines_verified
                    );
                    std::process::exit(1);
                }
            }
        }
    }
}
