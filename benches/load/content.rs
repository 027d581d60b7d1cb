//! Bytes: upload and download 1 GiB, zip a folder of 1,000 files of 1 MiB, each timed against
//! `cp` of the same bytes on the same disk, with the server's peak memory while it ran.

use std::path::Path;
use std::time::Instant;

use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use quire::auth::{Keys, Role};
use quire::domain::CompanyId;

use crate::report::{Report, Row};
use crate::server::Server;
use crate::writes::Api;

const MIB: u64 = 1 << 20;
/// The whole payload (1 GiB), and the parts the zipped folder holds.
const TOTAL: u64 = 1024 * MIB;
const PARTS: u64 = 1000;

/// One timed transfer.
struct Transfer {
    pub scenario: &'static str,
    pub seconds: f64,
    pub cp_seconds: f64,
    pub peak_rss_kib: u64,
}

/// The three transfers on a fresh server (SQLite, local blob store under `target/`): the
/// bytes path does a handful of statements whatever the backend, and memory is its own.
pub async fn measure(secret: &str, report: &mut Report) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let database_url = format!(
        "sqlite://{}?mode=rwc",
        scratch.path().join("quire.db").display()
    );
    let server = Server::start(&database_url, scratch.path(), secret).await?;
    let company = CompanyId(uuid::Uuid::new_v4());
    let keys = Keys::from_secret(secret.as_bytes());
    let token = keys.mint_access("ada", &[(company, Role::Admin)], 24 * 3600, None)?;
    let client = reqwest::Client::new();
    let api = Api {
        client: &client,
        base: &server.base,
        company: company.to_string(),
        token: &token,
    };
    for transfer in run(&server, &api, scratch.path()).await? {
        report.push(transfer.row());
    }
    server.stop()
}

impl Transfer {
    fn row(&self) -> Row {
        let ratio = self.seconds / self.cp_seconds;
        Row {
            backend: "sqlite".into(),
            scenario: self.scenario.into(),
            rate: format!("{:.0} MiB/s ({:.2} s)", 1024.0 / self.seconds, self.seconds),
            p50_ms: None,
            p99_ms: None,
            peak_rss_kib: Some(self.peak_rss_kib),
            versus: format!("{ratio:.1}× `cp` ({:.2} s)", self.cp_seconds),
            goal: "≤ 2× `cp`; peak RSS < 100 MiB".into(),
            met: Some(ratio <= 2.0 && self.peak_rss_kib < 100 * 1024),
        }
    }
}

async fn run(server: &Server, api: &Api<'_>, scratch: &Path) -> anyhow::Result<Vec<Transfer>> {
    let big = scratch.join("big.bin");
    write_random(&big, TOTAL).await?;
    let cp_seconds = timed_cp(&big, &scratch.join("copy.bin"))?;

    let (uploading, uploaded) = timed(
        server,
        "upload 1 GiB (`POST files`, raw body)",
        cp_seconds,
        upload(api, &big, "big.bin"),
    )
    .await?;
    let item = file_of_upload(api, "big.bin", "root", &uploaded).await?;

    let download_path = scratch.join("down.bin");
    let (downloading, ()) = timed(
        server,
        "download 1 GiB (`GET item/:id/download`)",
        cp_seconds,
        download(api, &item, &download_path),
    )
    .await?;
    anyhow::ensure!(
        same_bytes(&big, &download_path)?,
        "the downloaded bytes differ"
    );
    std::fs::remove_file(&download_path)?;

    let folder = api.create_folder("parts").await?;
    let part = scratch.join("part.bin");
    for index in 0..PARTS {
        write_random(&part, TOTAL / PARTS).await?;
        let name = format!("part-{index:04}.bin");
        let uploaded = upload(api, &part, &name).await?;
        file_of_upload(api, &name, &folder, &uploaded).await?;
    }
    let zip_path = scratch.join("folder.zip");
    let (zipping, ()) = timed(
        server,
        "zip a folder of 1,000 files, 1 GiB",
        cp_seconds,
        download(api, &folder, &zip_path),
    )
    .await?;
    let files = zipped_files(&zip_path)?;
    anyhow::ensure!(files == PARTS, "the zip holds {files} files");
    for file in [big, zip_path, part] {
        std::fs::remove_file(file)?;
    }
    Ok(vec![uploading, downloading, zipping])
}

/// Runs `transfer` until its bytes are on disk (`sync`), timing it and watching the server's
/// memory. What other writes left unwritten is synced first, so that it is not timed.
async fn timed<T>(
    server: &Server,
    scenario: &'static str,
    cp_seconds: f64,
    transfer: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<(Transfer, T)> {
    sync()?;
    let sampler = server.sample_rss();
    let started = Instant::now();
    let output = transfer.await?;
    sync()?;
    let measured = Transfer {
        scenario,
        seconds: started.elapsed().as_secs_f64(),
        cp_seconds,
        peak_rss_kib: sampler.stop(),
    };
    Ok((measured, output))
}

/// `size` random bytes (incompressible, as most stored files are).
async fn write_random(path: &Path, size: u64) -> anyhow::Result<()> {
    let mut file = tokio::fs::File::create(path).await?;
    let mut block = vec![0u8; MIB as usize];
    let mut left = size;
    while left > 0 {
        rand::fill(&mut block[..]);
        let n = left.min(MIB) as usize;
        file.write_all(&block[..n]).await?;
        left -= n as u64;
    }
    file.sync_all().await?;
    Ok(())
}

fn timed_cp(from: &Path, to: &Path) -> anyhow::Result<f64> {
    sync()?;
    let started = Instant::now();
    let status = std::process::Command::new("cp")
        .arg(from)
        .arg(to)
        .status()?;
    anyhow::ensure!(status.success(), "cp failed");
    sync()?;
    let seconds = started.elapsed().as_secs_f64();
    std::fs::remove_file(to)?;
    Ok(seconds)
}

fn sync() -> anyhow::Result<()> {
    anyhow::ensure!(std::process::Command::new("sync").status()?.success());
    Ok(())
}

/// Streams a file to `POST files`; returns the uploaded file's id.
async fn upload(api: &Api<'_>, path: &Path, name: &str) -> anyhow::Result<String> {
    let file = tokio::fs::File::open(path).await?;
    let length = file.metadata().await?.len();
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
        file,
        256 * 1024,
    ));
    let url = format!(
        "{}/internal/services/files/v1/companies/{}/files?filename={name}&type=application/octet-stream",
        api.base, api.company
    );
    let response = api
        .client
        .post(url)
        .bearer_auth(api.token)
        .header("content-type", "application/octet-stream")
        .header("content-length", length)
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "upload: {}",
        response.status()
    );
    let answer: Value = response.json().await?;
    Ok(answer["resource"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// `POST item`: a file in `parent` whose first version holds the upload's bytes; its id.
async fn file_of_upload(
    api: &Api<'_>,
    name: &str,
    parent: &str,
    uploaded: &str,
) -> anyhow::Result<String> {
    let item = api
        .post_item(&json!({
            "item": { "name": name, "parent_id": parent },
            "version": { "file_metadata": { "external_id": uploaded } },
        }))
        .await?;
    Ok(item["id"].as_str().unwrap_or_default().to_owned())
}

/// Streams `GET item/:id/download` (a file's bytes or a folder's zip) into `path`.
async fn download(api: &Api<'_>, id: &str, path: &Path) -> anyhow::Result<()> {
    let url = format!(
        "{}/internal/services/documents/v1/companies/{}/item/{id}/download",
        api.base, api.company
    );
    let response = api.client.get(url).bearer_auth(api.token).send().await?;
    anyhow::ensure!(
        response.status().is_success(),
        "download: {}",
        response.status()
    );
    let mut file = tokio::fs::File::create(path).await?;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        file.write_all(&chunk?).await?;
    }
    file.sync_all().await?;
    Ok(())
}

fn same_bytes(a: &Path, b: &Path) -> anyhow::Result<bool> {
    Ok(std::process::Command::new("cmp")
        .arg("-s")
        .arg(a)
        .arg(b)
        .status()?
        .success())
}

/// The files in an archive (its folders' entries aside).
fn zipped_files(path: &Path) -> anyhow::Result<u64> {
    let archive = zip::ZipArchive::new(std::fs::File::open(path)?)?;
    Ok(archive
        .file_names()
        .filter(|name| name.as_ref().is_ok_and(|name| !name.ends_with('/')))
        .count() as u64)
}
