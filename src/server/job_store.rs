//! Bulk jobs kept on disk, so they outlive the server: one directory per job under the jobs
//! directory, holding the file as uploaded (`input`), what was asked and how far it got
//! (`job.json`, rewritten whole on every change of state) and the result as it is written
//! (`result.csv`, the same file `skiptrace rematch --resume` would write). A server that
//! restarts queues again every job that was queued or running; a running one resumes after
//! the last complete row of its result.
//!
//! The files hold personal data: the directory is created private (0700) and a job's files are
//! removed with the job (`DELETE /v1/jobs/{job_id}`).

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::bulk::{OutcomeCode, OutcomeCounts};
use crate::error::{Error, Result};

/// Default jobs directory, relative to the working directory.
pub const DEFAULT_JOBS_DIR: &str = "jobs";

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for the worker.
    Queued,
    /// Being matched.
    Running,
    /// Every row is in the result.
    Done,
    /// Stopped on an error (`error` says which); the rows before it are in the result.
    Failed,
}

/// What a job was asked to do, fixed at submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// The job's id.
    pub job_id: String,
    /// The key that submitted it: only it (or an admin) sees the job.
    pub key_id: String,
    /// GLBA and DPPA purpose codes.
    pub glba: String,
    /// See `glba`.
    pub dppa: String,
    /// True when the submitting role sees unmasked SSN and DOB levels.
    pub unmasked: bool,
    /// Account id column asked for.
    pub id_column: Option<String>,
    /// Column mapping overrides, `field=COLUMN`.
    pub map: Vec<String>,
    /// Encoding label given, `None` to detect.
    pub encoding: Option<String>,
    /// Probability a match needs.
    pub match_threshold: f64,
    /// Probability a review needs.
    pub review_threshold: f64,
    /// Data rows in the file.
    pub rows_total: u64,
    /// The name the file was uploaded under, if given.
    pub file_name: Option<String>,
    /// When it was submitted (RFC 3339).
    pub created_at: String,
}

/// How far a job got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobProgress {
    /// Where it stands.
    pub state: JobState,
    /// When the worker first took it.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
    /// Rows in the result (kept current on disk at every change of state).
    pub rows_done: u64,
    /// Rows per outcome code, when done.
    pub outcomes: Option<BTreeMap<String, u64>>,
    /// The encoding the file was read in.
    pub input_encoding: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A job as stored in `job.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// What was asked.
    pub spec: JobSpec,
    /// How far it got.
    pub progress: JobProgress,
}

/// A job as `GET /v1/jobs/{job_id}` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobView {
    /// The job's id.
    pub job_id: String,
    /// Where it stands.
    pub state: JobState,
    /// The name the file was uploaded under.
    pub file_name: Option<String>,
    /// Data rows in the file.
    pub rows_total: u64,
    /// Rows in the result so far.
    pub rows_done: u64,
    /// Rows matched per second since the worker (re)started it.
    pub rows_per_second: Option<f64>,
    /// Seconds left at that rate.
    pub eta_seconds: Option<f64>,
    /// Rows per outcome code (when done).
    pub outcomes: Option<BTreeMap<String, u64>>,
    /// The encoding the file was read in (`windows-1252 (detected)`).
    pub input_encoding: Option<String>,
    /// Purposes, as given.
    pub glba: String,
    /// See `glba`.
    pub dppa: String,
    /// When it was submitted.
    pub created_at: String,
    /// When the worker first took it.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Where its result is (when done).
    pub result_url: Option<String>,
}

struct Entry {
    record: JobRecord,
    /// When the worker took it in this process, and the rows already done then.
    running_since: Option<(Instant, u64)>,
}

impl Entry {
    fn view(&self) -> JobView {
        let spec = &self.record.spec;
        let progress = &self.record.progress;
        let rate = self.running_since.and_then(|(since, at_start)| {
            let seconds = since.elapsed().as_secs_f64();
            let rows = progress.rows_done.saturating_sub(at_start);
            (seconds > 0.5 && rows > 0).then(|| rows as f64 / seconds)
        });
        let running = progress.state == JobState::Running;
        JobView {
            job_id: spec.job_id.clone(),
            state: progress.state,
            file_name: spec.file_name.clone(),
            rows_total: spec.rows_total,
            rows_done: progress.rows_done,
            rows_per_second: rate.filter(|_| running).map(|r| r.round()),
            eta_seconds: rate
                .filter(|_| running)
                .map(|r| (spec.rows_total.saturating_sub(progress.rows_done) as f64 / r).ceil()),
            outcomes: progress.outcomes.clone(),
            input_encoding: progress.input_encoding.clone(),
            glba: spec.glba.clone(),
            dppa: spec.dppa.clone(),
            created_at: spec.created_at.clone(),
            started_at: progress.started_at.clone(),
            finished_at: progress.finished_at.clone(),
            error: progress.error.clone(),
            result_url: (progress.state == JobState::Done)
                .then(|| format!("/v1/jobs/{}/result", spec.job_id)),
        }
    }
}

/// The jobs of one server, on disk and in memory, with the queue the worker takes them from.
pub struct JobStore {
    dir: PathBuf,
    jobs: Mutex<BTreeMap<String, Entry>>,
    queue: Mutex<VecDeque<String>>,
    wake: Condvar,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for JobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobStore").field("dir", &self.dir).finish()
    }
}

impl JobStore {
    /// Opens (or creates) the jobs directory and queues again every job that was queued or
    /// running, oldest first.
    ///
    /// # Errors
    /// When the directory cannot be created or listed, or a `job.json` does not parse.
    pub fn open(dir: &Path) -> Result<JobStore> {
        create_private_dir(dir)?;
        let mut jobs = BTreeMap::new();
        let mut pending = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let path = entry.path().join("job.json");
            if !path.exists() {
                continue;
            }
            let parsed = std::fs::read_to_string(&path)
                .map_err(|e| Error::io(&path, e))
                .and_then(|text| Ok(serde_json::from_str::<JobRecord>(&text)?));
            let mut record = match parsed {
                Ok(record) => record,
                // One damaged job must not keep the server down; it stays on disk for a look.
                Err(error) => {
                    tracing::error!(%error, path = %path.display(), "job skipped: unreadable");
                    continue;
                }
            };
            if matches!(record.progress.state, JobState::Queued | JobState::Running) {
                record.progress.state = JobState::Queued;
                pending.push((record.spec.created_at.clone(), record.spec.job_id.clone()));
            }
            jobs.insert(
                record.spec.job_id.clone(),
                Entry {
                    record,
                    running_since: None,
                },
            );
        }
        pending.sort();
        Ok(JobStore {
            dir: dir.to_path_buf(),
            jobs: Mutex::new(jobs),
            queue: Mutex::new(pending.into_iter().map(|(_, id)| id).collect()),
            wake: Condvar::new(),
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The directory of one job.
    pub fn job_dir(&self, job_id: &str) -> PathBuf {
        self.dir.join(job_id)
    }

    /// The uploaded file of a job.
    pub fn input_path(&self, job_id: &str) -> PathBuf {
        self.job_dir(job_id).join("input")
    }

    /// The result of a job.
    pub fn result_path(&self, job_id: &str) -> PathBuf {
        self.job_dir(job_id).join("result.csv")
    }

    /// The flag that stops the worker after the batch in hand.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Stores a new job and its file, and queues it.
    ///
    /// # Errors
    /// When the files cannot be written.
    pub fn submit(&self, spec: JobSpec, file: &[u8]) -> Result<JobView> {
        let dir = self.job_dir(&spec.job_id);
        create_private_dir(&dir)?;
        let input = self.input_path(&spec.job_id);
        write_durably(&input, file)?;
        let record = JobRecord {
            spec,
            progress: JobProgress {
                state: JobState::Queued,
                started_at: None,
                finished_at: None,
                rows_done: 0,
                outcomes: None,
                input_encoding: None,
                error: None,
            },
        };
        self.persist(&record)?;
        let id = record.spec.job_id.clone();
        let entry = Entry {
            record,
            running_since: None,
        };
        let view = entry.view();
        self.lock_jobs().insert(id.clone(), entry);
        self.lock_queue().push_back(id);
        self.wake.notify_all();
        Ok(view)
    }

    /// Returns the job, when `key_id` may see it (its own, or any for `all`).
    pub fn view(&self, job_id: &str, key_id: &str, all: bool) -> Option<JobView> {
        self.lock_jobs()
            .get(job_id)
            .filter(|e| all || e.record.spec.key_id == key_id)
            .map(Entry::view)
    }

    /// Returns the spec of a job, for the worker and the result download.
    pub fn spec(&self, job_id: &str) -> Option<JobSpec> {
        self.lock_jobs().get(job_id).map(|e| e.record.spec.clone())
    }

    /// Returns the jobs `key_id` may see, newest first.
    pub fn list(&self, key_id: &str, all: bool) -> Vec<JobView> {
        let jobs = self.lock_jobs();
        let mut views: Vec<JobView> = jobs
            .values()
            .filter(|e| all || e.record.spec.key_id == key_id)
            .map(Entry::view)
            .collect();
        views.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        views
    }

    /// Removes a job that is not running, with its files; false when there is none the key may
    /// see.
    ///
    /// # Errors
    /// When the files cannot be removed, or the job is running.
    pub fn delete(&self, job_id: &str, key_id: &str, all: bool) -> Result<bool> {
        let mut jobs = self.lock_jobs();
        let Some(entry) = jobs
            .get(job_id)
            .filter(|e| all || e.record.spec.key_id == key_id)
        else {
            return Ok(false);
        };
        if entry.record.progress.state == JobState::Running {
            return Err(Error::UnusableFile(format!(
                "job {job_id} is running; delete it once it has ended"
            )));
        }
        // The files first: a job whose personal data could not be removed stays listed.
        let dir = self.job_dir(job_id);
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        jobs.remove(job_id);
        self.lock_queue().retain(|id| id != job_id);
        Ok(true)
    }

    /// Waits for the next queued job; `None` once the store is stopping.
    pub fn next(&self) -> Option<String> {
        let mut queue = self.lock_queue();
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(id) = queue.pop_front() {
                return Some(id);
            }
            queue = self
                .wake
                .wait(queue)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Stops the worker after the batch in hand; its job stays queued for the next start.
    pub fn shut_down(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let _queue = self.lock_queue();
        self.wake.notify_all();
    }

    /// Marks a job running (rows already in its result: `rows_done`).
    ///
    /// # Errors
    /// When `job.json` cannot be written.
    pub fn start(&self, job_id: &str) -> Result<()> {
        self.change(job_id, |entry| {
            let progress = &mut entry.record.progress;
            progress.state = JobState::Running;
            progress
                .started_at
                .get_or_insert_with(crate::audit::now_rfc3339);
            entry.running_since = None;
        })
    }

    /// Records rows done (in memory; on disk at the next change of state).
    pub fn advance(&self, job_id: &str, rows_done: u64) {
        if let Some(entry) = self.lock_jobs().get_mut(job_id) {
            entry.record.progress.rows_done = rows_done;
            entry
                .running_since
                .get_or_insert_with(|| (Instant::now(), rows_done));
        }
    }

    /// Records the encoding the file is read in.
    pub fn read_in(&self, job_id: &str, encoding: String) {
        if let Some(entry) = self.lock_jobs().get_mut(job_id) {
            entry.record.progress.input_encoding = Some(encoding);
        }
    }

    /// Marks a job stopped by a shutdown: queued again at the next start.
    ///
    /// # Errors
    /// When `job.json` cannot be written.
    pub fn interrupted(&self, job_id: &str) -> Result<()> {
        self.change(job_id, |entry| {
            entry.record.progress.state = JobState::Queued;
            entry.running_since = None;
        })
    }

    /// Marks a job done with its outcome counts.
    ///
    /// # Errors
    /// When `job.json` cannot be written.
    pub fn finish(&self, job_id: &str, rows: u64, outcomes: &OutcomeCounts) -> Result<()> {
        let outcomes = outcomes
            .pairs()
            .map(|(code, n)| (code.as_str().to_string(), n))
            .collect();
        self.change(job_id, |entry| {
            let progress = &mut entry.record.progress;
            progress.state = JobState::Done;
            progress.rows_done = rows;
            progress.outcomes = Some(outcomes);
            progress.finished_at = Some(crate::audit::now_rfc3339());
            entry.running_since = None;
        })
    }

    /// Marks a job failed.
    ///
    /// # Errors
    /// When `job.json` cannot be written.
    pub fn fail(&self, job_id: &str, error: String) -> Result<()> {
        self.change(job_id, |entry| {
            let progress = &mut entry.record.progress;
            progress.state = JobState::Failed;
            progress.error = Some(error);
            progress.finished_at = Some(crate::audit::now_rfc3339());
            entry.running_since = None;
        })
    }

    fn change(&self, job_id: &str, edit: impl FnOnce(&mut Entry)) -> Result<()> {
        let record = {
            let mut jobs = self.lock_jobs();
            let Some(entry) = jobs.get_mut(job_id) else {
                return Ok(());
            };
            edit(entry);
            entry.record.clone()
        };
        self.persist(&record)
    }

    fn persist(&self, record: &JobRecord) -> Result<()> {
        let path = self.job_dir(&record.spec.job_id).join("job.json");
        let bytes = serde_json::to_vec_pretty(record)?;
        let temporary = path.with_extension("json.tmp");
        write_durably(&temporary, &bytes)?;
        std::fs::rename(&temporary, &path).map_err(|e| Error::io(&path, e))?;
        sync_dir(&self.job_dir(&record.spec.job_id))
    }

    fn lock_jobs(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, VecDeque<String>> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Counts the outcome codes of a finished result file (every row, resumed ones included).
///
/// # Errors
/// When the file cannot be read.
pub fn count_outcomes(result: &Path) -> Result<(u64, OutcomeCounts)> {
    let mut reader = csv::Reader::from_path(result)?;
    let column = reader
        .headers()?
        .iter()
        .enumerate()
        .filter(|(_, h)| *h == "outcome_code")
        .map(|(i, _)| i)
        .last();
    let mut counts = OutcomeCounts::default();
    let mut rows = 0;
    for record in reader.records() {
        let record = record?;
        rows += 1;
        if let Some(code) = column
            .and_then(|c| record.get(c))
            .and_then(OutcomeCode::from_name)
        {
            counts.count(code);
        }
    }
    Ok((rows, counts))
}

/// Syncs a directory, so the files created or renamed in it survive a crash.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| Error::io(dir, e))
}

fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(path, e))
}
