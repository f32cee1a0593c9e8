//! skiptrace finds lost debtors.
//!
//! A creditor knows a name (perhaps misspelt or changed by marriage), a date of birth, a full or
//! partial SSN, a stale address and an old phone. skiptrace finds the same person among records
//! gathered from many sources and says where that person can be reached now, and how sure it is.
//!
//! The flow: source rows are read and mapped onto canonical fields ([`record`], [`input`]),
//! normalized once ([`normalize`]) and written to a tantivy index ([`index`]). A query is
//! normalized the same way; [`retrieve`] pulls candidate records; each candidate is compared field
//! by field ([`compare`]) and scored with a Fellegi–Sunter model ([`score`]); candidates cluster
//! into identities whose contact points are merged and ranked ([`resolve`]). [`synth`] generates
//! the synthetic, labelled population every test and benchmark uses.
//!
//! # Example
//!
//! Build an in-RAM index from three records and search for a debtor known by a nickname, an old
//! address and a DOB with day and month swapped:
//!
//! ```
//! use skiptrace::index::SkipIndex;
//! use skiptrace::normalize::NormalizedRecord;
//! use skiptrace::record::{Field, RawRecord};
//! use skiptrace::resolve::{ContactKind, ContactStatus, ResolutionStatus};
//! use skiptrace::score::Model;
//! use skiptrace::search::{Engine, Query, SearchOptions};
//!
//! # fn main() -> skiptrace::Result<()> {
//! let index = SkipIndex::create_in_ram()?;
//! let mut writer = index.writer()?;
//! let rows = [
//!     ("r1", "credit_header", "Robert", "Quimby", "1971-03-09", "123-45-6789", "12 Elm St", "62704", "2018-02-01"),
//!     ("r2", "credit_header", "Robert", "Quimby", "1971-03-09", "123-45-6789", "40 Lake Shore Dr", "60611", "2026-04-30"),
//!     ("r3", "credit_header", "Roberta", "Quimby", "1975-11-21", "234-56-7890", "12 Elm St", "62704", "2026-04-30"),
//! ];
//! for (id, source, first, last, dob, ssn, street, zip, seen) in rows {
//!     let raw = RawRecord::new()
//!         .with(Field::RecordId, id)
//!         .with(Field::Source, source)
//!         .with(Field::FirstName, first)
//!         .with(Field::LastName, last)
//!         .with(Field::Dob, dob)
//!         .with(Field::Ssn, ssn)
//!         .with(Field::AddressLine1, street)
//!         .with(Field::Zip, zip)
//!         .with(Field::LastSeen, seen);
//!     writer.upsert(&NormalizedRecord::from_raw(&raw).0)?;
//! }
//! writer.commit()?;
//! index.reload()?;
//!
//! let engine = Engine::new(index, Model::default_model());
//! let query = Query::from_raw(&RawRecord::new()
//!     .with(Field::FirstName, "Bob")
//!     .with(Field::LastName, "Quimby")
//!     .with(Field::Dob, "1971-09-03")
//!     .with(Field::AddressLine1, "12 Elm Street")
//!     .with(Field::Zip, "62704"));
//! let resolution = engine.search(&query, &SearchOptions::default())?.resolution;
//! assert_eq!(resolution.status, ResolutionStatus::Resolved);
//! let debtor = &resolution.identities[0];
//! assert_eq!(debtor.identity_id, "r1");
//! let best = debtor.best_contact(ContactKind::Address).expect("a best address");
//! assert_eq!(best.address.as_ref().map(|a| a.line1.as_str()), Some("40 LAKE SHORE DR"));
//! assert_eq!(best.status, Some(ContactStatus::New), "newer than the one on file");
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod access;
pub mod audit;
pub mod bulk;
pub mod compare;
pub mod error;
pub mod eval;
pub mod index;
pub mod ingest;
pub mod input;
pub mod mask;
pub mod normalize;
pub mod outcomes;
pub mod purpose;
pub mod record;
pub mod reference;
pub mod resolve;
pub mod retrieve;
pub mod score;
pub mod search;
#[cfg(feature = "server")]
pub mod server;
pub mod synth;
pub mod train;

pub use error::{Error, InputError, Result};
