//! The committed `schema.graphql` is what the code generates.

#[test]
fn schema_graphql_is_current() {
    let generated = quire::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).expect("writing schema.graphql");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test --workspace schema` and commit it"
    );
}

/// Types async-graphql generates for connections, which carry no description of their own.
const GENERATED: &[&str] = &["ItemConnection", "VersionConnection"];

#[tokio::test]
async fn every_type_field_argument_and_value_is_described() {
    let schema = quire::graphql::build_schema(&quire::state::Limits::default());
    let query = "{ __schema { types { name description
        fields { name description args { name description } }
        inputFields { name description }
        enumValues { name description } } } }";
    let response = schema.execute(query).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let described = |v: &serde_json::Value| {
        v["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    let mut missing = Vec::new();
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if !described(ty) && !GENERATED.contains(&name) {
            missing.push(name.to_owned());
        }
        for member in ["fields", "inputFields", "enumValues"] {
            for field in ty[member].as_array().into_iter().flatten() {
                let field_name = format!("{name}.{}", field["name"].as_str().unwrap());
                if !described(field) {
                    missing.push(field_name.clone());
                }
                for arg in field["args"].as_array().into_iter().flatten() {
                    if !described(arg) {
                        missing.push(format!("{field_name}({})", arg["name"].as_str().unwrap()));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}
