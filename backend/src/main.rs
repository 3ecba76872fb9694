//! `salesdesk`: the Salesdesk server and its operations.

use clap::{Args, Parser, Subcommand};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

// Every request allocates (its JSON, the records of a pull): glibc's allocator spent about
// 15% of the server's CPU at 100 clients syncing at once (docs/benchmarks.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Salesdesk (销售内勤工作台): the sales desk's server.
#[derive(Parser)]
#[command(name = "salesdesk", version, args_override_self = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app and the API.
    Serve(Serve),
    /// Set up a new installation: the company, its head office and the first administrator.
    Init(Init),
    /// Copy the database consistently into FILE, while the server runs.
    Backup {
        /// Where to write the copy.
        file: PathBuf,
        #[command(flatten)]
        data: Data,
    },
    /// Put a backup back. Stop the server first; devices then send back what the copy lacks.
    Restore {
        /// The backup to put back.
        file: PathBuf,
        #[command(flatten)]
        data: Data,
    },
    /// Check the database: SQLite's integrity check, every record against its stored hash,
    /// every scope's running digest. Exits 1 if anything is wrong, naming it.
    Check {
        #[command(flatten)]
        data: Data,
    },
}

#[derive(Args)]
struct Data {
    /// Directory of the SQLite database.
    #[arg(long = "data", value_name = "DIR", default_value = "data")]
    dir: PathBuf,
}

#[derive(Args)]
#[command(args_override_self = true)]
struct Serve {
    /// Where to listen.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    data: Data,
    /// The built browser app to serve.
    #[arg(long, value_name = "DIR", default_value = "dist")]
    dist: PathBuf,
    /// Seed demo offices, users and catalogue into a new, empty database.
    #[arg(long)]
    demo: bool,
    /// A reverse proxy's address: only requests from it may say who the client is
    /// (X-Forwarded-For). Repeat for several.
    #[arg(long, value_name = "IP")]
    trusted_proxy: Vec<IpAddr>,
}

#[derive(Args)]
struct Init {
    #[command(flatten)]
    data: Data,
    /// The company's name.
    #[arg(long)]
    company: String,
    /// The head office's code.
    #[arg(long, default_value = "HQ")]
    office_code: String,
    /// The head office's name.
    #[arg(long, default_value = "总部")]
    office_name: String,
    /// The head office's time zone, minutes east of UTC.
    #[arg(long, default_value_t = 480, allow_negative_numbers = true)]
    utc_offset_minutes: i32,
    /// The first administrator's user name.
    #[arg(long, default_value = "admin")]
    admin: String,
    /// The first administrator's name as people know it.
    #[arg(long, default_value = "系统管理员")]
    admin_name: String,
    /// Their password; read from SALESDESK_ADMIN_PASSWORD or the first line of standard
    /// input when not given (so it stays out of the shell's history).
    #[arg(long)]
    password: Option<String>,
}

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("salesdesk: {message}");
    std::process::exit(1)
}

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    match cli.command {
        Command::Serve(s) => {
            let config = backend::Config {
                addr: s.addr,
                data_dir: s.data.dir,
                dist: Some(s.dist),
                demo: s.demo,
                trusted_proxies: s.trusted_proxy,
            };
            let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(format!("tokio runtime: {e}")));
            if let Err(e) = rt.block_on(backend::serve(config)) {
                fail(e);
            }
        }
        Command::Init(i) => {
            let password = i.password.or_else(|| std::env::var("SALESDESK_ADMIN_PASSWORD").ok()).unwrap_or_else(|| {
                let mut line = String::new();
                let _ = std::io::stdin().read_line(&mut line);
                line.trim_end_matches(['\r', '\n']).to_string()
            });
            let setup = backend::setup::Setup {
                company: i.company,
                office_code: i.office_code,
                office_name: i.office_name,
                utc_offset_minutes: i.utc_offset_minutes,
                admin: i.admin.clone(),
                admin_name: i.admin_name,
                password,
            };
            let _lock = backend::ops::lock(&i.data.dir, "salesdesk init").unwrap_or_else(|e| fail(e.message));
            let state = backend::open_state(&i.data.dir, None, false).unwrap_or_else(|e| fail(e.message));
            state.db.with(|inner| backend::setup::init(inner, &setup)).unwrap_or_else(|e| fail(e.message));
            println!("set up: log in as {} with the password given", i.admin);
        }
        Command::Backup { file, data } => {
            backend::ops::backup(&data.dir, &file).unwrap_or_else(|e| fail(e.message));
            println!("backed up {} to {}", backend::ops::db_path(&data.dir).display(), file.display());
        }
        Command::Restore { file, data } => {
            let _lock = backend::ops::lock(&data.dir, "salesdesk restore")
                .unwrap_or_else(|e| fail(format!("{} (stop the server first)", e.message)));
            let identity = backend::ops::restore(&data.dir, &file).unwrap_or_else(|e| fail(e.message));
            println!("restored {} into {}; the store's new identity is {identity}", file.display(), data.dir.display());
        }
        Command::Check { data } => {
            let path = backend::ops::db_path(&data.dir);
            let conn = rusqlite_open(&path);
            let report = backend::ops::check(&conn).unwrap_or_else(|e| fail(e.message));
            println!("{} records; integrity: {}", report.records, report.integrity.join("; "));
            for r in &report.damaged {
                println!("damaged record (its text no longer matches its stored hash): {r}");
            }
            for s in &report.scopes {
                println!("scope digest out of step with its records: {s}");
            }
            if !report.is_ok() {
                std::process::exit(1);
            }
            println!("all well");
        }
    }
}

fn rusqlite_open(path: &std::path::Path) -> backend::db::Connection {
    if !path.is_file() {
        fail(format!("no database at {}", path.display()));
    }
    backend::db::open_read_only(path).unwrap_or_else(|e| fail(e))
}
