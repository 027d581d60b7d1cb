//! The load benchmark: seeds a small and a large company, starts the release server on
//! SQLite and on PostgreSQL, drives each scenario with `wrk` (16 connections) or a Rust client,
//! samples the server's memory and prints one table.
//!
//! `cargo bench --bench load` (options after `--`: `--items N` for the large company, default
//! 1,000,000; `--seconds S` per load run, default 8; `--backends sqlite,postgres`;
//! `--no-content` to skip the 1 GiB transfers; `--live` for the live drive alone: idle
//! subscriptions, subscriber latency, the feed over 100,000 changes; `--search` for search on
//! the large company alone; `QUIRE_BENCH_KEEP=1` keeps each backend's scratch directory, its
//! database and the server's log). PostgreSQL: `QUIRE_BENCH_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`), in a database `quire_bench` it recreates.

mod content;
mod dataset;
mod live;
mod report;
mod search;
mod server;
mod statements;
mod workload;
mod writes;
mod wrk;

use std::time::Instant;

use quire::auth::{Keys, Role};
use quire::domain::CompanyId;
use quire::service::{self, Service};
use quire::storage::BlobStore;
use sea_orm::{ConnectionTrait, Database};

use dataset::{Seeded, Shape};
use report::Report;
use server::Server;

/// The same allocator as the `quire` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SECRET: &str = "quire-bench-secret-0123456789abcdef";
const SMALL_ITEMS: u64 = 1_000;

struct Options {
    items: u64,
    seconds: u32,
    backends: Vec<String>,
    content: bool,
    /// Only the live drive (`live.rs`).
    live_only: bool,
    /// Only search on the large company (`search.rs`).
    search_only: bool,
}

impl Options {
    fn parse() -> anyhow::Result<Self> {
        let mut options = Self {
            items: 1_000_000,
            seconds: 8,
            backends: vec!["sqlite".into(), "postgres".into()],
            content: true,
            live_only: false,
            search_only: false,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| anyhow::anyhow!("{arg} needs a value"))
            };
            match arg.as_str() {
                "--items" => options.items = value()?.parse()?,
                "--seconds" => options.seconds = value()?.parse()?,
                "--backends" => {
                    options.backends = value()?.split(',').map(str::to_owned).collect();
                }
                "--no-content" => options.content = false,
                "--live" => options.live_only = true,
                "--search" => options.search_only = true,
                // `cargo bench` passes `--bench`.
                _ => {}
            }
        }
        Ok(options)
    }
}

/// The principals: `ada` seeds and writes (admin), `bob` reads (a plain member, so every
/// read evaluates the Shared Drive's access list).
pub struct Tokens {
    pub writer: String,
    pub reader: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse()?;
    wrk::ensure_installed()?;
    let mut report = Report::default();
    let started = Instant::now();
    for backend in &options.backends {
        let Some(database_url) = database_url(backend).await? else {
            eprintln!("{backend}: no database reachable, skipped");
            continue;
        };
        if options.live_only {
            let scratch = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
            let url = match database_url.as_str() {
                "" => format!(
                    "sqlite://{}?mode=rwc",
                    scratch.path().join("quire.db").display()
                ),
                url => url.to_owned(),
            };
            live::measure(backend, &url, scratch.path(), SECRET, &mut report).await?;
            continue;
        }
        run_backend(backend, &database_url, &options, &mut report).await?;
    }
    if options.content && !options.live_only && !options.search_only {
        content::measure(SECRET, &mut report).await?;
    }
    report.settle_against_sqlite(workload::SHARES, 2.0);
    println!("{}", report.markdown());
    eprintln!("whole run: {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// A fresh database for the backend, or `None` when PostgreSQL is not reachable.
async fn database_url(backend: &str) -> anyhow::Result<Option<String>> {
    match backend {
        "sqlite" => Ok(Some(String::new())),
        "postgres" => {
            let base = std::env::var("QUIRE_BENCH_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let Ok(admin) = Database::connect(&base).await else {
                return Ok(None);
            };
            admin
                .execute_unprepared("DROP DATABASE IF EXISTS quire_bench WITH (FORCE)")
                .await?;
            admin
                .execute_unprepared("CREATE DATABASE quire_bench")
                .await?;
            let (server, _) = base.rsplit_once('/').unwrap_or((&base, ""));
            Ok(Some(format!("{server}/quire_bench")))
        }
        other => anyhow::bail!("unknown backend {other}"),
    }
}

async fn run_backend(
    backend: &str,
    database_url: &str,
    options: &Options,
    report: &mut Report,
) -> anyhow::Result<()> {
    // QUIRE_BENCH_KEEP keeps the server's log and database, to read them afterwards.
    let keep = std::env::var_os("QUIRE_BENCH_KEEP").is_some();
    let scratch = tempfile::Builder::new()
        .disable_cleanup(keep)
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    if keep {
        eprintln!("{backend}: keeping {}", scratch.path().display());
    }
    let database_url = match database_url {
        "" => format!(
            "sqlite://{}?mode=rwc",
            scratch.path().join("quire.db").display()
        ),
        url => url.to_owned(),
    };
    let keys = Keys::from_secret(SECRET.as_bytes());
    let (small, large) = seed(
        backend,
        &database_url,
        &keys,
        scratch.path(),
        options,
        report,
    )
    .await?;
    let writes = CompanyId(uuid::Uuid::new_v4());
    let companies = [small.company, large.company, writes];
    let token = |user: &str, role: Role| {
        let roles: Vec<_> = companies.iter().map(|c| (*c, role)).collect();
        keys.mint_access(user, &roles, 24 * 3600, None)
    };
    let tokens = Tokens {
        writer: token("ada", Role::Admin)?,
        reader: token("bob", Role::Member)?,
    };

    let server = Server::start(&database_url, scratch.path(), SECRET).await?;
    if options.search_only {
        let db = service::connect(&database_url).await?;
        search::measure(
            backend,
            &db,
            &large,
            &server,
            SECRET,
            options.seconds,
            scratch.path(),
            report,
        )
        .await?;
        server.stop()?;
        return Ok(());
    }
    let workload = workload::Workload {
        backend,
        server: &server,
        tokens: &tokens,
        seconds: options.seconds,
        scratch: scratch.path(),
    };
    workload.run(&small, &large, writes, report).await?;
    server.stop()?;
    Ok(())
}

/// Seeds the small company through the service and the large one in bulk from its rows, and
/// counts what the measured reads cost in statements on them.
async fn seed(
    backend: &str,
    database_url: &str,
    keys: &Keys,
    scratch: &std::path::Path,
    options: &Options,
    report: &mut Report,
) -> anyhow::Result<(Seeded, Seeded)> {
    let db = service::connect(database_url).await?;
    let blobs = BlobStore::open(&format!("file://{}", scratch.join("blobs").display()))?;
    let service = Service::new(
        db.clone(),
        blobs.clone(),
        &quire::config::Limits {
            max_upload_bytes: 1 << 30,
            ..Default::default()
        },
    );
    let company = CompanyId(uuid::Uuid::new_v4());
    let ada =
        keys.verify_access(&keys.mint_access("ada", &[(company, Role::Admin)], 3600, None)?)?;

    let started = Instant::now();
    let small =
        dataset::through_service(&service, &ada, company, Shape::for_items(SMALL_ITEMS)).await?;
    eprintln!(
        "{backend}: {} items through the service in {:.1} s",
        small.items,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let templates = dataset::Templates::read(&db, &small).await?;
    let shape = Shape::for_items(options.items);
    let large = dataset::in_bulk(&db, templates, CompanyId(uuid::Uuid::new_v4()), shape).await?;
    if backend == "postgres" {
        // What autovacuum does shortly after a bulk load; measured plans should be steady ones.
        db.execute_unprepared("ANALYZE").await?;
    }
    eprintln!(
        "{backend}: {} items in bulk in {:.1} s",
        large.items,
        started.elapsed().as_secs_f64()
    );
    // Search: the bulk copies' content (the template's bytes again) not read, the small
    // company's extracted; then every item's words indexed, as a server started on a database
    // from before search would.
    {
        use entity::version;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        version::Entity::update_many()
            .col_expr(version::Column::SearchStatus, Expr::value("skipped"))
            .filter(version::Column::CompanyId.eq(large.company.0))
            .filter(version::Column::SearchStatus.eq("pending"))
            .exec(&db)
            .await?;
    }
    service.extract_pending().await?;
    let started = Instant::now();
    let indexed = service.index_unindexed().await?;
    let seconds = started.elapsed().as_secs_f64();
    report.push(report::Row {
        backend: backend.into(),
        scenario: format!("index {indexed} items stored before search (words of names)"),
        rate: format!("{:.0} items/s", indexed as f64 / seconds),
        p50_ms: None,
        p99_ms: None,
        peak_rss_kib: None,
        versus: format!("{seconds:.1} s"),
        goal: "report".into(),
        met: None,
    });
    statements::count(backend, &db, blobs, keys, [&small, &large], report).await?;
    db.close().await?;
    Ok((small, large))
}
