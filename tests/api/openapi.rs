//! The committed `openapi.json` is what the code generates, the server serves it, and every
//! operation it documents reaches a handler.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;

use crate::support::TestApp;

#[test]
fn openapi_json_is_current() {
    crate::support::assert_committed_file_is_current(
        "openapi.json",
        &quire::rest::openapi::document(),
    );
}

#[tokio::test]
async fn the_document_is_served_and_each_operation_reaches_its_handler() {
    let app = TestApp::sqlite().await;
    let (status, body, _) = app
        .send(
            Request::get("/internal/services/documents/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let served: Value = serde_json::from_slice(&body).unwrap();
    let committed: Value = serde_json::from_str(&quire::rest::openapi::document()).unwrap();
    assert_eq!(served, committed);
    assert_eq!(served["openapi"], "3.1.0");

    let paths = served["paths"].as_object().unwrap();
    let mut operations = 0;
    for (template, item) in paths {
        let path = template
            .replace("{company_id}", &app.company.to_string())
            .replace("{id}", "root")
            .replace("{tab_id}", "tab")
            .replace("{user_id}", "someone");
        for method in item.as_object().unwrap().keys() {
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&path)
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .unwrap();
            let (status, body, _) = app.send(request).await;
            let answer = String::from_utf8_lossy(&body);
            assert!(
                !answer.contains("no route for"),
                "{method} {template} is documented but not routed: {status} {answer}"
            );
            assert!(
                status.is_client_error(),
                "{method} {template}: {status} {answer}"
            );
            operations += 1;
        }
    }
    assert_eq!(operations, 20, "every shim operation is documented");
}
