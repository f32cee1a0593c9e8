//! `skiptrace audit replay`: a logged search run again, to show what the collector was told
//! and why. The log holds no query (only its keyed fingerprint), so the replay takes the
//! request again (from the account file or the client's records), proves it is the one logged
//! by recomputing the fingerprint, runs it as the server did for the caller's role, and compares
//! the answer's digest with the logged one, saying whether the model and the index commit are
//! still those the line names.

use crate::access::Role;
use crate::audit::{query_fingerprint, AuditKey, AuditLine};
use crate::search::{Engine, Query};

use super::error::ApiError;
use super::search::{answer, SearchRequest};

/// Why a line cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Only searches are replayed.
    #[error("line {seq} is a `{route}` line; only `POST /v1/search` lines can be replayed")]
    NotASearch {
        /// The line.
        seq: u64,
        /// Its route.
        route: String,
    },
    /// The line has no answer digest: a refused search, or one logged before answers were.
    #[error("line {seq} logged no answer (status {status}); nothing to compare")]
    NoAnswerLogged {
        /// The line.
        seq: u64,
        /// Its status.
        status: u16,
    },
    /// The request given is not the one the line logged.
    #[error(
        "the request's fingerprint differs from line {seq}'s: not the query that was logged \
         (or another audit key)"
    )]
    DifferentRequest {
        /// The line.
        seq: u64,
    },
    /// The request itself is refused, as the server would refuse it.
    #[error("the request is refused: {0}")]
    Request(String),
}

impl From<ApiError> for ReplayError {
    fn from(error: ApiError) -> ReplayError {
        ReplayError::Request(format!("{}: {}", error.code().as_str(), error.message()))
    }
}

/// What a replay found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The line replayed.
    pub seq: u64,
    /// True when the answer's digest equals the logged one.
    pub same_answer: bool,
    /// Model digest the line names (`None` on lines from before it was logged) and the one in use.
    pub logged_model: Option<String>,
    /// Digest of the model the replay used.
    pub model: String,
    /// Index commit the line names.
    pub logged_index_commit: Option<String>,
    /// Index commit the replay searched.
    pub index_commit: String,
    /// Identities the line says were returned.
    pub logged_identities: Vec<String>,
    /// Identities the replay returns.
    pub identities: Vec<String>,
}

impl Replay {
    /// True when the replay searched the index commit and model the line names: only then does
    /// a different answer mean the engine changed rather than the data.
    pub fn same_inputs(&self) -> bool {
        self.logged_model.as_deref() == Some(self.model.as_str())
            && self.logged_index_commit.as_deref() == Some(self.index_commit.as_str())
    }
}

/// Replays `line` with `request` on `engine`, as a caller of `role` was answered.
///
/// # Errors
/// See [`ReplayError`].
pub fn replay(
    engine: &Engine,
    line: &AuditLine,
    request: &SearchRequest,
    role: Role,
    key: &AuditKey,
) -> Result<Replay, ReplayError> {
    if line.route != "POST /v1/search" {
        return Err(ReplayError::NotASearch {
            seq: line.seq,
            route: line.route.clone(),
        });
    }
    let Some(logged_answer) = &line.answer_digest else {
        return Err(ReplayError::NoAnswerLogged {
            seq: line.seq,
            status: line.status,
        });
    };
    let options = request.options()?;
    let query = Query::from_raw(&request.query()?);
    if line.query_fingerprint.as_deref() != Some(&query_fingerprint(query.record(), key)) {
        return Err(ReplayError::DifferentRequest { seq: line.seq });
    }
    let answered = answer(engine, &query, options, role.sees_unmasked())?;
    Ok(Replay {
        seq: line.seq,
        same_answer: answered.resolution.digest() == *logged_answer,
        logged_model: line.model_digest.clone(),
        model: engine.model_digest().to_string(),
        logged_index_commit: line.index_commit.clone(),
        index_commit: answered.index_commit,
        logged_identities: line.result_ids.clone(),
        identities: answered
            .resolution
            .identities
            .iter()
            .map(|i| i.identity_id.clone())
            .collect(),
    })
}
