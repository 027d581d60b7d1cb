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

#[test]
fn every_type_and_field_is_described() {
    let sdl = quire::graphql::sdl();
    let lines: Vec<&str> = sdl.lines().collect();
    let mut undocumented = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let is_definition = ["type ", "input ", "enum ", "interface ", "scalar "]
            .iter()
            .any(|kw| line.starts_with(kw));
        let is_member = line.starts_with('\t')
            && !line.starts_with("\t\t")
            && (trimmed.contains(':')
                || trimmed.contains('(')
                || trimmed.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            && !trimmed.starts_with('"')
            && !trimmed.is_empty()
            && !trimmed.starts_with(')');
        let generated = ["type ItemConnection", "type VersionConnection", "schema {"]
            .iter()
            .any(|g| line.starts_with(g))
            || matches!(trimmed, "query: QueryRoot" | "mutation: MutationRoot");
        if (is_definition || is_member) && !generated && lines[i - 1].trim() != "\"\"\"" {
            undocumented.push(line.to_string());
        }
    }
    assert!(undocumented.is_empty(), "undocumented: {undocumented:#?}");
}
