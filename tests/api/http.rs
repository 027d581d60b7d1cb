//! The HTTP surface around GraphQL: playground, GET queries, limits, health.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use quire::auth::Role;
use serde_json::{Value, json};

use crate::support::on_both_backends;

on_both_backends! {
    async fn playground_is_served_with_its_own_assets(app: TestApp) {
        let (status, body, headers) = app.send(Request::get("/graphql").header("accept", "text/html").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
        let page = String::from_utf8(body).unwrap();
        assert!(!page.contains("cdn") && !page.contains("https://"), "the page loads nothing from outside");
        for asset in ["graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js"] {
            assert!(page.contains(&format!("/graphql/assets/{asset}")), "{asset}");
            let (status, body, _) = app.send(Request::get(format!("/graphql/assets/{asset}")).body(Body::empty()).unwrap()).await;
            assert_eq!(status, StatusCode::OK, "{asset}");
            assert!(body.len() > 1000, "{asset}");
        }
    }

    async fn get_runs_queries_but_never_mutations(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let query = format!("{{ item(companyId: \"{}\", id: \"root\") {{ name }} }}", app.company);
        let uri = format!("/graphql?query={}", urlencode(&query));
        let (status, body, _) = app.send(Request::get(&uri).header("authorization", format!("Bearer {admin}")).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["data"]["item"]["name"], "Shared Drive");
        let mutation = format!("mutation {{ createItem(input: {{companyId: \"{}\", parentId: \"root\", name: \"x\"}}) {{ item {{ id }} }} }}", app.company);
        let uri = format!("/graphql?query={}", urlencode(&mutation));
        let (status, _, _) = app.send(Request::get(&uri).header("authorization", format!("Bearer {admin}")).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(app.child_names(&admin, "root").await.is_empty());
    }

    async fn an_answer_keeps_the_order_of_the_selection(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let query = format!("{{ item(companyId: \"{}\", id: \"root\") {{ size name isDirectory id }} }}", app.company);
        let uri = format!("/graphql?query={}", urlencode(&query));
        let (status, body, _) = app.send(Request::get(&uri).header("authorization", format!("Bearer {admin}")).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let body = String::from_utf8(body).unwrap();
        let at = |key: &str| body.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("{key} in {body}"));
        assert!(at("size") < at("name") && at("name") < at("isDirectory") && at("isDirectory") < at("id"), "{body}");
    }

    async fn depth_limit_rejects_with_a_clear_error_but_introspection_passes(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let mut selection = "name".to_owned();
        for _ in 0..10 {
            selection = format!("children(first: 1) {{ edges {{ node {{ {selection} }} }} }}");
        }
        let query = format!("query($c: ID!) {{ item(companyId: $c, id: \"root\") {{ {selection} }} }}");
        let response = app.graphql(Some(&admin), &query, json!({ "c": app.company.to_string() })).await;
        assert_eq!(response["errors"][0]["message"], "Query is nested too deep.", "{response:#}");
        let introspection = app.graphql(None, INTROSPECTION, json!({})).await;
        assert!(introspection.get("errors").is_none(), "{introspection:#}");
        assert!(introspection["data"]["__schema"]["types"].as_array().unwrap().len() > 20);
    }

    async fn health_and_readiness(app: TestApp) {
        for path in ["/healthz", "/readyz"] {
            let (status, _, headers) = app.send(Request::get(path).body(Body::empty()).unwrap()).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(headers.contains_key("x-request-id"));
        }
        let (_, _, headers) = app.send(Request::get("/healthz").header("x-request-id", "abc-123").body(Body::empty()).unwrap()).await;
        assert_eq!(headers["x-request-id"], "abc-123");
    }
}

on_both_backends! {
    async fn metrics_count_requests_by_route_template(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        app.send(Request::get("/healthz").body(Body::empty()).unwrap()).await;
        let id = app.create(&admin, "root", "Docs", true).await;
        app.rest("GET", &format!("item/{id}"), Some(&admin), None).await;
        app.rest("GET", "item/not-an-id", Some(&admin), None).await;
        app.graphql(Some(&admin), "query Drive { __typename }", json!({})).await;
        app.graphql(Some(&admin), "query Broken { nope }", json!({})).await;
        let (status, body, headers) = app.send(Request::get("/metrics").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = String::from_utf8(body).unwrap();
        for line in [
            "quire_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1",
            "quire_requests_total{route=\"/internal/services/documents/v1/companies/{company_id}/item/{id}\",method=\"GET\",status=\"200\"} 1",
            "quire_requests_total{route=\"/internal/services/documents/v1/companies/{company_id}/item/{id}\",method=\"GET\",status=\"400\"} 1",
            "quire_request_duration_seconds_count{route=\"/graphql\"} 3",
            "quire_graphql_operations_total{operation=\"Drive\",outcome=\"ok\"} 1",
            "quire_graphql_operations_total{operation=\"Broken\",outcome=\"error\"} 1",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        assert!(text.contains("quire_db_pool_connections{state=\"open\"}"));
    }
}

fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The introspection query GraphiQL sends when it opens.
pub(crate) const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"#;

on_both_backends! {
    async fn invented_methods_count_as_other_in_metrics(app: TestApp) {
        for n in 0..20 {
            let method = axum::http::Method::from_bytes(format!("BREW{}{}", n, "X".repeat(4000)).as_bytes()).unwrap();
            app.send(Request::builder().method(method).uri("/healthz").body(Body::empty()).unwrap()).await;
        }
        let (_, body, _) = app.send(Request::get("/metrics").body(Body::empty()).unwrap()).await;
        let text = String::from_utf8(body).unwrap();
        assert!(!text.contains("BREW"), "no invented method becomes a label");
        assert!(text.contains("method=\"other\""), "{text}");
    }
}
