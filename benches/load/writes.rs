//! Writes from many writers at once: creating files over REST (checking that every one landed
//! with a name of its own), and sharing one folder over GraphQL (checking every share landed).

use std::collections::HashSet;
use std::time::Instant;

use serde_json::{Value, json};

/// What a batch of writes measured.
pub struct Creates {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

pub struct Api<'a> {
    pub client: &'a reqwest::Client,
    pub base: &'a str,
    pub company: String,
    pub token: &'a str,
}

impl Api<'_> {
    fn documents(&self, rest: &str) -> String {
        format!(
            "{}/internal/services/documents/v1/companies/{}/{rest}",
            self.base, self.company
        )
    }

    /// `POST item` with a JSON body; the answer's JSON, or an error naming the status.
    pub async fn post_item(&self, body: &Value) -> anyhow::Result<Value> {
        let response = self
            .client
            .post(self.documents("item"))
            .bearer_auth(self.token)
            .json(body)
            .send()
            .await?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "POST item: {status} {}",
            response.text().await?
        );
        Ok(response.json().await?)
    }

    /// A GraphQL request's `data`, or an error with its errors.
    pub async fn graphql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let response: Value = self
            .client
            .post(format!("{}/graphql", self.base))
            .bearer_auth(self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(response.get("errors").is_none(), "GraphQL: {response}");
        Ok(response["data"].clone())
    }

    pub async fn create_folder(&self, name: &str) -> anyhow::Result<String> {
        let body = json!({ "item": { "parent_id": "root", "name": name, "is_directory": true } });
        let folder = self.post_item(&body).await?;
        Ok(folder["id"].as_str().unwrap_or_default().to_owned())
    }
}

/// Creates `count` files named `note.txt` in a new folder from `writers` concurrent writers;
/// fails unless all succeed and end up with `count` distinct names.
pub async fn create_files(api: &Api<'_>, count: usize, writers: usize) -> anyhow::Result<Creates> {
    let folder = api.create_folder(&format!("creates-by-{writers}")).await?;
    let body = json!({
        "item": { "parent_id": folder, "name": "note.txt" },
        "version": { "file_metadata": { "name": "note.txt", "size": 100, "mime": "text/plain" } },
    });
    let started = Instant::now();
    let per_writer = count / writers;
    let mut latencies = Vec::with_capacity(count);
    let results = futures::future::join_all((0..writers).map(|_| async {
        let mut mine = Vec::with_capacity(per_writer);
        for _ in 0..per_writer {
            let sent = Instant::now();
            api.post_item(&body).await?;
            mine.push(sent.elapsed().as_secs_f64() * 1000.0);
        }
        anyhow::Ok(mine)
    }))
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    for result in results {
        latencies.extend(result?);
    }

    let (total, names) = children_names(api, &folder, count).await?;
    let distinct: HashSet<&String> = names.iter().collect();
    anyhow::ensure!(
        total == per_writer * writers && distinct.len() == total,
        "{total} files, {} distinct names, {} created",
        distinct.len(),
        per_writer * writers
    );
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Ok(Creates {
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: at(0.50),
        p99_ms: at(0.99),
    })
}

/// How many children a folder has, and the names of the first `count`.
async fn children_names(
    api: &Api<'_>,
    folder: &str,
    count: usize,
) -> anyhow::Result<(usize, Vec<String>)> {
    let data = api
        .graphql(
            "query($c: ID!, $id: ID!, $n: Int) { item(companyId: $c, id: $id) { \
             children(first: $n) { totalCount edges { node { name } } } } }",
            json!({ "c": api.company, "id": folder, "n": count }),
        )
        .await?;
    let children = &data["item"]["children"];
    let total = children["totalCount"].as_u64().unwrap_or_default() as usize;
    Ok((
        total,
        children["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|edge| edge["node"]["name"].as_str().map(str::to_owned))
            .collect(),
    ))
}

/// `writers` concurrent callers each share one folder with a user of their own and unshare it
/// again, `rounds` times; fails unless every call succeeds and the last shares all landed.
pub async fn share_and_unshare(
    api: &Api<'_>,
    rounds: usize,
    writers: usize,
) -> anyhow::Result<Creates> {
    let folder = api.create_folder(&format!("shares-by-{writers}")).await?;
    const SHARE: &str = "mutation($i: ShareItemInput!) { shareItem(input: $i) { item { id } } }";
    const UNSHARE: &str =
        "mutation($i: UnshareItemInput!) { unshareItem(input: $i) { item { id } } }";
    let started = Instant::now();
    let results = futures::future::join_all((0..writers).map(|writer| {
        let folder = folder.clone();
        async move {
            let user = format!("sharee-{writer}");
            let mut mine = Vec::with_capacity(rounds * 2);
            for round in 0..rounds {
                let share = json!({ "i": { "companyId": api.company, "id": folder, "entity": { "type": "USER", "id": user, "level": "READ" } } });
                let sent = Instant::now();
                api.graphql(SHARE, share).await?;
                mine.push(sent.elapsed().as_secs_f64() * 1000.0);
                if round + 1 < rounds {
                    let unshare = json!({ "i": { "companyId": api.company, "id": folder, "type": "USER", "entityId": user } });
                    let sent = Instant::now();
                    api.graphql(UNSHARE, unshare).await?;
                    mine.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
            }
            anyhow::Ok(mine)
        }
    }))
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = Vec::new();
    for result in results {
        latencies.extend(result?);
    }
    let data = api
        .graphql(
            "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { accessInfo { entities { id } } } }",
            json!({ "c": api.company, "id": folder }),
        )
        .await?;
    let landed = data["item"]["accessInfo"]["entities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["id"].as_str().is_some_and(|id| id.starts_with("sharee-")))
        .count();
    anyhow::ensure!(landed == writers, "{landed} of {writers} shares landed");
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Ok(Creates {
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: at(0.50),
        p99_ms: at(0.99),
    })
}
