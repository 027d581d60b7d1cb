//! The release `quire` binary under test: started on a database, watched for memory, stopped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Starts `quire serve` on `database_url` with its data (blobs, log) under `data_dir`, and
    /// waits until `/readyz` answers.
    pub async fn start(database_url: &str, data_dir: &Path, secret: &str) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(data_dir.join("server.log"))?;
        let child = Command::new(env!("CARGO_BIN_EXE_quire"))
            .arg("serve")
            .env("QUIRE_BIND", format!("127.0.0.1:{port}"))
            .env("QUIRE_DATA_DIR", data_dir)
            .env("QUIRE_DATABASE_URL", database_url)
            .env("QUIRE_JWT_SECRET", secret)
            .env("QUIRE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            let ready = client.get(format!("{}/readyz", server.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!(
            "quire did not become ready; see {}/server.log",
            data_dir.display()
        )
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid())
    }

    /// Samples resident memory every 20 ms until the sampler is stopped.
    pub fn sample_rss(&self) -> RssSampler {
        RssSampler::start(self.pid())
    }

    /// SIGTERM, then waits for the exit.
    pub fn stop(mut self) -> anyhow::Result<()> {
        Command::new("kill")
            .arg(self.child.id().to_string())
            .status()?;
        self.child.wait()?;
        Ok(())
    }
}

/// A run that fails half-way leaves no server behind to skew the next one.
impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The highest resident memory seen while it ran.
pub struct RssSampler {
    running: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
        let thread = {
            let (running, peak) = (running.clone(), peak.clone());
            std::thread::spawn(move || {
                while running.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        Self {
            running,
            peak,
            thread,
        }
    }

    /// The peak, in KiB.
    pub fn stop(self) -> u64 {
        self.running.store(false, Ordering::Relaxed);
        let _ = self.thread.join();
        self.peak.load(Ordering::Relaxed)
    }
}
