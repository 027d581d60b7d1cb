//! What each measured read costs in SQL statements, counted in process (the real router over
//! the seeded database) as the reader, on the small and the large company.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::Request;
use quire::auth::{Keys, Role};
use quire::config::Limits;
use quire::service::Service;
use quire::state::AppState;
use quire::storage::BlobStore;
use sea_orm::DatabaseConnection;
use tower::ServiceExt;

use crate::dataset::Seeded;
use crate::report::{Report, Row};

/// Counts the statements of the three reads on each company and adds a row per read.
pub async fn count(
    backend: &str,
    db: &DatabaseConnection,
    blobs: BlobStore,
    keys: &Keys,
    companies: [&Seeded; 2],
    report: &mut Report,
) -> anyhow::Result<()> {
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    let limits = Limits::default();
    let mut service = Service::new(db.clone(), blobs, &limits);
    service.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let router = quire::app(AppState::new(service, keys.clone(), limits));
    let roles: Vec<_> = companies
        .iter()
        .map(|c| (c.company, Role::Member))
        .collect();
    let reader = keys.mint_access("bob", &roles, 3600, None)?;

    let mut worst = [0usize; 3];
    for seeded in companies {
        let requests = [
            Request::get(seeded.item_path(seeded.file)).body(Body::empty())?,
            Request::get(seeded.item_path(seeded.hundred)).body(Body::empty())?,
            Request::post("/graphql")
                .header("content-type", "application/json")
                .body(Body::from(seeded.browse_body()))?,
        ];
        for (slot, mut request) in worst.iter_mut().zip(requests) {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {reader}").parse()?);
            let before = statements.load(Ordering::SeqCst);
            let response = router.clone().oneshot(request).await?;
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            anyhow::ensure!(
                status.is_success() && !body.windows(8).any(|w| w == b"\"errors\""),
                "{status}: {}",
                String::from_utf8_lossy(&body)
            );
            *slot = (*slot).max(statements.load(Ordering::SeqCst) - before);
        }
    }
    let reads = [
        ("REST `GET item/:id`, a file", 3, "≤ 3"),
        ("REST `GET item/:id`, a folder of 100", 4, "≤ 4"),
        ("GraphQL `BrowseFolder`, 100 children", 4, "≤ 4"),
    ];
    for ((scenario, most, goal), counted) in reads.into_iter().zip(worst) {
        report.push(Row {
            backend: backend.into(),
            scenario: format!("statements of {scenario} (1k and 1M items)"),
            rate: format!("{counted} statements"),
            p50_ms: None,
            p99_ms: None,
            peak_rss_kib: None,
            versus: "the more of the two companies".into(),
            goal: goal.into(),
            met: Some(counted <= most),
        });
    }
    Ok(())
}
