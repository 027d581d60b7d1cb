//! The committed `schema.graphql` is what the code generates.

#[test]
fn schema_graphql_is_current() {
    crate::support::assert_committed_file_is_current("schema.graphql", &quire::graphql::sdl());
}

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
        if !described(ty) {
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

/// What a client generating from the live endpoint sees is the committed `schema.graphql`:
/// the same types, fields, arguments and their defaults, input fields, enum values,
/// interfaces, union members, deprecations and descriptions — introspected over `/graphql`.
#[tokio::test]
async fn introspection_over_http_is_the_committed_schema() {
    let app = crate::support::TestApp::sqlite().await;
    let token = app.token("alice", quire::auth::Role::Member);
    let answer = app
        .graphql(Some(&token), INTROSPECTION, serde_json::json!({}))
        .await;
    assert!(answer.get("errors").is_none(), "{answer}");
    let live = introspected(&answer["data"]["__schema"]);
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    let committed = declared(&text);
    let only_live: Vec<_> = live.difference(&committed).collect();
    let only_committed: Vec<_> = committed.difference(&live).collect();
    assert!(
        only_live.is_empty() && only_committed.is_empty(),
        "introspection only: {only_live:#?}\nschema.graphql only: {only_committed:#?}"
    );
    assert!(live.len() > 250, "the comparison saw {} facts", live.len());
    let edited = text.replacen("The rows alone.", "The rows.", 1);
    assert_ne!(
        declared(&edited),
        live,
        "a changed description is a difference"
    );
}

const INTROSPECTION: &str = "query {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types {
      kind name description specifiedByURL
      fields(includeDeprecated: true) { name description isDeprecated deprecationReason
        args(includeDeprecated: true) { ...Input } type { ...Ref } }
      inputFields(includeDeprecated: true) { ...Input }
      interfaces { name }
      possibleTypes { name }
      enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
    }
    directives { name description isRepeatable locations args { ...Input } }
  }
}
fragment Input on __InputValue { name description defaultValue type { ...Ref } }
fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name } } } } } }";

/// The directives and scalars every GraphQL schema has, which SDL leaves out.
const BUILT_IN: &[&str] = &[
    "String",
    "Int",
    "Float",
    "Boolean",
    "ID",
    "include",
    "skip",
    "deprecated",
    "specifiedBy",
    "oneOf",
];

type Facts = std::collections::BTreeSet<String>;

/// One line per fact, the same for both sides: `Type.field(arg): Type = default "description"`.
fn fact(path: &str, what: &str, description: Option<&str>) -> String {
    format!("{path}{what} {:?}", description.unwrap_or_default())
}

/// Defaults written the same way whatever printed them.
fn literal(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect()
}

fn deprecation(deprecated: bool, reason: Option<&str>) -> String {
    match deprecated {
        true => format!(
            " @deprecated({:?})",
            reason.unwrap_or("No longer supported")
        ),
        false => String::new(),
    }
}

fn introspected(schema: &serde_json::Value) -> Facts {
    use serde_json::Value;
    fn reference(ty: &Value) -> String {
        match ty["kind"].as_str() {
            Some("NON_NULL") => format!("{}!", reference(&ty["ofType"])),
            Some("LIST") => format!("[{}]", reference(&ty["ofType"])),
            _ => ty["name"].as_str().unwrap().to_owned(),
        }
    }
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let input = |facts: &mut Facts, path: &str, value: &Value| {
        let default = value["defaultValue"]
            .as_str()
            .map(|d| format!(" = {}", literal(d)))
            .unwrap_or_default();
        facts.insert(fact(
            &format!("{path}{}", value["name"].as_str().unwrap()),
            &format!(": {}{default}", reference(&value["type"])),
            text(&value["description"]).as_deref(),
        ));
    };
    let mut facts = Facts::new();
    for (root, key) in [
        ("query", "queryType"),
        ("mutation", "mutationType"),
        ("subscription", "subscriptionType"),
    ] {
        if let Some(name) = schema[key]["name"].as_str() {
            facts.insert(format!("schema {root}: {name}"));
        }
    }
    for ty in schema["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || BUILT_IN.contains(&name) {
            continue;
        }
        let specified = text(&ty["specifiedByURL"])
            .map(|url| format!(" @specifiedBy({url:?})"))
            .unwrap_or_default();
        facts.insert(fact(
            name,
            &format!(" {}{specified}", ty["kind"].as_str().unwrap()),
            text(&ty["description"]).as_deref(),
        ));
        for field in ty["fields"].as_array().into_iter().flatten() {
            let path = format!("{name}.{}", field["name"].as_str().unwrap());
            let deprecated = deprecation(
                field["isDeprecated"].as_bool().unwrap(),
                field["deprecationReason"].as_str(),
            );
            facts.insert(fact(
                &path,
                &format!(": {}{deprecated}", reference(&field["type"])),
                text(&field["description"]).as_deref(),
            ));
            for arg in field["args"].as_array().into_iter().flatten() {
                input(&mut facts, &format!("{path}("), arg);
            }
        }
        for field in ty["inputFields"].as_array().into_iter().flatten() {
            input(&mut facts, &format!("{name}."), field);
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            let deprecated = deprecation(
                value["isDeprecated"].as_bool().unwrap(),
                value["deprecationReason"].as_str(),
            );
            facts.insert(fact(
                &format!("{name}::{}", value["name"].as_str().unwrap()),
                &deprecated,
                text(&value["description"]).as_deref(),
            ));
        }
        for interface in ty["interfaces"].as_array().into_iter().flatten() {
            facts.insert(format!(
                "{name} implements {}",
                interface["name"].as_str().unwrap()
            ));
        }
        if ty["kind"] == "UNION" {
            for member in ty["possibleTypes"].as_array().into_iter().flatten() {
                facts.insert(format!("{name} has {}", member["name"].as_str().unwrap()));
            }
        }
    }
    for directive in schema["directives"].as_array().unwrap() {
        let name = directive["name"].as_str().unwrap();
        if BUILT_IN.contains(&name) {
            continue;
        }
        let mut locations: Vec<&str> = directive["locations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        locations.sort();
        let repeatable = if directive["isRepeatable"] == true {
            " repeatable"
        } else {
            ""
        };
        facts.insert(fact(
            &format!("@{name}"),
            &format!("{repeatable} on {}", locations.join("|")),
            text(&directive["description"]).as_deref(),
        ));
        for arg in directive["args"].as_array().into_iter().flatten() {
            input(&mut facts, &format!("@{name}("), arg);
        }
    }
    facts
}

fn declared(sdl: &str) -> Facts {
    use async_graphql::parser::types::{
        ConstDirective, InputValueDefinition, TypeKind, TypeSystemDefinition,
    };
    use async_graphql::{Positioned, Value};
    let document = async_graphql::parser::parse_schema(sdl).expect("schema.graphql parses");
    let described = |d: &Option<Positioned<String>>| d.as_ref().map(|d| d.node.clone());
    let directive = |directives: &[Positioned<ConstDirective>], name: &str| {
        directives
            .iter()
            .find(|d| d.node.name.node == name)
            .map(|d| {
                d.node
                    .arguments
                    .first()
                    .map(|(_, value)| match &value.node {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    })
            })
    };
    let deprecated =
        |directives: &[Positioned<ConstDirective>]| match directive(directives, "deprecated") {
            Some(reason) => deprecation(true, reason.as_deref()),
            None => String::new(),
        };
    let input = |facts: &mut Facts, path: &str, value: &InputValueDefinition| {
        let default = value
            .default_value
            .as_ref()
            .map(|d| format!(" = {}", literal(&d.node.to_string())))
            .unwrap_or_default();
        facts.insert(fact(
            &format!("{path}{}", value.name.node),
            &format!(": {}{default}", value.ty.node),
            described(&value.description).as_deref(),
        ));
    };
    let mut facts = Facts::new();
    let mut roots = None;
    let mut names = Vec::new();
    for definition in &document.definitions {
        match definition {
            TypeSystemDefinition::Schema(schema) => {
                let schema = &schema.node;
                roots = Some(
                    [
                        ("query", &schema.query),
                        ("mutation", &schema.mutation),
                        ("subscription", &schema.subscription),
                    ]
                    .into_iter()
                    .filter_map(|(root, name)| {
                        name.as_ref().map(|n| format!("schema {root}: {}", n.node))
                    })
                    .collect::<Vec<_>>(),
                );
            }
            TypeSystemDefinition::Type(ty) => {
                let ty = &ty.node;
                let name = ty.name.node.as_str();
                names.push(name.to_owned());
                let (kind, specified) = match &ty.kind {
                    TypeKind::Scalar => {
                        let url = directive(&ty.directives, "specifiedBy").flatten();
                        (
                            "SCALAR",
                            url.map(|url| format!(" @specifiedBy({url:?})"))
                                .unwrap_or_default(),
                        )
                    }
                    TypeKind::Object(_) => ("OBJECT", String::new()),
                    TypeKind::Interface(_) => ("INTERFACE", String::new()),
                    TypeKind::Union(_) => ("UNION", String::new()),
                    TypeKind::Enum(_) => ("ENUM", String::new()),
                    TypeKind::InputObject(_) => ("INPUT_OBJECT", String::new()),
                };
                facts.insert(fact(
                    name,
                    &format!(" {kind}{specified}"),
                    described(&ty.description).as_deref(),
                ));
                let (fields, implements) = match &ty.kind {
                    TypeKind::Object(object) => (&object.fields[..], &object.implements[..]),
                    TypeKind::Interface(interface) => {
                        (&interface.fields[..], &interface.implements[..])
                    }
                    _ => (&[][..], &[][..]),
                };
                for field in fields {
                    let field = &field.node;
                    let path = format!("{name}.{}", field.name.node);
                    facts.insert(fact(
                        &path,
                        &format!(": {}{}", field.ty.node, deprecated(&field.directives)),
                        described(&field.description).as_deref(),
                    ));
                    for arg in &field.arguments {
                        input(&mut facts, &format!("{path}("), &arg.node);
                    }
                }
                for interface in implements {
                    facts.insert(format!("{name} implements {}", interface.node));
                }
                match &ty.kind {
                    TypeKind::InputObject(object) => {
                        for field in &object.fields {
                            input(&mut facts, &format!("{name}."), &field.node);
                        }
                    }
                    TypeKind::Enum(enumeration) => {
                        for value in &enumeration.values {
                            let value = &value.node;
                            facts.insert(fact(
                                &format!("{name}::{}", value.value.node),
                                &deprecated(&value.directives),
                                described(&value.description).as_deref(),
                            ));
                        }
                    }
                    TypeKind::Union(union) => {
                        for member in &union.members {
                            facts.insert(format!("{name} has {}", member.node));
                        }
                    }
                    _ => {}
                }
            }
            TypeSystemDefinition::Directive(directive) => {
                let directive = &directive.node;
                let name = directive.name.node.as_str();
                if BUILT_IN.contains(&name) {
                    continue;
                }
                let mut locations: Vec<String> = directive
                    .locations
                    .iter()
                    .map(|l| screaming_snake(&format!("{:?}", l.node)))
                    .collect();
                locations.sort();
                let repeatable = if directive.is_repeatable {
                    " repeatable"
                } else {
                    ""
                };
                facts.insert(fact(
                    &format!("@{name}"),
                    &format!("{repeatable} on {}", locations.join("|")),
                    described(&directive.description).as_deref(),
                ));
                for arg in &directive.arguments {
                    input(&mut facts, &format!("@{name}("), &arg.node);
                }
            }
        }
    }
    let roots = roots.unwrap_or_else(|| {
        [
            ("query", "Query"),
            ("mutation", "Mutation"),
            ("subscription", "Subscription"),
        ]
        .into_iter()
        .filter(|(_, name)| names.iter().any(|n| n == name))
        .map(|(root, name)| format!("schema {root}: {name}"))
        .collect()
    });
    facts.extend(roots);
    facts
}

/// `FragmentSpread` as introspection writes it: `FRAGMENT_SPREAD`.
fn screaming_snake(camel: &str) -> String {
    let mut out = String::new();
    for (n, c) in camel.chars().enumerate() {
        if n > 0 && c.is_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}
