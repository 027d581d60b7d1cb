//! What a client's GraphQL document may cost before the schema sees it. The nesting of its
//! brackets and of its variables' values is bounded before anything recursive walks them
//! (a deep literal would overflow a stack), and its size with every fragment expanded —
//! each fragment counted once, memoized — is bounded before validation (whose visitors
//! expand fragments inline, so a chain of doubling fragments costs 2ⁿ). The shim's own fixed
//! operations are trusted and skip this.

use std::collections::HashMap;

use async_graphql::parser::parse_query;
use async_graphql::parser::types::{
    Directive, ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};

use crate::config::Limits;
use crate::error::{AppError, AppResult};

/// Checks a client's request and parses its document once, for the schema to reuse. A
/// document that does not parse is left for the schema to report.
pub fn admit(request: &mut async_graphql::Request, limits: &Limits) -> AppResult<()> {
    let nesting = limits.graphql_max_nesting;
    if bracket_nesting_exceeds(&request.query, nesting) {
        return Err(AppError::bad_input(format!(
            "the GraphQL document nests brackets deeper than {nesting} levels"
        )));
    }
    if request
        .variables
        .iter()
        .any(|(_, value)| value_nesting_exceeds(value, nesting))
    {
        return Err(AppError::bad_input(format!(
            "the GraphQL variables nest values deeper than {nesting} levels"
        )));
    }
    let Ok(document) = parse_query(&request.query) else {
        return Ok(());
    };
    let selections = expanded_selections(&document);
    if selections > limits.graphql_max_selections {
        return Err(AppError::bad_input(format!(
            "the GraphQL document holds {} fields, arguments and directives once its fragments are expanded; at most {} are allowed",
            if selections == usize::MAX {
                "too many".to_owned()
            } else {
                selections.to_string()
            },
            limits.graphql_max_selections
        )));
    }
    request.set_parsed_query(document);
    Ok(())
}

/// Whether `{`, `[` and `(` nest deeper than `limit` anywhere outside strings and comments.
fn bracket_nesting_exceeds(source: &str, limit: usize) -> bool {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r') {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // `\"""` is an escaped delimiter inside a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n' | b'\r') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

/// Whether lists and objects nest deeper than `limit` in a variable's value (walked without
/// recursion).
fn value_nesting_exceeds(value: &async_graphql::Value, limit: usize) -> bool {
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &async_graphql::Value>> = match value {
            async_graphql::Value::List(items) => Box::new(items.iter()),
            async_graphql::Value::Object(fields) => Box::new(fields.values()),
            _ => continue,
        };
        if depth + 1 > limit {
            return true;
        }
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    false
}

/// Every field, argument and directive the document holds with its fragments expanded
/// (saturating): its operations and its fragment definitions, each fragment's size computed
/// once.
fn expanded_selections(document: &ExecutableDocument) -> usize {
    let mut sizes = FragmentSizes {
        fragments: &document.fragments,
        memo: HashMap::new(),
    };
    let operations = document
        .operations
        .iter()
        .map(|(_, operation)| {
            let operation = &operation.node;
            [
                operation
                    .variable_definitions
                    .iter()
                    .map(|variable| 1 + of_directives(&variable.node.directives))
                    .fold(0usize, usize::saturating_add),
                of_directives(&operation.directives),
                sizes.of_set(&operation.selection_set.node),
            ]
            .into_iter()
            .fold(0usize, usize::saturating_add)
        })
        .fold(0usize, usize::saturating_add);
    document
        .fragments
        .keys()
        .map(|name| sizes.of_fragment(name))
        .fold(operations, usize::saturating_add)
}

struct FragmentSizes<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// `None` while a fragment is being measured: a cycle (which validation refuses) adds 0.
    memo: HashMap<&'a Name, Option<usize>>,
}

impl<'a> FragmentSizes<'a> {
    fn of_set(&mut self, set: &'a SelectionSet) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    [
                        1,
                        field.arguments.len(),
                        of_directives(&field.directives),
                        self.of_set(&field.selection_set.node),
                    ]
                    .into_iter()
                    .fold(0usize, usize::saturating_add)
                }
                Selection::FragmentSpread(spread) => of_directives(&spread.node.directives)
                    .saturating_add(self.of_fragment(&spread.node.fragment_name.node)),
                Selection::InlineFragment(inline) => of_directives(&inline.node.directives)
                    .saturating_add(self.of_set(&inline.node.selection_set.node)),
            })
            .fold(0usize, usize::saturating_add)
    }

    fn of_fragment(&mut self, name: &'a Name) -> usize {
        if let Some(known) = self.memo.get(name) {
            return known.unwrap_or(0);
        }
        let Some(fragment) = self.fragments.get(name) else {
            return 0;
        };
        self.memo.insert(name, None);
        let size = of_directives(&fragment.node.directives)
            .saturating_add(self.of_set(&fragment.node.selection_set.node));
        self.memo.insert(name, Some(size));
        size
    }
}

/// Each directive and each of its arguments.
fn of_directives(directives: &[Positioned<Directive>]) -> usize {
    directives
        .iter()
        .map(|directive| 1 + directive.node.arguments.len())
        .fold(0usize, usize::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn request(query: &str) -> async_graphql::Request {
        async_graphql::Request::new(query)
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let deep = "{".repeat(70);
        let query =
            format!("# {deep}\n{{ a(x: \"{deep}\", y: \"\"\"{deep} \\\"\"\" {deep}\"\"\") }}");
        assert!(!bracket_nesting_exceeds(&query, 3));
        assert!(bracket_nesting_exceeds(
            &format!("{deep}{}", "}".repeat(70)),
            64
        ));
    }

    #[test]
    fn a_fragment_chain_is_measured_without_expanding_it() {
        let mut query = String::from("query { ...F25 }\nfragment F0 on Query { __typename }\n");
        for level in 1..=25 {
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{} a{level}: __typename ...F{} }}\n",
                level - 1,
                level - 1
            ));
        }
        let err = admit(&mut request(&query), &limits()).unwrap_err();
        assert!(err.to_string().contains("at most 5000"), "{err}");
    }

    #[test]
    fn directives_and_arguments_count() {
        let directives = format!("{{ a {} }}", "@skip(if: false) ".repeat(2500));
        assert!(admit(&mut request(&directives), &limits()).is_err());
        let arguments: Vec<String> = (0..5000).map(|n| format!("x{n}: 1")).collect();
        let arguments = format!("{{ a({}) }}", arguments.join(", "));
        assert!(admit(&mut request(&arguments), &limits()).is_err());
        let on_fragment = format!(
            "{{ ...F }} fragment F on Query {} {{ a }}",
            "@a ".repeat(5000)
        );
        assert!(admit(&mut request(&on_fragment), &limits()).is_err());
        let on_variable = format!("query($v: Int {}) {{ a }}", "@a ".repeat(5000));
        assert!(admit(&mut request(&on_variable), &limits()).is_err());
    }

    #[test]
    fn an_ordinary_document_is_admitted_and_parsed_once() {
        let mut ok = request("query { a { b c } ...F } fragment F on Query { d }");
        admit(&mut ok, &limits()).unwrap();
        assert!(ok.parsed_query().is_ok());
    }
}
