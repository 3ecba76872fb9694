//! Salesdesk's one integration-test binary: the API against a real server on loopback
//! with a real SQLite file, and end-to-end runs in headless Chromium.

mod admin;
mod admin_browser;
mod api;
mod approvals;
mod authz;
mod browser;
mod crash;
mod deploy;
mod desk_browser;
mod edge;
mod excel;
mod helpers;
mod ops;
mod payments;
mod payments_browser;
mod print_browser;
mod protocol;
mod shipping;
mod shipping_browser;
mod webkit;
