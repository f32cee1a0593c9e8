//! `skiptrace audit verify`: checks the audit log's hash chain and names the first line that was
//! edited, reordered or deleted.

use std::path::PathBuf;

use anyhow::Context;
use skiptrace::audit::verify;

/// Flags of `skiptrace audit`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace audit verify --audit audit.jsonl\n\n\
Exits 0 when every line verifies, 1 with the first bad line number otherwise. Lines cut from the\n\
end of the file cannot be detected from the file alone: compare the last seq and hash with a copy\n\
kept elsewhere."
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
    },
}

/// Runs `skiptrace audit`; a broken chain exits with status 1.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Verify { audit } => {
            let report = verify(&audit).with_context(|| format!("reading {}", audit.display()))?;
            match report.failure {
                None => {
                    println!(
                        "{}: {} lines, chain intact",
                        audit.display(),
                        report.lines_verified
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
