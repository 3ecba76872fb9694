//! Just enough of the W3C WebDriver protocol to drive Debian's Chromium through
//! chromedriver, or WebKit (Safari's engine, as on iPhones) through WebKitGTK's
//! WebKitWebDriver and MiniBrowser: sessions, navigation, elements, keys and scripts.
//!
//! Every process a test starts ends with the test, passing or panicking: the driver runs
//! in a process group of its own, and dropping the [`Driver`] closes every session it
//! opened (so the browser shuts down) and then kills the whole group, the browser's helper
//! processes included. WebKit needs a display: a virtual one (Xvfb) is started for each
//! WebKit driver, in a group of its own, and ended after the driver's group.

use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const ENTER: &str = "\u{E007}";
pub const ARROW_DOWN: &str = "\u{E015}";
pub const CONTROL: &str = "\u{E009}";

/// Which browser a [`Driver`] drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    WebKit,
}

pub struct Driver {
    child: Child,
    pub base: String,
    pub engine: Engine,
    http: reqwest::Client,
    port: u16,
    /// Sessions opened and not yet closed, closed on drop.
    sessions: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// WebKit only: the virtual display the browser draws on.
    display: Option<Child>,
    /// WebKit only: the driver's own `HOME` and XDG directories, and its log (what
    /// WebKitWebDriver, MiniBrowser and WebKit's processes print).
    home: Option<tempfile::TempDir>,
}

/// WebKitGTK's MiniBrowser, the browser WebKitWebDriver starts: `WEBKIT_MINIBROWSER`, or
/// wherever the installed WebKitGTK (4.0, 4.1 or 6.0) keeps it.
pub fn minibrowser() -> Option<std::path::PathBuf> {
    if let Ok(p) = std::env::var("WEBKIT_MINIBROWSER") {
        return Some(p.into());
    }
    let libs = std::fs::read_dir("/usr/lib").into_iter().flatten().filter_map(Result::ok).map(|e| e.path());
    std::iter::once(std::path::PathBuf::from("/usr/lib"))
        .chain(libs)
        .flat_map(|lib| ["webkit2gtk-4.1", "webkit2gtk-4.0", "webkitgtk-6.0"].map(|v| lib.join(v).join("MiniBrowser")))
        .find(|p| p.is_file())
}

/// Starts Xvfb on a free display of its choosing (`-displayfd`: no race with another test
/// picking the same number) in a process group of its own; the child and its display.
fn start_xvfb() -> (Child, String) {
    use std::io::BufRead;
    let mut child = Command::new("Xvfb")
        .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0", "1920x1200x24"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start Xvfb: run `cargo xtask test`, which installs Debian's xvfb");
    let mut line = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let _ = out.read_line(&mut line);
    let n = line.trim();
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        let _ = child.kill();
        let _ = child.wait();
        panic!("Xvfb gave no display number ({line:?})");
    }
    // Whatever Xvfb writes later must not block it: the pipe is kept drained.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (child, format!(":{n}"))
}

impl Driver {
    pub async fn start() -> Driver {
        let port = crate::process::free_port();
        let path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        assert!(
            Path::new(&path).exists(),
            "{path} is missing: run `cargo xtask test`, which installs Debian's chromium-driver"
        );
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: the browsers it starts are killed with it.
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            engine: Engine::Chromium,
            http: reqwest::Client::new(),
            port,
            sessions: Default::default(),
            display: None,
            home: None,
        };
        d.wait_ready().await;
        d
    }

    /// WebKitWebDriver, driving WebKitGTK's MiniBrowser on a virtual display of its own.
    /// Its `HOME` and XDG directories are fresh and removed with it; every session is a new
    /// MiniBrowser whose storage (localStorage, service workers, caches) starts empty and
    /// lives in memory only.
    pub async fn start_webkit() -> Driver {
        let path = std::env::var("WEBKIT_WEBDRIVER").unwrap_or_else(|_| "/usr/bin/WebKitWebDriver".into());
        assert!(
            Path::new(&path).exists(),
            "{path} is missing: run `cargo xtask test`, which installs Debian's webkit2gtk-driver and xvfb"
        );
        let home = tempfile::Builder::new().prefix("salesdesk-webkit-").tempdir().expect("a HOME for WebKit");
        let h = home.path();
        for d in ["data", "cache", "config", "runtime"] {
            std::fs::create_dir_all(h.join(d)).unwrap();
        }
        let _ = std::fs::set_permissions(h.join("runtime"), std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let log = std::fs::File::create(h.join("webkit.log")).expect("WebKit's log");
        let port = crate::process::free_port();
        let (mut display, name) = start_xvfb();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .env("DISPLAY", name)
            .env("HOME", h)
            .env("XDG_DATA_HOME", h.join("data"))
            .env("XDG_CACHE_HOME", h.join("cache"))
            .env("XDG_CONFIG_HOME", h.join("config"))
            .env("XDG_RUNTIME_DIR", h.join("runtime"))
            // No accessibility bus, no session bus of the desktop's to look for.
            .env("NO_AT_BRIDGE", "1")
            .env("GTK_A11Y", "none")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            // Its own process group: MiniBrowser and WebKit's processes are killed with it.
            .process_group(0)
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                kill_group(display.id(), "-KILL");
                let _ = display.wait();
                panic!("start WebKitWebDriver: {e}");
            }
        };
        let d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            engine: Engine::WebKit,
            http: reqwest::Client::new(),
            port,
            sessions: Default::default(),
            display: Some(display),
            home: Some(home),
        };
        d.wait_ready().await;
        d
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.http.get(format!("{}/status", self.base)).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{:?}'s driver did not start", self.engine);
    }

    /// A browser on its own profile directory; the same directory later is the same browser, reopened.
    ///
    /// In WebKit the directory is not used: every session is a new browser with empty
    /// storage, and a browser closed cannot be reopened (see [`Driver::webkit_session`]).
    pub async fn session(&self, profile: &Path, width: u32, height: u32) -> Browser {
        if self.engine == Engine::WebKit {
            return self.webkit_session(width, height).await;
        }
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            // No crash reporter: it would run on as a daemon of its own after the test.
            "--disable-crash-reporter".into(),
            "--disable-breakpad".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut options =
            json!({"binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()), "args": args});
        if width < 500 {
            // Desktop windows have a minimum width; a phone is emulated instead.
            options["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true}});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"}
        }}});
        let v: Value =
            self.http.post(format!("{}/session", self.base)).json(&caps).send().await.unwrap().json().await.unwrap();
        self.browser(v)
    }

    fn browser(&self, v: Value) -> Browser {
        let id = v["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {v}")).to_string();
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).push(id.clone());
        Browser {
            url: format!("{}/session/{id}", self.base),
            http: self.http.clone(),
            sessions: self.sessions.clone(),
            id,
            log: self.home.as_ref().map(|h| h.path().join("webkit.log")),
        }
    }

    /// A new MiniBrowser (WebKit) whose window is `width` × `height`: an ephemeral browser,
    /// its storage empty at the start and gone when it closes. GTK windows have a minimum
    /// width (about 450 px): narrower asks get that.
    pub async fn webkit_session(&self, width: u32, height: u32) -> Browser {
        assert_eq!(self.engine, Engine::WebKit, "a WebKit session needs Driver::start_webkit");
        let binary = minibrowser().expect("no MiniBrowser: run `cargo xtask test`, which installs webkit2gtk-driver");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "MiniBrowser",
            "webkitgtk:browserOptions": {
                "binary": binary,
                "args": ["--automation"]
            }
        }}});
        let v: Value =
            self.http.post(format!("{}/session", self.base)).json(&caps).send().await.unwrap().json().await.unwrap();
        let b = self.browser(v);
        let _ = b.post("/window/rect", json!({"width": width, "height": height})).await;
        b
    }
}

/// `DELETE /session/{id}` with a plain blocking socket: drop runs outside any runtime.
fn delete_session(port: u16, id: &str) {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return };
    let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
    let _ = write!(
        s,
        "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    // Read the answer through (chromedriver answers once the browser has gone) without
    // waiting for the connection to close: it may keep it open.
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + len {
                break;
            }
        }
    }
}

fn kill_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill").args([signal, "--", &format!("-{pgid}")]).stderr(Stdio::null()).status();
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Close the sessions first, so each browser shuts down cleanly...
        let open = std::mem::take(&mut *self.sessions.lock().unwrap_or_else(|p| p.into_inner()));
        for id in open {
            delete_session(self.port, &id);
        }
        // ...then end the driver and whatever is left in its process group.
        kill_group(self.child.id(), "-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The display last, once nothing draws on it; asked first to go, so that it
        // removes its socket and lock file.
        if let Some(mut x) = self.display.take() {
            kill_group(x.id(), "-TERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(x.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            kill_group(x.id(), "-KILL");
            let _ = x.kill();
            let _ = x.wait();
        }
    }
}

pub struct Browser {
    url: String,
    http: reqwest::Client,
    sessions: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    id: String,
    /// WebKit only: the driver's log (WebKit's own messages; not the pages' console).
    log: Option<std::path::PathBuf>,
}

#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
        match v["value"].get("error") {
            Some(err) => Err(format!("{err}: {}", v["value"]["message"])),
            None => Ok(v["value"].clone()),
        }
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn goto(&self, url: &str) {
        // A navigation that fails (server down, no service worker) is the test's to report.
        let _ = self.post("/url", json!({"url": url})).await;
    }

    /// Opens a new tab of the same browser (same profile, same storage) and returns its handle.
    pub async fn new_tab(&self) -> String {
        let v = self.post("/window/new", json!({"type": "tab"})).await.unwrap_or_else(|e| panic!("new tab: {e}"));
        v["handle"].as_str().unwrap_or_default().to_string()
    }

    pub async fn window_handle(&self) -> String {
        let v = self.call(reqwest::Method::GET, "/window", None).await.unwrap_or_else(|e| panic!("window: {e}"));
        v.as_str().unwrap_or_default().to_string()
    }

    pub async fn switch_to(&self, handle: &str) {
        self.post("/window", json!({"handle": handle})).await.unwrap_or_else(|e| panic!("switch window: {e}"));
    }

    /// Closes the current tab; switch to another one afterwards.
    pub async fn close_tab(&self) {
        let _ = self.call(reqwest::Method::DELETE, "/window", None).await;
    }

    pub async fn refresh(&self) {
        let _ = self.post("/refresh", json!({})).await;
    }

    pub async fn close(self) {
        let _ = self.call(reqwest::Method::DELETE, "", None).await;
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).retain(|s| *s != self.id);
    }

    /// Cuts this browser off the network (or back on), as when a phone loses its signal;
    /// other browsers and the server carry on.
    pub async fn set_offline(&self, offline: bool) {
        let conditions = json!({"network_conditions": {
            "offline": offline, "latency": 0, "download_throughput": -1, "upload_throughput": -1
        }});
        self.post("/chromium/network_conditions", conditions)
            .await
            .unwrap_or_else(|e| panic!("network conditions: {e}"));
    }

    /// Chromium's network slowed to `bytes_per_s` down (a phone on a weak network);
    /// `set_offline(false)` lifts it.
    pub async fn set_throughput(&self, bytes_per_s: u64) {
        let conditions = json!({"network_conditions": {
            "offline": false, "latency": 20, "download_throughput": bytes_per_s, "upload_throughput": bytes_per_s
        }});
        self.post("/chromium/network_conditions", conditions)
            .await
            .unwrap_or_else(|e| panic!("network conditions: {e}"));
    }

    /// Downloads from now on go to `dir` without asking.
    pub async fn allow_downloads(&self, dir: &std::path::Path) {
        std::fs::create_dir_all(dir).unwrap();
        let cmd = json!({"cmd": "Browser.setDownloadBehavior", "params": {
            "behavior": "allow", "downloadPath": dir.to_string_lossy()
        }});
        self.post("/goog/cdp/execute", cmd).await.unwrap_or_else(|e| panic!("downloads: {e}"));
    }

    /// Waits up to `secs` for a finished download in `dir` whose name ends with `ext`.
    pub async fn wait_for_download(&self, dir: &std::path::Path, ext: &str, secs: u64) -> std::path::PathBuf {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let done = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with(ext));
            if let Some(p) = done {
                return p;
            }
            if Instant::now() > deadline {
                panic!(
                    "no {ext} downloaded into {} after {secs}s; page text: {}",
                    dir.display(),
                    self.body_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A DevTools protocol command (profiling, say); its result.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.post("/goog/cdp/execute", json!({"cmd": cmd, "params": params}))
            .await
            .unwrap_or_else(|e| panic!("cdp {cmd}: {e}"))
    }

    /// Runs `js` in every page this browser opens from now on, before the page's own
    /// scripts (a clock set wrong, say).
    pub async fn on_every_page(&self, js: &str) {
        let cmd = json!({"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source": js}});
        self.post("/goog/cdp/execute", cmd).await.unwrap_or_else(|e| panic!("cdp: {e}"));
    }

    pub async fn find(&self, css: &str) -> Option<Element> {
        let v = self.post("/element", json!({"using": "css selector", "value": css})).await.ok()?;
        v[ELEMENT].as_str().map(|s| Element(s.to_string()))
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let v = self.post("/elements", json!({"using": "css selector", "value": css})).await.unwrap_or(Value::Null);
        v.as_array().into_iter().flatten().filter_map(|e| e[ELEMENT].as_str().map(|s| Element(s.to_string()))).collect()
    }

    /// Waits up to `secs` for an element matching `css`.
    pub async fn wait_for(&self, css: &str, secs: u64) -> Element {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(e) = self.find(css).await {
                return e;
            }
            if Instant::now() > deadline {
                let shot = self.screenshot_to_tmp().await;
                panic!(
                    "no element {css} after {secs}s; page text: {}\n(screenshot: {shot})\nconsole: {}",
                    self.body_text().await,
                    self.console().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits up to `secs` for an element matching `css` whose text contains every one of
    /// `needles`, and returns that text. Read afresh each time: a page that re-renders
    /// (a sync arriving) replaces elements, so a text read once could be stale.
    pub async fn wait_for_text(&self, css: &str, needles: &[&str], secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let text = match self.find(css).await {
                Some(e) => self.text(&e).await,
                None => String::new(),
            };
            if !text.is_empty() && needles.iter().all(|n| text.contains(n)) {
                return text;
            }
            if Instant::now() > deadline {
                panic!(
                    "no {css} saying {needles:?} after {secs}s; it says {text:?}; page text: {}",
                    self.body_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the element `css` names, finding it again if the page redrew it between
    /// finding and clicking (a sync landing re-renders what shows the record).
    pub async fn click_on(&self, css: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let e = self.wait_for(css, secs).await;
            match self.post(&format!("/element/{}/click", e.0), json!({})).await {
                Ok(_) => return,
                Err(err) if err.contains("stale element") && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => panic!("click on {css}: {err}"),
            }
        }
    }

    pub async fn click(&self, e: &Element) {
        self.post(&format!("/element/{}/click", e.0), json!({})).await.unwrap_or_else(|err| panic!("click: {err}"));
    }

    pub async fn type_into(&self, e: &Element, text: &str) {
        self.post(&format!("/element/{}/value", e.0), json!({"text": text}))
            .await
            .unwrap_or_else(|err| panic!("type: {err}"));
    }

    pub async fn text(&self, e: &Element) -> String {
        self.call(reqwest::Method::GET, &format!("/element/{}/text", e.0), None)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// A DOM property, such as an input's current `value`.
    pub async fn prop(&self, e: &Element, name: &str) -> Option<String> {
        self.call(reqwest::Method::GET, &format!("/element/{}/property/{name}", e.0), None)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
    }

    pub async fn attr(&self, e: &Element, name: &str) -> Option<String> {
        self.call(reqwest::Method::GET, &format!("/element/{}/attribute/{name}", e.0), None)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
    }

    /// Runs a script; a returned promise is awaited by the driver.
    pub async fn script(&self, js: &str) -> Value {
        self.post("/execute/sync", json!({"script": js, "args": []}))
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\nscript: {js}"))
    }

    pub async fn body_text(&self) -> String {
        self.script("return document.body ? document.body.innerText : ''")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn active_id(&self) -> String {
        self.script("return document.activeElement ? document.activeElement.id : ''")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Types into whatever has focus, as a person at the keyboard does.
    pub async fn keys(&self, text: &str) {
        let v = self
            .call(reqwest::Method::GET, "/element/active", None)
            .await
            .unwrap_or_else(|e| panic!("no focused element: {e}"));
        let e = Element(v[ELEMENT].as_str().unwrap_or_default().to_string());
        self.type_into(&e, text).await;
    }

    /// With `SALESDESK_SCREENSHOTS=DIR`, saves a base64 PNG of the page as `DIR/NAME.png.b64`
    /// (decode with `base64 -d`): for looking at what people see, not for assertions.
    pub async fn snapshot(&self, name: &str) {
        let Ok(dir) = std::env::var("SALESDESK_SCREENSHOTS") else { return };
        if let Some(b64) =
            self.call(reqwest::Method::GET, "/screenshot", None).await.ok().and_then(|v| v.as_str().map(str::to_string))
        {
            let _ = std::fs::write(Path::new(&dir).join(format!("{name}.png.b64")), b64);
        }
    }

    /// What the page wrote to its console (errors and panics above all), for a failing test.
    /// WebKit's driver gives no console: there, the last lines of what WebKit itself printed.
    pub async fn console(&self) -> String {
        if let Some(log) = &self.log {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            return lines[lines.len().saturating_sub(60)..].join("\n");
        }
        match self.post("/se/log", json!({"type": "browser"})).await {
            Ok(Value::Array(entries)) => entries
                .iter()
                .map(|e| format!("{} {}", e["level"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        }
    }

    pub async fn screenshot_to_tmp(&self) -> String {
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await.unwrap_or(Value::Null);
        let Some(b64) = v.as_str() else {
            return "none".into();
        };
        let path = std::env::temp_dir().join(format!("salesdesk-failure-{}.png.b64", std::process::id()));
        let _ = std::fs::write(&path, b64);
        path.display().to_string()
    }

    /// Polls until `js` (an expression) is truthy.
    pub async fn wait_until(&self, what: &str, js: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if self.script(&format!("return Promise.resolve({js}).then((v) => !!v)")).await.as_bool() == Some(true) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; page text: {}\nconsole: {}",
                    self.body_text().await,
                    self.console().await
                );
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// The page as Chromium prints it (DevTools `Page.printToPDF`): the sizes its CSS
    /// `@page` rules ask for, backgrounds printed, no headers or footers of the browser's own.
    pub async fn print_pdf(&self) -> Vec<u8> {
        use base64::Engine as _;
        let cmd = json!({"cmd": "Page.printToPDF", "params": {
            "preferCSSPageSize": true, "printBackground": true, "displayHeaderFooter": false
        }});
        let v = self.post("/goog/cdp/execute", cmd).await.unwrap_or_else(|e| panic!("print to PDF: {e}"));
        let data = v["data"].as_str().unwrap_or_else(|| panic!("print to PDF gave no data: {v}"));
        base64::engine::general_purpose::STANDARD.decode(data).unwrap_or_else(|e| panic!("PDF not base64: {e}"))
    }
}
