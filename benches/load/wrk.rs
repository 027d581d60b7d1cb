//! The load generator: `wrk` (Debian's package, installed when missing), run and read.

use std::path::Path;
use std::process::Command;

/// What one `wrk` run measured.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Installs `wrk` from Debian's packages unless it is on the PATH.
pub fn ensure_installed() -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    eprintln!("installing wrk from Debian's packages…");
    let status = Command::new("apt-get")
        .args(["install", "-y", "-q", "wrk"])
        .status()?;
    anyhow::ensure!(status.success(), "apt-get install wrk failed");
    Ok(())
}

/// One request shape, run by `connections` connections on two threads for `seconds`.
pub struct Request<'a> {
    pub url: &'a str,
    pub token: Option<&'a str>,
    /// A JSON body to POST instead of a GET.
    pub post_json: Option<&'a str>,
}

pub fn run(
    request: &Request,
    connections: u32,
    seconds: u32,
    scratch: &Path,
) -> anyhow::Result<Load> {
    let script = scratch.join("request.lua");
    std::fs::write(&script, lua(request))?;
    let output = Command::new("wrk")
        .args(["--latency", "-t", "2"])
        .args(["-c", &connections.to_string()])
        .args(["-d", &format!("{seconds}s")])
        .arg("-s")
        .arg(&script)
        .arg(request.url)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "wrk failed: {text}");
    parse(&text).ok_or_else(|| anyhow::anyhow!("unreadable wrk output: {text}"))
}

/// The request as a `wrk` script.
fn lua(request: &Request) -> String {
    let mut script = String::new();
    if let Some(token) = request.token {
        script += &format!("wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n");
    }
    if let Some(body) = request.post_json {
        script += "wrk.method = \"POST\"\n";
        script += "wrk.headers[\"Content-Type\"] = \"application/json\"\n";
        script += &format!("wrk.body = [==[{body}]==]\n");
    }
    script
}

fn parse(text: &str) -> Option<Load> {
    let percentile = |label: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(label))
            .and_then(|value| milliseconds(value.trim()))
    };
    // wrk counts non-2xx/3xx answers; a benchmark of errors measures nothing.
    if text.contains("Non-2xx or 3xx responses") {
        return None;
    }
    let requests_per_second = text
        .lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))?
        .trim()
        .parse()
        .ok()?;
    Some(Load {
        requests_per_second,
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
    })
}

/// `812.00us`, `1.23ms`, `1.01s` in milliseconds.
fn milliseconds(value: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    Some(number.parse::<f64>().ok()? * scale)
}
