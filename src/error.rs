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
    /// The body is larger than allowed.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A bug or an outage; its text is logged once and never sent to clients.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The machine-readable kind of an error: `extensions.code` in GraphQL, `code` in REST bodies.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Missing or invalid credentials.
    Unauthenticated,
    /// The viewer may see the item but not do this to it.
    Forbidden,
    /// No such item, or not visible to the viewer.
    NotFound,
    /// Malformed input; the message names what is wrong.
    BadUserInput,
    /// The request conflicts with the current state.
    Conflict,
    /// The body is larger than allowed.
    PayloadTooLarge,
    /// A server fault; retrying may help, reporting it will.
    InternalServerError,
}

impl ErrorCode {
    /// The wire spelling, the same in GraphQL and REST.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Conflict => "CONFLICT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }

    /// Reads the wire spelling back.
    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Unauthenticated,
            Self::Forbidden,
            Self::NotFound,
            Self::BadUserInput,
            Self::Conflict,
            Self::PayloadTooLarge,
            Self::InternalServerError,
        ]
        .into_iter()
        .find(|c| c.as_str() == code)
    }

    /// The HTTP status the REST shim answers with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::BadUserInput => 400,
            Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::InternalServerError => 500,
        }
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
            Self::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::Internal(_) => ErrorCode::InternalServerError,
        }
    }

    /// The message a client may see: internal details never leave the process.
    pub fn public_message(&self) -> String {
        self.to_string()
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

    /// Logs an internal error once, where it is turned into a response.
    pub fn log_if_internal(&self) {
        if let Self::Internal(source) = self {
            tracing::error!(error = ?source, "internal error");
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Internal(err.into())
    }
}

pub type AppResult<T> = Result<T, AppError>;
