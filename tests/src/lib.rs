//! Test support shared by the integration tests and the benchmarks: the real server as
//! a child process, and a small WebDriver client for headless Chromium.

pub mod ingest;
pub mod keyboard;
pub mod orders;
pub mod process;
pub mod webdriver;
