//! GraphQL as real clients use it: the GraphQL-over-HTTP transport, errors as the spec
//! defines them, ids a normalized cache can trust, pages that do not shift, persisted queries.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use quire::auth::Role;
use quire::config::Limits;
use quire::domain::CompanyId;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends, test_limits};

/// Posts a GraphQL body with these headers; the status, the content type and the JSON.
async fn post(app: &TestApp, headers: &[(&str, &str)], body: &str) -> (StatusCode, String, Value) {
    let mut request = Request::post("/graphql");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let (status, bytes, headers) = app
        .send(request.body(Body::from(body.to_owned())).unwrap())
        .await;
    (
        status,
        content_type(&headers),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

const JSON: (&str, &str) = ("content-type", "application/json");
const WANTS_GRAPHQL_RESPONSE: (&str, &str) = ("accept", "application/graphql-response+json");

on_both_backends! {
    async fn the_transport_negotiates_media_types_and_statuses(app: TestApp) {
        let ok = r#"{"query":"{ __typename }"}"#;
        for (accept, expected) in [
            (None, "application/json"),
            (Some("*/*"), "application/json"),
            (Some("application/json"), "application/json"),
            (Some("application/graphql-response+json"), "application/graphql-response+json"),
            (Some("application/graphql-response+json, application/json;q=0.9"), "application/graphql-response+json"),
        ] {
            let mut headers = vec![JSON];
            if let Some(accept) = accept {
                headers.push(("accept", accept));
            }
            let (status, media, body) = post(&app, &headers, ok).await;
            assert_eq!((status, media.as_str()), (StatusCode::OK, expected), "Accept {accept:?}");
            assert_eq!(body["data"]["__typename"], "QueryRoot");
        }
        // Request errors: 400 with no data as graphql-response+json, 200 with no data as JSON.
        for (body, code) in [
            (r#"{"query":"{ nope "}"#, "GRAPHQL_PARSE_FAILED"),
            (r#"{"query":"{ nope }"}"#, "GRAPHQL_VALIDATION_FAILED"),
            (r#"{"query":"query($n: Int) { __typename }","variables":{"n":"not a number"}}"#, "GRAPHQL_VALIDATION_FAILED"),
        ] {
            let (status, _, answer) = post(&app, &[JSON, WANTS_GRAPHQL_RESPONSE], body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
            assert!(answer.get("data").is_none(), "{answer}");
            assert_eq!(answer["errors"][0]["extensions"]["code"], code, "{body}");
            let (status, _, answer) = post(&app, &[JSON], body).await;
            assert_eq!(status, StatusCode::OK, "{body} as JSON");
            assert!(answer.get("data").is_none());
            assert_eq!(answer["errors"][0]["extensions"]["code"], code);
        }
        // Bodies that are no GraphQL request at all, and bodies that are not JSON.
        for body in [r#"{"qurey":"{ __typename }"}"#, r#"{"variables":{}}"#, "[]", "not json"] {
            let (status, _, answer) = post(&app, &[JSON], body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        }
        let (status, _, _) = post(&app, &[], ok).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "no content type");
        let (status, _, _) = post(&app, &[("content-type", "text/plain")], ok).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    async fn errored_fields_are_null_and_nulls_propagate_as_the_spec_says(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let missing = uuid::Uuid::new_v4();
        // `item` is `Item!`: its error nulls the whole data.
        let query = format!("{{ me {{ id }} item(companyId: \"{}\", id: \"{missing}\") {{ id }} }}", app.company);
        let answer = app.graphql(Some(&admin), &query, json!({})).await;
        assert_eq!(answer["data"], Value::Null, "{answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "NOT_FOUND");
        // `node` is nullable: present as null beside what succeeded.
        let answer = app.graphql(Some(&admin), "{ node(id: \"not-a-uuid\") { id } me { id } }", json!({})).await;
        assert_eq!(answer["data"], json!({ "node": null, "me": { "id": "ada" } }), "{answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(answer["errors"][0]["path"], json!(["node"]));
        // A non-null field deep in a list nulls up to the nearest nullable place.
        app.create(&admin, "root", "a", true).await;
        let query = format!("{{ item(companyId: \"{}\", id: \"root\") {{ id children {{ edges {{ node {{ id levelOfUser(userId: \"bad id!\") }} }} }} }} me {{ id }} }}", app.company);
        let answer = app.graphql(Some(&admin), &query, json!({})).await;
        assert_eq!(answer["data"], Value::Null, "item is non-null, so the null reaches data: {answer}");
        let query = format!("{{ node(id: \"{}\") {{ ... on Item {{ children {{ edges {{ node {{ levelOfUser(userId: \"bad id!\") }} }} }} }} }} me {{ id }} }}", app.global("root"));
        let answer = app.graphql(Some(&admin), &query, json!({})).await;
        assert_eq!(answer["data"], json!({ "node": null, "me": { "id": "ada" } }), "{answer}");
        // Every error has a code.
        for (query, code) in [
            (format!("{{ item(companyId: \"{}\", id: \"root\") {{ children(first: -1) {{ totalCount }} }} }}", app.company), "BAD_USER_INPUT"),
            (format!("{{ item(companyId: \"{}\", id: \"root\") {{ children(after: \"zzz\") {{ totalCount }} }} }}", app.company), "BAD_USER_INPUT"),
            ("{ item(companyId: true, id: \"root\") { id } }".to_owned(), "GRAPHQL_VALIDATION_FAILED"),
        ] {
            let answer = app.graphql(Some(&admin), &query, json!({})).await;
            assert_eq!(answer["errors"][0]["extensions"]["code"], code, "{query}: {answer}");
        }
    }

    async fn special_folders_have_ids_unique_across_companies(app: TestApp) {
        let other = CompanyId(uuid::Uuid::new_v4());
        let admin = app.keys.mint_access("ada", &[(app.company, Role::Admin), (other, Role::Admin)], 600, None).unwrap();
        let read = |company: CompanyId, id: String| {
            let (app, admin) = (&app, admin.clone());
            async move {
                app.data(&admin, "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { id name children { edges { node { id parentId } } } } }",
                    json!({ "c": company.to_string(), "id": id })).await["item"].clone()
            }
        };
        let create = |company: CompanyId, name: &'static str| {
            let (app, admin) = (&app, admin.clone());
            async move {
                app.data(&admin, "mutation($i: CreateItemInput!) { createItem(input: $i) { item { id } } }",
                    json!({ "i": { "companyId": company.to_string(), "parentId": "root", "name": name, "isDirectory": true } })).await
            }
        };
        create(app.company, "A's").await;
        create(other, "B's").await;
        let a = read(app.company, "root".into()).await;
        let b = read(other, "root".into()).await;
        assert_eq!(a["id"], format!("root/{}", app.company));
        assert_ne!(a["id"], b["id"], "one id, one object");
        assert_eq!(a["children"]["edges"][0]["node"]["parentId"], a["id"]);
        // The global form is taken wherever an id is, and node() resolves it.
        assert_eq!(read(app.company, a["id"].as_str().unwrap().into()).await["name"], "Shared Drive");
        let node = app.data(&admin, "query($id: ID!) { node(id: $id) { id ... on Item { name } } }", json!({ "id": b["id"] })).await;
        assert_eq!(node["node"]["id"], b["id"]);
        let wrong = app.error_code(Some(&admin), "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { id } }",
            json!({ "c": app.company.to_string(), "id": b["id"] })).await;
        assert_eq!(wrong, "BAD_USER_INPUT", "another company's global id");
        let created = app.data(&admin, "mutation($i: CreateItemInput!) { createItem(input: $i) { item { parentId } } }",
            json!({ "i": { "companyId": app.company.to_string(), "parentId": a["id"], "name": "via global", "isDirectory": true } })).await;
        assert_eq!(created["createItem"]["item"]["parentId"], a["id"]);
        // REST keeps its ids.
        let (_, rest) = app.rest("GET", "item/root", Some(&admin), None).await;
        assert_eq!(rest["item"]["id"], "root");
        assert!(rest["children"].as_array().unwrap().iter().all(|c| c["parent_id"] == "root"), "{rest}");
        let user = app.token("bob", Role::Member);
        let (_, mine) = app.rest("GET", "item/user_bob", Some(&user), None).await;
        assert_eq!(mine["item"]["id"], "user_bob");
    }

    async fn pages_do_not_shift_while_items_come_and_go(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "Busy", true).await;
        let mut ids = Vec::new();
        for n in 0..30 {
            ids.push(app.create(&admin, &folder, &format!("f{n:02}"), false).await);
        }
        let query = "query($c: ID!, $id: ID!, $after: String) { item(companyId: $c, id: $id) { children(first: 7, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id name } } } } }";
        let trash = "mutation($i: ItemInput!) { trashItem(input: $i) { item { id } } }";
        let mut seen: Vec<String> = Vec::new();
        let mut after = Value::Null;
        let mut round = 0;
        loop {
            let data = app.data(&admin, query, json!({ "c": app.company.to_string(), "id": folder, "after": after })).await;
            let children = &data["item"]["children"];
            seen.extend(children["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_owned()));
            // Meanwhile another client adds before and trashes around where we are.
            app.create(&admin, &folder, &format!("a{round}-new"), false).await;
            app.data(&admin, trash, json!({ "i": { "companyId": app.company.to_string(), "id": ids[(round * 5 + 29) % 30] } })).await;
            round += 1;
            if !children["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = children["pageInfo"]["endCursor"].clone();
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no item twice: {seen:?}");
        let originals: Vec<&String> = seen.iter().filter(|name| name.starts_with('f')).collect();
        let trashed: Vec<usize> = (0..round).map(|r| (r * 5 + 29) % 30).collect();
        for n in 0..30 {
            let name = format!("f{n:02}");
            let was_seen = seen.contains(&name);
            assert!(was_seen || trashed.contains(&n), "{name} survived but was skipped: {originals:?}");
        }
        // Backwards from the end, the same order reversed.
        let last = app.data(&admin, "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { children(last: 3) { pageInfo { hasPreviousPage startCursor } edges { node { name } } } } }",
            json!({ "c": app.company.to_string(), "id": folder })).await;
        let tail: Vec<&str> = last["item"]["children"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap()).collect();
        let all = app.child_names(&admin, &folder).await;
        assert_eq!(tail, all[all.len() - 3..].iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(last["item"]["children"]["pageInfo"]["hasPreviousPage"], true);
        let before = last["item"]["children"]["pageInfo"]["startCursor"].clone();
        let previous = app.data(&admin, "query($c: ID!, $id: ID!, $before: String) { item(companyId: $c, id: $id) { children(last: 2, before: $before) { edges { node { name } } } } }",
            json!({ "c": app.company.to_string(), "id": folder, "before": before })).await;
        let names: Vec<&str> = previous["item"]["children"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, all[all.len() - 5..all.len() - 3].iter().map(String::as_str).collect::<Vec<_>>());
        // A cursor of one order is refused in another.
        let other_order = app.error_code(Some(&admin), "query($c: ID!, $id: ID!, $after: String) { item(companyId: $c, id: $id) { children(after: $after, sort: {by: SIZE}) { totalCount } } }",
            json!({ "c": app.company.to_string(), "id": folder, "after": before })).await;
        assert_eq!(other_order, "BAD_USER_INPUT");
    }

    async fn automatic_persisted_queries_follow_the_apollo_protocol(app: TestApp) {
        let query = "query Persisted { __typename }";
        let hash = quire::graphql::persisted::hash(query);
        let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        let only_hash = json!({ "extensions": extensions }).to_string();
        let (status, _, answer) = post(&app, &[JSON], &only_hash).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer["errors"][0]["message"], "PersistedQueryNotFound");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND");
        let wrong = json!({ "query": "{ __typename }", "extensions": extensions }).to_string();
        let (status, _, _) = post(&app, &[JSON], &wrong).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "a text that is not the hash's");
        let both = json!({ "query": query, "extensions": extensions }).to_string();
        let (_, _, answer) = post(&app, &[JSON], &both).await;
        assert_eq!(answer["data"]["__typename"], "QueryRoot");
        let (_, _, answer) = post(&app, &[JSON], &only_hash).await;
        assert_eq!(answer["data"]["__typename"], "QueryRoot", "known by its hash now");
        // Over GET too, so answers can be cached.
        let uri = format!("/graphql?extensions={}", form_urlencoded::byte_serialize(extensions.to_string().as_bytes()).collect::<String>());
        let (status, bytes, _) = app.send(Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap()["data"]["__typename"], "QueryRoot");
    }
}

#[tokio::test]
async fn the_store_of_persisted_queries_is_bounded() {
    let app = TestApp::with_limits(Limits {
        persisted_queries: 2,
        ..test_limits()
    })
    .await;
    let register = |n: usize| {
        let query = format!("query Q{n} {{ __typename }}");
        let hash = quire::graphql::persisted::hash(&query);
        (
            query,
            json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }),
        )
    };
    for n in 0..3 {
        let (query, extensions) = register(n);
        post(
            &app,
            &[JSON],
            &json!({ "query": query, "extensions": extensions }).to_string(),
        )
        .await;
    }
    let (_, first) = register(0);
    let (_, _, answer) = post(&app, &[JSON], &json!({ "extensions": first }).to_string()).await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "the oldest was forgotten"
    );
    let (_, last) = register(2);
    let (_, _, answer) = post(&app, &[JSON], &json!({ "extensions": last }).to_string()).await;
    assert_eq!(answer["data"]["__typename"], "QueryRoot");
}

#[tokio::test]
async fn trusted_documents_run_alone_on_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let query = "query Me {\n  me { id }\n}\n";
    let document = dir.path().join("Me.graphql");
    std::fs::write(&document, query).unwrap();
    let printed = std::process::Command::new(crate::binary::quire())
        .arg("trusted-documents")
        .arg(&document)
        .output()
        .unwrap();
    assert!(printed.status.success());
    let manifest = dir.path().join("manifest.json");
    std::fs::write(&manifest, &printed.stdout).unwrap();
    let listed: Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert!(
        listed.as_object().unwrap().len() > 10,
        "the shim's operations are listed too"
    );
    let manifest = manifest.display().to_string();
    let server = crate::binary::Server::start(
        crate::binary::serve(dir.path(), &[("QUIRE_TRUSTED_DOCUMENTS", &manifest)]),
        dir.path(),
    );
    let token = server.token("ada", Role::Admin);
    let client = reqwest::Client::new();
    let send = |body: Value| {
        let request = client
            .post(format!("{}/graphql", server.base))
            .bearer_auth(&token)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let hash = quire::graphql::persisted::hash(query);
    let (status, answer) = send(json!({ "documentId": format!("sha256:{hash}") })).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["me"]["id"], "ada");
    let (status, answer) = send(json!({ "query": query })).await;
    assert_eq!(
        (status, &answer["data"]["me"]["id"]),
        (200, &json!("ada")),
        "the listed text itself runs"
    );
    let (status, answer) = send(json!({ "query": "{ me { id name } }" })).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    // The REST shim's own operations are not limited by it.
    let rest = client
        .get(server.documents("item/root"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status().as_u16(), 200);
}

#[test]
fn a_token_without_a_company_names_a_new_one_it_works_in() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(crate::binary::quire())
        .args(["token", "--user", "alice"])
        .env("QUIRE_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let token = String::from_utf8(output.stdout).unwrap();
    let said = String::from_utf8(output.stderr).unwrap();
    let company = said.split_whitespace().nth(1).unwrap();
    let keys = quire::auth::Keys::from_secret(
        std::fs::read_to_string(dir.path().join("jwt-secret"))
            .unwrap()
            .trim()
            .as_bytes(),
    );
    let viewer = keys.verify_access(token.trim()).unwrap();
    assert_eq!(viewer.role(CompanyId::parse(company).unwrap()), Role::Admin);
}
