//! Salesdesk's domain and sync engine, as plain functions on plain data.
//!
//! Two halves, kept apart:
//! - [`engine`]: the sync engine. Records as CRDTs, the device replica, the server's push
//!   rules, the wire contract, and the generic step/approval rules ([`engine::workflow`]).
//!   It knows nothing of orders: a kind of record brings its own fields and steps.
//! - [`desk`]: the sales desk. Orders, customers, the catalogue, money, roles, numbering,
//!   lookups, and the kinds' declarations that plug them into the engine.
//!
//! Nothing here does IO: no clock, no randomness, no storage, no network (callers pass the
//! time and the random bits in). Both the backend and the wasm frontend link this crate,
//! so the rules live in exactly one place.

/// serde, for `from_map!` expanded in other crates.
#[doc(hidden)]
pub use serde as __serde;
pub mod desk;
pub mod engine;
pub mod sort;

pub use desk::money::Fen;
pub use engine::hlc::{Clock, Hlc};
pub use engine::ids::{ClientId, OfficeCode, RecordId};
