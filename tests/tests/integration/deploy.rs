//! The documented reverse-proxy set-up (docs/deploy/nginx.conf), checked by nginx and
//! then used: HTTPS in front of the real server, plain HTTP sent to HTTPS.

use crate::helpers::*;
use std::path::Path;
use std::process::{Child, Command};

/// nginx in the foreground, stopped when the test ends however it ends.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl").args(["-s", "--max-time", "10"]).args(args).output().expect("curl is not installed");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The documented site file, pointed at this test's ports and a throw-away certificate.
fn site_config(dir: &Path, upstream: u16, http: u16, https: u16) -> String {
    let doc = std::fs::read_to_string(workspace_root().join("docs/deploy/nginx.conf")).unwrap();
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=salesdesk.example.com"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "openssl could not make a certificate");
    let replaced = doc
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{upstream}"))
        .replace("listen 80;", &format!("listen 127.0.0.1:{http};"))
        .replace("listen 443 ssl", &format!("listen 127.0.0.1:{https} ssl"))
        .replace(
            "/etc/letsencrypt/live/salesdesk.example.com/fullchain.pem",
            &dir.join("cert.pem").display().to_string(),
        )
        .replace("/etc/letsencrypt/live/salesdesk.example.com/privkey.pem", &dir.join("key.pem").display().to_string());
    assert_ne!(replaced, doc);
    replaced
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_nginx_config_passes_nginx_t_and_serves_the_app_over_https() {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|p| Path::new(p).exists());
    let nginx = nginx.expect("nginx is not installed: `cargo xtask test` installs it");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let dist = crate::browser::dist_dir();
    let server =
        ServerProcess::start_with(free_port(), &dir.join("data"), Some(&dist), &["--trusted-proxy", "127.0.0.1"]).await;
    let (http, https) = (free_port(), free_port());
    std::fs::write(dir.join("site.conf"), site_config(dir, server.port, http, https)).unwrap();
    let d = dir.display();
    let main = format!(
        "pid {d}/nginx.pid; error_log {d}/error.log; events {{}}
         http {{ access_log off; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
                fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
                include {d}/site.conf; }}"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let check = Command::new(nginx).args(["-t", "-p"]).arg(dir).arg("-c").arg(dir.join("nginx.conf")).output().unwrap();
    assert!(check.status.success(), "nginx -t: {}", String::from_utf8_lossy(&check.stderr));

    let _nginx = Nginx(
        Command::new(nginx)
            .args(["-p"])
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            // One process (no workers left behind when it is killed), its output to the log.
            .args(["-g", "daemon off; master_process off;"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let health = format!("https://127.0.0.1:{https}/api/health");
    let mut answered = String::new();
    for _ in 0..100 {
        answered = curl(&["-k", "-o", "/dev/null", "-w", "%{http_code}", &health]);
        if answered == "200" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(answered, "200", "the app is not reachable through nginx");

    // Plain HTTP is sent to HTTPS.
    let redirect =
        curl(&["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", &format!("http://127.0.0.1:{http}/orders")]);
    assert!(redirect.starts_with("301 https://127.0.0.1"), "{redirect}");
    // The app's files come through precompressed, with the security headers.
    let headers = curl(&[
        "-k",
        "-o",
        "/dev/null",
        "-D",
        "-",
        "-H",
        "Accept-Encoding: br",
        &format!("https://127.0.0.1:{https}/salesdesk_bg.wasm"),
    ])
    .to_lowercase();
    assert!(headers.contains("content-encoding: br"), "{headers}");
    assert!(headers.contains("strict-transport-security"), "{headers}");
    assert!(headers.contains("content-security-policy"), "{headers}");
    // And a log-in works through it.
    let body = format!(r#"{{"username":"fs_clerk","password":"{PASSWORD}","client":"{}"}}"#, new_client());
    let code = curl(&[
        "-k",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        "Content-Type: application/json",
        "-d",
        &body,
        &format!("https://127.0.0.1:{https}/api/login"),
    ]);
    assert_eq!(code, "200");
}
