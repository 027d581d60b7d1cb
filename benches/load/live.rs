//! The live drive under load, against the release server on one backend: 10,000 idle
//! subscriptions (memory and CPU at rest), change-to-subscriber latency with 1,000
//! subscribers at 100 changes/s, and the feed read from its start over 100,000 changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use quire::auth::{Keys, Role};
use quire::domain::CompanyId;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::report::{Report, Row};
use crate::server::Server;

const IDLE_SUBSCRIPTIONS: usize = 10_000;
const SUBSCRIBERS: usize = 1_000;
/// Subscriptions per connection: the idle run holds 10 a socket, 1,000 sockets.
const PER_CONNECTION: usize = 10;
const CHANGES_PER_SECOND: u64 = 100;
const LATENCY_SECONDS: u64 = 10;
const FEED_CHANGES: usize = 100_000;

const SUBSCRIPTION: &str =
    "subscription($c: ID!) { driveChanged(companyId: $c) { cursor kind item { name } } }";

/// Runs the three measurements on `backend` and adds their rows.
pub async fn measure(
    backend: &str,
    database_url: &str,
    scratch: &std::path::Path,
    secret: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    let server = Server::start(database_url, scratch, secret).await?;
    let keys = Keys::from_secret(secret.as_bytes());
    let company = CompanyId(uuid::Uuid::new_v4());
    let admin = keys.mint_access("ada", &[(company, Role::Admin)], 24 * 3600, None)?;
    let address = server.base.trim_start_matches("http://").to_owned();

    // Idle: 10,000 subscriptions over 1,000 sockets, then ten seconds of nothing.
    let before = server.rss_kib();
    let mut idle = Vec::new();
    for n in 0..IDLE_SUBSCRIPTIONS / PER_CONNECTION {
        let token = keys.mint_access(
            &format!("idle{n}"),
            &[(company, Role::Member)],
            24 * 3600,
            None,
        )?;
        idle.push(subscribe(&address, &token, company, PER_CONNECTION).await?);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let held = server.rss_kib();
    let cpu = cpu_ticks(server.pid());
    tokio::time::sleep(Duration::from_secs(10)).await;
    let at_rest = (cpu_ticks(server.pid()) - cpu) as f64 / 10.0; // ticks of 10 ms over 10 s: %
    report.push(Row {
        backend: backend.into(),
        scenario: format!(
            "{IDLE_SUBSCRIPTIONS} idle subscriptions ({} sockets)",
            idle.len()
        ),
        rate: format!("CPU at rest {at_rest:.1}%"),
        p50_ms: None,
        p99_ms: None,
        peak_rss_kib: Some(held),
        versus: format!(
            "+{:.1} MiB, {:.1} KiB a subscription",
            (held.saturating_sub(before)) as f64 / 1024.0,
            (held.saturating_sub(before)) as f64 / IDLE_SUBSCRIPTIONS as f64
        ),
        goal: "report".into(),
        met: None,
    });
    drop(idle);
    tokio::time::sleep(Duration::from_secs(6)).await;

    // Latency: 1,000 subscribers (100 users, 10 each), 100 changes a second for 10 s.
    let started = Instant::now();
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let received = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::new();
    for n in 0..SUBSCRIBERS / PER_CONNECTION {
        let token = keys.mint_access(
            &format!("reader{n}"),
            &[(company, Role::Member)],
            24 * 3600,
            None,
        )?;
        let mut socket = subscribe(&address, &token, company, PER_CONNECTION).await?;
        let (latencies, received) = (latencies.clone(), received.clone());
        readers.push(tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                let name = &value["payload"]["data"]["driveChanged"]["item"]["name"];
                if let Some(sent) = name
                    .as_str()
                    .and_then(|n| n.strip_prefix("t"))
                    .and_then(|t| t.parse::<u64>().ok())
                {
                    let now = started.elapsed().as_micros() as u64;
                    latencies.lock().unwrap().push(now.saturating_sub(sent));
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let client = reqwest::Client::new();
    let total = CHANGES_PER_SECOND * LATENCY_SECONDS;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / CHANGES_PER_SECOND));
    let rss = server.sample_rss();
    for _ in 0..total {
        tick.tick().await;
        let name = format!("t{}", started.elapsed().as_micros());
        create(&client, &server.base, &admin, company, &name).await?;
    }
    // What is still on its way gets a while to arrive.
    let expected = total as usize * SUBSCRIBERS;
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let peak = rss.stop();
    for reader in readers {
        reader.abort();
    }
    let mut latencies = std::mem::take(&mut *latencies.lock().unwrap());
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map(|us| *us as f64 / 1000.0)
    };
    report.push(Row {
        backend: backend.into(),
        scenario: format!(
            "{SUBSCRIBERS} subscribers, {CHANGES_PER_SECOND} changes/s for {LATENCY_SECONDS} s"
        ),
        rate: format!("{} of {} delivered", latencies.len(), expected),
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        peak_rss_kib: Some(peak),
        versus: "commit to subscriber".into(),
        goal: "report".into(),
        met: None,
    });

    // The feed from its start over 100,000 changes: the 1,000 creations above, then updates
    // of those folders written into the log directly (through the server it takes minutes).
    let seeded = Instant::now();
    seed_updates(database_url, company, FEED_CHANGES - total as usize).await?;
    eprintln!(
        "{backend}: {FEED_CHANGES} changes in the log after {:.0} s",
        seeded.elapsed().as_secs_f64()
    );
    let read = Instant::now();
    let (mut after, mut seen, mut pages) = (Value::Null, 0usize, 0usize);
    loop {
        let page = graphql(&client, &server.base, &admin, "query($c: ID!, $after: String) { changes(companyId: $c, after: $after, first: 1000) { nodes { kind itemId } pageInfo { hasNextPage endCursor } } }", json!({ "c": company.to_string(), "after": after })).await?;
        let changes = &page["changes"];
        seen += changes["nodes"].as_array().map_or(0, Vec::len);
        pages += 1;
        after = changes["pageInfo"]["endCursor"].clone();
        if changes["pageInfo"]["hasNextPage"] != true {
            break;
        }
    }
    let took = read.elapsed().as_secs_f64();
    report.push(Row {
        backend: backend.into(),
        scenario: format!("the feed from its start, {seen} changes in {pages} pages of 1000"),
        rate: format!("{:.0} changes/s", seen as f64 / took),
        p50_ms: Some(took * 1000.0 / pages as f64),
        p99_ms: None,
        peak_rss_kib: Some(server.rss_kib()),
        versus: format!("{took:.1} s in all"),
        goal: "report".into(),
        met: None,
    });
    server.stop()?;
    Ok(())
}

/// Logs `count` updates of the company's items after its head, as writes would have, and
/// moves the head past them.
async fn seed_updates(database_url: &str, company: CompanyId, count: usize) -> anyhow::Result<()> {
    use entity::{change, company_revision, item};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
    let db = quire::service::connect(database_url).await?;
    let items: Vec<item::Model> = item::Entity::find()
        .filter(item::Column::CompanyId.eq(company.0))
        .all(&db)
        .await?;
    anyhow::ensure!(!items.is_empty(), "no items to update");
    let head = company_revision::Entity::find_by_id(company.0)
        .one(&db)
        .await?
        .map_or(1, |c| c.revision);
    let at = quire::domain::now_millis();
    let rows: Vec<change::ActiveModel> = (0..count)
        .map(|n| {
            let row = &items[n % items.len()];
            change::ActiveModel {
                company_id: Set(company.0),
                revision: Set(head + 1 + n as i64),
                ordinal: Set(0),
                kind: Set("updated".into()),
                item_id: Set(row.id),
                parent_before: Set(Some(row.parent_id.clone())),
                path_before: Set(Some(row.path.clone())),
                parent_after: Set(Some(row.parent_id.clone())),
                path_after: Set(Some(row.path.clone())),
                revoked: Set(json!([])),
                actor: Set("ada".into()),
                at: Set(at),
                seen_from_parent: Set(true),
            }
        })
        .collect();
    for chunk in rows.chunks(1_000) {
        change::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await?;
    }
    company_revision::Entity::update_many()
        .col_expr(
            company_revision::Column::Revision,
            sea_orm::sea_query::Expr::value(head + count as i64),
        )
        .filter(company_revision::Column::CompanyId.eq(company.0))
        .exec(&db)
        .await?;
    Ok(())
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket holding `count` subscriptions to the company's changes.
async fn subscribe(
    address: &str,
    token: &str,
    company: CompanyId,
    count: usize,
) -> anyhow::Result<Socket> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{address}/graphql/ws").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.contains("connection_ack") => break,
            Some(Ok(_)) => continue,
            other => anyhow::bail!("no connection_ack: {other:?}"),
        }
    }
    for id in 0..count {
        let start = json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": SUBSCRIPTION, "variables": { "c": company.to_string() } } });
        socket.send(Message::text(start.to_string())).await?;
    }
    Ok(socket)
}

async fn create(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    company: CompanyId,
    name: &str,
) -> anyhow::Result<()> {
    graphql(client, base, token, "mutation($c: ID!, $n: String!) { createItem(input: { companyId: $c, parentId: \"root\", name: $n, isDirectory: true }) { item { id } } }", json!({ "c": company.to_string(), "n": name })).await?;
    Ok(())
}

async fn graphql(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let answer: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await?;
    if !answer["errors"].is_null() {
        anyhow::bail!("{answer}");
    }
    Ok(answer["data"].clone())
}

/// The process's CPU time so far, in clock ticks (user and system).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |n: usize| {
        fields
            .get(n)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // After the command: state is field 0, utime 11, stime 12.
    field(11) + field(12)
}
