//! The permission matrix: every kind of principal against every operation, over REST and
//! GraphQL, with the exact answer of each cell — and, for each refusal, proof that nothing
//! changed.
//!
//! The world (built afresh for each principal): Olivia's personal drive holds folder `P`
//! (shared `read` with `bro`), which holds folder `B` whose `folder` entry is `none` (broken
//! inheritance; shared `read` with `inh`, `write` with the channel `general` through a tab,
//! and a public `read` link with a password), which holds the file `F` (shared `read` with
//! `rea`, `write` with `wri`, `manage` with `man`) and the file `T`, in the trash.
//! Besides the world's own principals: a token that does not name the company (`absent`) and
//! the visitor of another company's link (`visitor-elsewhere`).
//! Operations run in the column order, on `F` unless said: read, list `B`'s children,
//! download, zip `B`, add a version, rename, share (the same list again), attach a tab,
//! restore, move to `P`, trash, delete `T` for good. Moving into a folder one may not write
//! is covered in `items.rs`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use quire::auth::{Role, TabClaims, TokenKind};
use serde_json::{Value, json};

use crate::support::{Part, TestApp, multipart, on_both_backends};

/// The operations, in the order they run.
const OPERATIONS: [&str; 12] = [
    "read", "list", "download", "zip", "version", "update", "share", "tab", "restore", "move",
    "trash", "delete",
];

/// REST statuses per principal, in `OPERATIONS` order.
#[rustfmt::skip]
const REST: &[(&str, [u16; 12])] = &[
    //                read list down  zip  ver  upd share tab  rest move trash del
    ("owner",        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("admin",        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("member",       [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("guest",        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("absent",       [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("reader",       [200, 404, 200, 404, 403, 403, 403, 403, 403, 403, 403, 404]),
    ("writer",       [200, 404, 200, 404, 200, 200, 403, 403, 403, 403, 403, 404]),
    ("manager",      [200, 404, 200, 404, 200, 200, 200, 200, 200, 404, 200, 404]),
    ("inheritor",    [200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("broken",       [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("visitor",      [200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("no-password",  [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("expired-link", [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("visitor-elsewhere", [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("tab-member",   [200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 403]),
    ("download-token", [401, 401, 200, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("nobody",       [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
];

/// How a principal presents itself.
#[derive(Clone)]
enum Credential {
    Bearer(String),
    /// A query string (`public_token=…`, `twake_tab_token=…`).
    Query(String),
    /// A download token: a bearer token elsewhere, `?token=` on the download routes.
    Download(String),
    Nothing,
}

struct World {
    app: TestApp,
    p: String,
    b: String,
    f: String,
    t: String,
    owner: String,
    link: String,
}

async fn world() -> World {
    world_on(TestApp::sqlite().await).await
}

async fn world_on(app: TestApp) -> World {
    let owner = app.token("olivia", Role::Member);
    let p = app.create(&owner, "user_olivia", "P", true).await;
    let b = app.create(&owner, &p, "B", true).await;
    let f = app
        .create_with_bytes(&owner, &b, "F.txt", b"the content of F")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = app.create(&owner, &b, "T.txt", false).await;
    let trash = app
        .graphql(
            Some(&owner),
            "mutation($i: ItemInput!) { trashItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": t } }),
        )
        .await;
    assert!(trash.get("errors").is_none(), "{trash}");
    for (id, entities) in [
        (
            &p,
            json!([{ "type": "FOLDER", "id": "parent", "level": "MANAGE" }, { "type": "USER", "id": "bro", "level": "READ" }]),
        ),
        (
            &b,
            json!([{ "type": "FOLDER", "id": "parent", "level": "NONE" }, { "type": "USER", "id": "inh", "level": "READ" }]),
        ),
        (&f, file_entities()),
    ] {
        let shared = app.share(&owner, id, entities).await;
        assert!(shared.get("errors").is_none(), "{shared}");
    }
    let tab = app
        .graphql(Some(&owner), "mutation($i: SetTabInput!) { setTab(input: $i) { tab { tabId } } }",
            json!({ "i": { "companyId": app.company.to_string(), "tabId": "t0", "channelId": "general", "itemId": b, "level": "WRITE" } }))
        .await;
    assert!(tab.get("errors").is_none(), "{tab}");
    let link = app
        .data(&owner, "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { accessInfo { public { token } } } } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": b, "publicLink": { "level": "READ", "password": "pw" } } }))
        .await["updateItem"]["item"]["accessInfo"]["public"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    World {
        app,
        p,
        b,
        f,
        t,
        owner,
        link,
    }
}

fn file_entities() -> Value {
    json!([
        { "type": "FOLDER", "id": "parent", "level": "MANAGE" },
        { "type": "USER", "id": "rea", "level": "READ" },
        { "type": "USER", "id": "wri", "level": "WRITE" },
        { "type": "USER", "id": "man", "level": "MANAGE" },
    ])
}

async fn credential(world: &World, principal: &str) -> Credential {
    let app = &world.app;
    let bearer = |user: &str, role: Role| Credential::Bearer(app.token(user, role));
    match principal {
        "owner" => Credential::Bearer(world.owner.clone()),
        "admin" => bearer("ada", Role::Admin),
        "member" => bearer("mia", Role::Member),
        "guest" => bearer("gus", Role::Guest),
        // A token that does not name the company at all.
        "absent" => Credential::Bearer(app.keys.mint_access("abe", &[], 600, None).unwrap()),
        "reader" => bearer("rea", Role::Member),
        "writer" => bearer("wri", Role::Member),
        "manager" => bearer("man", Role::Member),
        "inheritor" => bearer("inh", Role::Member),
        "broken" => bearer("bro", Role::Member),
        "visitor" => {
            let body =
                json!({ "document_id": world.b, "token": world.link, "token_password": "pw" });
            let (status, answer) = app.rest("POST", "anonymous/token", None, Some(body)).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
            Credential::Bearer(answer["access_token"]["value"].as_str().unwrap().to_owned())
        }
        "no-password" => Credential::Query(format!("public_token={}", world.link)),
        // The visitor of a link of another company's.
        "visitor-elsewhere" => {
            let other = quire::domain::CompanyId(uuid::Uuid::new_v4());
            let owner = app
                .keys
                .mint_access("olivia", &[(other, Role::Member)], 600, None)
                .unwrap();
            let created = app.data(&owner, "mutation($i: CreateItemInput!) { createItem(input: $i) { item { id } } }",
                json!({ "i": { "companyId": other.to_string(), "parentId": "user_olivia", "name": "Theirs", "isDirectory": true } })).await;
            let folder = created["createItem"]["item"]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let linked = app.data(&owner, "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { accessInfo { public { token } } } } }",
                json!({ "i": { "companyId": other.to_string(), "id": folder, "publicLink": { "level": "WRITE" } } })).await;
            let link = linked["updateItem"]["item"]["accessInfo"]["public"]["token"]
                .as_str()
                .unwrap()
                .to_owned();
            let opened = app.data(&owner, "mutation($i: OpenPublicLinkInput!) { openPublicLink(input: $i) { accessToken } }",
                json!({ "i": { "companyId": other.to_string(), "documentId": folder, "token": link } })).await;
            Credential::Bearer(
                opened["openPublicLink"]["accessToken"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        }
        "expired-link" => {
            // A visitor's token from before the link expired.
            let Credential::Bearer(token) = Box::pin(credential(world, "visitor")).await else {
                unreachable!()
            };
            let expire = json!({ "i": { "companyId": app.company.to_string(), "id": world.b, "publicLink": { "expiration": 1 } } });
            app.data(
                &world.owner,
                "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { id } } }",
                expire,
            )
            .await;
            Credential::Bearer(token)
        }
        "tab-member" => {
            let claims = TabClaims {
                sub: "tabby".into(),
                exp: quire::auth::unix_now() + 600,
                typ: TokenKind::Tab,
                company_id: app.company.to_string(),
                channel_id: "general".into(),
                tab_id: "t0".into(),
            };
            Credential::Query(format!(
                "twake_tab_token={}",
                app.keys.sign(&claims).unwrap()
            ))
        }
        "download-token" => {
            let data = app
                .data(
                    &world.owner,
                    "query($c: ID!, $f: ID!) { downloadToken(companyId: $c, items: [$f]) }",
                    json!({ "c": app.company.to_string(), "f": world.f }),
                )
                .await;
            Credential::Download(data["downloadToken"].as_str().unwrap().to_owned())
        }
        "nobody" => Credential::Nothing,
        other => panic!("unknown principal {other}"),
    }
}

/// Sends one REST request as `who` with a JSON body; the status.
async fn rest(
    world: &World,
    who: &Credential,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> StatusCode {
    let body = body.map(|body| ("application/json".to_owned(), body.to_string().into_bytes()));
    send_rest(world, who, method, path, body).await
}

/// A multipart body with one small file part.
fn form_with_a_file(field: &str) -> (String, Vec<u8>) {
    multipart(&[Part::file(field, "v.txt", "text/plain", b"new content")])
}

/// Sends one REST request as `who` with a body of a content type; the status.
async fn send_rest(
    world: &World,
    who: &Credential,
    method: &str,
    path: &str,
    body: Option<(String, Vec<u8>)>,
) -> StatusCode {
    let mut uri = format!(
        "/internal/services/documents/v1/companies/{}/{path}",
        world.app.company
    );
    let mut request = Request::builder().method(method);
    let join = if uri.contains('?') { '&' } else { '?' };
    match who {
        Credential::Bearer(token) => {
            request = request.header("authorization", format!("Bearer {token}"))
        }
        Credential::Query(query) => uri = format!("{uri}{join}{query}"),
        Credential::Download(token) if path.contains("download") => {
            uri = format!("{uri}{join}token={token}")
        }
        Credential::Download(token) => {
            request = request.header("authorization", format!("Bearer {token}"))
        }
        Credential::Nothing => {}
    }
    let body = match body {
        Some((content_type, bytes)) => {
            request = request.header("content-type", content_type);
            Body::from(bytes)
        }
        None => Body::empty(),
    };
    world.app.send(request.uri(uri).body(body).unwrap()).await.0
}

/// Runs operation `op` over REST as `who`.
async fn rest_operation(world: &World, who: &Credential, op: &str) -> StatusCode {
    let (f, b, t, p) = (&world.f, &world.b, &world.t, &world.p);
    match op {
        "read" => rest(world, who, "GET", &format!("item/{f}"), None).await,
        "list" => rest(world, who, "POST", &format!("browse/{b}"), Some(json!({}))).await,
        "download" => rest(world, who, "GET", &format!("item/{f}/download"), None).await,
        "zip" => {
            rest(
                world,
                who,
                "GET",
                &format!("item/download/zip?items={b}"),
                None,
            )
            .await
        }
        "version" => {
            let form = form_with_a_file("file");
            send_rest(world, who, "POST", &format!("item/{f}/version"), Some(form)).await
        }
        "update" => {
            rest(
                world,
                who,
                "POST",
                &format!("item/{f}"),
                Some(json!({ "name": "renamed.txt" })),
            )
            .await
        }
        "share" => {
            let entities = json!([
                { "type": "folder", "id": "parent", "level": "manage" },
                { "type": "user", "id": "rea", "level": "read" },
                { "type": "user", "id": "wri", "level": "write" },
                { "type": "user", "id": "man", "level": "manage" },
            ]);
            rest(
                world,
                who,
                "POST",
                &format!("item/{f}"),
                Some(json!({ "access_info": { "entities": entities } })),
            )
            .await
        }
        "tab" => {
            rest(
                world,
                who,
                "POST",
                "tabs/t1",
                Some(json!({ "channel_id": "other", "item_id": f, "level": "read" })),
            )
            .await
        }
        "restore" => rest(world, who, "POST", &format!("item/{f}/restore"), None).await,
        "move" => {
            rest(
                world,
                who,
                "POST",
                &format!("item/{f}"),
                Some(json!({ "parent_id": p })),
            )
            .await
        }
        "trash" => rest(world, who, "DELETE", &format!("item/{f}"), None).await,
        "delete" => rest(world, who, "DELETE", &format!("item/{t}"), None).await,
        other => panic!("unknown operation {other}"),
    }
}

/// Runs operation `op` over GraphQL as `who`: the error code, or `OK`. `None` for the byte
/// operations, which GraphQL hands to REST (`downloadUrl`).
async fn graphql_operation(world: &World, who: &Credential, op: &str) -> Option<String> {
    let c = world.app.company.to_string();
    let (f, b, t, p) = (&world.f, &world.b, &world.t, &world.p);
    let (query, variables) = match op {
        "read" => (
            "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { id } }",
            json!({ "c": c, "id": f }),
        ),
        "list" => (
            "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { children { totalCount } } }",
            json!({ "c": c, "id": b }),
        ),
        "download" | "zip" => return None,
        "version" => (
            "mutation($i: CreateVersionInput!) { createVersion(input: $i) { version { id } } }",
            json!({ "i": { "companyId": c, "itemId": f, "file": null } }),
        ),
        "update" => (
            "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": c, "id": f, "name": "renamed.txt" } }),
        ),
        "share" => (
            "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": c, "id": f, "access": file_entities() } }),
        ),
        "tab" => (
            "mutation($i: SetTabInput!) { setTab(input: $i) { tab { tabId } } }",
            json!({ "i": { "companyId": c, "tabId": "t1", "channelId": "other", "itemId": f, "level": "READ" } }),
        ),
        "restore" => (
            "mutation($i: ItemInput!) { restoreItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": c, "id": f } }),
        ),
        "move" => (
            "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": c, "id": f, "parentId": p } }),
        ),
        "trash" => (
            "mutation($i: ItemInput!) { trashItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": c, "id": f } }),
        ),
        "delete" => (
            "mutation($i: ItemInput!) { deleteItem(input: $i) { deletedId } }",
            json!({ "i": { "companyId": c, "id": t } }),
        ),
        other => panic!("unknown operation {other}"),
    };
    let mut uri = "/graphql".to_owned();
    let operation = json!({ "query": query, "variables": variables }).to_string();
    // Adding a version carries its bytes: a multipart request.
    let (content_type, body) = if op == "version" {
        let map = json!({ "0": ["variables.i.file"] }).to_string();
        multipart(&[
            Part::text("operations", &operation),
            Part::text("map", &map),
            Part::file("0", "v.txt", "text/plain", b"new content"),
        ])
    } else {
        ("application/json".to_owned(), operation.into_bytes())
    };
    let mut request = Request::post("/graphql")
        .header("content-type", content_type)
        .header("apollo-require-preflight", "true");
    match who {
        Credential::Bearer(token) | Credential::Download(token) => {
            request = request.header("authorization", format!("Bearer {token}"))
        }
        Credential::Query(query) => uri = format!("/graphql?{query}"),
        Credential::Nothing => {}
    }
    let (_, bytes, _) = world
        .app
        .send(request.uri(uri).body(Body::from(body)).unwrap())
        .await;
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    Some(match answer["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => code.to_owned(),
        None => {
            assert!(answer.get("errors").is_none(), "{answer}");
            "OK".to_owned()
        }
    })
}

fn graphql_code(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "UNAUTHENTICATED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        other => panic!("no GraphQL code for {other}"),
    }
}

/// What the owner sees of the world: a refused operation must leave it as it was.
async fn snapshot(world: &World) -> Value {
    let app = &world.app;
    let query = "query($c: ID!, $f: ID!, $t: ID!) {
        f: item(companyId: $c, id: $f) { name parentId isInTrash size versions { totalCount }
            accessInfo { entities { type id level } } }
        t: nodes(ids: [$t]) { id }
        tab: tab(companyId: $c, tabId: \"t1\") { channelId }
    }";
    app.data(
        &world.owner,
        query,
        json!({ "c": app.company.to_string(), "f": world.f, "t": world.t }),
    )
    .await
}

async fn check_row(
    principal: &str,
    expected: &[u16; 12],
    face: &str,
    make: impl AsyncFn() -> World,
) {
    let world = make().await;
    let who = credential(&world, principal).await;
    for (op, want) in OPERATIONS.iter().zip(expected) {
        let before = snapshot(&world).await;
        let refused = match face {
            "rest" => {
                let got = rest_operation(&world, &who, op).await.as_u16();
                assert_eq!(got, *want, "REST {op} as {principal}");
                got != 200
            }
            _ => {
                let Some(got) = graphql_operation(&world, &who, op).await else {
                    continue;
                };
                assert_eq!(got, graphql_code(*want), "GraphQL {op} as {principal}");
                got != "OK"
            }
        };
        if refused {
            assert_eq!(
                snapshot(&world).await,
                before,
                "{face} {op} as {principal} was refused but changed something"
            );
        }
    }
}

on_both_backends! {
    async fn every_principal_gets_exactly_what_the_matrix_says_over_rest(app: TestApp) {
        let postgres = app.is_postgres();
        for (principal, expected) in REST {
            check_row(principal, expected, "rest", async || if postgres { world_on(TestApp::postgres().await).await } else { world().await }).await;
        }
        drop(app);
    }

    async fn every_principal_gets_exactly_what_the_matrix_says_over_graphql(app: TestApp) {
        let postgres = app.is_postgres();
        for (principal, expected) in REST {
            check_row(principal, expected, "graphql", async || if postgres { world_on(TestApp::postgres().await).await } else { world().await }).await;
        }
        drop(app);
    }
}
