//! The one error type of Quire and its one code table; REST and GraphQL only translate it.

use async_graphql::Enum;

/// What went wrong, as clients see it. `code()` is the single source of truth for both wire
/// protocols.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Credentials are missing, invalid, expired, or of the wrong kind for this request.
    #[error("{0}")]
    Unauthenticated(String),
    /// The viewer can see the item but may not do this to it.
    #[error("{0}")]
    Forbidden(String),
    /// The item does not exist, or the viewer may not see it.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed; the message says which part.
    #[error("{0}")]
    BadInput(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// An expected revision is no longer the current one.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The body is larger than allowed, or a quota is full.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A rate limit: retry after this many seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// The blob store has no space left.
    #[error("{0}")]
    InsufficientStorage(String),
    /// A change-feed cursor older than the feed keeps.
    #[error("{0}")]
    CursorExpired(String),
    /// A bug or an outage; its text is logged once and never sent to clients.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The machine-readable kind of an error: `extensions.code` in GraphQL, `code` in REST bodies.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Missing or invalid credentials, or a token that does not cover the request (REST 401).
    Unauthenticated,
    /// The viewer may see the item but not do this to it (REST 403).
    Forbidden,
    /// No such item, or not visible to the viewer (REST 404).
    NotFound,
    /// Malformed input; the message names what is wrong (REST 400).
    BadUserInput,
    /// The request conflicts with the current state (REST 409).
    Conflict,
    /// An expected revision (`If-Match`, `ifRevision`) is no longer the current one (REST 412).
    PreconditionFailed,
    /// The body is larger than allowed, a quota is full, or the request ran out of time
    /// (REST 413).
    PayloadTooLarge,
    /// A rate limit; retry after `extensions.retryAfter` seconds (REST 429, `Retry-After`).
    TooManyRequests,
    /// The blob store has no space left; nothing was kept (REST 507).
    InsufficientStorage,
    /// A change-feed cursor older than the feed keeps: start again from the top (REST 410).
    CursorExpired,
    /// The GraphQL document does not parse (HTTP 400 as `application/graphql-response+json`,
    /// 200 as `application/json`).
    GraphqlParseFailed,
    /// The GraphQL document does not validate against the schema (depth and complexity
    /// included), or its variables do not fit their types (HTTP as for a parse failure).
    GraphqlValidationFailed,
    /// An automatic persisted query whose hash this server does not know: send it again with
    /// its text (HTTP 200).
    PersistedQueryNotFound,
    /// A server fault; retrying may help, reporting it will (REST 500).
    InternalServerError,
}

impl ErrorCode {
    /// Every code, in the table's order.
    pub const ALL: [Self; 14] = [
        Self::Unauthenticated,
        Self::Forbidden,
        Self::NotFound,
        Self::BadUserInput,
        Self::Conflict,
        Self::PreconditionFailed,
        Self::PayloadTooLarge,
        Self::TooManyRequests,
        Self::InsufficientStorage,
        Self::CursorExpired,
        Self::GraphqlParseFailed,
        Self::GraphqlValidationFailed,
        Self::PersistedQueryNotFound,
        Self::InternalServerError,
    ];

    /// The wire spelling and the HTTP status, in one table.
    fn row(self) -> (&'static str, u16) {
        match self {
            Self::Unauthenticated => ("UNAUTHENTICATED", 401),
            Self::Forbidden => ("FORBIDDEN", 403),
            Self::NotFound => ("NOT_FOUND", 404),
            Self::BadUserInput => ("BAD_USER_INPUT", 400),
            Self::Conflict => ("CONFLICT", 409),
            Self::PreconditionFailed => ("PRECONDITION_FAILED", 412),
            Self::PayloadTooLarge => ("PAYLOAD_TOO_LARGE", 413),
            Self::TooManyRequests => ("TOO_MANY_REQUESTS", 429),
            Self::InsufficientStorage => ("INSUFFICIENT_STORAGE", 507),
            Self::CursorExpired => ("CURSOR_EXPIRED", 410),
            Self::GraphqlParseFailed => ("GRAPHQL_PARSE_FAILED", 400),
            Self::GraphqlValidationFailed => ("GRAPHQL_VALIDATION_FAILED", 400),
            Self::PersistedQueryNotFound => ("PERSISTED_QUERY_NOT_FOUND", 400),
            Self::InternalServerError => ("INTERNAL_SERVER_ERROR", 500),
        }
    }

    /// The wire spelling, the same in GraphQL and REST.
    pub fn as_str(self) -> &'static str {
        self.row().0
    }

    /// Reads the wire spelling back.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The HTTP status the REST shim answers with.
    pub fn http_status(self) -> u16 {
        self.row().1
    }
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::BadInput(_) => ErrorCode::BadUserInput,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::PreconditionFailed(_) => ErrorCode::PreconditionFailed,
            Self::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            Self::InsufficientStorage(_) => ErrorCode::InsufficientStorage,
            Self::CursorExpired(_) => ErrorCode::CursorExpired,
            Self::Internal(_) => ErrorCode::InternalServerError,
        }
    }

    /// The message a client may see: internal details never leave the process.
    pub fn public_message(&self) -> String {
        self.to_string()
    }

    /// Seconds to wait before retrying, for rate limits.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadInput(message.into())
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::Unauthenticated(message.into())
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self::Internal(source.into())
    }

    /// A failed read or write: the disk being full is 507, anything else a fault.
    pub fn io(err: std::io::Error) -> Self {
        match err.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                Self::InsufficientStorage(
                    "no space is left to store this; nothing was kept".to_owned(),
                )
            }
            _ => Self::Internal(err.into()),
        }
    }

    /// Whether the database gave up on the transaction because of another one (a deadlock or
    /// a serialization failure): running it again is the cure.
    pub fn is_transient(&self) -> bool {
        self.has_cause(|cause| {
            cause.is::<Contention>() || database_state(cause, &["40P01", "40001"])
        })
    }

    /// Whether the database stopped a statement at its time budget (PostgreSQL's
    /// query_canceled, SQLite's SQLITE_INTERRUPT; `service::budget`).
    pub fn ran_out_of_time(&self) -> bool {
        self.has_cause(|cause| database_state(cause, &["57014", "9"]))
    }

    /// Whether an internal error has a cause that `matches`.
    fn has_cause(&self, matches: impl Fn(&(dyn std::error::Error + 'static)) -> bool) -> bool {
        let Self::Internal(source) = self else {
            return false;
        };
        source.chain().any(matches)
    }

    /// Logs an internal error once, where it is turned into a response.
    pub fn log_if_internal(&self) {
        if let Self::Internal(source) = self {
            tracing::error!(error = ?source, "internal error");
        }
    }
}

/// A write found what it was about to change moved by a concurrent one: run it again.
#[derive(Debug, thiserror::Error)]
#[error("a concurrent write moved what this one was changing")]
pub struct Contention;

/// Whether `cause` is a database error with one of these SQLSTATEs (SQLite: result codes).
fn database_state(cause: &(dyn std::error::Error + 'static), states: &[&str]) -> bool {
    cause
        .downcast_ref::<sea_orm::DbErr>()
        .and_then(sql_state)
        .is_some_and(|state| states.contains(&state.as_str()))
}

/// The SQLSTATE of a database error, when the database gave one.
fn sql_state(err: &sea_orm::DbErr) -> Option<String> {
    let runtime = match err {
        sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
        | sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
        | sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)) => e,
        _ => return None,
    };
    runtime
        .as_database_error()
        .and_then(|db| db.code())
        .map(|code| code.into_owned())
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        // PostgreSQL's disk_full, SQLite's SQLITE_FULL.
        if sql_state(&err).is_some_and(|state| matches!(state.as_str(), "53100" | "13")) {
            return Self::InsufficientStorage(
                "the database has no space left; nothing was kept".to_owned(),
            );
        }
        Self::Internal(err.into())
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert!((400..600).contains(&code.http_status()), "{code:?}");
        }
    }
}
