//! The `quire` binary: parses the command line, loads the configuration, runs a subcommand.

use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use quire::auth::{Keys, Role};
use quire::config::Config;
use quire::domain::CompanyId;
use quire::graphql::persisted::Persisted;
use quire::service::{self, Service, content};
use quire::state::AppState;
use quire::storage::BlobStore;

/// mimalloc: GraphQL execution allocates many small objects, where glibc's allocator is slow.
/// Built with `no_thp`: transparent huge pages made idle RSS 35 MiB instead of 20.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "quire", version, about = "A GraphQL-first document drive")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Mint an access token signed with the configured key.
    Token {
        /// The user id (the token's `sub`).
        #[arg(long)]
        user: String,
        /// A company and the role there, `<uuid>:<owner|admin|member|guest>`; repeatable.
        /// Without one, the token makes the user admin of a new company (named on standard
        /// error).
        #[arg(long = "company")]
        companies: Vec<String>,
        /// A display name to carry.
        #[arg(long)]
        name: Option<String>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 86_400)]
        ttl: u64,
    },
    /// Print a trusted-documents manifest (`{"<sha256>": "<document>"}`) of these `.graphql`
    /// files and the REST shim's own operations, for `QUIRE_TRUSTED_DOCUMENTS`.
    TrustedDocuments {
        /// The documents clients send, one per file, sent as written.
        files: Vec<std::path::PathBuf>,
    },
    /// Print the GraphQL schema (SDL).
    Schema {
        /// Fail when `schema.graphql` differs from what the code generates.
        #[arg(long)]
        check: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = cli.config;
    // Settings are checked before the data directory or the database is touched.
    config.validate()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            init_tracing(&config);
            config.ensure_data_dir()?;
            service::connect(&config.database_url()).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Token {
            user,
            companies,
            name,
            ttl,
        } => {
            config.ensure_data_dir()?;
            let keys = Keys::from_secret(&config.jwt_secret()?);
            let mut companies = companies
                .iter()
                .map(|spec| parse_company_role(spec))
                .collect::<anyhow::Result<Vec<_>>>()?;
            if companies.is_empty() {
                let company = CompanyId(uuid::Uuid::new_v4());
                eprintln!("company {company} ({user} is its admin)");
                companies.push((company, Role::Admin));
            }
            println!("{}", keys.mint_access(&user, &companies, ttl, name)?);
            Ok(())
        }
        Command::TrustedDocuments { files } => {
            let mut manifest = std::collections::BTreeMap::new();
            for file in &files {
                let document = std::fs::read_to_string(file)
                    .with_context(|| format!("reading {}", file.display()))?;
                manifest.insert(quire::graphql::persisted::hash(&document), document);
            }
            for document in quire::rest::Operations::texts() {
                manifest.insert(quire::graphql::persisted::hash(&document), document);
            }
            println!("{}", serde_json::to_string_pretty(&manifest)?);
            Ok(())
        }
        Command::Schema { check } => {
            let sdl = quire::graphql::sdl();
            if check {
                let committed =
                    std::fs::read_to_string("schema.graphql").context("reading schema.graphql")?;
                anyhow::ensure!(
                    committed == sdl,
                    "schema.graphql is stale: run `cargo run -- schema > schema.graphql` (or UPDATE_SCHEMA=1 cargo test)"
                );
                println!("schema.graphql is current");
            } else {
                print!("{sdl}");
            }
            Ok(())
        }
    }
}

fn parse_company_role(spec: &str) -> anyhow::Result<(CompanyId, Role)> {
    let (company, role) = spec.rsplit_once(':').unwrap_or((spec, "member"));
    let company = CompanyId::parse(company).map_err(|e| anyhow::anyhow!("{e}"))?;
    let role = Role::parse(role).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((company, role))
}

/// Logs go to standard error; standard output carries what the commands print.
fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    init_tracing(&config);
    config.ensure_data_dir()?;
    let keys = Keys::from_secret(&config.jwt_secret()?);
    let proxies = quire::auth::TrustedProxies::parse(&config.trusted_proxies)
        .map_err(|err| anyhow::anyhow!("QUIRE_TRUSTED_PROXIES: {err}"))?;
    let trusted = match &config.trusted_documents {
        Some(path) => {
            let manifest = std::fs::read_to_string(path)
                .with_context(|| format!("reading the trusted documents {}", path.display()))?;
            Some(
                Persisted::trusted(&manifest)
                    .with_context(|| format!("reading the trusted documents {}", path.display()))?,
            )
        }
        None => None,
    };
    let storage_url = config.storage_url();
    let blobs = BlobStore::open(&storage_url)
        .with_context(|| format!("opening the blob store {storage_url}"))?;
    let db = service::connect(&config.database_url())
        .await
        .context("opening the database")?;
    let limits = config.limits.clone();
    let service = Service::new(db, blobs, &limits);
    service.start_search_workers();
    // Before the first request: planner statistics of a database that grew while stopped.
    refresh_planner_statistics(&service).await;
    // Hourly: bytes a crash left without a row, content nobody uses, changes past their
    // retention, planner statistics.
    let maintainer = service.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            match maintainer.sweep(content::SWEEP_GRACE_SECS).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "swept unreferenced content"),
                Err(err) => tracing::warn!(error = ?err, "sweeping content failed"),
            }
            match maintainer.prune_changes().await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "pruned the change feed past its retention"),
                Err(err) => tracing::warn!(error = ?err, "pruning the change feed failed"),
            }
            refresh_planner_statistics(&maintainer).await;
        }
    });
    let mut state = AppState::new(service, keys, limits).with_trusted_proxies(proxies);
    if let Some(trusted) = trusted {
        state = state.with_persisted(trusted);
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let address = listener.local_addr()?;
    println!("Quire is listening on http://{address}");
    println!("GraphQL playground: http://{address}/graphql");
    println!("Try it (a token for alice, admin of a new company; then who she is):");
    println!("  TOKEN=$(cargo run --release -- token --user alice)");
    println!(
        "  curl -s http://{address}/graphql -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -d '{{\"query\":\"{{ me {{ id }} }}\"}}'"
    );
    println!(
        "In the playground, Headers: {{\"Authorization\": \"Bearer <the token>\"}}; the token command prints the company on standard error."
    );
    quire::server::serve(
        listener,
        quire::app(state),
        Duration::from_secs(config.shutdown_grace_secs),
    )
    .await
}

/// Refreshes the database's planner statistics; a failure only costs speed, so it is logged.
async fn refresh_planner_statistics(service: &Service) {
    if let Err(err) = service.refresh_planner_statistics().await {
        tracing::warn!(error = ?err, "refreshing planner statistics failed");
    }
}
