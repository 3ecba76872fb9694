//! `salesdesk`: the Salesdesk server.

use std::net::SocketAddr;
use std::path::PathBuf;

const USAGE: &str = "Salesdesk (销售内勤工作台) server

Usage:
  salesdesk serve [--addr HOST:PORT] [--data DIR] [--dist DIR] [--demo]
  salesdesk --help

Options:
  --addr HOST:PORT  where to listen (default 127.0.0.1:8080)
  --data DIR        directory of the SQLite database (default ./data)
  --dist DIR        the built browser app to serve (default ./dist)
  --demo            seed demo offices, users and catalogue into a new, empty database
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(Some(c)) => c,
        Ok(None) => {
            print!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("salesdesk: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    if let Err(e) = rt.block_on(backend::serve(config)) {
        eprintln!("salesdesk: {e}");
        std::process::exit(1);
    }
}

fn parse(args: &[String]) -> Result<Option<backend::Config>, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        None | Some("-h" | "--help" | "help") => return Ok(None),
        Some("serve") => {}
        Some(other) => return Err(format!("unknown command {other:?}")),
    }
    let mut config = backend::Config {
        addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
        data_dir: PathBuf::from("data"),
        dist: Some(PathBuf::from("dist")),
        demo: false,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => config.addr = value()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--data" => config.data_dir = PathBuf::from(value()?),
            "--dist" => config.dist = Some(PathBuf::from(value()?)),
            "--demo" => config.demo = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(Some(config))
}
