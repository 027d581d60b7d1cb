//! Search over GraphQL and REST: words (prefixes, case and accents ignored) in names,
//! descriptions, tags and extracted content; each filter and order; pages without gaps; and
//! scope: a viewer finds exactly what they could open, never anything in the trash, and the
//! index is right the moment a change commits.

use std::collections::BTreeSet;
use std::io::Write;

use axum::http::StatusCode;
use quire::auth::{Role, TabClaims, TokenKind};
use serde_json::{Value, json};

use crate::principals::visit;
use crate::support::{TestApp, on_both_backends};

const SEARCH: &str = "query($c: ID!, $q: String, $f: SearchFilterInput, $s: SearchSort, $first: Int, $after: String) {
  search(companyId: $c, query: $q, filter: $f, sort: $s, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name } highlight { field text ranges { start end } } }
  }
}";

/// The whole `search` answer for `token`.
async fn search(
    app: &TestApp,
    token: &str,
    query: Option<&str>,
    filter: Value,
    sort: Value,
) -> Value {
    let data = app
        .data(
            token,
            SEARCH,
            json!({ "c": app.company.to_string(), "q": query, "f": filter, "s": sort, "first": 1000 }),
        )
        .await;
    data["search"].clone()
}

fn names(found: &Value) -> Vec<String> {
    found["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(found: &Value) -> BTreeSet<String> {
    found["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The names `token` finds for `query` (no filter, best first).
async fn found(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    names(&search(app, token, Some(query), Value::Null, Value::Null).await)
}

/// Creates a file holding `bytes` with this media type (GraphQL upload then REST create).
async fn upload_file(
    app: &TestApp,
    token: &str,
    parent: &str,
    name: &str,
    mime: &str,
    bytes: &[u8],
) -> String {
    let uploaded = app.upload(token, name, mime, bytes).await;
    let (status, item) = app
        .rest(
            "POST",
            "item",
            Some(token),
            Some(json!({
                "item": { "name": name, "parent_id": parent },
                "version": { "file_metadata": { "external_id": uploaded["id"], "name": name, "mime": mime } },
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    item["id"].as_str().unwrap().to_owned()
}

/// A one-page PDF whose text is `text`, made with lopdf.
fn pdf(text: &str) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let content = Content {
        operations: vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 24.into()]),
            Operation::new("Td", vec![100.into(), 600.into()]),
            Operation::new("Tj", vec![Object::string_literal(text)]),
            Operation::new("ET", vec![]),
        ],
    };
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// A zip of `(name, text)` parts, as Office Open XML and OpenDocument files are.
fn zipped(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in parts {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn docx(text: &str) -> Vec<u8> {
    let body = format!(
        "<?xml version=\"1.0\"?><w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    );
    zipped(&[
        ("[Content_Types].xml", "<Types/>"),
        ("word/document.xml", &body),
    ])
}

fn odt(text: &str) -> Vec<u8> {
    let body = format!(
        "<?xml version=\"1.0\"?><office:document-content xmlns:office=\"o\" xmlns:text=\"t\"><office:body><office:text><text:p>{text}</text:p></office:text></office:body></office:document-content>"
    );
    zipped(&[
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("content.xml", &body),
    ])
}

on_both_backends! {
    async fn names_match_by_word_prefix_whatever_the_case_and_accents(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "Reports", true).await;
        app.create(&admin, &folder, "Rapport été.pdf", false).await;
        app.create(&admin, &folder, "rapports-2024.txt", false).await;
        app.create(&admin, "root", "unrelated.txt", false).await;
        let mut hits = found(&app, &admin, "rapp").await;
        hits.sort();
        assert_eq!(hits, ["Rapport été.pdf", "rapports-2024.txt"]);
        assert_eq!(found(&app, &admin, "ETE RAPP").await, ["Rapport été.pdf"], "every word must match");
        assert_eq!(found(&app, &admin, "2024").await, ["rapports-2024.txt"]);
        assert!(found(&app, &admin, "zzzqqq").await.is_empty());
        assert!(found(&app, &admin, "apport").await.is_empty(), "prefixes of words, not substrings");
        let hit = search(&app, &admin, Some("été"), Value::Null, Value::Null).await;
        let highlight = &hit["edges"][0]["highlight"];
        assert_eq!(highlight["field"], "NAME");
        assert_eq!(highlight["text"], "Rapport été.pdf");
        assert_eq!(highlight["ranges"], json!([{ "start": 8, "end": 11 }]));
    }

    async fn descriptions_and_tags_are_searched(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let file = app.create(&admin, "root", "plain.txt", false).await;
        app.update(&admin, &file, json!({ "description": "Quarterly budget", "tags": ["finance", "Q3"] })).await;
        assert_eq!(found(&app, &admin, "budg").await, ["plain.txt"]);
        let hit = search(&app, &admin, Some("financ"), Value::Null, Value::Null).await;
        assert_eq!(hit["edges"][0]["highlight"]["field"], "TAGS");
        // Renamed: found by its new name at once, never by its old one.
        app.update(&admin, &file, json!({ "name": "renamed.txt" })).await;
        assert_eq!(found(&app, &admin, "renam").await, ["renamed.txt"]);
        assert!(found(&app, &admin, "plain").await.is_empty());
        // Renamed and shared in one update (logged as an access change): indexed all the same.
        app.update(&admin, &file, json!({ "name": "layoffs.txt", "access": [{ "type": "USER", "id": "bob", "level": "READ" }] })).await;
        app.update(&admin, &file, json!({ "name": "q3.txt", "access": [{ "type": "FOLDER", "id": "parent", "level": "MANAGE" }] })).await;
        assert!(found(&app, &admin, "layoffs").await.is_empty());
        assert_eq!(found(&app, &admin, "q3").await, ["q3.txt"]);
    }

    async fn content_is_searched_once_extracted(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let text = upload_file(&app, &admin, "root", "notes.txt", "text/plain", "Le budget prévisionnel".as_bytes()).await;
        let pdf = upload_file(&app, &admin, "root", "scan.pdf", "application/pdf", &pdf("Invoice from Zanzibar")).await;
        let docx = upload_file(&app, &admin, "root", "letter.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document", &docx("Dear Quokka")).await;
        let odt = upload_file(&app, &admin, "root", "essay.odt", "application/vnd.oasis.opendocument.text", &odt("Marmalade recipes")).await;
        let image = upload_file(&app, &admin, "root", "photo.png", "image/png", b"\x89PNG not text").await;
        // Until extracted, content is pending and not searched; names are.
        let status = app.item(&admin, &text, "searchStatus").await;
        assert_eq!(status["searchStatus"], "PENDING");
        assert!(found(&app, &admin, "previsionnel").await.is_empty());
        assert_eq!(app.service.extract_pending().await.unwrap(), 5);
        assert_eq!(found(&app, &admin, "previsionnel").await, ["notes.txt"]);
        assert_eq!(found(&app, &admin, "zanzib").await, ["scan.pdf"]);
        assert_eq!(found(&app, &admin, "quokka").await, ["letter.docx"]);
        assert_eq!(found(&app, &admin, "marmal").await, ["essay.odt"]);
        for (id, status) in [(&text, "DONE"), (&pdf, "DONE"), (&docx, "DONE"), (&odt, "DONE"), (&image, "SKIPPED")] {
            assert_eq!(app.item(&admin, id, "searchStatus").await["searchStatus"], status, "{id}");
        }
        let hit = search(&app, &admin, Some("budget"), Value::Null, Value::Null).await;
        let highlight = &hit["edges"][0]["highlight"];
        assert_eq!(highlight["field"], "CONTENT");
        assert_eq!(highlight["text"], "le budget previsionnel");
        // REST carries what was extracted, as the reference's `content_keywords`.
        let (_, item) = app.rest("GET", &format!("item/{text}"), Some(&admin), None).await;
        assert_eq!(item["item"]["content_keywords"], "budget previsionnel");
        // A new version replaces the content: the old words go at once, the new come once read.
        app.add_version(&admin, &text, b"Completely different words").await;
        assert!(found(&app, &admin, "previsionnel").await.is_empty());
        assert_eq!(app.service.extract_pending().await.unwrap(), 1);
        assert_eq!(found(&app, &admin, "complet").await, ["notes.txt"]);
    }

    async fn content_that_cannot_be_read_is_failed_not_retried(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let broken = upload_file(&app, &admin, "root", "broken.pdf", "application/pdf", b"%PDF-1.4 not really").await;
        assert_eq!(app.service.extract_pending().await.unwrap(), 1);
        assert_eq!(app.item(&admin, &broken, "searchStatus").await["searchStatus"], "FAILED");
        assert_eq!(app.service.extract_pending().await.unwrap(), 0, "a failed file is not taken again");
        assert_eq!(found(&app, &admin, "broken").await, ["broken.pdf"], "still found by name");
    }

    async fn filters_narrow_and_orders_hold(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let alice = app.token("alice", Role::Member);
        let folder = app.create(&admin, "root", "Projects", true).await;
        let inner = app.create(&admin, &folder, "Inner", true).await;
        app.share(&admin, &inner, json!([{ "type": "FOLDER", "id": "parent", "level": "MANAGE" },
            { "type": "USER", "id": "alice", "level": "WRITE" }])).await;
        let pause = || tokio::time::sleep(std::time::Duration::from_millis(5));
        let a = upload_file(&app, &admin, &folder, "alpha.pdf", "application/pdf", b"x").await;
        pause().await;
        let b = upload_file(&app, &alice, &inner, "beta.txt", "text/plain", b"bbbb").await;
        pause().await;
        let c = upload_file(&app, &alice, &inner, "gamma.txt", "text/plain", b"cc").await;
        let mut added = Vec::new();
        for id in [&a, &b, &c] {
            added.push(app.item(&admin, id, "added").await["added"].as_i64().unwrap());
        }
        let all = |filter: Value| search(&app, &admin, None, filter, json!({ "by": "NAME" }));
        assert_eq!(names(&all(json!({ "creatorIds": ["alice"] })).await), ["beta.txt", "gamma.txt"]);
        assert_eq!(names(&all(json!({ "mimeTypes": ["application/pdf"] })).await), ["alpha.pdf"]);
        assert_eq!(names(&all(json!({ "mimeTypes": ["application/pdf", "text/plain"] })).await), ["alpha.pdf", "beta.txt", "gamma.txt"]);
        assert_eq!(names(&all(json!({ "addedAfter": added[0], "addedBefore": added[2] })).await), ["beta.txt"]);
        assert_eq!(names(&all(json!({ "modifiedAfter": added[1], "mimeTypes": ["text/plain"] })).await), ["gamma.txt"]);
        assert_eq!(names(&all(json!({ "inFolder": folder })).await), ["alpha.pdf", "beta.txt", "gamma.txt", "Inner"]);
        assert_eq!(names(&all(json!({ "inFolder": inner })).await), ["beta.txt", "gamma.txt"]);
        assert_eq!(names(&all(json!({ "inFolder": "root" })).await).len(), 5);
        let sorted = |by: &str, order: &str| search(&app, &admin, None, json!({ "inFolder": folder }), json!({ "by": by, "order": order }));
        assert_eq!(names(&sorted("NAME", "DESC").await), ["Inner", "gamma.txt", "beta.txt", "alpha.pdf"]);
        assert_eq!(names(&sorted("SIZE", "DESC").await), ["Inner", "beta.txt", "gamma.txt", "alpha.pdf"]);
        assert_eq!(names(&sorted("ADDED", "ASC").await), ["Inner", "alpha.pdf", "beta.txt", "gamma.txt"]);
        assert_eq!(names(&sorted("ADDED", "DESC").await), ["gamma.txt", "beta.txt", "alpha.pdf", "Inner"]);
        // Bad filters are bad input.
        let bad = app.error_code(Some(&admin), SEARCH, json!({ "c": app.company.to_string(), "f": { "inFolder": a } })).await;
        assert_eq!(bad, "BAD_USER_INPUT");
        let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
        let bad = app.error_code(Some(&admin), SEARCH, json!({ "c": app.company.to_string(), "f": { "creatorIds": many } })).await;
        assert_eq!(bad, "BAD_USER_INPUT");
    }

    async fn pages_follow_each_other_without_gaps_or_repeats(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        for i in 0..23 {
            app.create(&admin, "root", &format!("page item {i:02}.txt"), false).await;
        }
        for sort in [json!(null), json!({ "by": "NAME" }), json!({ "by": "ADDED", "order": "DESC" })] {
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let data = app.data(&admin, SEARCH, json!({ "c": app.company.to_string(), "q": "page item",
                    "s": sort, "first": 5, "after": after })).await;
                let page = &data["search"];
                assert_eq!(page["totalCount"], 23);
                seen.extend(names(page));
                if page["pageInfo"]["hasNextPage"] != true { break; }
                after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
            }
            let unique: BTreeSet<_> = seen.iter().collect();
            assert_eq!((seen.len(), unique.len()), (23, 23), "{sort}: {seen:?}");
        }
        // A relevance cursor belongs to its words.
        let data = app.data(&admin, SEARCH, json!({ "c": app.company.to_string(), "q": "page", "first": 1 })).await;
        let cursor = data["search"]["pageInfo"]["endCursor"].clone();
        let bad = app.error_code(Some(&admin), SEARCH, json!({ "c": app.company.to_string(), "q": "item", "after": cursor })).await;
        assert_eq!(bad, "BAD_USER_INPUT");
    }

    async fn the_trash_is_never_searched(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "Old stuff", true).await;
        let inside = app.create(&admin, &folder, "ancient.txt", false).await;
        let alone = app.create(&admin, "root", "ancient-alone.txt", false).await;
        let act = |mutation: &'static str, id: String| { let app = &app; let admin = &admin; async move {
            let query = format!("mutation($i: ItemInput!) {{ {mutation}(input: $i) {{ __typename }} }}");
            app.data(admin, &query, json!({ "i": { "companyId": app.company.to_string(), "id": id } })).await;
        } };
        act("trashItem", folder.clone()).await;
        act("trashItem", alone.clone()).await;
        assert!(found(&app, &admin, "ancient").await.is_empty(), "trashed, and under a trashed folder");
        act("restoreItem", folder.clone()).await;
        assert_eq!(found(&app, &admin, "ancient").await, ["ancient.txt"]);
        let _ = inside;
    }

    async fn a_viewer_finds_exactly_what_they_could_open(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let gus = app.token("gus", Role::Guest);
        // The Shared Drive: an open folder, a closed one shared with bob, a closed one inside
        // that, a trashed one.
        let open = app.create(&admin, "root", "open", true).await;
        app.create(&admin, &open, "open file", false).await;
        let closed = app.create(&admin, &open, "closed", true).await;
        app.share(&admin, &closed, json!([{ "type": "FOLDER", "id": "parent", "level": "NONE" },
            { "type": "USER", "id": "bob", "level": "READ" }])).await;
        app.create(&admin, &closed, "closed file", false).await;
        let deeper = app.create(&admin, &closed, "deeper", true).await;
        app.share(&admin, &deeper, json!([{ "type": "FOLDER", "id": "parent", "level": "NONE" },
            { "type": "USER", "id": "gus", "level": "WRITE" }])).await;
        app.create(&admin, &deeper, "deeper file", false).await;
        let trashed = app.create(&admin, &open, "trashed", true).await;
        app.create(&admin, &trashed, "trashed file", false).await;
        app.data(&admin, "mutation($i: ItemInput!) { trashItem(input: $i) { __typename } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": trashed } })).await;
        // alice's drive: a folder shared with bob, and a file in it cut off from it.
        let mine = app.create(&alice, "user_alice", "mine", true).await;
        app.share(&alice, &mine, json!([{ "type": "USER", "id": "bob", "level": "READ" }])).await;
        app.create(&alice, &mine, "mine file", false).await;
        let private = app.create(&alice, &mine, "private file", false).await;
        app.share(&alice, &private, json!([{ "type": "FOLDER", "id": "parent", "level": "NONE" }])).await;
        app.create(&alice, "user_alice", "alone", false).await;
        // A link on alice's folder.
        let link = app.data(&alice, "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { accessInfo { public { token } } } } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": mine, "publicLink": { "level": "READ" } } })).await;
        let link = link["updateItem"]["item"]["accessInfo"]["public"]["token"].as_str().unwrap().to_owned();
        let visitor = visit(&app, &mine, &link).await;

        // Every item, and who could open it (item(id) answers and it is not in the trash).
        use sea_orm::EntityTrait;
        let all: BTreeSet<String> = entity::item::Entity::find().all(&app.db).await.unwrap()
            .into_iter().map(|row| row.id.to_string()).collect();
        for viewer in [&admin, &alice, &bob, &gus, &visitor] {
            let mut could_open = BTreeSet::new();
            for id in &all {
                let item = app.graphql(Some(viewer), "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { inTrash } }",
                    json!({ "c": app.company.to_string(), "id": id })).await;
                if item["data"]["item"]["inTrash"] == false {
                    could_open.insert(id.clone());
                }
            }
            let finds = ids(&search(&app, viewer, None, Value::Null, Value::Null).await);
            assert_eq!(finds, could_open, "what a viewer finds is what they could open");
            let with_words = ids(&search(&app, viewer, Some("file"), Value::Null, Value::Null).await);
            assert!(with_words.is_subset(&could_open));
        }
        let bob_finds = found(&app, &bob, "file").await.into_iter().collect::<BTreeSet<_>>();
        assert_eq!(bob_finds, ["closed file", "mine file", "open file"].map(String::from).into());
        let gus_finds = found(&app, &gus, "file").await;
        assert_eq!(gus_finds, ["deeper file"]);
        let visitor_finds = found(&app, &visitor, "file").await;
        assert_eq!(visitor_finds, ["mine file"], "a visitor searches its link's subtree only");
        // A tab token alone: its channel's entries, and nothing of its holder's own.
        let tab = app.graphql(Some(&admin), "mutation($i: SetTabInput!) { setTab(input: $i) { tab { tabId } } }",
            json!({ "i": { "companyId": app.company.to_string(), "tabId": "t1", "channelId": "general", "itemId": open, "level": "READ" } })).await;
        assert!(tab.get("errors").is_none(), "{tab}");
        let tab_token = app.keys.sign(&TabClaims {
            sub: "bob".into(), exp: quire::auth::unix_now() + 600, typ: TokenKind::Tab,
            company_id: app.company.to_string(), channel_id: "general".into(), tab_id: "t1".into(),
        }).unwrap();
        let (status, by_tab) = app.rest("POST", &format!("search?twake_tab_token={tab_token}"), None,
            Some(json!({ "search": "file" }))).await;
        assert_eq!(status, StatusCode::OK, "{by_tab}");
        let by_tab: Vec<&str> = by_tab["entities"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(by_tab, ["open file"], "not what bob himself may read");
        // Shared with me: what others shared with the viewer by name.
        let shared = search(&app, &bob, None, json!({ "sharedWithMe": true }), json!({ "by": "NAME" })).await;
        assert_eq!(names(&shared), ["closed", "mine"]);
        // Unshared: gone at once.
        app.share(&alice, &mine, json!([])).await;
        assert_eq!(found(&app, &bob, "mine").await, Vec::<String>::new());
    }

    async fn moves_are_searched_where_they_land(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let bob = app.token("bob", Role::Member);
        let closed = app.create(&admin, "root", "closed", true).await;
        app.share(&admin, &closed, json!([{ "type": "FOLDER", "id": "parent", "level": "NONE" }])).await;
        let file = app.create(&admin, "root", "wandering.txt", false).await;
        assert_eq!(found(&app, &bob, "wander").await, ["wandering.txt"]);
        app.update(&admin, &file, json!({ "parentId": closed })).await;
        assert!(found(&app, &bob, "wander").await.is_empty(), "moved where bob cannot read");
        let only_closed = search(&app, &admin, Some("wander"), json!({ "inFolder": closed }), Value::Null).await;
        assert_eq!(names(&only_closed), ["wandering.txt"]);
    }

    async fn rest_search_answers_in_the_references_shape(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let bob = app.token("bob", Role::Member);
        let pdf_a = upload_file(&app, &admin, "root", "sample a.pdf", "application/pdf", b"x").await;
        upload_file(&app, &admin, "root", "sample b.txt", "text/plain", b"y").await;
        let mine = app.create(&admin, "user_ada", "sample mine.txt", false).await;
        app.share(&admin, &mine, json!([{ "type": "USER", "id": "bob", "level": "READ" }])).await;
        let (status, answer) = app.rest("POST", "search", Some(&admin), Some(json!({ "search": "sample" }))).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["type"], "drive_files_dto");
        assert_eq!(answer["entities"].as_array().unwrap().len(), 3);
        let first = &answer["entities"][0];
        for field in ["id", "name", "parent_id", "is_directory", "added", "last_modified", "size", "access_info", "creator", "content_keywords"] {
            assert!(first.get(field).is_some(), "{field} in {first}");
        }
        let (_, pdfs) = app.rest("POST", "search", Some(&admin), Some(json!({ "mime_type": "application/pdf" }))).await;
        assert_eq!(pdfs["entities"].as_array().unwrap().iter().map(|e| e["id"].clone()).collect::<Vec<_>>(), [json!(pdf_a)]);
        let (_, sorted) = app.rest("POST", "search", Some(&admin), Some(json!({ "search": "sample", "sort": { "name_keyword": "desc" } }))).await;
        let sorted: Vec<&str> = sorted["entities"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(sorted, ["sample mine.txt", "sample b.txt", "sample a.pdf"]);
        // Pages: limitStr, then page_token from nextPage.
        let (_, page) = app.rest("POST", "search", Some(&admin), Some(json!({ "search": "sample", "sort": { "name_keyword": "asc" }, "pagination": { "limitStr": "2" } }))).await;
        assert_eq!(page["entities"].as_array().unwrap().len(), 2);
        let token = page["nextPage"]["page_token"].clone();
        assert!(token.is_string(), "{page}");
        let (_, rest) = app.rest("POST", "search", Some(&admin), Some(json!({ "search": "sample", "sort": { "name_keyword": "asc" }, "pagination": { "page_token": token, "limitStr": "2" } }))).await;
        assert_eq!(rest["entities"][0]["name"], "sample mine.txt");
        assert!(rest["nextPage"]["page_token"].is_null(), "{rest}");
        // The shared_with_me view: the reference's fields, with users resolved (a view of the
        // results, not a filter: bob finds the Shared Drive's files too).
        let (status, shared) = app.rest("POST", "search", Some(&bob), Some(json!({ "view": "shared_with_me" }))).await;
        assert_eq!(status, StatusCode::OK, "{shared}");
        let entities = shared["entities"].as_array().unwrap();
        assert_eq!(entities.len(), 3, "{shared}");
        let entity = entities.iter().find(|e| e["id"] == json!(mine)).expect("the shared file");
        assert_eq!(entity["created_by"]["id"], "ada");
        assert_eq!(entity["created_by"]["first_name"], "ada name");
        assert_eq!(entity["shared_by"]["id"], "ada");
        assert!(entity.get("access_info").is_none());
        let (_, picked) = app.rest("POST", "search", Some(&bob), Some(json!({ "search": "mine", "fields": ["id", "name"] }))).await;
        assert_eq!(picked["entities"], json!([{ "id": mine, "name": "sample mine.txt" }]));
        // Bad filters are 400 naming the field.
        for (body, field) in [
            (json!({ "added_gt": "yesterday" }), "added_gt"),
            (json!({ "sort": { "colour": "asc" } }), "sort"),
            (json!({ "sort": { "added": "sideways" } }), "sort"),
            (json!({ "mime_type": 7 }), "mime_type"),
            (json!({ "view": "everything" }), "view"),
        ] {
            let (status, error) = app.rest("POST", "search", Some(&admin), Some(body.clone())).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
            assert!(error["message"].as_str().unwrap().contains(field), "{body}: {error}");
        }
        let (status, _) = app.rest("POST", "search", None, Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

/// Sets a file's latest version's queue columns behind the service's back.
async fn set_claim(app: &TestApp, item: &str, status: &str, claimed_at: i64, attempts: i32) {
    use entity::version;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    version::Entity::update_many()
        .col_expr(version::Column::SearchStatus, Expr::value(status))
        .col_expr(version::Column::SearchClaimedAt, Expr::value(claimed_at))
        .col_expr(version::Column::SearchAttempts, Expr::value(attempts))
        .filter(version::Column::ItemId.eq(uuid::Uuid::parse_str(item).unwrap()))
        .exec(&app.db)
        .await
        .unwrap();
}

on_both_backends! {
    async fn a_search_costs_the_same_statements_whatever_its_page(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let bob = app.token("bob", Role::Member);
        let folder = app.create(&admin, "root", "deep", true).await;
        let deeper = app.create(&admin, &folder, "deeper", true).await;
        for i in 0..40 {
            app.create(&admin, &deeper, &format!("cost {i}.txt"), false).await;
        }
        let mut costs = Vec::new();
        for first in [5, 40] {
            let before = app.statements();
            let data = app.data(&bob, SEARCH, json!({ "c": app.company.to_string(), "q": "cost", "first": first })).await;
            costs.push(app.statements() - before);
            assert_eq!(names(&data["search"]).len(), first as usize);
        }
        assert_eq!(costs[0], costs[1], "{costs:?}");
        // The viewer's Shared Drive level, the page (its count riding along), its rows, their
        // ancestors, the entries on them; on SQLite, finding its connection's clock (the
        // search's time budget).
        assert!(costs[0] <= 6, "{costs:?}");
    }

    async fn items_stored_before_search_are_indexed_once(app: TestApp) {
        use sea_orm::{ConnectionTrait, EntityTrait};
        let admin = app.token("ada", Role::Admin);
        for i in 0..3 {
            app.create(&admin, "root", &format!("ancient {i}.txt"), false).await;
        }
        // A database from before search: no documents, and its walk not made yet.
        entity::search_document::Entity::delete_many().exec(&app.db).await.unwrap();
        app.db.execute_unprepared("UPDATE search_backfill SET done = false, walked_to = NULL").await.unwrap();
        assert!(found(&app, &admin, "ancient").await.is_empty());
        assert_eq!(app.service.index_unindexed().await.unwrap(), 3);
        assert_eq!(found(&app, &admin, "ancient").await.len(), 3);
        // Done once: the next start reads nothing, even if a document went missing since.
        entity::search_document::Entity::delete_many().exec(&app.db).await.unwrap();
        let before = app.statements();
        assert_eq!(app.service.index_unindexed().await.unwrap(), 0);
        assert_eq!(app.statements() - before, 1, "one look at where the walk stands");
    }

    async fn extraction_survives_a_crash_and_never_loops(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let file = upload_file(&app, &admin, "root", "crashed.txt", "text/plain", b"phoenix rises").await;
        // Claimed by a worker that then died: its lease ran out long ago, so it is taken again.
        set_claim(&app, &file, "running", 1, 1).await;
        assert_eq!(app.service.extract_pending().await.unwrap(), 1);
        assert_eq!(found(&app, &admin, "phoenix").await, ["crashed.txt"]);
        // Claimed by a live worker just now: left to it.
        set_claim(&app, &file, "running", quire::domain::now_millis(), 1).await;
        assert_eq!(app.service.extract_pending().await.unwrap(), 0);
        // Claimed three times already, and never finished: failed, not tried a fourth time.
        set_claim(&app, &file, "running", 1, 3).await;
        assert_eq!(app.service.extract_pending().await.unwrap(), 1);
        assert_eq!(app.item(&admin, &file, "searchStatus").await["searchStatus"], "FAILED");
        assert_eq!(app.service.extract_pending().await.unwrap(), 0);
    }
}

/// `quire serve` reads content for search by itself, within `QUIRE_SEARCH_MAX_CONTENT_BYTES`.
#[tokio::test]
async fn the_server_extracts_content_by_itself_within_its_bound() {
    use crate::binary::{Server, serve};
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        serve(dir.path(), &[("QUIRE_SEARCH_MAX_CONTENT_BYTES", "64")]),
        dir.path(),
    );
    let token = server.token("ada", Role::Admin);
    let client = reqwest::Client::new();
    let mut files = Vec::new();
    for (name, bytes) in [
        ("small.txt", b"the quick zebra".to_vec()),
        ("big.txt", b"elephant ".repeat(10)),
    ] {
        let uploaded: Value = client
            .post(server.files(&format!("files?filename={name}")))
            .bearer_auth(&token)
            .body(bytes)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = server
            .create(
                &token,
                json!({ "item": { "name": name, "parent_id": "root" },
            "version": { "file_metadata": { "external_id": uploaded["resource"]["id"] } } }),
            )
            .await;
        files.push(id);
    }
    let graphql = |query: &'static str, variables: Value| {
        let request = client
            .post(format!("{}/graphql", server.base))
            .bearer_auth(&token)
            .json(&json!({ "query": query, "variables": variables }));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let company = server.company.to_string();
    let mut found = Value::Null;
    for _ in 0..100 {
        found = graphql(
            "query($c: ID!) { search(companyId: $c, query: \"zebra\") { nodes { name } } }",
            json!({ "c": company }),
        )
        .await;
        if found["data"]["search"]["nodes"] != json!([]) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        found["data"]["search"]["nodes"],
        json!([{ "name": "small.txt" }]),
        "{found}"
    );
    let big = graphql(
        "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { searchStatus } }",
        json!({ "c": company, "id": files[1] }),
    )
    .await;
    assert_eq!(
        big["data"]["item"]["searchStatus"], "SKIPPED",
        "over QUIRE_SEARCH_MAX_CONTENT_BYTES: {big}"
    );
    let elephant = graphql(
        "query($c: ID!) { search(companyId: $c, query: \"elephant\") { nodes { name } } }",
        json!({ "c": company }),
    )
    .await;
    assert_eq!(elephant["data"]["search"]["nodes"], json!([]));
}

/// `count` copies of the folder `template` (named `crowd 1`, `crowd 2`, …), written straight
/// into the database with their index documents: a search for `crowd` ranks every one.
pub async fn crowd(db: &sea_orm::DatabaseConnection, template: &str, count: u32) {
    use sea_orm::ConnectionTrait;
    const KEPT: &str = "company_id, parent_id, drive, path, extension, description, tags, \
        is_directory, is_in_trash, creator, added, last_modified, size, folder_level, \
        public_level, public_expiration, public_generation, last_version_id, revision";
    let template = uuid::Uuid::parse_str(template).unwrap();
    let (series, new_id, template) = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => (
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})"
            ),
            "randomblob(16)",
            format!("X'{}'", template.simple()),
        ),
        _ => (
            format!("WITH n(i) AS (SELECT generate_series(1, {count}))"),
            "gen_random_uuid()",
            format!("'{template}'::uuid"),
        ),
    };
    db.execute_unprepared(&format!(
        "{series} INSERT INTO items (id, name, sort_name, {KEPT}) \
         SELECT {new_id}, 'crowd ' || i, 'crowd ' || i, {KEPT} FROM items, n WHERE id = {template}"
    ))
    .await
    .unwrap();
    db.execute_unprepared(
        "INSERT INTO search_documents (item_id, company_id, meta, body) \
         SELECT id, company_id, name, '' FROM items WHERE name LIKE 'crowd %'",
    )
    .await
    .unwrap();
}

/// Holds every connection of `db`'s pool at once (`size` of them) and runs on each a statement
/// of far more than the progress handler's 1,000 steps: one whose connection still had a
/// search's clock running would be stopped.
async fn every_connection_runs_long_statements(db: &sea_orm::DatabaseConnection, size: usize) {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let long = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
             SELECT count(*) FROM n"
        }
        _ => "SELECT count(*) FROM generate_series(1, 100000)",
    };
    let mut held = Vec::new();
    for _ in 0..size {
        held.push(db.begin().await.unwrap());
    }
    for txn in &held {
        txn.execute_unprepared(long)
            .await
            .expect("a connection free of any budget");
    }
}

/// The searches of these tests: 100 ms each.
fn hurried() -> quire::config::Limits {
    quire::config::Limits {
        search_timeout_ms: 100,
        ..crate::support::test_limits()
    }
}

/// A search past `QUIRE_SEARCH_TIMEOUT_MS` is stopped by the database (413, over GraphQL and
/// REST), and the connections it ran on serve what comes next as if it had not happened.
async fn a_search_stops_at_its_time_budget(app: TestApp, pool_size: usize) {
    let admin = app.token("ada", Role::Admin);
    let template = app.create(&admin, "root", "template", true).await;
    crowd(&app.db, &template, 100_000).await;
    let code = app
        .error_code(
            Some(&admin),
            "query($c: ID!) { search(companyId: $c, query: \"crowd\") { totalCount } }",
            json!({ "c": app.company.to_string() }),
        )
        .await;
    assert_eq!(code, "PAYLOAD_TOO_LARGE");
    let (status, answer) = app
        .rest(
            "POST",
            "search",
            Some(&admin),
            Some(json!({ "search": "crowd" })),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("100 ms"),
        "{answer}"
    );
    every_connection_runs_long_statements(&app.db, pool_size).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_stops_at_its_time_budget_on_sqlite() {
    a_search_stops_at_its_time_budget(TestApp::with_limits(hurried()).await, 4).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(quire_postgres),
    ignore = "QUIRE_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn a_search_stops_at_its_time_budget_on_postgres() {
    a_search_stops_at_its_time_budget(TestApp::postgres_with_limits(hurried()).await, 8).await
}

/// `QUIRE_SEARCH_CONCURRENCY` searches run at once; one more waits as long as a search may
/// run, then is 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_take_turns() {
    use sea_orm::TransactionTrait;
    let app = std::sync::Arc::new(
        TestApp::with_limits(quire::config::Limits {
            search_concurrency: 1,
            search_timeout_ms: 300,
            ..crate::support::test_limits()
        })
        .await,
    );
    let admin = app.token("ada", Role::Admin);
    app.create(&admin, "root", "turns", true).await;
    // Every connection is taken: the search that has the turn holds it while it waits for one,
    // and the other waits for the turn, then is refused.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(app.db.begin().await.unwrap());
    }
    let search = || {
        let (app, admin) = (app.clone(), admin.clone());
        tokio::spawn(async move {
            app.rest(
                "POST",
                "search",
                Some(&admin),
                Some(json!({ "search": "turns" })),
            )
            .await
        })
    };
    let (mut one, mut other) = (search(), search());
    let started = std::time::Instant::now();
    while !one.is_finished() && !other.is_finished() {
        assert!(
            started.elapsed().as_secs() < 20,
            "neither search was refused"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    if other.is_finished() {
        std::mem::swap(&mut one, &mut other);
    }
    let (status, answer) = one.await.unwrap();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    drop(held);
    let (status, answer) = other.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["entities"][0]["name"], "turns");
}
