//! The audit trail: one JSON line per search and per record change, chained by keyed hashes so an
//! edited, reordered or deleted line is detected (docs/domain.md §6: every search logged, who, when,
//! purposes, client reference, a fingerprint of the query, result ids, status; tamper-evident).
//!
//! Compliance, not matching. Each line carries `prev_hash` (the previous line's `hash`, or
//! [`GENESIS_HASH`] for the first) and `hash` = HMAC-SHA256 under the [`AuditKey`] of prev_hash ‖
//! the line's canonical JSON without `hash`. The key lives in its own file, apart from the log:
//! someone who can edit the log but not read the key cannot recompute the chain after deleting
//! or rewriting a line. Lines cut from the end leave an intact chain, so the log also writes
//! [`Checkpoint`]s (line count and head hash, keyed) to a second file at most once a second and
//! when it closes; [`verify`] checks the log against them, and [`AuditLog::open`] refuses a log
//! shorter than its last checkpoint.
//!
//! Never in the log: a key (only its id), a raw SSN or DOB (the query is a keyed fingerprint,
//! and SSN- or date-shaped parts of a client reference are masked).
//! The server rotates the live file into segments past a size ([`mod@segments`]); only
//! `skiptrace audit prune` removes segments, and only those past retention.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::normalize::{NormalizedRecord, Ssn};
use crate::purpose::PermissiblePurpose;

pub mod segments;
mod verify;

pub use segments::{find_line, prune, segments, PruneReport, Pruned, Segment};
pub use verify::{verify, verify_lines, VerifyFailure, VerifyReport};

/// Default audit log, relative to the working directory.
pub const DEFAULT_AUDIT_FILE: &str = "audit.jsonl";

/// `prev_hash` of the first line.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Bytes read at a time when looking for the last line of an existing log.
const TAIL_CHUNK_BYTES: u64 = 64 * 1024;

/// Least time between two checkpoints while lines are being written.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// Bytes of an [`AuditKey`].
const KEY_BYTES: usize = 32;

/// The default key file of a log: its path with `.key` appended. Keep it elsewhere in
/// production (`--audit-key`), readable by the server alone.
pub fn default_key_path(log: &Path) -> PathBuf {
    with_suffix(log, ".key")
}

/// The default checkpoint file of a log: its path with `.checkpoints` appended. A copy shipped
/// elsewhere (or the file itself on other storage, `--audit-checkpoints`) is what makes a cut
/// detectable by someone who can rewrite both files.
pub fn default_checkpoint_path(log: &Path) -> PathBuf {
    with_suffix(log, ".checkpoints")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The secret that keys the audit chain, its checkpoints and the query fingerprints: 32 random
/// bytes, stored hex in a file of its own (mode 0600).
#[derive(Clone)]
pub struct AuditKey([u8; KEY_BYTES]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

impl AuditKey {
    /// A fresh random key.
    pub fn generate() -> AuditKey {
        let mut bytes = [0u8; KEY_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        AuditKey(bytes)
    }

    /// Reads the key at `path`.
    ///
    /// # Errors
    /// [`Error::Audit`] when the file is missing or does not hold 64 hex digits.
    pub fn load(path: &Path) -> Result<AuditKey> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let bytes = hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; KEY_BYTES]>::try_from(b).ok());
        bytes.map(AuditKey).ok_or_else(|| Error::Audit {
            path: path.to_path_buf(),
            message: format!("not an audit key ({} hex digits expected)", KEY_BYTES * 2),
        })
    }

    /// Reads the key at `path`, or creates one there (mode 0600) when the file does not exist.
    ///
    /// # Errors
    /// As [`AuditKey::load`], or when the new file cannot be written.
    pub fn load_or_create(path: &Path) -> Result<AuditKey> {
        if path.exists() {
            return AuditKey::load(path);
        }
        let key = AuditKey::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|e| Error::io(path, e))?;
        file.write_all(format!("{}\n", hex::encode(key.0)).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(path, e))?;
        Ok(key)
    }

    /// HMAC-SHA256 of `parts` under the key, for one `domain` (so a line hash, a checkpoint and
    /// a fingerprint can never stand for one another), hex.
    fn mac(&self, domain: &str, parts: &[&[u8]]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(domain.as_bytes());
        mac.update(b"\0");
        for part in parts {
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

/// What the server reports about one audited request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditEvent {
    /// Id of the caller's key (never the key), when one was presented and identified.
    pub key_id: Option<String>,
    /// Method and route template, e.g. `POST /v1/search`.
    pub route: String,
    /// HTTP status returned.
    pub status: u16,
    /// Purposes the caller stated.
    pub purposes: Option<PermissiblePurpose>,
    /// The caller's reference (account number), logged, never used for matching.
    pub client_reference: Option<String>,
    /// [`query_fingerprint`] of the search.
    pub query_fingerprint: Option<String>,
    /// Identities returned (search) or records written, deleted or read.
    pub result_ids: Vec<String>,
    /// Every record disclosed behind the identities returned (search).
    pub record_ids: Vec<String>,
    /// True when full SSNs or DOBs were disclosed.
    pub unmasked: bool,
    /// Error code of a failed request.
    pub error_code: Option<String>,
    /// Rows processed by a bulk job (`POST /v1/rematch`); `None` for single requests.
    pub rows: Option<u64>,
    /// [`crate::score::Model::digest`] of the model that decided (searches and bulk jobs).
    pub model_digest: Option<String>,
    /// [`crate::index::SkipIndex::commit_id`] of the index state searched (for a bulk job, the
    /// state when it started).
    pub index_commit: Option<String>,
    /// [`crate::resolve::Resolution::digest`] of the answer sent (searches).
    pub answer_digest: Option<String>,
}

/// Purposes as logged: codes as strings, so old lines verify whatever the code list becomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggedPurposes {
    /// GLBA code.
    pub glba: String,
    /// DPPA code.
    pub dppa: String,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditLine {
    /// 1-based position in the log.
    pub seq: u64,
    /// When it was written (RFC 3339, UTC).
    pub time: String,
    /// See [`AuditEvent::key_id`].
    pub key_id: Option<String>,
    /// See [`AuditEvent::route`].
    pub route: String,
    /// See [`AuditEvent::status`].
    pub status: u16,
    /// See [`AuditEvent::purposes`].
    pub purposes: Option<LoggedPurposes>,
    /// See [`AuditEvent::client_reference`].
    pub client_reference: Option<String>,
    /// See [`AuditEvent::query_fingerprint`].
    pub query_fingerprint: Option<String>,
    /// See [`AuditEvent::result_ids`].
    pub result_ids: Vec<String>,
    /// See [`AuditEvent::record_ids`].
    pub record_ids: Vec<String>,
    /// See [`AuditEvent::unmasked`].
    pub unmasked: bool,
    /// See [`AuditEvent::error_code`].
    pub error_code: Option<String>,
    /// See [`AuditEvent::rows`]. Left out of lines without it, so older lines hash the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// See [`AuditEvent::model_digest`]; left out when absent, as `rows` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_digest: Option<String>,
    /// See [`AuditEvent::index_commit`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_commit: Option<String>,
    /// See [`AuditEvent::answer_digest`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_digest: Option<String>,
    /// The previous line's `hash`.
    pub prev_hash: String,
    /// HMAC-SHA256 under the [`AuditKey`] of prev_hash ‖ canonical JSON of this line without
    /// `hash`, hex.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

impl AuditLine {
    /// Builds the line for `event` at position `seq` after `prev_hash`, and seals it with `key`.
    pub fn new(
        seq: u64,
        time: String,
        prev_hash: &str,
        event: AuditEvent,
        key: &AuditKey,
    ) -> AuditLine {
        let mut line = AuditLine {
            seq,
            time,
            key_id: event.key_id,
            route: event.route,
            status: event.status,
            purposes: event.purposes.map(|p| LoggedPurposes {
                glba: p.glba.code().to_string(),
                dppa: p.dppa.code().to_string(),
            }),
            client_reference: event
                .client_reference
                .map(|r| crate::mask::mask_client_reference(&r)),
            query_fingerprint: event.query_fingerprint,
            result_ids: event.result_ids,
            record_ids: event.record_ids,
            unmasked: event.unmasked,
            error_code: event.error_code,
            rows: event.rows,
            model_digest: event.model_digest,
            index_commit: event.index_commit,
            answer_digest: event.answer_digest,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        line.hash = line.expected_hash(key);
        line
    }

    /// Returns the hash the line's content calls for under `key` (whatever its `hash` field
    /// says).
    pub fn expected_hash(&self, key: &AuditKey) -> String {
        let unsealed = AuditLine {
            hash: String::new(),
            ..self.clone()
        };
        let canonical = serde_json::to_vec(&unsealed).expect("an audit line serializes");
        key.mac("line", &[self.prev_hash.as_bytes(), &canonical])
    }

    fn to_json_line(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).expect("an audit line serializes");
        bytes.push(b'\n');
        bytes
    }
}

/// Returns a fingerprint of a normalized query: HMAC-SHA256 under the audit key over its
/// standardized fields, so the same debtor searched twice (however the input was spelt) gives
/// the same fingerprint and an auditor holding the account file and the key can recompute it,
/// while the log holds no SSN or DOB, and without the key a guessed SSN cannot be checked
/// against it.
pub fn query_fingerprint(query: &NormalizedRecord, key: &AuditKey) -> String {
    let name = &query.name;
    let ssn = match &query.ssn {
        Some(Ssn::Full(digits)) => digits.clone(),
        Some(Ssn::Last4(digits)) => format!("last4:{digits}"),
        None => String::new(),
    };
    let address = query.address.as_ref();
    let part = |f: fn(&crate::normalize::Address) -> String| address.map(f).unwrap_or_default();
    let fields = [
        ("first_name", name.first.clone()),
        ("middle_name", name.middle.clone()),
        ("last_name", name.last.clone()),
        (
            "name_suffix",
            name.suffix
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
        ),
        ("dob", query.dob.map(|d| d.to_string()).unwrap_or_default()),
        ("ssn", ssn),
        ("address_line1", part(|a| a.line1())),
        ("address_line2", part(|a| a.line2())),
        ("city", part(|a| a.city.clone())),
        ("state", part(|a| a.state.clone())),
        ("zip", part(|a| a.zip5.clone())),
        ("phone", query.phone.clone().unwrap_or_default()),
        ("email", query.email.clone().unwrap_or_default()),
    ];
    let mut canonical = String::new();
    for (field, value) in fields {
        canonical.push_str(field);
        canonical.push('=');
        canonical.push_str(&value);
        canonical.push('\n');
    }
    key.mac("fingerprint", &[canonical.as_bytes()])
}

/// Returns the [`query_fingerprint`] of the query without its SSN and DOB: the same for every
/// guess of one person's identifiers, which is how enumeration is recognized.
pub fn person_fingerprint(query: &NormalizedRecord, key: &AuditKey) -> String {
    let without = NormalizedRecord {
        ssn: None,
        dob: None,
        ..query.clone()
    };
    query_fingerprint(&without, key)
}

/// Returns the current UTC time in RFC 3339 (millisecond precision).
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let truncated = now
        .replace_nanosecond(u32::from(now.millisecond()) * 1_000_000)
        .unwrap_or(now);
    truncated
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

/// A keyed anchor of the log: after line `seq`, whose hash was `hash`, the log held `seq`
/// lines. Written to a second file; a log shorter than its last checkpoint was cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Lines the log held.
    pub seq: u64,
    /// The hash of line `seq`.
    pub hash: String,
    /// When it was written (RFC 3339, UTC).
    pub time: String,
    /// HMAC-SHA256 under the audit key of seq, hash and time, hex.
    pub mac: String,
}

impl Checkpoint {
    fn new(seq: u64, hash: &str, key: &AuditKey) -> Checkpoint {
        let time = now_rfc3339();
        let mac = Checkpoint::expected_mac(seq, hash, &time, key);
        Checkpoint {
            seq,
            hash: hash.to_string(),
            time,
            mac,
        }
    }

    fn expected_mac(seq: u64, hash: &str, time: &str, key: &AuditKey) -> String {
        key.mac(
            "checkpoint",
            &[
                seq.to_string().as_bytes(),
                b"|",
                hash.as_bytes(),
                b"|",
                time.as_bytes(),
            ],
        )
    }

    fn is_sealed(&self, key: &AuditKey) -> bool {
        self.mac == Checkpoint::expected_mac(self.seq, &self.hash, &self.time, key)
    }
}

/// The append-only audit log of a running server.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    key: AuditKey,
    /// Size past which the live file becomes a segment; 0 never rotates.
    rotate_bytes: u64,
    tail: Mutex<Tail>,
    /// Group commit: the highest sequence number known durable, and a second handle on the file
    /// to sync it. One sync covers every line written before it started, so concurrent
    /// requests share syncs instead of queueing one each behind the tail lock.
    synced: Mutex<Synced>,
}

#[derive(Debug)]
struct Synced {
    file: File,
    seq: u64,
    /// The hash of line `seq`.
    hash: String,
    checkpoints: File,
    checkpoints_path: PathBuf,
    /// The last checkpoint's line and when it was written.
    checkpointed: u64,
    checkpointed_at: Option<Instant>,
}

#[derive(Debug)]
struct Tail {
    file: File,
    seq: u64,
    last_hash: String,
    /// Set when a write failed or the file was removed: the file may end in a partial line, or
    /// lines would go to a file nobody can read, so nothing more is appended (fail closed)
    /// until an operator has looked.
    failed: bool,
}

impl AuditLog {
    /// Opens (or creates) the log at `path`, keyed by `key`, and continues its chain after the
    /// last line (of the newest rotated segment when the live file is empty); checkpoints go to
    /// `checkpoints` (created when absent). It does not rotate until [`AuditLog::rotate_at`].
    ///
    /// # Errors
    /// [`Error::Audit`] when the file cannot be opened, ends in a partial line, its last line is
    /// not a line sealed with this key, or it is shorter than its last checkpoint (run
    /// `skiptrace audit verify` to find out why).
    pub fn open(path: &Path, key: AuditKey, checkpoints: &Path) -> Result<AuditLog> {
        let mut file = open_append(path).map_err(|e| Error::io(path, e))?;
        let audit_error = |message: String| Error::Audit {
            path: path.to_path_buf(),
            message,
        };
        let live = last_line(&mut file).map_err(|e| Error::io(path, e))?;
        let live_is_empty = live.is_none();
        let (seq, last_hash) = match live {
            None => chain_end_before(path, &key)?,
            Some(LastLine::Partial) => {
                return Err(audit_error(
                    "ends with an incomplete line (run `skiptrace audit verify`)".into(),
                ))
            }
            Some(LastLine::Line(bytes)) => {
                let line: AuditLine = serde_json::from_slice(&bytes).map_err(|e| {
                    audit_error(format!(
                        "last line is not an audit line: {e} (run `skiptrace audit verify`)"
                    ))
                })?;
                if line.hash != line.expected_hash(&key) {
                    return Err(audit_error(format!(
                        "last line (seq {}) does not match its hash under this key: edited, \
                         or written with another key (run `skiptrace audit verify`)",
                        line.seq
                    )));
                }
                (line.seq, line.hash)
            }
        };
        let mut checkpoint_file =
            open_append(checkpoints).map_err(|e| Error::io(checkpoints, e))?;
        let checkpointed =
            match last_line(&mut checkpoint_file).map_err(|e| Error::io(checkpoints, e))? {
                // A fresh file after a rotation: the segment's checkpoints cover the chain so far.
                None if live_is_empty => seq,
                None => 0,
                Some(LastLine::Line(bytes)) => {
                    let checkpoint: Checkpoint = serde_json::from_slice(&bytes)
                        .ok()
                        .filter(|c: &Checkpoint| c.is_sealed(&key))
                        .ok_or_else(|| {
                            audit_error(format!(
                                "the last checkpoint in {} is not sealed with this key (run \
                             `skiptrace audit verify`)",
                                checkpoints.display()
                            ))
                        })?;
                    if checkpoint.seq > seq {
                        return Err(audit_error(format!(
                        "holds {seq} lines but a checkpoint vouches for {}: lines were cut off \
                         the end (run `skiptrace audit verify`)",
                        checkpoint.seq
                    )));
                    }
                    checkpoint.seq
                }
                // A checkpoint cut short by a crash; the next one starts on a new line.
                Some(LastLine::Partial) => {
                    checkpoint_file
                        .write_all(b"\n")
                        .map_err(|e| Error::io(checkpoints, e))?;
                    0
                }
            };
        let sync_handle = file.try_clone().map_err(|e| Error::io(path, e))?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            key,
            rotate_bytes: 0,
            synced: Mutex::new(Synced {
                file: sync_handle,
                seq,
                hash: last_hash.clone(),
                checkpoints: checkpoint_file,
                checkpoints_path: checkpoints.to_path_buf(),
                checkpointed,
                checkpointed_at: None,
            }),
            tail: Mutex::new(Tail {
                file,
                seq,
                last_hash,
                failed: false,
            }),
        })
    }

    /// Rotates the live file into a segment once it holds `bytes` or more (0: never).
    #[must_use]
    pub fn rotate_at(mut self, bytes: u64) -> AuditLog {
        self.rotate_bytes = bytes;
        self
    }

    /// Returns the log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the key of the chain, which also keys the query fingerprints.
    pub fn key(&self) -> &AuditKey {
        &self.key
    }

    /// True while lines can be appended: no write has failed and the path still names the file
    /// being written (a log removed or replaced while serving would take lines nobody can read).
    pub fn is_healthy(&self) -> bool {
        self.tail
            .lock()
            .is_ok_and(|t| !t.failed && still_linked(&self.path, &t.file))
    }

    /// Appends one line and syncs it to disk before returning, so an audited response is never
    /// sent before its line is durable. Concurrent appends share syncs (group commit).
    ///
    /// # Errors
    /// [`Error::Audit`] when the line cannot be written or the file was removed; the log then
    /// refuses further lines.
    pub fn append(&self, event: AuditEvent) -> Result<AuditLine> {
        let audit_error = |message: &str| Error::Audit {
            path: self.path.clone(),
            message: message.to_string(),
        };
        let mut tail = self
            .tail
            .lock()
            .map_err(|_| audit_error("a writer panicked"))?;
        if tail.failed {
            return Err(audit_error("an earlier write failed; not appending"));
        }
        if !still_linked(&self.path, &tail.file) {
            tail.failed = true;
            return Err(audit_error(
                "the file was removed or replaced while serving; not appending (restore it and \
                 restart)",
            ));
        }
        let line = AuditLine::new(
            tail.seq + 1,
            now_rfc3339(),
            &tail.last_hash,
            event,
            &self.key,
        );
        if let Err(error) = tail.file.write_all(&line.to_json_line()) {
            tail.failed = true;
            return Err(Error::io(&self.path, error));
        }
        tail.seq = line.seq;
        tail.last_hash = line.hash.clone();
        drop(tail);
        self.sync_through(line.seq)?;
        Ok(line)
    }

    /// Returns once line `seq` is durable: either a sync that started after it was written has
    /// finished, or this call syncs every line written so far (and checkpoints them when the
    /// last checkpoint is older than [`CHECKPOINT_INTERVAL`]).
    fn sync_through(&self, seq: u64) -> Result<()> {
        let audit_error = |message: &str| Error::Audit {
            path: self.path.clone(),
            message: message.to_string(),
        };
        let mut synced = self
            .synced
            .lock()
            .map_err(|_| audit_error("a writer panicked"))?;
        if synced.seq >= seq {
            return Ok(());
        }
        let (written, hash, failed) = {
            let tail = self
                .tail
                .lock()
                .map_err(|_| audit_error("a writer panicked"))?;
            (tail.seq, tail.last_hash.clone(), tail.failed)
        };
        // After a failed sync the kernel may have dropped the unsynced lines; a later sync
        // that succeeds proves nothing about them.
        if failed {
            return Err(audit_error("an earlier write failed; not appending"));
        }
        if let Err(error) = synced.file.sync_data() {
            if let Ok(mut tail) = self.tail.lock() {
                tail.failed = true;
            }
            return Err(Error::io(&self.path, error));
        }
        synced.seq = written;
        synced.hash = hash;
        self.checkpoint_when_due(&mut synced)?;
        self.rotate_when_due(&mut synced)
    }

    /// Turns the live file into a segment when it has reached the rotation size: every line
    /// written is synced and checkpointed, both files are renamed after the last `seq`, and
    /// fresh ones carry on the chain. A failure stops the log (fail closed).
    fn rotate_when_due(&self, synced: &mut Synced) -> Result<()> {
        if self.rotate_bytes == 0 {
            return Ok(());
        }
        let size = synced
            .file
            .metadata()
            .map_err(|e| Error::io(&self.path, e))?
            .len();
        if size < self.rotate_bytes {
            return Ok(());
        }
        let Ok(mut tail) = self.tail.lock() else {
            return Ok(());
        };
        if tail.failed {
            return Ok(());
        }
        let rotated = self.rotate(synced, &mut tail);
        if rotated.is_err() {
            tail.failed = true;
        }
        rotated
    }

    fn rotate(&self, synced: &mut Synced, tail: &mut Tail) -> Result<()> {
        synced
            .file
            .sync_data()
            .map_err(|e| Error::io(&self.path, e))?;
        synced.seq = tail.seq;
        synced.hash = tail.last_hash.clone();
        self.checkpoint(synced)?;
        let checkpoints = &synced.checkpoints_path;
        let segment_checkpoints = segments::segment_checkpoints_path(checkpoints, tail.seq);
        std::fs::rename(checkpoints, &segment_checkpoints)
            .map_err(|e| Error::io(&segment_checkpoints, e))?;
        let segment = segments::segment_path(&self.path, tail.seq);
        std::fs::rename(&self.path, &segment).map_err(|e| Error::io(&segment, e))?;
        segments::sync_directory(&segment)?;
        segments::sync_directory(&segment_checkpoints)?;
        let file = open_append(&self.path).map_err(|e| Error::io(&self.path, e))?;
        synced.checkpoints = open_append(checkpoints).map_err(|e| Error::io(checkpoints, e))?;
        synced.file = file.try_clone().map_err(|e| Error::io(&self.path, e))?;
        tail.file = file;
        // The new file's first line is checkpointed at once, as a new log's is.
        synced.checkpointed_at = None;
        tracing::info!(segment = %segment.display(), "audit log rotated");
        Ok(())
    }

    /// Checkpoints the durable lines if the last checkpoint is older than
    /// [`CHECKPOINT_INTERVAL`] and does not cover them; the server calls it every interval, so
    /// an idle log's last lines are vouched for too.
    ///
    /// # Errors
    /// When the checkpoint cannot be written.
    pub fn checkpoint_if_due(&self) -> Result<()> {
        let Ok(mut synced) = self.synced.lock() else {
            return Ok(());
        };
        self.checkpoint_when_due(&mut synced)
    }

    /// Checkpoints unless the last checkpoint is younger than [`CHECKPOINT_INTERVAL`].
    fn checkpoint_when_due(&self, synced: &mut Synced) -> Result<()> {
        let due = synced
            .checkpointed_at
            .is_none_or(|at| at.elapsed() >= CHECKPOINT_INTERVAL);
        if due {
            self.checkpoint(synced)?;
        }
        Ok(())
    }

    /// Writes a checkpoint of the durable lines, unless the last one already covers them.
    fn checkpoint(&self, synced: &mut Synced) -> Result<()> {
        if synced.seq == synced.checkpointed {
            return Ok(());
        }
        let checkpoint = Checkpoint::new(synced.seq, &synced.hash, &self.key);
        let mut bytes = serde_json::to_vec(&checkpoint).expect("a checkpoint serializes");
        bytes.push(b'\n');
        synced
            .checkpoints
            .write_all(&bytes)
            .and_then(|()| synced.checkpoints.sync_data())
            .map_err(|e| Error::io(&synced.checkpoints_path, e))?;
        synced.checkpointed = synced.seq;
        synced.checkpointed_at = Some(Instant::now());
        Ok(())
    }
}

impl Drop for AuditLog {
    /// Checkpoints the last lines on a clean shutdown.
    fn drop(&mut self) {
        let synced = self.synced.lock();
        if let Ok(mut synced) = synced {
            if let Err(error) = self.checkpoint_on_close(&mut synced) {
                tracing::error!(%error, "audit log: final checkpoint not written");
            }
        }
    }
}

impl AuditLog {
    fn checkpoint_on_close(&self, synced: &mut Synced) -> Result<()> {
        let Ok(tail) = self.tail.lock() else {
            return Ok(());
        };
        if tail.failed {
            return Ok(());
        }
        synced
            .file
            .sync_data()
            .map_err(|e| Error::io(&self.path, e))?;
        synced.seq = tail.seq;
        synced.hash = tail.last_hash.clone();
        drop(tail);
        self.checkpoint(synced)
    }
}

/// Where the chain stands before an empty live file: at the end of the newest segment, at the
/// retention anchor when every segment was removed, or at the start.
fn chain_end_before(path: &Path, key: &AuditKey) -> Result<(u64, String)> {
    let Some(newest) = segments(path)?.pop() else {
        return Ok(Pruned::read(path, key)?
            .map_or((0, GENESIS_HASH.to_string()), |p| (p.through_seq, p.hash)));
    };
    let audit_error = |message: &str| Error::Audit {
        path: newest.path.clone(),
        message: format!("{message} (run `skiptrace audit verify`)"),
    };
    let mut file = File::open(&newest.path).map_err(|e| Error::io(&newest.path, e))?;
    let Some(LastLine::Line(bytes)) =
        last_line(&mut file).map_err(|e| Error::io(&newest.path, e))?
    else {
        return Err(audit_error(
            "the newest segment is empty or ends in a partial line",
        ));
    };
    let line: AuditLine = serde_json::from_slice(&bytes)
        .map_err(|_| audit_error("its last line is not an audit line"))?;
    if line.hash != line.expected_hash(key) || line.seq != newest.last_seq {
        return Err(audit_error(
            "its last line is not the sealed line its name promises",
        ));
    }
    Ok((line.seq, line.hash))
}

/// True when `path` still names the open `file` (same device and inode).
#[cfg(unix)]
fn still_linked(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(path), file.metadata()) {
        (Ok(named), Ok(open)) => named.dev() == open.dev() && named.ino() == open.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_linked(path: &Path, _file: &File) -> bool {
    path.exists()
}

/// What the end of an existing log holds.
enum LastLine {
    Line(Vec<u8>),
    Partial,
}

fn open_append(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Reads the last line of a file from its end, chunk by chunk, without reading the whole log.
fn last_line(file: &mut File) -> std::io::Result<Option<LastLine>> {
    let length = file.metadata()?.len();
    if length == 0 {
        return Ok(None);
    }
    let mut last_byte = [0u8; 1];
    file.seek(SeekFrom::Start(length - 1))?;
    file.read_exact(&mut last_byte)?;
    if last_byte[0] != b'\n' {
        return Ok(Some(LastLine::Partial));
    }
    let mut end = length - 1;
    let mut collected: Vec<u8> = Vec::new();
    loop {
        let start = end.saturating_sub(TAIL_CHUNK_BYTES);
        let mut chunk = vec![0u8; (end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk)?;
        if let Some(newline) = chunk.iter().rposition(|b| *b == b'\n') {
            chunk.drain(..=newline);
            chunk.extend_from_slice(&collected);
            return Ok(Some(LastLine::Line(chunk)));
        }
        chunk.extend_from_slice(&collected);
        collected = chunk;
        if start == 0 {
            return Ok(Some(LastLine::Line(collected)));
        }
        end = start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purpose::{DppaPurpose, GlbaPurpose};
    use crate::record::{Field, RawRecord};

    fn event(n: u16) -> AuditEvent {
        AuditEvent {
            key_id: Some("0123456789ab".into()),
            route: "POST /v1/search".into(),
            status: 200 + n,
            purposes: Some(PermissiblePurpose {
                glba: GlbaPurpose::ConsumerAuthorized,
                dppa: DppaPurpose::DebtRecovery,
            }),
            client_reference: Some(format!("ACC-{n}")),
            query_fingerprint: Some("f".repeat(64)),
            result_ids: vec![format!("r{n}")],
            ..AuditEvent::default()
        }
    }

    fn key() -> AuditKey {
        AuditKey([7; KEY_BYTES])
    }

    /// A fixed time, so that two chains built in a test agree line for line.
    const TIME: &str = "2026-12-05T12:00:00.000Z";

    /// Builds a chain of `n` lines as the log would write them.
    fn chain(n: u16) -> Vec<String> {
        let mut previous = GENESIS_HASH.to_string();
        (1..=n)
            .map(|i| {
                let line =
                    AuditLine::new(u64::from(i), TIME.to_string(), &previous, event(i), &key());
                previous = line.hash.clone();
                serde_json::to_string(&line).expect("json")
            })
            .collect()
    }

    /// A checkpoint file vouching for line `seq` of `lines`.
    fn checkpoints_for(lines: &[String], seqs: &[u64]) -> String {
        seqs.iter()
            .map(|&seq| {
                let line: AuditLine =
                    serde_json::from_str(&lines[seq as usize - 1]).expect("parse");
                let checkpoint = Checkpoint::new(seq, &line.hash, &key());
                format!("{}\n", serde_json::to_string(&checkpoint).expect("json"))
            })
            .collect()
    }

    fn verify_with(lines: &[String], checkpoints: &str) -> VerifyReport {
        let text = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
        verify_lines(text.as_bytes(), &key(), Some(checkpoints.as_bytes()))
    }

    /// Verifies `lines` against a checkpoint of their first line (so truncation is not what
    /// fails them).
    fn verify_text(lines: &[String]) -> VerifyReport {
        let checkpoints = if lines.is_empty() {
            String::new()
        } else {
            checkpoints_for(&chain(1), &[1])
        };
        verify_with(lines, &checkpoints)
    }

    #[test]
    fn concurrent_appends_sharing_syncs_make_one_intact_chain() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.jsonl");
        let checkpoints = default_checkpoint_path(&path);
        let log = AuditLog::open(&path, key(), &checkpoints).expect("open");
        let seqs: Vec<u64> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8u16)
                .map(|t| {
                    let log = &log;
                    scope.spawn(move || {
                        (0..40u16)
                            .map(|i| log.append(event(t * 40 + i)).expect("append").seq)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("worker"))
                .collect()
        });
        let mut sorted = seqs.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (1..=320).collect::<Vec<u64>>());
        let report = verify(&path, &key(), &checkpoints).expect("verify");
        assert_eq!(report.failure, None);
        assert_eq!(report.lines_verified, 320);
        drop(log);
        let closed = verify(&path, &key(), &checkpoints).expect("verify");
        assert_eq!(closed.failure, None);
        assert!(
            closed.checkpoints_verified >= 1,
            "closing checkpoints the last line"
        );
        let reopened = AuditLog::open(&path, key(), &checkpoints).expect("reopen");
        assert_eq!(reopened.append(event(1)).expect("append").seq, 321);
    }

    #[test]
    fn an_intact_chain_verifies() {
        let report = verify_text(&chain(5));
        assert_eq!(report.failure, None);
        assert_eq!(report.lines_verified, 5);
        assert_eq!(report.checkpoints_verified, 1);
        assert_eq!(verify_with(&[], "").failure, None);
    }

    #[test]
    fn an_edited_line_is_found() {
        let mut lines = chain(5);
        lines[2] = lines[2].replace("ACC-3", "ACC-9");
        let failure = verify_text(&lines).failure.expect("detected");
        assert_eq!(failure.line, 3);
        assert!(failure.reason.contains("edited"), "{}", failure.reason);
    }

    #[test]
    fn an_edited_line_with_a_recomputed_hash_breaks_the_next_link() {
        let mut lines = chain(4);
        let mut forged: AuditLine = serde_json::from_str(&lines[1]).expect("parse");
        forged.status = 500;
        forged.hash = forged.expected_hash(&key());
        lines[1] = serde_json::to_string(&forged).expect("json");
        let failure = verify_text(&lines).failure.expect("detected");
        assert_eq!(failure.line, 3);
    }

    #[test]
    fn deleted_and_reordered_lines_are_found() {
        let mut deleted = chain(5);
        deleted.remove(1);
        assert_eq!(verify_text(&deleted).failure.expect("detected").line, 2);
        let mut first_deleted = chain(3);
        first_deleted.remove(0);
        assert_eq!(
            verify_text(&first_deleted).failure.expect("detected").line,
            1
        );
        let mut swapped = chain(4);
        swapped.swap(1, 2);
        assert_eq!(verify_text(&swapped).failure.expect("detected").line, 2);
    }

    #[test]
    fn an_added_field_or_junk_line_is_found() {
        let mut lines = chain(2);
        lines[1] = lines[1].replacen('{', "{\"note\":\"x\",", 1);
        assert_eq!(verify_text(&lines).failure.expect("detected").line, 2);
        let mut junk = chain(2);
        junk.push("not json".into());
        assert_eq!(verify_text(&junk).failure.expect("detected").line, 3);
    }

    #[test]
    fn the_fingerprint_ignores_spelling_and_holds_no_ssn_or_dob() {
        let query = |ssn: &str, street: &str| {
            let raw = RawRecord::new()
                .with(Field::FirstName, "Dmitri")
                .with(Field::LastName, "Kowalczyk")
                .with(Field::Dob, "05/12/1984")
                .with(Field::Ssn, ssn)
                .with(Field::AddressLine1, street);
            NormalizedRecord::from_raw(&raw).0
        };
        let a = query_fingerprint(&query("123-45-6789", "12 Main Street"), &key());
        let b = query_fingerprint(&query("123456789", "12 MAIN ST"), &key());
        let c = query_fingerprint(&query("123456780", "12 Main Street"), &key());
        let other_key = query_fingerprint(&query("123456789", "12 MAIN ST"), &AuditKey([8; 32]));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, other_key, "without the key a guess cannot be checked");
        assert_eq!(a.len(), 64);
        assert!(!a.contains("123456789") && !a.contains("1984"));
    }

    #[test]
    fn a_line_serializes_without_raw_identifiers_and_with_its_hash() {
        let line = AuditLine::new(1, now_rfc3339(), GENESIS_HASH, event(0), &key());
        let json = serde_json::to_string(&line).expect("json");
        assert!(json.contains("\"hash\":"));
        assert!(json.contains("\"glba\":\"consumer_authorized\""));
        let reread: AuditLine = serde_json::from_str(&json).expect("parse");
        assert_eq!(reread, line);
        assert_eq!(reread.expected_hash(&key()), line.hash);
    }

    /// The attack the unkeyed chain allowed: delete a line and recompute every later hash.
    #[test]
    fn a_chain_recomputed_without_the_key_is_found() {
        let mut lines = chain(4);
        lines.remove(1);
        let mut previous = GENESIS_HASH.to_string();
        let forger = AuditKey([9; KEY_BYTES]);
        for (i, text) in lines.iter_mut().enumerate() {
            let mut line: AuditLine = serde_json::from_str(text).expect("parse");
            line.seq = i as u64 + 1;
            line.prev_hash = previous.clone();
            line.hash = line.expected_hash(&forger);
            previous = line.hash.clone();
            *text = serde_json::to_string(&line).expect("json");
        }
        let failure = verify_text(&lines).failure.expect("detected");
        assert_eq!(failure.line, 1);
        assert!(failure.reason.contains("key"), "{}", failure.reason);
    }

    #[test]
    fn lines_cut_off_the_end_are_found_by_the_checkpoints() {
        let lines = chain(6);
        let checkpoints = checkpoints_for(&lines, &[2, 5]);
        let intact = verify_with(&lines, &checkpoints);
        assert_eq!(intact.failure, None);
        assert_eq!(intact.checkpoints_verified, 2);
        let cut = verify_with(&lines[..4], &checkpoints);
        let failure = cut.failure.expect("detected");
        assert_eq!(failure.line, 5);
        assert!(failure.reason.contains("cut off"), "{}", failure.reason);
        assert_eq!(verify_with(&lines[..5], &checkpoints).failure, None);
        let none = verify_lines(lines.join("\n").as_bytes(), &key(), None::<&[u8]>);
        assert!(none
            .failure
            .expect("no checkpoints")
            .reason
            .contains("no checkpoint file"));
        let emptied = verify_with(&lines, "").failure.expect("emptied");
        assert!(emptied.reason.contains("emptied"), "{}", emptied.reason);
    }

    #[test]
    fn a_forged_or_replayed_checkpoint_is_found() {
        let lines = chain(3);
        let forged = checkpoints_for(&lines, &[3]).replace("\"seq\":3", "\"seq\":2");
        let failure = verify_with(&lines, &forged).failure.expect("detected");
        assert!(failure.reason.contains("not sealed"), "{}", failure.reason);
        let replayed = checkpoints_for(&lines, &[2, 1]);
        let failure = verify_with(&lines, &replayed).failure.expect("detected");
        assert!(failure.reason.contains("reordered"), "{}", failure.reason);
    }

    #[test]
    fn a_log_shorter_than_its_last_checkpoint_is_refused_at_open() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.jsonl");
        let checkpoints = default_checkpoint_path(&path);
        let log = AuditLog::open(&path, key(), &checkpoints).expect("open");
        for i in 0..3 {
            log.append(event(i)).expect("append");
        }
        drop(log);
        let text = std::fs::read_to_string(&path).expect("read");
        let kept: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, kept).expect("cut");
        let error = AuditLog::open(&path, key(), &checkpoints).expect_err("refused");
        assert!(error.to_string().contains("cut off"), "{error}");
        let error =
            AuditLog::open(&path, AuditKey([1; KEY_BYTES]), &checkpoints).expect_err("another key");
        assert!(error.to_string().contains("another key"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_log_removed_while_open_stops_taking_lines() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path, key(), &default_checkpoint_path(&path)).expect("open");
        log.append(event(1)).expect("append");
        assert!(log.is_healthy());
        std::fs::remove_file(&path).expect("rm");
        assert!(!log.is_healthy(), "a removed log is not healthy");
        let error = log.append(event(2)).expect_err("refused");
        assert!(error.to_string().contains("removed"), "{error}");
        std::fs::write(&path, "").expect("an empty file in its place");
        assert!(
            !log.is_healthy(),
            "a replacement is not the file being written"
        );
    }

    #[test]
    fn a_key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.key");
        let created = AuditKey::load_or_create(&path).expect("create");
        let read = AuditKey::load(&path).expect("load");
        assert_eq!(created.0, read.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by the owner alone");
        }
        std::fs::write(&path, "not hex").expect("write");
        assert!(AuditKey::load(&path).is_err());
        assert!(!format!("{created:?}").contains(&hex::encode(created.0)));
    }
}
