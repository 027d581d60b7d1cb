//! The HTTP server: routes, layers (tracing, request ids, limits, compression, CORS), shutdown.

use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_DISPOSITION;
use axum::http::{Extensions, HeaderMap, HeaderName, StatusCode, Version};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::graphql::{handler, playground, socket};
use crate::state::AppState;

/// The whole application as a router; tests drive it in process.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route(
            "/graphql",
            get(handler::get).post(handler::post),
        )
        .route("/graphql/ws", get(socket::upgrade))
        .route("/graphql/assets/{file}", get(playground::asset))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(crate::metrics::serve))
        .merge(crate::rest::routes(&state))
        .fallback(crate::rest::no_route)
        .route_layer(middleware::from_fn_with_state(state.clone(), crate::metrics::track))
        .layer(CompressionLayer::new().compress_when(
            // Downloads keep their length and ranges: never compress an attachment.
            DefaultPredicate::new().and(|_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions| {
                !headers.contains_key(CONTENT_DISPOSITION)
            }),
        ))
        .layer(CorsLayer::permissive())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        // Failures are logged where they arise (internal errors, once); a 5xx answer is not
        // one more error line.
        .layer(TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)).make_span_with(|request: &axum::http::Request<_>| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match state.service.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

/// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish for up to `grace`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    grace: Duration,
) -> anyhow::Result<()> {
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new connections, finishing in-flight requests");
        let _ = stop_tx.send(true);
    });
    let server = tokio::spawn(async move { server.await });
    tokio::select! {
        result = server => result??,
        _ = async {
            let _ = stop_rx.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!("grace period over; exiting with requests still in flight"),
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
