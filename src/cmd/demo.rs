//! `skiptrace demo`: the first run on a fresh machine. Generates a demo population (cached),
//! indexes it, and shows a search for a debtor from the demo's returned-mail file.

use std::path::{Path, PathBuf};

use anyhow::Context;
use skiptrace::access::{KeyStore, Role};
use skiptrace::input::{MappingOverrides, RecordReader};
use skiptrace::record::Field;
use skiptrace::resolve::{ContactKind, ContactStatus, Resolution, ResolutionStatus};
use skiptrace::search::{Engine, Query, SearchOptions, SearchOutcome};
use skiptrace::synth::config::SynthConfig;
use skiptrace::synth::generate;

/// People in the demo population (about four source records each).
pub const DEMO_PEOPLE: usize = 60_000;

/// Seed of the demo population, so every first run shows the same data.
pub const DEMO_SEED: u64 = 2026;

/// Name of the demo's API key in its key file.
const DEMO_KEY_NAME: &str = "demo";

/// Flags of `skiptrace demo`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  cargo run --release -- demo\n\n\
The first run generates demo-data/ and index/ (about a minute); later runs reuse them.")]
pub struct Args {
    /// Where the demo population is generated (reused when present).
    #[arg(long, default_value = "demo-data")]
    pub data: PathBuf,
    /// Index directory.
    #[arg(long, env = "SKIPTRACE_INDEX", default_value = skiptrace::index::DEFAULT_INDEX_DIR)]
    pub index: PathBuf,
    /// People in the generated population.
    #[arg(long, default_value_t = DEMO_PEOPLE)]
    pub people: usize,
    /// Address the demo server listens on.
    #[arg(long, default_value = skiptrace::server::DEFAULT_ADDR)]
    pub addr: std::net::SocketAddr,
    /// Prepare and show the search, but do not start the server.
    #[arg(long)]
    pub no_serve: bool,
}

/// Runs `skiptrace demo`.
pub fn run(args: Args) -> anyhow::Result<()> {
    ensure_population(&args.data, args.people)?;
    let index = super::index_synth_folder(&args.index, &args.data)?;
    let engine = Engine::new(index, skiptrace::score::Model::default_model());
    let (example, body, resolution) = find_example(&engine, &args.data)?;
    drop(engine);
    println!(
        "\nA debtor from {}/returned_mail.csv, as the creditor has them:",
        args.data.display()
    );
    println!("  {example}\n");
    super::search::print_resolution(&resolution, false);
    println!();
    println!(
        "Search it yourself:\n  cargo run --release -- search --index {} {example}\n",
        args.index.display()
    );
    println!("Measure match quality on the demo data:\n  cargo run --release -- eval --synth {} --index {}", args.data.display(), args.index.display());
    if args.no_serve {
        return Ok(());
    }
    let keys_path = args.data.join("keys.json");
    let key = demo_key(&keys_path)?;
    println!(
        "\nServing http://{} (Ctrl-C stops it). Demo key (role admin, shown once):\n  {key}\n",
        args.addr
    );
    println!(
        "The collectors' page: open http://{}/ in a browser and sign in with the key.\n",
        args.addr
    );
    println!("Try it:\n  curl -s http://{}/v1/search -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n    -d '{body}'\n", args.addr);
    let config = skiptrace::server::ServerConfig {
        index_dir: args.index,
        keys_path,
        audit_path: args.data.join("audit.jsonl"),
        jobs_dir: args.data.join("jobs"),
        addr: args.addr,
        ..skiptrace::server::ServerConfig::default()
    };
    super::serve::serve_until_signal(config)
}

/// Revokes earlier demo keys and adds a fresh one (its secret is only known at creation).
fn demo_key(path: &Path) -> anyhow::Result<String> {
    let mut store = KeyStore::load_or_new(path)?;
    let old: Vec<String> = store
        .keys()
        .iter()
        .filter(|k| k.name == DEMO_KEY_NAME && k.revoked_at.is_none())
        .map(|k| k.key_id.clone())
        .collect();
    for key_id in old {
        store.revoke(&key_id);
    }
    let key = store.add(Role::Admin, DEMO_KEY_NAME);
    store.save(path)?;
    Ok(key.key)
}

fn ensure_population(dir: &Path, people: usize) -> anyhow::Result<()> {
    if dir.join("records.csv").exists() && dir.join("returned_mail.csv").exists() {
        eprintln!("reusing the demo population in {}", dir.display());
        return Ok(());
    }
    eprintln!(
        "generating a demo population of {people} people in {} ...",
        dir.display()
    );
    let config = SynthConfig {
        people,
        seed: DEMO_SEED,
        ..SynthConfig::default()
    };
    generate(&config, dir).with_context(|| format!("generating {}", dir.display()))?;
    Ok(())
}

/// Returns the search flags of the first returned-mail debtor who resolves to someone with a
/// new address, and that search's (masked) resolution.
fn find_example(engine: &Engine, data: &Path) -> anyhow::Result<(String, String, Resolution)> {
    let reader = RecordReader::open(
        &data.join("returned_mail.csv"),
        &MappingOverrides::default(),
    )?;
    for row in reader.take(2_000) {
        let query = Query::from_raw(&row.raw);
        let Ok(SearchOutcome { mut resolution, .. }) =
            engine.search(&query, &SearchOptions::default())
        else {
            continue;
        };
        let has_new_address = resolution.identities.first().is_some_and(|i| {
            i.best_contact(ContactKind::Address)
                .is_some_and(|a| a.status == Some(ContactStatus::New))
        });
        if resolution.status == ResolutionStatus::Resolved && has_new_address {
            let flags = [
                ("--first", Field::FirstName),
                ("--last", Field::LastName),
                ("--dob", Field::Dob),
                ("--ssn", Field::Ssn),
                ("--address", Field::AddressLine1),
                ("--address2", Field::AddressLine2),
                ("--city", Field::City),
                ("--state", Field::State),
                ("--zip", Field::Zip),
                ("--phone", Field::Phone),
                ("--other-phone", Field::OtherPhones),
                ("--email", Field::Email),
                ("--return-reason", Field::ReturnReason),
                ("--on-file-date", Field::OnFileDate),
            ];
            let text: Vec<String> = flags
                .iter()
                .filter(|(_, field)| !row.raw.get(*field).is_empty())
                .map(|(flag, field)| format!("{flag} '{}'", row.raw.get(*field)))
                .collect();
            let mut body = serde_json::Map::new();
            for (_, field) in flags {
                let value = row.raw.get(field);
                if !value.is_empty() {
                    body.insert(field.name().to_string(), value.into());
                }
            }
            body.insert(
                "permissible_purpose".into(),
                serde_json::json!({"glba": "consumer_authorized", "dppa": "debt_recovery"}),
            );
            skiptrace::mask::mask_resolution(&mut resolution, engine.model());
            let body = serde_json::Value::Object(body).to_string();
            return Ok((text.join(" "), body, resolution));
        }
    }
    anyhow::bail!(
        "no demo debtor resolved; is the index built from {}?",
        data.display()
    )
}
