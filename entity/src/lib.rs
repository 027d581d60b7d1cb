//! SeaORM entities: the database's shape and nothing else (no API types, no web framework).

pub mod blob;
pub mod change;
pub mod company_revision;
pub mod file;
pub mod grant;
pub mod item;
pub mod password_attempt;
pub mod search_document;
pub mod tab;
pub mod upload;
pub mod upload_chunk;
pub mod user;
pub mod version;
