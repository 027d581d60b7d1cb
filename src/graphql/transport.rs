//! GraphQL over HTTP, as the GraphQL Foundation's specification says: which media type an
//! answer takes (`application/json` unless the client asks for
//! `application/graphql-response+json`), which status it carries, and that every error has a
//! code.

use std::collections::BTreeMap;

use async_graphql::{ErrorExtensionValues, Value};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{AppError, ErrorCode};

/// The two media types of a GraphQL answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// `application/json`: what clients get unless they ask for the other; request errors
    /// answer 200.
    Json,
    /// `application/graphql-response+json`: request errors answer 400, with no `data`.
    GraphqlResponse,
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

impl Media {
    /// The first of the two the `Accept` header names (`*/*`, none, or neither: JSON).
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let accept = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|range| {
                let mut parts = range.split(';');
                let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
                let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
                (media, refused)
            })
            .filter(|(_, refused)| !refused)
            .find(|(media, _)| {
                matches!(
                    media.as_str(),
                    GRAPHQL_RESPONSE | "application/json" | "application/*" | "*/*"
                )
            });
        match accept {
            Some((media, _)) if media == GRAPHQL_RESPONSE => Self::GraphqlResponse,
            _ => Self::Json,
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Json => "application/json",
            Self::GraphqlResponse => GRAPHQL_RESPONSE,
        })
    }

    /// A refusal before any execution: the error, with its code, as a GraphQL response with
    /// no `data`, and the status of its code.
    /// A rate limit comes with `Retry-After` (and `extensions.retryAfter`).
    pub fn refuse(self, err: &AppError) -> Response {
        self.refuse_with(err.code(), &err.public_message(), None, err.retry_after())
    }

    fn refuse_with(
        self,
        code: ErrorCode,
        message: &str,
        status: Option<StatusCode>,
        retry_after: Option<u64>,
    ) -> Response {
        let status = status.unwrap_or_else(|| {
            StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
        });
        let mut extensions = json!({ "code": code.as_str() });
        if let Some(seconds) = retry_after {
            extensions["retryAfter"] = seconds.into();
        }
        let body = json!({ "errors": [{ "message": message, "extensions": extensions }] });
        let mut response = (status, body.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, self.content_type());
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }

    /// A document that does not parse: 400 as `graphql-response+json`, 200 as JSON.
    pub fn unparsable(self, message: &str) -> Response {
        self.refuse_with(
            ErrorCode::GraphqlParseFailed,
            message,
            Some(self.request_error_status()),
            None,
        )
    }

    /// A persisted query whose hash is unknown: the client should send its text (Apollo's
    /// protocol reads this message and code).
    pub fn persisted_query_not_found(self) -> Response {
        self.refuse_with(
            ErrorCode::PersistedQueryNotFound,
            "PersistedQueryNotFound",
            Some(self.request_error_status()),
            None,
        )
    }

    fn request_error_status(self) -> StatusCode {
        match self {
            Self::Json => StatusCode::OK,
            Self::GraphqlResponse => StatusCode::BAD_REQUEST,
        }
    }

    /// The answer of an execution. A request error (the document did not validate, or its
    /// variables did not fit) has no `data` and answers 400 as `graphql-response+json`;
    /// anything that ran answers 200 with its `data`, errors or not. Every error leaves
    /// with a code.
    pub fn answer(self, mut response: async_graphql::Response) -> Response {
        let request_error = response.data == Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().any(|e| e.path.is_empty());
        for error in &mut response.errors {
            let extensions = error
                .extensions
                .get_or_insert_with(ErrorExtensionValues::default);
            if extensions.get("code").is_none() {
                let code = if error.path.is_empty() {
                    ErrorCode::GraphqlValidationFailed
                } else {
                    ErrorCode::BadUserInput
                };
                extensions.set("code", code.as_str());
            }
        }
        let body = Answer {
            data: (!request_error).then_some(&response.data),
            errors: &response.errors,
            extensions: &response.extensions,
        };
        // Written straight from the response's own values: in selection order, and with no
        // copy of the data into `serde_json`'s types first.
        let body = serde_json::to_vec(&body);
        let status = if request_error {
            self.request_error_status()
        } else {
            StatusCode::OK
        };
        let mut answer = match body {
            Ok(body) => (status, body).into_response(),
            Err(err) => return self.refuse(&AppError::internal(err)),
        };
        let headers = answer.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.content_type());
        if response.is_ok()
            && let Some(cache_control) = response.cache_control.value()
            && let Ok(value) = HeaderValue::from_str(&cache_control)
        {
            headers.insert(header::CACHE_CONTROL, value);
        }
        headers.extend(response.http_headers);
        answer
    }
}

/// An answer's body: `data` unless the request failed, then `errors` and `extensions` when
/// there are any.
#[derive(serde::Serialize)]
struct Answer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Media {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().unwrap());
        Media::negotiate(&headers)
    }

    #[test]
    fn json_unless_the_client_asks_for_graphql_responses() {
        assert_eq!(Media::negotiate(&HeaderMap::new()), Media::Json);
        assert_eq!(accept("*/*"), Media::Json);
        assert_eq!(accept("application/json"), Media::Json);
        assert_eq!(
            accept("application/graphql-response+json"),
            Media::GraphqlResponse
        );
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Media::GraphqlResponse
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json"),
            Media::Json
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0, application/json"),
            Media::Json
        );
        assert_eq!(accept("text/html"), Media::Json);
    }
}
