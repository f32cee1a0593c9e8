//! `skiptrace keys`: makes, lists and revokes the API keys of `skiptrace serve`. The key file
//! holds salted hashes only; a new key is printed once and cannot be shown again.

use std::path::PathBuf;

use anyhow::Context;
use skiptrace::access::{KeyFileLock, KeyStore, Role};

/// Flags of `skiptrace keys`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace keys add --role searcher --name 'collections desk'\n  skiptrace keys list\n  skiptrace keys revoke 3f9a1c0b7d2e\n\n\
Roles: searcher (POST /v1/search), loader (POST/GET/DELETE /v1/records), admin (everything, and\n\
unmasked SSN and DOB). A running server picks up changes to the key file on the next request."
)]
pub struct Args {
    /// Key file.
    #[arg(long, global = true, env = "SKIPTRACE_KEYS", default_value = skiptrace::access::DEFAULT_KEYS_FILE)]
    pub keys: PathBuf,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Make a key and print it (once).
    Add {
        /// searcher, loader or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Who or what the key is for.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List keys: id, role, name, created, revoked (never a secret).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by id; it is refused from the next request on.
    Revoke {
        /// The key id (the middle part of stk_<key_id>_<secret>).
        key_id: String,
    },
}

fn parse_role(name: &str) -> Result<Role, String> {
    Role::from_name(name).ok_or_else(|| format!("unknown role {name:?}: searcher, loader or admin"))
}

/// Runs `skiptrace keys`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let path = &args.keys;
    match args.command {
        KeysCommand::Add { role, name } => {
            let _lock = KeyFileLock::acquire(path)?;
            let mut store = KeyStore::load_or_new(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let new = store.add(role, &name);
            store
                .save(path)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "added {role} key {} to {}; it is shown once, store it now:",
                new.key_id,
                path.display()
            );
            println!("{}", new.key);
        }
        KeysCommand::List { json } => {
            let store =
                KeyStore::load(path).with_context(|| format!("reading {}", path.display()))?;
            if json {
                let listed: Vec<serde_json::Value> = store
                    .keys()
                    .iter()
                    .map(|k| {
                        serde_json::json!({
                            "key_id": k.key_id,
                            "name": k.name,
                            "role": k.role,
                            "created_at": k.created_at,
                            "revoked_at": k.revoked_at,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&listed)?);
                return Ok(());
            }
            println!(
                "{:<14} {:<9} {:<25} {:<25} name",
                "key_id", "role", "created", "revoked"
            );
            for key in store.keys() {
                println!(
                    "{:<14} {:<9} {:<25} {:<25} {}",
                    key.key_id,
                    key.role.as_str(),
                    key.created_at,
                    key.revoked_at.as_deref().unwrap_or("-"),
                    key.name
                );
            }
        }
        KeysCommand::Revoke { key_id } => {
            let _lock = KeyFileLock::acquire(path)?;
            let mut store =
                KeyStore::load(path).with_context(|| format!("reading {}", path.display()))?;
            if !store.revoke(&key_id) {
                anyhow::bail!("no key {key_id} in {}", path.display());
            }
            store
                .save(path)
                .with_context(|| format!("writing {}", path.display()))?;
            println!("revoked {key_id}");
        }
    }
    Ok(())
}
