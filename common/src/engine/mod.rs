//! The sync engine: records, changes, replicas, the push rules and the wire contract.
//! Generic over kinds of record: a kind declares its fields and steps through
//! [`push::Rules`] and [`workflow::Workflow`]; nothing here names an order.

pub mod canonical;
pub mod deflate;
pub mod from_map;
pub mod hlc;
pub mod ids;
pub mod packed;
pub mod packs;
pub mod push;
pub mod record;
pub mod replica;
pub mod sorted_map;
pub mod storage_codec;
pub mod wire;
pub mod workflow;
