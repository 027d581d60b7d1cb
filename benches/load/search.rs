//! Search on the large company, against the release server: a word query (one word of the
//! dataset's vocabulary, about 200 matches among 1,000,000 items, best first) and a
//! filter-only query (plain-text files, most recently modified first), a page of 50 each, as
//! a plain member (every hit's access is evaluated: the Shared Drive's list, the folders above);
//! and, to report, the worst word (one every file's name holds): one request, which the
//! search's time budget stops.

use quire::auth::{Keys, Role};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::json;

use crate::dataset::Seeded;
use crate::report::{Report, Row};
use crate::server::Server;
use crate::wrk::{self, Request};

/// The goal of issue 16: p99 under 50 ms for a page of 50.
const P99_GOAL_MS: f64 = 50.0;
const CONNECTIONS: u32 = 16;

const SEARCH: &str = "query($c: ID!, $q: String, $f: SearchFilterInput, $s: SearchSort) {
  search(companyId: $c, query: $q, filter: $f, sort: $s, first: 50) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name size lastModified viewerLevel } highlight { field ranges { start end } } }
  }
}";

#[allow(clippy::too_many_arguments)]
pub async fn measure(
    backend: &str,
    db: &DatabaseConnection,
    large: &Seeded,
    server: &Server,
    secret: &str,
    seconds: u32,
    scratch: &std::path::Path,
    report: &mut Report,
) -> anyhow::Result<()> {
    let keys = Keys::from_secret(secret.as_bytes());
    let member = keys.mint_access("bob", &[(large.company, Role::Member)], 24 * 3600, None)?;
    let file = entity::item::Entity::find_by_id(large.file.0)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the marked file is missing"))?;
    // A vocabulary word: the first word of a file's name (`<word>-<word>-<n>.txt`).
    let word = file.name.split('-').next().unwrap_or("file").to_owned();
    let company = large.company.to_string();
    let url = format!("{}/graphql", server.base);
    let client = reqwest::Client::new();
    let queries = [
        (
            format!("word query (`{word}`), best first"),
            json!({ "c": company, "q": word }),
            Some(P99_GOAL_MS),
        ),
        (
            "filter-only query (text/plain, newest first)".to_owned(),
            json!({ "c": company, "f": { "mimeTypes": ["text/plain"] }, "s": { "by": "LAST_MODIFIED", "order": "DESC" } }),
            Some(P99_GOAL_MS),
        ),
        (
            "worst word (`txt`: every file), best first".to_owned(),
            json!({ "c": company, "q": "txt" }),
            None,
        ),
    ];
    for (scenario, variables, goal) in queries {
        let body = json!({ "query": SEARCH, "variables": variables }).to_string();
        // One request first: it must answer a full page, or the load measures an error.
        let started = std::time::Instant::now();
        let answer: serde_json::Value = client
            .post(&url)
            .bearer_auth(&member)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await?
            .json()
            .await?;
        let took = started.elapsed();
        let found = answer["data"]["search"]["edges"]
            .as_array()
            .map_or(0, Vec::len);
        if goal.is_none() {
            // The worst word is reported, not loaded: one request, answered or stopped at
            // the search's time budget.
            let outcome = match answer["errors"][0]["extensions"]["code"].as_str() {
                Some(code) => format!("{code} after {:.1} s", took.as_secs_f64()),
                None => format!("{found} on the page in {:.1} s", took.as_secs_f64()),
            };
            report.push(Row {
                backend: backend.into(),
                scenario: format!("search, 1M company: {scenario}; one request"),
                rate: outcome,
                p50_ms: None,
                p99_ms: None,
                peak_rss_kib: None,
                versus: String::new(),
                goal: "report (QUIRE_SEARCH_TIMEOUT_MS: 5 s)".into(),
                met: None,
            });
            continue;
        }
        anyhow::ensure!(found > 0, "{scenario}: {answer}");
        let load = wrk::run(
            &Request {
                url: &url,
                token: Some(&member),
                post_json: Some(&body),
            },
            CONNECTIONS,
            seconds,
            scratch,
        )?;
        report.push(Row {
            backend: backend.into(),
            scenario: format!("search, 1M company: {scenario}; {found} on the page"),
            rate: format!("{:.0} req/s", load.requests_per_second),
            p50_ms: Some(load.p50_ms),
            p99_ms: Some(load.p99_ms),
            peak_rss_kib: None,
            versus: String::new(),
            goal: goal.map_or("report".into(), |ms| format!("p99 < {ms:.0} ms")),
            met: goal.map(|ms| load.p99_ms > 0.0 && load.p99_ms < ms),
        });
    }
    Ok(())
}
