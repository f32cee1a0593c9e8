//! API keys and roles: who may call the HTTP API, and what each caller may do (docs/domain.md §6:
//! credentialed users only, roles, least privilege).
//!
//! Compliance, not matching. A key is `stk_<key_id>_<secret>`, with a 256-bit random secret
//! shown once when the key is made. The key file (JSON, managed by the operator with `skiptrace
//! keys`) holds, per key, its id, name, role, a random salt and SHA-256(salt ‖ secret): never
//! the secret. A fast hash is right here: the secret is 256 random bits, so there is nothing to
//! brute-force and no need for a slow password hash (argon2 or bcrypt would add tens of
//! milliseconds to every request for no gain). Digests are compared in constant time.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::audit::now_rfc3339;
use crate::error::{Error, Result};

/// Default key file, relative to the working directory.
pub const DEFAULT_KEYS_FILE: &str = "keys.json";

/// Prefix of every key.
pub const KEY_PREFIX: &str = "stk";

/// Random bytes in a key's secret (256 bits).
pub const SECRET_BYTES: usize = 32;

/// Random bytes in a key id (shown in logs; not secret).
pub const KEY_ID_BYTES: usize = 6;

/// Random bytes of salt per key.
pub const SALT_BYTES: usize = 16;

/// Version of the key file layout.
const KEY_FILE_VERSION: u32 = 1;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Searches only; sees SSN and DOB masked.
    Searcher,
    /// Adds, reads and deletes records; sees SSN and DOB masked.
    Loader,
    /// Everything, and sees SSN and DOB unmasked.
    Admin,
}

/// One thing a route needs the caller to be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Search for a debtor.
    Search,
    /// Read one record.
    ReadRecords,
    /// Upsert or delete records.
    WriteRecords,
    /// Report collection outcomes on contacts (collectors search, loaders load dispositions).
    ReportOutcomes,
    /// Anything not listed above (default deny for every other role).
    Administer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Searcher, Role::Loader, Role::Admin];

    /// Returns the snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Searcher => "searcher",
            Role::Loader => "loader",
            Role::Admin => "admin",
        }
    }

    /// Returns the role named `name`.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// True when the role grants `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::Searcher => matches!(permission, Permission::Search | Permission::ReportOutcomes),
            Role::Loader => matches!(
                permission,
                Permission::ReadRecords | Permission::WriteRecords | Permission::ReportOutcomes
            ),
        }
    }

    /// True when the role may see full SSNs and dates of birth (docs/domain.md §6, masking).
    pub fn sees_unmasked(self) -> bool {
        self == Role::Admin
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One key as stored: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    /// Public identifier, the middle part of the key; logged instead of the key.
    pub key_id: String,
    /// Who or what the key is for.
    pub name: String,
    /// What the key may do.
    pub role: Role,
    /// Random salt, hex.
    pub salt: String,
    /// SHA-256(salt ‖ secret), hex.
    pub hash: String,
    /// When the key was made (RFC 3339, UTC).
    pub created_at: String,
    /// When the key was revoked, if it was.
    #[serde(default)]
    pub revoked_at: Option<String>,
}

/// A key just made: the only moment its secret exists outside the caller's hands.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Its public id.
    pub key_id: String,
    /// The full key to hand to the caller: `stk_<key_id>_<secret>`.
    pub key: String,
}

/// The result of checking a presented key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    /// A valid, live key.
    Valid {
        /// Its id.
        key_id: String,
        /// Its role.
        role: Role,
    },
    /// A key that was valid and has been revoked.
    Revoked {
        /// Its id.
        key_id: String,
    },
    /// Not a key of this store (unknown id, wrong secret or not shaped like a key).
    Unknown,
}

/// Why a key file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Not JSON of the key file's shape.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// Written by another version of skiptrace.
    #[error("version {0} (this skiptrace reads version {KEY_FILE_VERSION})")]
    Version(u32),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeyFile {
    version: u32,
    keys: Vec<StoredKey>,
}

/// The keys of one key file.
#[derive(Debug, Clone, Default)]
pub struct KeyStore {
    keys: Vec<StoredKey>,
}

impl KeyStore {
    /// Returns an empty store.
    pub fn new() -> KeyStore {
        KeyStore::default()
    }

    /// Reads a key file.
    ///
    /// # Errors
    /// [`Error::KeyFile`] when the file cannot be read or is not a key file.
    pub fn load(path: &Path) -> Result<KeyStore> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        KeyStore::from_json(&text).map_err(|source| Error::KeyFile {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a key file, or returns an empty store when there is none yet.
    ///
    /// # Errors
    /// As [`KeyStore::load`], except for a missing file.
    pub fn load_or_new(path: &Path) -> Result<KeyStore> {
        if path.exists() {
            KeyStore::load(path)
        } else {
            Ok(KeyStore::new())
        }
    }

    fn from_json(text: &str) -> std::result::Result<KeyStore, KeyFileError> {
        let file: KeyFile = serde_json::from_str(text)?;
        if file.version != KEY_FILE_VERSION {
            return Err(KeyFileError::Version(file.version));
        }
        Ok(KeyStore { keys: file.keys })
    }

    fn to_json(&self) -> String {
        let file = KeyFile {
            version: KEY_FILE_VERSION,
            keys: self.keys.clone(),
        };
        serde_json::to_string_pretty(&file).expect("key file serializes")
    }

    /// Writes the store to `path` atomically (a temporary file renamed over it), readable by
    /// its owner only on Unix.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        let temporary = path.with_extension("json.tmp");
        write_private(&temporary, self.to_json().as_bytes())
            .map_err(|e| Error::io(&temporary, e))?;
        std::fs::rename(&temporary, path).map_err(|e| Error::io(path, e))
    }

    /// Returns every key, revoked ones included (no secrets are stored).
    pub fn keys(&self) -> &[StoredKey] {
        &self.keys
    }

    /// Makes a key with `role`, stores its salted hash and returns it. The secret comes from the
    /// thread-local CSPRNG (ChaCha seeded by the operating system).
    pub fn add(&mut self, role: Role, name: &str) -> NewKey {
        let mut rng = rand::rng();
        let key_id = loop {
            let candidate = random_hex(&mut rng, KEY_ID_BYTES);
            if self.find(&candidate).is_none() {
                break candidate;
            }
        };
        let secret = random_hex(&mut rng, SECRET_BYTES);
        let salt = random_hex(&mut rng, SALT_BYTES);
        self.keys.push(StoredKey {
            key_id: key_id.clone(),
            name: name.to_string(),
            role,
            hash: digest_hex(&salt, &secret),
            salt,
            created_at: now_rfc3339(),
            revoked_at: None,
        });
        NewKey {
            key: format!("{KEY_PREFIX}_{key_id}_{secret}"),
            key_id,
        }
    }

    /// Revokes a key; returns false when no key has that id. Revoking twice keeps the first
    /// revocation time.
    pub fn revoke(&mut self, key_id: &str) -> bool {
        let Some(key) = self.keys.iter_mut().find(|k| k.key_id == key_id) else {
            return false;
        };
        key.revoked_at.get_or_insert_with(now_rfc3339);
        true
    }

    /// Returns the key with `key_id`.
    pub fn find(&self, key_id: &str) -> Option<&StoredKey> {
        self.keys.iter().find(|k| k.key_id == key_id)
    }

    /// Checks a presented key.
    pub fn authenticate(&self, presented: &str) -> Authentication {
        let Some((key_id, secret)) = split_key(presented) else {
            return Authentication::Unknown;
        };
        let Some(stored) = self.find(key_id) else {
            return Authentication::Unknown;
        };
        let (Ok(expected), Ok(salt)) = (hex::decode(&stored.hash), hex::decode(&stored.salt))
        else {
            return Authentication::Unknown;
        };
        let actual = digest(&salt, secret);
        if !bool::from(actual.as_slice().ct_eq(expected.as_slice())) {
            return Authentication::Unknown;
        }
        if stored.revoked_at.is_some() {
            return Authentication::Revoked {
                key_id: stored.key_id.clone(),
            };
        }
        Authentication::Valid {
            key_id: stored.key_id.clone(),
            role: stored.role,
        }
    }
}

/// Returns the key id a presented key claims (not proof of anything), for logging failures.
pub fn claimed_key_id(presented: &str) -> Option<&str> {
    split_key(presented).map(|(key_id, _)| key_id)
}

/// Splits `stk_<key_id>_<secret>`; ids are hex, so the first two underscores delimit.
fn split_key(presented: &str) -> Option<(&str, &str)> {
    let mut parts = presented.trim().splitn(3, '_');
    let (prefix, key_id, secret) = (parts.next()?, parts.next()?, parts.next()?);
    let well_formed = prefix == KEY_PREFIX
        && key_id.len() == 2 * KEY_ID_BYTES
        && key_id.bytes().all(|b| b.is_ascii_hexdigit())
        && !secret.is_empty();
    well_formed.then_some((key_id, secret))
}

fn digest(salt: &[u8], secret: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(secret.as_bytes());
    hasher.finalize().into()
}

fn digest_hex(salt_hex: &str, secret: &str) -> String {
    let salt = hex::decode(salt_hex).expect("salt was made as hex");
    hex::encode(digest(&salt, secret))
}

fn random_hex(rng: &mut impl RngCore, bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rng.fill_bytes(&mut buffer);
    hex::encode(buffer)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// An exclusive lock on a key file for one read-modify-write (`keys add`, `keys revoke`), held
/// on `<file>.lock` until dropped: two edits at once would otherwise each save their own copy
/// and one key would be lost.
#[derive(Debug)]
pub struct KeyFileLock {
    _file: std::fs::File,
}

impl KeyFileLock {
    /// Waits for and takes the lock of the key file at `path`.
    ///
    /// # Errors
    /// When the lock file cannot be created or locked.
    pub fn acquire(path: &Path) -> Result<KeyFileLock> {
        let mut name = path.as_os_str().to_owned();
        name.push(".lock");
        let lock_path = PathBuf::from(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        file.lock().map_err(|e| Error::io(&lock_path, e))?;
        Ok(KeyFileLock { _file: file })
    }
}

/// A key file watched for changes: the server re-reads it when its modification time or size
/// changes, so `skiptrace keys revoke` takes effect on the next request without a restart.
#[derive(Debug)]
pub struct KeyFileWatch {
    path: PathBuf,
    state: RwLock<Watched>,
}

#[derive(Debug)]
struct Watched {
    stamp: Option<(SystemTime, u64)>,
    store: KeyStore,
    /// Why the file as it now stands cannot be used (no key is accepted meanwhile).
    broken: Option<String>,
}

impl KeyFileWatch {
    /// Loads the key file.
    ///
    /// # Errors
    /// As [`KeyStore::load`]; a missing file is an error here (a server without keys would
    /// refuse every call).
    pub fn open(path: &Path) -> Result<KeyFileWatch> {
        let store = KeyStore::load(path)?;
        Ok(KeyFileWatch {
            path: path.to_path_buf(),
            state: RwLock::new(Watched {
                stamp: stamp(path),
                store,
                broken: None,
            }),
        })
    }

    /// Returns the watched path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the number of live (unrevoked) keys.
    pub fn live_keys(&self) -> usize {
        self.refresh();
        self.state.read().map_or(0, |s| {
            s.store
                .keys()
                .iter()
                .filter(|k| k.revoked_at.is_none())
                .count()
        })
    }

    /// Returns the current role of the key `key_id`, `None` when it is revoked or gone (or the
    /// file is unusable).
    pub fn live_role(&self, key_id: &str) -> Option<Role> {
        self.refresh();
        let state = self.state.read().ok()?;
        if state.broken.is_some() {
            return None;
        }
        state
            .store
            .find(key_id)
            .filter(|k| k.revoked_at.is_none())
            .map(|k| k.role)
    }

    /// Checks a presented key against the current file.
    pub fn authenticate(&self, presented: &str) -> Authentication {
        self.refresh();
        match self.state.read() {
            Ok(state) => state.store.authenticate(presented),
            Err(_) => Authentication::Unknown,
        }
    }

    /// Returns why the key file cannot be used, when it cannot (it vanished or no longer
    /// parses): every key is refused until it is fixed, and the server reports not ready.
    pub fn problem(&self) -> Option<String> {
        self.refresh();
        self.state
            .read()
            .map_or_else(|_| Some("key state poisoned".into()), |s| s.broken.clone())
    }

    /// Re-reads the file when it changed. A file that vanished or no longer parses refuses
    /// every key (fail closed): keeping the keys last read would keep alive a key an operator
    /// removed by hand in the same edit that broke the file.
    fn refresh(&self) {
        let current = stamp(&self.path);
        let unchanged = self.state.read().is_ok_and(|s| s.stamp == current);
        if unchanged {
            return;
        }
        let Ok(mut state) = self.state.write() else {
            return;
        };
        state.stamp = current;
        if current.is_none() {
            tracing::error!(path = %self.path.display(), "key file vanished: refusing every key");
            state.store = KeyStore::new();
            state.broken = Some(format!("key file {} vanished", self.path.display()));
            return;
        }
        match KeyStore::load(&self.path) {
            Ok(store) => {
                tracing::info!(path = %self.path.display(), keys = store.keys().len(), "key file reloaded");
                state.store = store;
                state.broken = None;
            }
            Err(error) => {
                tracing::error!(%error, "key file changed but cannot be read: refusing every key until it is fixed");
                state.store = KeyStore::new();
                state.broken = Some(error.to_string());
            }
        }
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_authenticates_with_its_role_and_the_store_keeps_no_secret() {
        let mut store = KeyStore::new();
        let new = store.add(Role::Searcher, "collector desk");
        assert!(new.key.starts_with(&format!("stk_{}_", new.key_id)));
        let secret = new.key.rsplit('_').next().expect("secret");
        assert_eq!(secret.len(), 2 * SECRET_BYTES, "256-bit secret in hex");
        assert_eq!(
            store.authenticate(&new.key),
            Authentication::Valid {
                key_id: new.key_id.clone(),
                role: Role::Searcher
            }
        );
        assert!(
            !store.to_json().contains(secret),
            "only the salted hash is stored"
        );
    }

    #[test]
    fn a_wrong_secret_an_unknown_id_or_junk_is_unknown() {
        let mut store = KeyStore::new();
        let new = store.add(Role::Admin, "ops");
        let mut tampered = new.key.clone();
        let last = tampered.pop().expect("non-empty");
        tampered.push(if last == '0' { '1' } else { '0' });
        assert_eq!(store.authenticate(&tampered), Authentication::Unknown);
        let other = KeyStore::new().add(Role::Admin, "elsewhere");
        assert_eq!(store.authenticate(&other.key), Authentication::Unknown);
        for junk in [
            "",
            "stk",
            "stk__",
            "Bearer x",
            "stk_zzzzzzzzzzzz_abc",
            "sk_0123456789ab_x",
        ] {
            assert_eq!(
                store.authenticate(junk),
                Authentication::Unknown,
                "{junk:?}"
            );
        }
    }

    #[test]
    fn a_revoked_key_is_reported_as_revoked() {
        let mut store = KeyStore::new();
        let new = store.add(Role::Loader, "nightly load");
        assert!(store.revoke(&new.key_id));
        assert!(!store.revoke("000000000000"));
        assert_eq!(
            store.authenticate(&new.key),
            Authentication::Revoked { key_id: new.key_id }
        );
    }

    #[test]
    fn the_key_file_round_trips() {
        let mut store = KeyStore::new();
        let new = store.add(Role::Admin, "ops");
        let reread = KeyStore::from_json(&store.to_json()).expect("parses");
        assert_eq!(reread.keys(), store.keys());
        assert!(matches!(
            reread.authenticate(&new.key),
            Authentication::Valid { .. }
        ));
        let error = KeyStore::from_json("{\"version\": 9, \"keys\": []}").expect_err("version");
        assert!(matches!(error, KeyFileError::Version(9)), "{error}");
        let error = KeyStore::from_json("not json").expect_err("not JSON");
        assert!(matches!(error, KeyFileError::Json(_)), "{error}");
    }

    #[test]
    fn roles_grant_least_privilege() {
        use Permission::*;
        assert!(Role::Searcher.allows(Search));
        assert!(!Role::Searcher.allows(ReadRecords) && !Role::Searcher.allows(WriteRecords));
        assert!(!Role::Loader.allows(Search));
        assert!(Role::Loader.allows(ReadRecords) && Role::Loader.allows(WriteRecords));
        assert!(!Role::Searcher.allows(Administer) && !Role::Loader.allows(Administer));
        for permission in [Search, ReadRecords, WriteRecords, Administer] {
            assert!(Role::Admin.allows(permission));
        }
        assert!(Role::Admin.sees_unmasked());
        assert!(!Role::Searcher.sees_unmasked() && !Role::Loader.sees_unmasked());
        assert_eq!(Role::from_name("loader"), Some(Role::Loader));
        assert_eq!(Role::from_name("root"), None);
    }

    #[test]
    fn the_claimed_key_id_is_read_without_trusting_it() {
        assert_eq!(
            claimed_key_id("stk_0123456789ab_secret"),
            Some("0123456789ab")
        );
        assert_eq!(claimed_key_id("nonsense"), None);
    }
}
