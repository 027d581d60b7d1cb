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
    // Validated in full until a run passes; then only what depends on the request is checked.
    let schema = if operation.validated() {
        state.rest.prevalidated()
    } else {
        &state.schema
    };
    let response = crate::graphql::run_on(schema, state, caller, request).await;
    if response.errors.is_empty() {
        operation.passed();
    }
    if let Some(error) = response.errors.first() {
        // Errors without a code come from GraphQL reading what the shim built from the caller's
        // input (an unknown enum value, a wrong type), in validation or where a field reads
        // its arguments: bad input.
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
    super::results::read(response.data).map_err(|err| {
        tracing::error!(error = %err, "a fixed operation's result does not read as its type");
        RestError::new(ErrorCode::InternalServerError, "internal error")
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::auth::{Keys, Role};
    use crate::config::Limits;
    use crate::domain::{CompanyId, Detail, ItemRef, PageRequest, Sorting};
    use crate::service::{self, Service};
    use crate::storage::BlobStore;

    /// The shim builds its variables typed, so nothing a caller sends reaches these; but once
    /// an operation runs prevalidated, what the whole validation refused of its variables is
    /// still refused where the field reads them: bad input, and nothing written.
    #[tokio::test]
    async fn a_validated_operation_still_refuses_ill_typed_variables_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = service::connect(&url).await.unwrap();
        let blobs =
            BlobStore::open(&format!("file://{}", dir.path().join("blobs").display())).unwrap();
        let limits = Limits::default();
        let service = Service::new(db, blobs, &limits);
        let keys = Keys::from_secret(b"exec-test-secret-0123456789abcdef");
        let state = AppState::new(service.clone(), keys.clone(), limits);
        let company = CompanyId(uuid::Uuid::new_v4());
        let token = keys
            .mint_access("ada", &[(company, Role::Admin)], 3600, None)
            .unwrap();
        let viewer = keys.verify_access(&token).unwrap();
        let caller = Identity {
            viewer: Ok(viewer.clone()),
            credentials: Default::default(),
        };
        let folder = |fields: Value| {
            let mut input = json!({ "companyId": company.to_string(), "parentId": "root" });
            input
                .as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            json!({ "input": input })
        };
        let operation = &state.rest.create_item;
        run::<Value>(
            &state,
            &caller,
            operation,
            folder(json!({ "name": "first", "isDirectory": true })),
        )
        .await
        .unwrap();
        assert!(operation.validated());
        for ill_typed in [
            json!({ "name": "second", "isDirectory": "yes" }),
            json!({ "name": "second", "isDirectory": true, "tags": [1] }),
            json!({ "name": null, "isDirectory": true }),
        ] {
            let err = run::<Value>(&state, &caller, operation, folder(ill_typed.clone()))
                .await
                .unwrap_err();
            assert_eq!(
                err.code,
                ErrorCode::BadUserInput,
                "{ill_typed}: {}",
                err.message
            );
        }
        let root = service
            .get_item(&viewer, company, &ItemRef::Root)
            .await
            .unwrap();
        let children = service
            .children_of(
                &viewer,
                &root,
                Sorting::default(),
                PageRequest::new(0, 100),
                Detail::FULL,
            )
            .await
            .unwrap();
        assert_eq!(children.items.len(), 1, "only the first folder was made");
    }
}
