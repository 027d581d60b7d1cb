//! Persisted documents: automatic persisted queries (the Apollo protocol — a SHA-256 in
//! `extensions.persistedQuery`, the text sent once after a `PERSISTED_QUERY_NOT_FOUND`) in a
//! bounded in-memory store, and the trusted-documents mode where only the operations of a
//! manifest run (`QUIRE_TRUSTED_DOCUMENTS`).

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// What became of a request's document.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    /// Run it (its text is in the request).
    Run,
    /// Run it, and remember it by its hash once admitted.
    Remember,
    /// The client sent only a hash this server does not know: it should send the text.
    NotFound,
}

/// The documents a server knows by hash.
pub enum Persisted {
    /// Any document runs; those sent with their hash are remembered (least recently used
    /// forgotten first).
    Automatic(Mutex<lru::LruCache<String, String>>),
    /// Only the manifest's documents run.
    Trusted(HashMap<String, String>),
}

/// The SHA-256 of a document's text, in hex (what clients send).
pub fn hash(document: &str) -> String {
    hex::encode(Sha256::digest(document.as_bytes()))
}

impl Persisted {
    /// An automatic store of at most `entries` documents.
    pub fn automatic(entries: usize) -> Self {
        let entries = NonZeroUsize::new(entries).unwrap_or(NonZeroUsize::MIN);
        Self::Automatic(Mutex::new(lru::LruCache::new(entries)))
    }

    /// The trusted documents of a manifest: a JSON object from each document's SHA-256 to its
    /// text (what `quire trusted-documents` prints, graphql-codegen's client preset and Relay
    /// make). Each hash is checked.
    pub fn trusted(manifest: &str) -> anyhow::Result<Self> {
        let documents: HashMap<String, String> = serde_json::from_str(manifest)?;
        for (key, document) in &documents {
            let key = key.strip_prefix("sha256:").unwrap_or(key);
            anyhow::ensure!(
                key == hash(document),
                "the trusted document under {key} does not have that SHA-256"
            );
        }
        Ok(Self::Trusted(
            documents
                .into_iter()
                .map(|(key, document)| {
                    (
                        key.strip_prefix("sha256:").unwrap_or(&key).to_owned(),
                        document,
                    )
                })
                .collect(),
        ))
    }

    /// Fills in a request's document from its hash (`extensions.persistedQuery.sha256Hash`, or
    /// `documentId` already moved there), checks a sent text against its hash, and in
    /// trusted mode refuses any document outside the manifest. Call `remember` once the
    /// document was admitted.
    pub fn resolve(&self, request: &mut async_graphql::Request) -> AppResult<Resolved> {
        let asked = match request.extensions.remove("persistedQuery") {
            Some(value) => Some(persisted_hash(value)?),
            None => None,
        };
        match (self, asked) {
            (Self::Automatic(_), None) => Ok(Resolved::Run),
            (_, Some(asked)) if !request.query.is_empty() => {
                if hash(&request.query) != asked {
                    return Err(AppError::bad_input(
                        "the persisted query's sha256Hash is not the SHA-256 of its text",
                    ));
                }
                match self {
                    Self::Automatic(_) => Ok(Resolved::Remember),
                    Self::Trusted(_) => self.trusted_or_refused(&asked),
                }
            }
            (Self::Automatic(store), Some(asked)) => {
                let store = store
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                match store.peek(&asked) {
                    Some(document) => {
                        request.query = document.clone();
                        Ok(Resolved::Run)
                    }
                    None => Ok(Resolved::NotFound),
                }
            }
            (Self::Trusted(documents), Some(asked)) => match documents.get(&asked) {
                Some(document) => {
                    request.query = document.clone();
                    Ok(Resolved::Run)
                }
                None => Ok(Resolved::NotFound),
            },
            (Self::Trusted(_), None) => self.trusted_or_refused(&hash(&request.query)),
        }
    }

    fn trusted_or_refused(&self, hash: &str) -> AppResult<Resolved> {
        match self {
            Self::Trusted(documents) if !documents.contains_key(hash) => Err(AppError::bad_input(
                "this server runs trusted documents only, and this is not one of them",
            )),
            _ => Ok(Resolved::Run),
        }
    }

    /// Remembers an admitted document sent with its hash (`Resolved::Remember`).
    pub fn remember(&self, document: &str) {
        if let Self::Automatic(store) = self {
            let mut store = store
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            store.put(hash(document), document.to_owned());
        }
    }
}

fn persisted_hash(value: async_graphql::Value) -> AppResult<String> {
    let invalid = || {
        AppError::bad_input(
            "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": \"<hex>\"}",
        )
    };
    let value = value.into_json().map_err(|_| invalid())?;
    if value.get("version").and_then(|v| v.as_i64()) != Some(1) {
        return Err(invalid());
    }
    value
        .get("sha256Hash")
        .and_then(|h| h.as_str())
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
        .ok_or_else(invalid)
}
