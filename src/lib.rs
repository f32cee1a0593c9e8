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
#![deny(missing_docs)]

pub mod compare;
pub mod error;
pub mod index;
pub mod ingest;
pub mod input;
pub mod mask;
pub mod normalize;
pub mod record;
pub mod reference;
pub mod resolve;
pub mod retrieve;
pub mod score;
pub mod search;
pub mod synth;

pub use error::{Error, InputError, Result};
