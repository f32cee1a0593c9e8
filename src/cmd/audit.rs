//! `skiptrace audit verify`: checks the audit log's keyed chain and its checkpoints, and names
//! the first line that was edited, reordered, deleted or cut off.

use std::path::PathBuf;

use anyhow::Context;
use skiptrace::access::KeyStore;
use skiptrace::audit::segments::DEFAULT_RETENTION_DAYS;
use skiptrace::audit::{
    default_checkpoint_path, default_key_path, find_line, prune, verify, AuditKey,
};
use skiptrace::index::SkipIndex;
use skiptrace::score::Model;
use skiptrace::search::Engine;
use skiptrace::server::{replay, SearchRequest};

/// Flags of `skiptrace audit`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace audit verify --audit audit.jsonl\n  \
skiptrace audit prune --audit audit.jsonl --dry-run\n  \
skiptrace audit replay --audit audit.jsonl --seq 42 --request request.json --index index/\n\n\
verify exits 0 when every line of the rotated segments and the live log verifies under the\n\
key as one chain and each file holds every line its checkpoints vouch for, 1 with the first\n\
bad file and line otherwise. Lines written after the last checkpoint (at most a second's\n\
worth, unless the server was killed) cannot be vouched for. replay exits 0 when the answer\n\
is the one logged, 1 when it differs."
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
        /// Print the report as JSON on stdout (the exit status is the same).
        #[arg(long)]
        json: bool,
    },
    /// Remove the oldest rotated segments past retention: every line older than the retention
    /// period and no account in them active since. The live log is never touched; a sealed
    /// anchor keeps the rest verifiable.
    Prune {
        #[command(flatten)]
        files: LogFiles,
        /// Days a line is kept after its account's last activity in the log.
        #[arg(long, default_value_t = DEFAULT_RETENTION_DAYS,
              value_parser = clap::value_parser!(u32).range(1..))]
        retention_days: u32,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run a logged search again and say whether the answer is the one logged. The log holds
    /// only the query's keyed fingerprint: give the request body as it was sent; its
    /// fingerprint must match the line's.
    Replay {
        #[command(flatten)]
        files: LogFiles,
        /// The line (`seq`) to replay.
        #[arg(long)]
        seq: u64,
        /// The search request as sent to `POST /v1/search` (a JSON file).
        #[arg(long)]
        request: PathBuf,
        /// Index directory (the one the server searched).
        #[arg(long, env = "SKIPTRACE_INDEX", default_value = skiptrace::index::DEFAULT_INDEX_DIR)]
        index: PathBuf,
        /// Model file the server used (default: the shipped model).
        #[arg(long)]
        model: Option<PathBuf>,
        /// API key file, to answer as the logged key's role did.
        #[arg(long, env = "SKIPTRACE_KEYS", default_value = skiptrace::access::DEFAULT_KEYS_FILE)]
        keys: PathBuf,
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
        AuditCommand::Verify { files, json } => {
            let key = files.key()?;
            let audit = &files.audit;
            let report = verify(audit, &key, &files.checkpoints())
                .with_context(|| format!("reading {}", audit.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
                if report.failure.is_some() {
                    std::process::exit(1);
                }
                return Ok(());
            }
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
        AuditCommand::Replay {
            files,
            seq,
            request,
            index,
            model,
            keys,
        } => replay_line(&files, seq, &request, &index, model.as_deref(), &keys),
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

/// Runs `skiptrace audit replay`: exit 0 when the answer is the one logged, 1 when not.
fn replay_line(
    files: &LogFiles,
    seq: u64,
    request: &std::path::Path,
    index: &std::path::Path,
    model: Option<&std::path::Path>,
    keys: &std::path::Path,
) -> anyhow::Result<()> {
    let key = files.key()?;
    let line = find_line(&files.audit, &key, seq)
        .with_context(|| format!("reading {}", files.audit.display()))?
        .with_context(|| format!("{} has no line {seq}", files.audit.display()))?;
    let text = std::fs::read_to_string(request)
        .with_context(|| format!("reading {}", request.display()))?;
    let request: SearchRequest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a search request", request.display()))?;
    let key_id = line.key_id.as_deref().unwrap_or_default();
    let role = KeyStore::load(keys)
        .with_context(|| format!("reading {}", keys.display()))?
        .find(key_id)
        .map(|k| k.role)
        .with_context(|| format!("{} has no key {key_id}", keys.display()))?;
    let model = match model {
        Some(path) => Model::load(path)?,
        None => Model::default_model(),
    };
    let engine = Engine::new(SkipIndex::open(index)?, model);
    let replayed = replay(&engine, &line, &request, role, &key)?;
    println!(
        "line {seq}: {} ({} key {key_id})",
        if replayed.same_answer {
            "same answer as logged"
        } else {
            "DIFFERENT answer from the one logged"
        },
        role
    );
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "not logged".into());
    println!(
        "  model:        logged {}, now {}",
        shown(&replayed.logged_model),
        replayed.model
    );
    println!(
        "  index commit: logged {}, now {}",
        shown(&replayed.logged_index_commit),
        replayed.index_commit
    );
    if !replayed.same_answer {
        println!(
            "  identities:   logged [{}]",
            replayed.logged_identities.join(", ")
        );
        println!(
            "                now    [{}]",
            replayed.identities.join(", ")
        );
        if !replayed.same_inputs() {
            println!(
                "  The index or model is not the one the line names. The index keeps only its \
                 newest commit, so the logged state is gone: the difference may come from \
                 records changed since."
            );
        }
        std::process::exit(1);
    }
    Ok(())
}
