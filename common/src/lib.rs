//! Salesdesk's domain and merge engine.
//!
//! Everything here is a plain function on plain data: no IO, no clock, no randomness
//! (callers pass the time and the random bits in). Both the backend and the wasm
//! frontend link this crate, so the rules live in exactly one place.

pub mod customer;
pub mod hlc;
pub mod ids;
pub mod money;
pub mod numbering;
pub mod order;
pub mod permissions;
pub mod record;
pub mod replica;
pub mod search;
pub mod server;
pub mod storage_codec;
pub mod time;
pub mod wire;

pub use hlc::{Clock, Hlc};
pub use ids::{ClientId, OfficeCode, RecordId};
pub use money::Fen;
