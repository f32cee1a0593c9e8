//! `skiptrace audit verify`: checks the audit log's keyed chain and its checkpoints, and names
//! the first line that was edited, reordered, deleted or cut off.

use std::path::PathBuf;

use anyhow::Context;
use skiptrace::audit::segments::DEFAULT_RETENTION_DAYS;
use skiptrace::audit::{default_checkpoint_path, default_key_path, prune, verify, AuditKey};

/// Flags of `skiptrace audit`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace audit verify --audit audit.jsonl\n  \
skiptrace audit prune --audit audit.jsonl --dry-run\n\n\
verify exits 0 when every line of the rotated segments and the live log verifies under the\n\
key as one chain and each file holds every line its checkpoints vouch for, 1 with the first\n\
bad file and line otherwise. Lines written after the last checkpoint (at most a second's\n\
worth, unless the server was killed) cannot be vouched for."
)]
pub struct Args {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Verify the hash chain across the rotated segments and the live log.
    Verify {
        #[command(flatten)]
        files: LogFiles,
    },
    /// Remove the oldest rotated segments past retention: every line older than the retention
    /// period and no account in them active since. The live log is never touched; a sealed
    /// anchor keeps the rest verifiable.
    Prune {
        #[command(flatten)]
        files: LogFiles,
        /// Days a line is kept after its account's last activity in the log.
        #[arg(long, default_value_t = DEFAULT_RETENTION_DAYS)]
        retention_days: u32,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Where a log, its key and its checkpoints are.
#[derive(Debug, clap::Args)]
struct LogFiles {
    /// Audit log (its rotated segments sit beside it).
    #[arg(long, env = "SKIPTRACE_AUDIT", default_value = skiptrace::audit::DEFAULT_AUDIT_FILE)]
    audit: PathBuf,
    /// Key of the chain (default: the log's path + `.key`).
    #[arg(long, env = "SKIPTRACE_AUDIT_KEY")]
    audit_key: Option<PathBuf>,
    /// Checkpoints of the log (default: the log's path + `.checkpoints`).
    #[arg(long, env = "SKIPTRACE_AUDIT_CHECKPOINTS")]
    audit_checkpoints: Option<PathBuf>,
}

impl LogFiles {
    fn key(&self) -> anyhow::Result<AuditKey> {
        let path = self
            .audit_key
            .clone()
            .unwrap_or_else(|| default_key_path(&self.audit));
        AuditKey::load(&path).with_context(|| format!("reading the audit key {}", path.display()))
    }

    fn checkpoints(&self) -> PathBuf {
        self.audit_checkpoints
            .clone()
            .unwrap_or_else(|| default_checkpoint_path(&self.audit))
    }
}

/// Runs `skiptrace audit`; a broken chain exits with status 1.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Verify { files } => {
            let key = files.key()?;
            let audit = &files.audit;
            let report = verify(audit, &key, &files.checkpoints())
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
                        failure.file.as_deref().unwrap_or(audit).display(),
                        failure.line,
                        failure.reason,
                        report.lines_verified
                    );
                    std::process::exit(1);
                }
            }
        }
        AuditCommand::Prune {
            files,
            retention_days,
            dry_run,
        } => {
            let key = files.key()?;
            let report = prune(
                &files.audit,
                &files.checkpoints(),
                &key,
                retention_days,
                time::OffsetDateTime::now_utc(),
                dry_run,
            )
            .with_context(|| format!("pruning {}", files.audit.display()))?;
            let verb = if dry_run { "would remove" } else { "removed" };
            for segment in &report.removed {
                println!("{verb} {}", segment.path.display());
            }
            println!("{verb} {} segments", report.removed.len());
            if let Some(reason) = report.kept_because {
                println!("kept from there on: {reason}");
            }
            Ok(())
        }
    }
}
