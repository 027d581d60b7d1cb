//! Field errors as the GraphQL specification defines them: a field that errored is present as
//! `null`, and a `null` in a non-null position nulls its parent, up to `data: null`.
//! async-graphql leaves an errored field out of its parent instead; this mends the response
//! from the schema's own SDL and the operation that ran.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Field, Selection, SelectionSet,
    ServiceDocument, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{PathSegment, Positioned, Value};

/// The types of every field of the schema, and which objects each interface or union may be.
pub struct Shapes {
    fields: HashMap<String, HashMap<String, Type>>,
    possible: HashMap<String, Vec<String>>,
    query: String,
    mutation: String,
}

impl Shapes {
    /// Reads the shapes from the schema's SDL.
    pub fn of(sdl: &str) -> Self {
        let mut shapes = Self {
            fields: HashMap::new(),
            possible: HashMap::new(),
            query: "Query".to_owned(),
            mutation: "Mutation".to_owned(),
        };
        let Ok(ServiceDocument { definitions }) = async_graphql::parser::parse_schema(sdl) else {
            return shapes;
        };
        for definition in definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    if let Some(query) = &schema.node.query {
                        shapes.query = query.node.to_string();
                    }
                    if let Some(mutation) = &schema.node.mutation {
                        shapes.mutation = mutation.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let name = ty.node.name.node.to_string();
                    let fields = match &ty.node.kind {
                        TypeKind::Object(object) => {
                            for interface in &object.implements {
                                shapes
                                    .possible
                                    .entry(interface.node.to_string())
                                    .or_default()
                                    .push(name.clone());
                            }
                            &object.fields
                        }
                        TypeKind::Interface(interface) => &interface.fields,
                        TypeKind::Union(union) => {
                            let members = union.members.iter().map(|m| m.node.to_string());
                            shapes.possible.entry(name).or_default().extend(members);
                            continue;
                        }
                        _ => continue,
                    };
                    let fields = fields
                        .iter()
                        .map(|f| (f.node.name.node.to_string(), f.node.ty.node.clone()))
                        .collect();
                    shapes.fields.insert(name, fields);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        shapes
    }

    /// The type of `field` on `parent` (an object, or an interface or union through the
    /// objects it may be).
    fn field_type(&self, parent: &str, field: &str) -> Option<&Type> {
        self.fields
            .get(parent)
            .and_then(|fields| fields.get(field))
            .or_else(|| {
                self.possible
                    .get(parent)?
                    .iter()
                    .find_map(|object| self.fields.get(object).and_then(|fields| fields.get(field)))
            })
    }

    /// Puts every errored field in the response as `null` and propagates nulls out of
    /// non-null positions. Paths it cannot follow are left as they are.
    pub fn propagate(
        &self,
        document: &ExecutableDocument,
        operation: Option<&str>,
        response: &mut async_graphql::Response,
    ) {
        let chosen = match (&document.operations, operation) {
            (DocumentOperations::Single(op), _) => Some(op),
            (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
            _ => None,
        };
        let Some(chosen) = chosen else { return };
        let root = match chosen.node.ty {
            async_graphql::parser::types::OperationType::Mutation => &self.mutation,
            _ => &self.query,
        };
        let paths: Vec<Vec<PathSegment>> = response
            .errors
            .iter()
            .filter(|e| !e.path.is_empty())
            .map(|e| e.path.clone())
            .collect();
        if paths.is_empty() {
            return;
        }
        if response.data == Value::Null {
            return;
        }
        for path in paths {
            let Some(types) =
                self.types_along(document, &chosen.node.selection_set.node, root, &path)
            else {
                continue;
            };
            null_out(&mut response.data, &path, &types);
        }
    }

    /// The type of the value at each step of `path`, or `None` where it cannot be followed.
    fn types_along(
        &self,
        document: &ExecutableDocument,
        root_set: &SelectionSet,
        root: &str,
        path: &[PathSegment],
    ) -> Option<Vec<Type>> {
        let mut types = Vec::with_capacity(path.len());
        let mut sets: Vec<&SelectionSet> = vec![root_set];
        let mut parent = root.to_owned();
        let mut current: Option<Type> = None;
        for segment in path {
            let ty = match segment {
                PathSegment::Field(key) => {
                    let fields: Vec<&Field> = sets
                        .iter()
                        .flat_map(|set| fields_named(document, set, key))
                        .collect();
                    let name = fields.first()?.name.node.as_str();
                    let ty = self.field_type(&parent, name)?.clone();
                    sets = fields.iter().map(|f| &f.selection_set.node).collect();
                    ty
                }
                PathSegment::Index(_) => match &current?.base {
                    BaseType::List(inner) => (**inner).clone(),
                    BaseType::Named(_) => return None,
                },
            };
            parent = named(&ty).to_owned();
            current = Some(ty.clone());
            types.push(ty);
        }
        Some(types)
    }
}

/// The named type under any lists.
fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// The fields a selection set (with its fragments) selects under the response key `key`.
fn fields_named<'d>(
    document: &'d ExecutableDocument,
    set: &'d SelectionSet,
    key: &str,
) -> Vec<&'d Field> {
    let mut found = Vec::new();
    for selection in &set.items {
        match &selection.node {
            Selection::Field(Positioned { node: field, .. }) => {
                if field.response_key().node.as_str() == key {
                    found.push(field);
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    found.extend(fields_named(
                        document,
                        &fragment.node.selection_set.node,
                        key,
                    ));
                }
            }
            Selection::InlineFragment(inline) => {
                found.extend(fields_named(document, &inline.node.selection_set.node, key));
            }
        }
    }
    found
}

/// The value at `path`, when every step to it exists.
fn value_at<'v>(data: &'v mut Value, path: &[PathSegment]) -> Option<&'v mut Value> {
    let mut value = data;
    for segment in path {
        value = match (value, segment) {
            (Value::Object(map), PathSegment::Field(key)) => map.get_mut(key.as_str())?,
            (Value::List(items), PathSegment::Index(index)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Sets the errored field at `path` to `null`, then nulls each parent whose child is a null
/// in a non-null position.
fn null_out(data: &mut Value, path: &[PathSegment], types: &[Type]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let mut depth = path.len();
    match (value_at(data, parent), last) {
        (Some(Value::Object(map)), PathSegment::Field(key)) => {
            map.insert(async_graphql::Name::new(key), Value::Null);
        }
        (Some(Value::List(items)), PathSegment::Index(index)) => {
            if let Some(item) = items.get_mut(*index) {
                *item = Value::Null;
            }
        }
        // The parent is null already (async-graphql nulls an object none of whose fields
        // resolved, or another error did): carry on from it.
        (Some(Value::Null), _) => depth -= 1,
        _ => return,
    }
    while depth > 0 && !types[depth - 1].nullable {
        depth -= 1;
        match value_at(data, &path[..depth]) {
            Some(value) => *value = Value::Null,
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = "schema { query: Q }
        type Q { me: U! item: I! maybe: I list: [I!]! }
        type U { id: ID! }
        type I { id: ID! name: String child: I! }";

    fn run(query: &str, data: serde_json::Value, path: Vec<PathSegment>) -> Value {
        let document = async_graphql::parser::parse_query(query).unwrap();
        let mut response = async_graphql::Response::new(Value::from_json(data).unwrap());
        response.errors.push(async_graphql::ServerError {
            path,
            ..async_graphql::ServerError::new("boom", None)
        });
        Shapes::of(SDL).propagate(&document, None, &mut response);
        response.data
    }

    fn field(key: &str) -> PathSegment {
        PathSegment::Field(key.to_owned())
    }

    #[test]
    fn an_errored_nullable_field_is_null_and_a_non_null_one_nulls_its_parent() {
        let data = run(
            "{ maybe { name } }",
            serde_json::json!({ "maybe": {} }),
            vec![field("maybe"), field("name")],
        );
        assert_eq!(
            data.into_json().unwrap(),
            serde_json::json!({ "maybe": { "name": null } })
        );
        let data = run(
            "{ me { id } maybe { child { id } } }",
            serde_json::json!({ "me": { "id": "a" }, "maybe": {} }),
            vec![field("maybe"), field("child")],
        );
        assert_eq!(
            data.into_json().unwrap(),
            serde_json::json!({ "me": { "id": "a" }, "maybe": null })
        );
        let data = run(
            "{ me { id } item { id } }",
            serde_json::json!({ "me": { "id": "a" } }),
            vec![field("item")],
        );
        assert_eq!(data, Value::Null, "a non-null root field nulls data");
        let data = run(
            "{ list { x: child { id } } }",
            serde_json::json!({ "list": [{ "x": { "id": "1" } }, {}] }),
            vec![field("list"), PathSegment::Index(1), field("x")],
        );
        assert_eq!(
            data,
            Value::Null,
            "non-null items, a non-null list, a non-null root"
        );
    }
}
