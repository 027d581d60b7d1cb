//! Runs a fixed operation with the caller's identity and turns GraphQL errors into REST ones.

use async_graphql::{Request, Variables};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::RestError;
use super::operations::Fixed;
use crate::auth::Identity;
use crate::error::ErrorCode;
use crate::state::AppState;

/// Executes `operation` as `caller`; its `data` read as `T` (`answers.rs`) on success, the first
/// error else.
pub async fn run<T: DeserializeOwned>(
    state: &AppState,
    caller: &Identity,
    operation: &Fixed,
    variables: Value,
) -> Result<T, RestError> {
    if let Some(err) = caller.failed() {
        return Err(RestError::from(err.clone()));
    }
    let mut request = Request::new("").variables(Variables::from_json(variables));
    request.set_parsed_query(operation.document.clone());
    let schema = operation.schema(&state.schema, &state.rest);
    let response = crate::graphql::run_on(schema, state, caller, request).await;
    if response.errors.is_empty() {
        operation.passed();
    }
    if let Some(error) = response.errors.first() {
        // Errors without a code come from GraphQL validation of what the shim built from the
        // caller's input (an unknown enum value, a wrong type): bad input.
        let extension = |name: &str| error.extensions.as_ref().and_then(|ext| ext.get(name));
        let code = extension("code")
            .and_then(|code| match code {
                async_graphql::Value::String(code) => ErrorCode::parse(code),
                _ => None,
            })
            .unwrap_or(ErrorCode::BadUserInput);
        let retry_after = extension("retryAfter").and_then(|seconds| match seconds {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        });
        return Err(RestError {
            retry_after,
            ..RestError::new(code, error.message.clone())
        });
    }
    // A result that does not read as its type is the shim's bug (an operation and its type
    // that disagree), never the caller's.
    async_graphql::from_value(response.data).map_err(|err| {
        tracing::error!(error = %err, "a fixed operation's result does not read as its type");
        RestError::new(ErrorCode::InternalServerError, "internal error")
    })
}
