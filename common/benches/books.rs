//! Statements and ageing on the records themselves (what both the server's export and
//! the browser's screens run, `common::desk::books`): a customer with 5,000 orders over a
//! year, and 100,000 orders over 100 customers of two branches. The records are made once,
//! through the server's rules, outside the timed part (`support/books_data.rs`). Reported
//! in docs/benchmarks.md by `cargo xtask bench`.

#[path = "support/books_data.rs"]
mod books_data;

use books_data::{generate, Plan};
use common::desk::ageing::{ageing, By};
use common::desk::books::Books;
use common::desk::time::Date;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// 2026-11-29 19:00 in China.
const NOW_MS: u64 = 1_795_950_000_000;

fn today() -> Date {
    Date::parse("2026-11-29").unwrap()
}

/// The month so far.
fn month() -> (Date, Date) {
    (Date::parse("2026-11-01").unwrap(), today())
}

/// The year to today.
fn year() -> (Date, Date) {
    (today().plus_days(-365), today())
}

fn statement(c: &mut Criterion) {
    // Made on first use, so a filtered run (`cargo bench -- ageing`) does not make it.
    let data = OnceLock::new();
    let data = || {
        data.get_or_init(|| {
            let started = Instant::now();
            let data = generate(&Plan::one_customer(5_000, today(), NOW_MS));
            let customer = data.customer_view(0);
            // What a device holding these records keeps in localStorage (key + LZ-compressed
            // value, UTF-16 units), against Chromium's 10 MiB: 5,242,880 units.
            let stored: usize = data
                .states
                .iter()
                .map(|s| {
                    let key = format!("sd1:r:{}:{}", s.kind.as_str(), s.id);
                    key.encode_utf16().count() + common::engine::storage_codec::encode(s).encode_utf16().count()
                })
                .sum();
            eprintln!(
                "statement data as a device stores it: {stored} UTF-16 units of localStorage (Chromium: 5,242,880)"
            );
            eprintln!(
                "statement data: {:?}, {} records, made in {:.1?}",
                data.counts,
                data.states.len(),
                started.elapsed()
            );
            let books = Books::read(&data.states);
            for (name, (from, to)) in [("month", month()), ("year", year())] {
                let st = books.statement_of(&customer, from, to);
                eprintln!("statement for the {name}: {} rows, closing {}", st.rows.len(), st.closing);
            }
            (data, customer)
        })
    };
    let mut g = c.benchmark_group("books");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for (id, (from, to)) in [("statement_5000_month", month()), ("statement_5000_year", year())] {
        g.bench_function(id, |b| {
            let (data, customer) = data();
            b.iter(|| Books::read(&data.states).statement_of(customer, from, to))
        });
    }
    // The statement alone, from books already read: how much of the above is reading.
    g.bench_function("statement_5000_year_only", |b| {
        let (data, customer) = data();
        let books = Books::read(&data.states);
        b.iter(|| books.statement_of(customer, year().0, year().1))
    });
    g.finish();
}

fn ageing_100k(c: &mut Criterion) {
    let data = OnceLock::new();
    let data = || {
        data.get_or_init(|| {
            let started = Instant::now();
            let data = generate(&Plan::two_branches(100_000, today(), NOW_MS));
            eprintln!(
                "ageing data: {:?}, {} records, made in {:.1?}",
                data.counts,
                data.states.len(),
                started.elapsed()
            );
            data
        })
    };
    let mut g = c.benchmark_group("books");
    // Seconds-long iterations: ten samples of one iteration each, criterion's least.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(30));
    g.bench_function("ageing_100k", |b| {
        let data = data();
        b.iter(|| {
            let books = Books::read(&data.states);
            let aged = books.aged(today());
            ageing(&aged, By::Salesperson)
        })
    });
    g.sampling_mode(SamplingMode::Auto).measurement_time(Duration::from_secs(3));
    let books = OnceLock::new();
    g.bench_function("ageing_100k_only", |b| {
        let books = books.get_or_init(|| {
            let books = Books::read(&data().states);
            let aged = books.aged(today());
            let (rows, total) = ageing(&aged, By::Salesperson);
            eprintln!("ageing: {} orders owed for, {} rows, total {}", aged.len(), rows.len(), total.total);
            books
        });
        b.iter(|| ageing(&books.aged(today()), By::Salesperson))
    });
    g.finish();
}

criterion_group!(benches, statement, ageing_100k);
criterion_main!(benches);
