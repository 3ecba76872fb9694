//! The real `salesdesk` binary as a child process, to stop and start like the real thing.

use std::path::{Path, PathBuf};

/// The workspace root, for the built app and binary.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The `salesdesk` binary: from `cargo xtask test`, or built here on first use.
pub fn salesdesk_bin() -> PathBuf {
    if let Ok(p) = std::env::var("SALESDESK_BIN") {
        return PathBuf::from(p);
    }
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let status = std::process::Command::new(env!("CARGO"))
            .current_dir(workspace_root())
            .args(["build", "-p", "backend", "--bin", "salesdesk"])
            .status()
            .unwrap();
        assert!(status.success(), "building the salesdesk binary failed");
    });
    workspace_root().join("target/debug/salesdesk")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The real server binary as a child process, to stop and start like the real thing.
pub struct ServerProcess {
    pub port: u16,
    pub data: PathBuf,
    pub dist: Option<PathBuf>,
    child: Option<std::process::Child>,
    demo: bool,
    /// More arguments for `serve` (`--trusted-proxy`, say).
    pub extra: Vec<String>,
}

impl ServerProcess {
    pub async fn start(port: u16, data: &Path, dist: Option<&Path>) -> ServerProcess {
        ServerProcess::start_with(port, data, dist, &[]).await
    }

    /// A server without demo data: as a company runs it.
    pub async fn start_plain(port: u16, data: &Path, dist: Option<&Path>) -> ServerProcess {
        let mut p = ServerProcess {
            port,
            data: data.to_path_buf(),
            dist: dist.map(Path::to_path_buf),
            child: None,
            demo: false,
            extra: Vec::new(),
        };
        p.restart().await;
        p
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub async fn restart(&mut self) {
        let mut cmd = std::process::Command::new(salesdesk_bin());
        cmd.args(["serve", "--addr", &format!("127.0.0.1:{}", self.port), "--data"]).arg(&self.data);
        if self.demo {
            cmd.arg("--demo");
        }
        cmd.args(&self.extra);
        match &self.dist {
            Some(d) => cmd.arg("--dist").arg(d),
            None => cmd.args(["--dist", "/nonexistent"]),
        };
        // The server's log goes beside its data, for a failing test to point at.
        let _ = std::fs::create_dir_all(&self.data);
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.data.join("server.log"));
        match log {
            Ok(f) => cmd.stdout(std::process::Stdio::null()).stderr(f),
            Err(_) => cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()),
        };
        self.child = Some(cmd.spawn().expect("start salesdesk"));
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = http.get(format!("{}/api/health", self.base())).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("salesdesk did not come up on port {}", self.port);
    }

    /// A demo server started with more `serve` arguments.
    pub async fn start_with(port: u16, data: &Path, dist: Option<&Path>, extra: &[&str]) -> ServerProcess {
        let mut p = ServerProcess {
            port,
            data: data.to_path_buf(),
            dist: dist.map(Path::to_path_buf),
            child: None,
            demo: true,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        p.restart().await;
        p
    }

    /// The running server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, std::process::Child::id)
    }

    /// SIGKILL: no graceful shutdown, as when power fails.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
