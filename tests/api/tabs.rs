//! Tabs: attaching needs manage on the item and grants the channel; reading needs read.

use quire::auth::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

const SET_TAB: &str = "mutation($i: SetTabInput!) { setTab(input: $i) { tab { companyId tabId channelId itemId level } } }";
const GET_TAB: &str =
    "query($c: ID!, $t: String!) { tab(companyId: $c, tabId: $t) { channelId itemId level } }";

async fn set_tab(
    app: &TestApp,
    token: &str,
    tab: &str,
    channel: &str,
    item: &str,
    level: &str,
) -> Value {
    app.graphql(Some(token), SET_TAB, json!({ "i": {
        "companyId": app.company.to_string(), "tabId": tab, "channelId": channel, "itemId": item, "level": level,
    }})).await
}

async fn channels(app: &TestApp, token: &str, item: &str) -> Vec<Value> {
    let info = app
        .item(token, item, "accessInfo { entities { type id level } }")
        .await;
    info["accessInfo"]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "CHANNEL")
        .cloned()
        .collect()
}

on_both_backends! {
    async fn set_and_read_a_tab(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "Channel files", true).await;
        let response = set_tab(&app, &admin, "tab-1", "general", &folder, "WRITE").await;
        assert_eq!(response["data"]["setTab"]["tab"], json!({
            "companyId": app.company.to_string(), "tabId": "tab-1", "channelId": "general", "itemId": folder, "level": "WRITE",
        }));
        let data = app.data(&admin, GET_TAB, json!({ "c": app.company.to_string(), "t": "tab-1" })).await;
        assert_eq!(data["tab"], json!({ "channelId": "general", "itemId": folder, "level": "WRITE" }));
        assert_eq!(channels(&app, &admin, &folder).await, [json!({ "type": "CHANNEL", "id": "general", "level": "WRITE" })]);
        // Moving the tab to another channel replaces the grant; setting it again adds no duplicate.
        set_tab(&app, &admin, "tab-1", "random", &folder, "READ").await;
        set_tab(&app, &admin, "tab-1", "random", &folder, "READ").await;
        assert_eq!(channels(&app, &admin, &folder).await, [json!({ "type": "CHANNEL", "id": "random", "level": "READ" })]);
        // The change log tells the old channel it lost the folder, once.
        let logged: Vec<String> = entity::change::Entity::find()
            .filter(entity::change::Column::Kind.eq("tab_attached"))
            .order_by_asc(entity::change::Column::Revision)
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.revoked.to_string())
            .collect();
        assert_eq!(logged, [r#"[]"#, r#"["channel:general"]"#, r#"[]"#]);
        let none = app.data(&admin, GET_TAB, json!({ "c": app.company.to_string(), "t": "nope" })).await;
        assert_eq!(none["tab"], Value::Null);
    }

    async fn tabs_need_manage_and_sane_input(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let member = app.token("bob", Role::Member);
        let outsider = app.token("gus", Role::Guest);
        let folder = app.create(&admin, "root", "Files", true).await;
        let code = |r: Value| r["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>").to_owned();
        assert_eq!(code(set_tab(&app, &member, "t", "general", &folder, "READ").await), "FORBIDDEN");
        assert_eq!(code(set_tab(&app, &admin, "t", "general", &folder, "MANAGE").await), "BAD_USER_INPUT");
        assert_eq!(code(set_tab(&app, &admin, "t", "bad channel!", &folder, "READ").await), "BAD_USER_INPUT");
        assert!(channels(&app, &admin, &folder).await.is_empty());
        set_tab(&app, &admin, "t", "general", &folder, "READ").await;
        let read = app.graphql(Some(&outsider), GET_TAB, json!({ "c": app.company.to_string(), "t": "t" })).await;
        assert_eq!(code(read), "NOT_FOUND");
        let read = app.data(&member, GET_TAB, json!({ "c": app.company.to_string(), "t": "t" })).await;
        assert_eq!(read["tab"]["channelId"], "general");
    }
}
