//! `skiptrace search`: finds one debtor and prints ranked identities with their explanation and
//! contact points.

use std::path::PathBuf;

use anyhow::Context;
use skiptrace::index::SkipIndex;
use skiptrace::mask::{dob_text, ssn_text};
use skiptrace::record::{Field, RawRecord};
use skiptrace::resolve::{ContactKind, ContactPoint, Resolution};
use skiptrace::search::{Engine, Query, SearchOptions};

/// Flags of `skiptrace search`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace search --first Jon --last Smith --dob 1984-05-12 --ssn 6789 \\\n      --address '12 Main St' --city Springfield --state IL --zip 62704\n\n\
SSN and DOB are masked in the output unless --unmasked is given. The address, phones and email\n\
given are the ones on file: each takes its place in the ranking, and the best current contact of\n\
each kind is marked new, confirmed (the one on file is still the best) or corrected (the one on\n\
file with its unit, ZIP or spelling fixed). --return-reason and --phone-bad mark the ones on file\n\
as bad: they are never confirmed."
)]
pub struct Args {
    /// Index directory.
    #[arg(long, env = "SKIPTRACE_INDEX", default_value = skiptrace::index::DEFAULT_INDEX_DIR)]
    pub index: PathBuf,
    /// Model file (default: the shipped model).
    #[arg(long, env = "SKIPTRACE_MODEL")]
    pub model: Option<PathBuf>,
    /// Given name.
    #[arg(long)]
    pub first: Option<String>,
    /// Middle name or initial.
    #[arg(long)]
    pub middle: Option<String>,
    /// Surname.
    #[arg(long)]
    pub last: Option<String>,
    /// Generational suffix (Jr, Sr, III).
    #[arg(long)]
    pub suffix: Option<String>,
    /// Full name in one field, instead of the parts ("SMITH, JOHN A").
    #[arg(long)]
    pub name: Option<String>,
    /// Date of birth (ISO, MM/DD/YYYY, YYYYMMDD, or a year).
    #[arg(long)]
    pub dob: Option<String>,
    /// SSN, 9 digits or the last 4.
    #[arg(long)]
    pub ssn: Option<String>,
    /// Street line of the last known address.
    #[arg(long)]
    pub address: Option<String>,
    /// Unit line of the last known address.
    #[arg(long)]
    pub address2: Option<String>,
    /// City.
    #[arg(long)]
    pub city: Option<String>,
    /// State.
    #[arg(long)]
    pub state: Option<String>,
    /// ZIP or ZIP+4.
    #[arg(long)]
    pub zip: Option<String>,
    /// Last known phone.
    #[arg(long)]
    pub phone: Option<String>,
    /// Another phone on file (repeatable).
    #[arg(long = "other-phone", value_name = "PHONE")]
    pub other_phones: Vec<String>,
    /// Why mail to the address came back (`INSUFFICIENT ADDRESS`, `MOVED LEFT NO ADDRESS`) or
    /// `Y`: the address on file is never confirmed; an incomplete one asks for its correction.
    #[arg(long)]
    pub return_reason: Option<String>,
    /// The phones on file are disconnected or wrong (`Y`): never confirmed.
    #[arg(long)]
    pub phone_bad: Option<String>,
    /// The date the contacts on file were known good (the account's open date): a contact last
    /// seen before it is never offered as best.
    #[arg(long)]
    pub on_file_date: Option<String>,
    /// Email.
    #[arg(long)]
    pub email: Option<String>,
    /// Identities shown at most.
    #[arg(long, default_value_t = skiptrace::search::DEFAULT_LIMIT)]
    pub limit: usize,
    /// Print the full resolution as JSON.
    #[arg(long)]
    pub json: bool,
    /// Show full SSN and DOB (only for callers allowed to see them).
    #[arg(long)]
    pub unmasked: bool,
}

impl Args {
    fn query(&self) -> RawRecord {
        let mut raw = RawRecord::new().with(Field::RecordId, "query");
        let pairs = [
            (Field::FirstName, &self.first),
            (Field::MiddleName, &self.middle),
            (Field::LastName, &self.last),
            (Field::NameSuffix, &self.suffix),
            (Field::FullName, &self.name),
            (Field::Dob, &self.dob),
            (Field::Ssn, &self.ssn),
            (Field::AddressLine1, &self.address),
            (Field::AddressLine2, &self.address2),
            (Field::City, &self.city),
            (Field::State, &self.state),
            (Field::Zip, &self.zip),
            (Field::Phone, &self.phone),
            (Field::Email, &self.email),
            (Field::ReturnReason, &self.return_reason),
            (Field::PhoneBad, &self.phone_bad),
            (Field::OnFileDate, &self.on_file_date),
        ];
        for (field, value) in pairs {
            if let Some(value) = value {
                raw.set(field, value);
            }
        }
        for phone in &self.other_phones {
            raw.append(Field::OtherPhones, phone);
        }
        raw
    }
}

/// Runs `skiptrace search`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let index = SkipIndex::open(&args.index)
        .with_context(|| format!("opening index {}", args.index.display()))?;
    let model = super::load_model(args.model.as_deref())?;
    let engine = Engine::new(index, model);
    let options = SearchOptions {
        limit: args.limit,
        ..SearchOptions::default()
    };
    let started = std::time::Instant::now();
    let mut resolution = engine
        .search(&Query::from_raw(&args.query()), &options)?
        .resolution;
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    if !args.unmasked {
        skiptrace::mask::mask_resolution(&mut resolution, engine.model());
    }
    if args.json {
        // The API's JSON: dates as ISO strings, SSN and DOB masked unless --unmasked.
        let response = skiptrace::server::SearchResponse::of(&resolution, args.unmasked, took_ms);
        println!("{}", serde_json::to_string_pretty(&response)?);
        return Ok(());
    }
    print_resolution(&resolution, args.unmasked);
    println!(
        "({} candidates scored in {took_ms:.1} ms)",
        resolution.candidates_scored
    );
    Ok(())
}

/// Returns the tag printed after a contact point: the best one's status, and whether the query
/// has it on file or marks it bad.
fn contact_tag(point: &ContactPoint) -> String {
    let mut tags = Vec::new();
    if let Some(status) = point.status {
        tags.push(format!("BEST: {}", status.as_str()));
    }
    if point.marked_bad {
        tags.push("on file, marked bad".to_string());
    } else if point.on_file && point.status.is_none() {
        tags.push("on file".to_string());
    }
    if let Some(line_type) = point.phone_type {
        tags.push(line_type.as_str().to_string());
    }
    if tags.is_empty() {
        String::new()
    } else {
        format!("  [{}]", tags.join("; "))
    }
}

/// Prints a resolution for a terminal.
pub fn print_resolution(resolution: &Resolution, unmasked: bool) {
    println!("resolution: {}", resolution.status.as_str());
    if resolution.identities.is_empty() {
        println!("no identity found");
    }
    for (rank, identity) in resolution.identities.iter().enumerate() {
        println!();
        println!(
            "#{} identity {}  probability {:.4}  band {}  ({} records)",
            rank + 1,
            identity.identity_id,
            identity.match_probability,
            identity.band.as_str(),
            identity.records.len()
        );
        println!("   names: {}", identity.names.join(" | "));
        let dob = identity.dob.map(|d| dob_text(d, unmasked));
        let ssn = identity.ssn.as_ref().map(|s| ssn_text(s, unmasked));
        println!(
            "   dob: {}   ssn: {}",
            dob.unwrap_or_default(),
            ssn.unwrap_or_default()
        );
        if !identity.flags.is_empty() {
            let flags: Vec<&str> = identity.flags.iter().map(|f| f.as_str()).collect();
            println!("   flags: {}", flags.join(", "));
        }
        println!("   why:");
        for field in identity
            .explanation
            .iter()
            .filter(|e| e.level != skiptrace::compare::NOT_SUPPLIED)
        {
            println!(
                "     {:<12} {:<24} {:+6.1}",
                field.comparison.name(),
                field.level,
                field.match_weight
            );
        }
        for kind in [ContactKind::Address, ContactKind::Phone, ContactKind::Email] {
            let points: Vec<_> = identity
                .contacts
                .iter()
                .filter(|p| p.kind == kind)
                .collect();
            if points.is_empty() {
                continue;
            }
            println!(
                "   {}:",
                match kind {
                    ContactKind::Address => "addresses",
                    ContactKind::Phone => "phones",
                    ContactKind::Email => "emails",
                }
            );
            for point in points {
                println!(
                    "     {:<46} conf {:.2}  last seen {}  sources {}{}",
                    point.value,
                    point.confidence,
                    point
                        .last_seen
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "-".into()),
                    point.sources.join("+"),
                    contact_tag(point)
                );
            }
        }
    }
}
