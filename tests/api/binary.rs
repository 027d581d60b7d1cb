//! The real `quire` binary, started with its settings in the environment: what only a real
//! process shows (its configuration read, its limits applied, a full disk, its RSS).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use quire::auth::{Keys, Role};
use quire::domain::CompanyId;

pub const SECRET: &str = "binary-test-secret-0123456789";

/// A running `quire serve`, killed when dropped.
pub struct Server {
    pub base: String,
    pub company: CompanyId,
    child: Child,
    /// Where its standard error goes.
    pub log: PathBuf,
}

/// The binary under test.
pub fn quire() -> &'static str {
    env!("CARGO_BIN_EXE_quire")
}

/// `quire serve` with a data directory, a random port and `env`.
pub fn serve(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(quire());
    command.arg("serve");
    configure(&mut command, dir, env);
    command
}

/// The settings every test server has, and `env`.
pub fn configure(command: &mut Command, dir: &Path, env: &[(&str, &str)]) {
    command
        .env("QUIRE_DATA_DIR", dir)
        .env("QUIRE_BIND", "127.0.0.1:0")
        .env("QUIRE_JWT_SECRET", SECRET)
        .env("QUIRE_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
}

impl Server {
    /// Starts `command` and waits for it to say where it listens.
    pub fn start(mut command: Command, dir: &Path) -> Self {
        let log = dir.join("server.log");
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("starting quire");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let address = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.strip_prefix("Quire is listening on http://")
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| {
                panic!(
                    "quire did not start: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        // Keep reading what it prints, so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            base: format!("http://{address}"),
            company: CompanyId(uuid::Uuid::new_v4()),
            child,
            log,
        }
    }

    /// An access token for `user` with `role` in the server's company.
    pub fn token(&self, user: &str, role: Role) -> String {
        Keys::from_secret(SECRET.as_bytes())
            .mint_access(user, &[(self.company, role)], 600, None)
            .expect("a token")
    }

    /// A URL of the documents routes of the server's company.
    pub fn documents(&self, path: &str) -> String {
        format!(
            "{}/internal/services/documents/v1/companies/{}/{path}",
            self.base, self.company
        )
    }

    /// Creates an item over REST (`POST item` with this body) and returns its id.
    pub async fn create(&self, token: &str, body: serde_json::Value) -> String {
        let created: serde_json::Value = reqwest::Client::new()
            .post(self.documents("item"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        created["id"].as_str().expect("an item id").to_owned()
    }

    /// A URL of the files routes of the server's company.
    pub fn files(&self, path: &str) -> String {
        format!(
            "{}/internal/services/files/v1/companies/{}/{path}",
            self.base, self.company
        )
    }

    /// The process's resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// What it logged so far.
    pub fn logged(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for it to exit.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().expect("waiting for quire")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
