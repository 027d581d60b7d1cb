//! The committed `schema.graphql` is what the code generates.

#[test]
fn schema_graphql_is_current() {
    crate::support::assert_committed_file_is_current("schema.graphql", &quire::graphql::sdl());
}

/// Types async-graphql generates for connections, which carry no description of their own.
const GENERATED: &[&str] = &["ItemConnection", "VersionConnection"];

#[tokio::test]
async fn every_type_field_argument_and_value_is_described() {
    let schema = quire::graphql::build_schema(&quire::config::Limits::default());
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

/// What client generators trip on: `@oneOf` inputs (many tools still reject them), enum values
/// that are not SCREAMING_SNAKE_CASE (they become identifiers), scalars with no stated format.
#[test]
fn the_schema_is_friendly_to_code_generators() {
    let sdl = quire::graphql::sdl();
    assert!(!sdl.contains("@oneOf"), "an input uses @oneOf");
    assert!(
        sdl.contains(
            "scalar Upload @specifiedBy(url: \"https://github.com/jaydenseric/graphql-multipart-request-spec\")"
        ),
        "Upload names its specification"
    );
    let (mut in_enum, mut in_description) = (false, false);
    for line in sdl.lines().map(str::trim) {
        if line == "\"\"\"" {
            in_description = !in_description;
        } else if line.starts_with("enum ") {
            in_enum = true;
        } else if line == "}" {
            in_enum = false;
        } else if in_enum && !in_description && !line.is_empty() && !line.starts_with('"') {
            let value = line.split_whitespace().next().unwrap();
            assert!(
                value
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "enum value {value} is not SCREAMING_SNAKE_CASE"
            );
        }
    }
}
