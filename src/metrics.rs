//! Prometheus metrics: requests by route and status, their latency, bytes in and out, and the
//! database pool — served at `GET /metrics` in the text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Latency {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Recorded {
    /// By (route, method, status).
    requests: BTreeMap<(String, String, u16), u64>,
    /// By route.
    latency: BTreeMap<String, Latency>,
    bytes_in: u64,
    bytes_out: u64,
    /// GraphQL requests by (operation name, outcome).
    operations: BTreeMap<(String, &'static str), u64>,
}

/// (route, method, status) series kept; past it requests count under `other`.
const MAX_REQUEST_SERIES: usize = 2000;

/// (name, outcome) series kept; later names count as `other` (clients choose the names).
const MAX_OPERATION_SERIES: usize = 200;

/// The counters; cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics(Arc<Mutex<Recorded>>);

fn length(headers: &axum::http::HeaderMap) -> u64 {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl Metrics {
    fn record(
        &self,
        route: String,
        method: String,
        status: u16,
        seconds: f64,
        bytes_in: u64,
        bytes_out: u64,
    ) {
        let mut recorded = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut key = (route.clone(), method, status);
        if !recorded.requests.contains_key(&key) && recorded.requests.len() >= MAX_REQUEST_SERIES {
            key = ("other".to_owned(), "other".to_owned(), 0);
        }
        *recorded.requests.entry(key).or_default() += 1;
        let latency = recorded.latency.entry(route).or_default();
        for (bound, count) in BUCKETS.iter().zip(latency.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        latency.count += 1;
        latency.sum += seconds;
        recorded.bytes_in += bytes_in;
        recorded.bytes_out += bytes_out;
    }

    /// Counts a `/graphql` request by its operation's name (`anonymous` without one) and
    /// whether it answered without errors.
    pub fn record_operation(&self, name: Option<&str>, ok: bool) {
        let mut recorded = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let valid = |name: &&str| {
            name.len() <= 64
                && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        let mut name = match name {
            None => "anonymous",
            Some(name) if valid(&name) => name,
            Some(_) => "invalid",
        }
        .to_owned();
        let outcome = if ok { "ok" } else { "error" };
        let known = recorded.operations.keys().any(|(known, _)| *known == name);
        let names = recorded.operations.len();
        if !known && names >= MAX_OPERATION_SERIES {
            name = "other".to_owned();
        }
        *recorded.operations.entry((name, outcome)).or_default() += 1;
    }

    fn render(&self, pool: (u32, usize)) -> String {
        let recorded = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP quire_requests_total HTTP requests by route, method and status."
        );
        let _ = writeln!(out, "# TYPE quire_requests_total counter");
        for ((route, method, status), count) in &recorded.requests {
            let _ = writeln!(
                out,
                "quire_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP quire_request_duration_seconds Time to answer, by route (streamed bodies: to the first byte)."
        );
        let _ = writeln!(out, "# TYPE quire_request_duration_seconds histogram");
        for (route, latency) in &recorded.latency {
            for (bound, count) in BUCKETS.iter().zip(latency.counts.iter()) {
                let _ = writeln!(
                    out,
                    "quire_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "quire_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                latency.count
            );
            let _ = writeln!(
                out,
                "quire_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                latency.sum
            );
            let _ = writeln!(
                out,
                "quire_request_duration_seconds_count{{route=\"{route}\"}} {}",
                latency.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP quire_graphql_operations_total GraphQL requests by operation name and outcome."
        );
        let _ = writeln!(out, "# TYPE quire_graphql_operations_total counter");
        for ((operation, outcome), count) in &recorded.operations {
            let _ = writeln!(
                out,
                "quire_graphql_operations_total{{operation=\"{operation}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP quire_request_bytes_total Request body bytes declared by Content-Length."
        );
        let _ = writeln!(out, "# TYPE quire_request_bytes_total counter");
        let _ = writeln!(out, "quire_request_bytes_total {}", recorded.bytes_in);
        let _ = writeln!(
            out,
            "# HELP quire_response_bytes_total Response body bytes declared by Content-Length."
        );
        let _ = writeln!(out, "# TYPE quire_response_bytes_total counter");
        let _ = writeln!(out, "quire_response_bytes_total {}", recorded.bytes_out);
        let _ = writeln!(
            out,
            "# HELP quire_db_pool_connections Database connections open, and idle."
        );
        let _ = writeln!(out, "# TYPE quire_db_pool_connections gauge");
        let _ = writeln!(
            out,
            "quire_db_pool_connections{{state=\"open\"}} {}",
            pool.0
        );
        let _ = writeln!(
            out,
            "quire_db_pool_connections{{state=\"idle\"}} {}",
            pool.1
        );
        out
    }
}

/// The label of a method: the standard ones by name, anything a client invents as `other`.
fn method_label(method: &axum::http::Method) -> String {
    use axum::http::Method;
    let known = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    if known.contains(method) {
        method.as_str().to_owned()
    } else {
        "other".to_owned()
    }
}

/// Records every request (by its route template, so ids do not explode the series; by a
/// known method or `other`, so clients cannot either).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = method_label(request.method());
    let bytes_in = length(request.headers());
    let started = Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let bytes_out = length(response.headers());
    state.metrics.record(
        route,
        method,
        response.status().as_u16(),
        seconds,
        bytes_in,
        bytes_out,
    );
    response
}

/// `GET /metrics`.
pub async fn serve(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.metrics.render(state.service.pool_stats());
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        body,
    )
}
