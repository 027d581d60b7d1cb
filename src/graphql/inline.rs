//! `Inline`: an object whose selection is resolved in one pass, each field awaited in place and
//! stored in a map sized up front, for the objects a page shows once per row.
//!
//! async-graphql resolves an object by boxing one future per selected field, collecting their
//! results in a list, then moving them into a map that starts empty, grows as it fills and
//! hashes each name twice (`get_mut`, then `insert`). For a folder of 100 that is ~6,000 boxes
//! and ~12,000 hashes a request (BENCHMARKS.md, run of 2026-12-06). `Inline<T>` is `T` to the
//! schema (same name, same type, same fields); only how its selection is walked differs, and
//! the answer, the errors and their paths are async-graphql's own (each field still runs
//! through `T`'s generated `resolve_field`). The fields run one after another, as `serial`
//! objects' do: wrap only objects declared `serial` (a concurrent object's loaders batch
//! across its fields). async-graphql's walk also calls the schema's extensions and custom
//! directives around each field: the schema registers no extension (`graphql::build`; none
//! can be seen from here), and with a custom directive registered the walk is async-graphql's.
//! One difference nobody can reach: a fragment the document does not define fails the object
//! after the fields before it ran, not before any (validation refuses such documents, and the
//! shim's fixed operations are validated in full before they are trusted).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use async_graphql::indexmap::IndexMap;
use async_graphql::indexmap::map::Entry;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::{
    ContainerType, ContextSelectionSet, Name, ObjectType, OutputType, Positioned, ServerError,
    ServerResult, Value,
};

/// `T`, resolved in one pass (see the module's doc).
pub struct Inline<T>(pub T);

impl<T: ObjectType + Sync> OutputType for Inline<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if !ctx.schema_env.custom_directives.is_empty() {
            return async_graphql::resolver_utils::resolve_container_serial(ctx, &self.0).await;
        }
        let mut fields = IndexMap::with_capacity(ctx.item.node.items.len());
        resolve_into(ctx, &self.0, &mut fields).await?;
        // As async-graphql: an object none of whose fields resolved is null.
        Ok(if fields.is_empty() {
            Value::Null
        } else {
            Value::Object(fields)
        })
    }
}

type Pass<'r> = Pin<Box<dyn Future<Output = ServerResult<()>> + Send + 'r>>;

/// Resolves the selection `ctx` holds on `root` into `fields`, following fragments (one box per
/// fragment, as a pass through a fragment is a recursion). A field's error is recorded on the
/// response and the field left out, as async-graphql does; an unknown fragment fails the
/// object.
fn resolve_into<'a, 'r, T: ContainerType + ?Sized + Sync>(
    ctx: &'r ContextSelectionSet<'a>,
    root: &'a T,
    fields: &'r mut IndexMap<Name, Value>,
) -> Pass<'r>
where
    'a: 'r,
{
    Box::pin(async move {
        for selection in &ctx.item.node.items {
            let selection_set = match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.response_key().node.clone();
                    if field.node.name.node == "__typename" {
                        let typename = root.introspection_type_name().into_owned();
                        merge(fields, name, Value::String(typename));
                        continue;
                    }
                    match root.resolve_field(&ctx.with_field(field)).await {
                        Ok(value) => merge(fields, name, value.unwrap_or_default()),
                        Err(err) => ctx.add_error(err),
                    }
                    continue;
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    let Some(fragment) = ctx.query_env.fragments.get(name) else {
                        return Err(ServerError::new(
                            format!(r#"Unknown fragment "{name}"."#),
                            Some(spread.pos),
                        ));
                    };
                    applies(ctx, root, Some(&fragment.node.type_condition.node.on.node))
                        .then_some(&fragment.node.selection_set)
                }
                Selection::InlineFragment(fragment) => {
                    let condition = fragment.node.type_condition.as_ref();
                    applies(ctx, root, condition.map(|c| &c.node.on.node))
                        .then_some(&fragment.node.selection_set)
                }
            };
            if let Some(selection_set) = selection_set {
                fields.reserve(selection_set.node.items.len());
                resolve_into(&ctx.with_selection_set(selection_set), root, fields).await?;
            }
        }
        Ok(())
    })
}

/// Whether a fragment on `condition` applies to `root`: no condition, `root`'s own type, or an
/// interface it implements.
fn applies<T: ContainerType + ?Sized>(
    ctx: &ContextSelectionSet<'_>,
    root: &T,
    condition: Option<&Name>,
) -> bool {
    let Some(condition) = condition.map(Name::as_str) else {
        return true;
    };
    let own = root.introspection_type_name();
    own == condition
        || T::type_name() == condition
        || ctx
            .schema_env
            .registry
            .implements
            .get(own.as_ref())
            .is_some_and(|interfaces| interfaces.contains(condition))
}

/// Stores a field's value under its response key, hashing the key once. A key selected twice
/// (directly and through a fragment) merges its objects, as async-graphql's walk does.
fn merge(fields: &mut IndexMap<Name, Value>, name: Name, value: Value) {
    match fields.entry(name) {
        Entry::Vacant(entry) => {
            entry.insert(value);
        }
        Entry::Occupied(mut entry) => merge_into(entry.get_mut(), value),
    }
}

/// Merges `value` into what an earlier selection of the same key gave.
fn merge_into(previous: &mut Value, value: Value) {
    match (previous, value) {
        (Value::Object(previous), Value::Object(value)) => {
            for (name, value) in value {
                merge(previous, name, value);
            }
        }
        (Value::List(previous), Value::List(value)) => {
            for (previous, value) in previous.iter_mut().zip(value) {
                if let (Value::Object(_), Value::Object(_)) = (&previous, &value) {
                    merge_into(previous, value);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{
        EmptyMutation, EmptySubscription, Interface, Object, Schema, SimpleObject,
    };

    use super::Inline;

    #[derive(SimpleObject)]
    struct Leaf {
        a: i32,
        b: String,
    }

    struct Thing {
        n: i32,
    }

    #[Object(serial)]
    impl Thing {
        async fn name(&self) -> &str {
            "thing"
        }

        async fn n(&self) -> i32 {
            self.n
        }

        async fn leaf(&self) -> Leaf {
            Leaf {
                a: self.n,
                b: "b".into(),
            }
        }

        async fn leaves(&self) -> Vec<Leaf> {
            (0..2)
                .map(|a| Leaf {
                    a,
                    b: a.to_string(),
                })
                .collect()
        }

        /// Fails on the second row.
        async fn fails(&self) -> async_graphql::Result<Option<i32>> {
            if self.n == 1 {
                return Err("it fails".into());
            }
            Ok(Some(self.n))
        }

        /// Fails on the second row, though it may not be null.
        async fn must(&self) -> async_graphql::Result<i32> {
            if self.n == 1 {
                return Err("it must".into());
            }
            Ok(self.n)
        }
    }

    #[derive(Interface)]
    #[graphql(field(name = "name", ty = "&str"))]
    enum Named {
        Thing(Thing),
    }

    struct Query;

    #[Object]
    impl Query {
        async fn walked(&self) -> Vec<Thing> {
            (0..2).map(|n| Thing { n }).collect()
        }

        async fn inline(&self) -> Vec<Inline<Thing>> {
            (0..2).map(|n| Inline(Thing { n })).collect()
        }

        async fn named(&self) -> Named {
            Named::Thing(Thing { n: 0 })
        }
    }

    /// The same selection on `walked` (async-graphql's walk) and on `inline`, two rows each,
    /// gives the same response, byte for byte: fragments (spread, inline, on an interface),
    /// aliases, `__typename`, keys selected twice (objects merged, lists of objects merged by
    /// position), and errors in nullable and non-null fields of the second row, their paths
    /// with the row's index, one of them from a key selected twice.
    #[tokio::test]
    async fn inline_objects_answer_as_async_graphql_does() {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let selection = r#"{
            __typename
            alias: name
            n
            ...Parts
            ... on Named { viaNamed: name }
            ... { untyped: leaf { b } }
            leaf { a }
            leaf { b }
            leaves { a }
            leaves { b }
            fails
            ... { fails }
            must
        }"#;
        let fragment = "fragment Parts on Thing { parts: leaf { a b } name }";
        let answer = |field: &str| {
            let query = format!("{{ rows: {field} {selection} }} {fragment}");
            let schema = schema.clone();
            async move { serde_json::to_string(&schema.execute(query).await).unwrap() }
        };
        let walked = answer("walked").await;
        let parsed: serde_json::Value = serde_json::from_str(&walked).unwrap();
        assert_eq!(
            parsed["errors"][0]["path"],
            serde_json::json!(["rows", 1, "fails"]),
            "{walked}"
        );
        assert_eq!(parsed["errors"].as_array().unwrap().len(), 3, "{walked}");
        assert_eq!(
            parsed["data"]["rows"][0]["leaf"],
            serde_json::json!({ "a": 0, "b": "b" })
        );
        assert_eq!(answer("inline").await, walked);
    }
}
