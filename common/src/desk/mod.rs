//! The sales desk's domain: what its records are and the rules people work by.

pub mod account;
pub mod admin;
pub mod ageing;
pub mod books;
pub mod cash;
pub mod customer;
pub mod draft_strings;
pub mod history;
pub mod import;
pub mod kinds;
pub mod labels;
pub mod listing;
pub mod money;
pub mod numbering;
pub mod opening;
pub mod order;
pub mod payments;
pub mod permissions;
pub mod pinyin;
pub mod reconciliation;
pub mod search;
pub mod shipping;
pub mod statement;
pub mod stock;
pub mod stored;
pub mod time;
pub mod upgrade;

#[cfg(test)]
mod approvals;
#[cfg(test)]
mod shipping_tests;
