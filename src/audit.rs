//! The audit trail: one JSON line per search and per record change, chained by hashes so an
//! edited, reordered or deleted line is detected (docs/domain.md §6: every search logged, who, when,
//! purposes, client reference, a fingerprint of the query, result ids, status; tamper-evident).
//!
//! Compliance, not matching. Each line carries `prev_hash` (the previous line's `hash`, or
//! [`GENESIS_HASH`] for the first) and `hash` = SHA-256(prev_hash ‖ the line's canonical JSON
//! without `hash`). [`verify`] recomputes the chain. A chain cannot show that lines were cut from
//! the end of the file: keep a copy of the latest `seq` and `hash` elsewhere (a log shipper,
//! a daily note) to detect truncation.
//!
//! Never in the log: a key (only its id), a raw SSN or DOB (the query is a fingerprint).
//! Retention is the operator's: collection rules require records kept until three years after
//! the last activity on a debt, so the server never rotates or trims the file.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::normalize::{NormalizedRecord, Ssn};
use crate::purpose::PermissiblePurpose;

/// Default audit log, relative to the working directory.
pub const DEFAULT_AUDIT_FILE: &str = "audit.jsonl";

/// `prev_hash` of the first line.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Bytes read at a time when looking for the last line of an existing log.
const TAIL_CHUNK_BYTES: u64 = 64 * 1024;

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
    /// The previous line's `hash`.
    pub prev_hash: String,
    /// SHA-256(prev_hash ‖ canonical JSON of this line without `hash`), hex.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

impl AuditLine {
    /// Builds the line for `event` at position `seq` after `prev_hash`, and seals it.
    pub fn new(seq: u64, time: String, prev_hash: &str, event: AuditEvent) -> AuditLine {
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
            client_reference: event.client_reference,
            query_fingerprint: event.query_fingerprint,
            result_ids: event.result_ids,
            record_ids: event.record_ids,
            unmasked: event.unmasked,
            error_code: event.error_code,
            rows: event.rows,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        line.hash = line.expected_hash();
        line
    }

    /// Returns the hash the line's content calls for (whatever its `hash` field says).
    pub fn expected_hash(&self) -> String {
        let unsealed = AuditLine {
            hash: String::new(),
            ..self.clone()
        };
        let canonical = serde_json::to_vec(&unsealed).expect("an audit line serializes");
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(&canonical);
        hex::encode(hasher.finalize())
    }

    fn to_json_line(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).expect("an audit line serializes");
        bytes.push(b'\n');
        bytes
    }
}

/// Returns a fingerprint of a normalized query: SHA-256 over its standardized fields, so the
/// same debtor searched twice (however the input was spelt) gives the same fingerprint and an
/// auditor holding the account file can recompute it, while the log holds no SSN or DOB.
pub fn query_fingerprint(query: &NormalizedRecord) -> String {
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
    let mut hasher = Sha256::new();
    for (field, value) in fields {
        hasher.update(field.as_bytes());
        hasher.update(b"=");
        hasher.update(value.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
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

/// The append-only audit log of a running server.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
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
}

#[derive(Debug)]
struct Tail {
    file: File,
    seq: u64,
    last_hash: String,
    /// Set when a write failed: the file may end in a partial line, so nothing more is
    /// appended (fail closed) until an operator has looked.
    failed: bool,
}

impl AuditLog {
    /// Opens (or creates) the log at `path` and continues its chain after the last line.
    ///
    /// # Errors
    /// [`Error::Audit`] when the file cannot be opened, ends in a partial line, or its last line
    /// is not a sealed audit line (run `skiptrace audit verify` to find out why).
    pub fn open(path: &Path) -> Result<AuditLog> {
        let mut file = open_append(path).map_err(|e| Error::io(path, e))?;
        let audit_error = |message: String| Error::Audit {
            path: path.to_path_buf(),
            message,
        };
        let (seq, last_hash) = match last_line(&mut file).map_err(|e| Error::io(path, e))? {
            None => (0, GENESIS_HASH.to_string()),
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
                if line.hash != line.expected_hash() {
                    return Err(audit_error(format!(
                        "last line (seq {}) does not match its hash (run `skiptrace audit verify`)",
                        line.seq
                    )));
                }
                (line.seq, line.hash)
            }
        };
        let sync_handle = file.try_clone().map_err(|e| Error::io(path, e))?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            synced: Mutex::new(Synced {
                file: sync_handle,
                seq,
            }),
            tail: Mutex::new(Tail {
                file,
                seq,
                last_hash,
                failed: false,
            }),
        })
    }

    /// Returns the log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True while lines can be appended.
    pub fn is_healthy(&self) -> bool {
        self.tail.lock().is_ok_and(|t| !t.failed)
    }

    /// Appends one line and syncs it to disk before returning, so an audited response is never
    /// sent before its line is durable. Concurrent appends share syncs (group commit).
    ///
    /// # Errors
    /// [`Error::Audit`] when the line cannot be written; the log then refuses further lines.
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
        let line = AuditLine::new(tail.seq + 1, now_rfc3339(), &tail.last_hash, event);
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
    /// finished, or this call syncs every line written so far.
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
        let (written, failed) = {
            let tail = self
                .tail
                .lock()
                .map_err(|_| audit_error("a writer panicked"))?;
            (tail.seq, tail.failed)
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
        Ok(())
    }
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

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Lines that verified before the first failure (all of them when there is none).
    pub lines_verified: u64,
    /// The first broken line, if any.
    pub failure: Option<VerifyFailure>,
}

/// Where and why a log failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyFailure {
    /// 1-based line number in the file.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

/// Verifies the chain of the log at `path`.
///
/// # Errors
/// When the file cannot be opened; a broken chain is not an error but a [`VerifyFailure`].
pub fn verify(path: &Path) -> Result<VerifyReport> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(verify_lines(BufReader::new(file)))
}

/// Verifies a chain read from any reader: every line parses, has the next `seq`, points at the
/// previous line's hash, and matches its own hash.
pub fn verify_lines(reader: impl BufRead) -> VerifyReport {
    let mut previous_hash = GENESIS_HASH.to_string();
    let mut verified = 0u64;
    let fail = |line: u64, reason: String, verified: u64| VerifyReport {
        lines_verified: verified,
        failure: Some(VerifyFailure { line, reason }),
    };
    for (index, text) in reader.split(b'\n').enumerate() {
        let number = index as u64 + 1;
        let bytes = match text {
            Ok(bytes) => bytes,
            Err(e) => return fail(number, format!("unreadable: {e}"), verified),
        };
        let line: AuditLine = match serde_json::from_slice(&bytes) {
            Ok(line) => line,
            Err(e) => return fail(number, format!("not an audit line: {e}"), verified),
        };
        if line.seq != number {
            return fail(
                number,
                format!(
                    "seq is {}, expected {number}: a line was deleted, inserted or moved",
                    line.seq
                ),
                verified,
            );
        }
        if line.prev_hash != previous_hash {
            return fail(
                number,
                "prev_hash does not match the previous line's hash: a line before it was \
                 deleted, reordered or rewritten"
                    .into(),
                verified,
            );
        }
        if line.hash != line.expected_hash() {
            return fail(
                number,
                "hash does not match the line's content: the line was edited".into(),
                verified,
            );
        }
        previous_hash = line.hash;
        verified += 1;
    }
    VerifyReport {
        lines_verified: verified,
        failure: None,
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

    /// Builds a chain of `n` lines as the log would write them.
    fn chain(n: u16) -> Vec<String> {
        let mut previous = GENESIS_HASH.to_string();
        (1..=n)
            .map(|i| {
                let line = AuditLine::new(u64::from(i), now_rfc3339(), &previous, event(i));
                previous = line.hash.clone();
                serde_json::to_string(&line).expect("json")
            })
            .collect()
    }

    fn verify_text(lines: &[String]) -> VerifyReport {
        let text = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
        verify_lines(text.as_bytes())
    }

    #[test]
    fn concurrent_appends_sharing_syncs_make_one_intact_chain() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path).expect("open");
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
        let report = verify(&path).expect("verify");
        assert_eq!(report.failure, None);
        assert_eq!(report.lines_verified, 320);
        drop(log);
        let reopened = AuditLog::open(&path).expect("reopen");
        assert_eq!(reopened.append(event(1)).expect("append").seq, 321);
    }

    #[test]
    fn an_intact_chain_verifies() {
        let report = verify_text(&chain(5));
        assert_eq!(report.failure, None);
        assert_eq!(report.lines_verified, 5);
        assert_eq!(verify_lines(&b""[..]).failure, None);
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
        forged.hash = forged.expected_hash();
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
        let a = query_fingerprint(&query("123-45-6789", "12 Main Street"));
        let b = query_fingerprint(&query("123456789", "12 MAIN ST"));
        let c = query_fingerprint(&query("123456780", "12 Main Street"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 64);
        assert!(!a.contains("123456789") && !a.contains("1984"));
    }

    #[test]
    fn a_line_serializes_without_raw_identifiers_and_with_its_hash() {
        let line = AuditLine::new(1, now_rfc3339(), GENESIS_HASH, event(0));
        let json = serde_json::to_string(&line).expect("json");
        assert!(json.contains("\"hash\":"));
        assert!(json.contains("\"glba\":\"consumer_authorized\""));
        let reread: AuditLine = serde_json::from_str(&json).expect("parse");
        assert_eq!(reread, line);
        assert_eq!(reread.expected_hash(), line.hash);
    }
}
