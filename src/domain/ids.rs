//! Typed ids, parsed once at the edge: companies, items (with the special folders), users.

use std::fmt;
use uuid::Uuid;

use crate::error::AppError;

/// A company, as named by the identity provider.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CompanyId(pub Uuid);

/// A real (stored) drive item.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(pub Uuid);

/// A file version.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VersionId(pub Uuid);

/// A user id: opaque, 1–128 characters of `[A-Za-z0-9._@:-]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

fn parse_uuid(kind: &str, raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw)
        .map_err(|_| AppError::bad_input(format!("{kind} must be a UUID, got {raw:?}")))
}

impl CompanyId {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        parse_uuid("company id", raw).map(Self)
    }
}

impl ItemId {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        parse_uuid("item id", raw).map(Self)
    }

    /// A fresh id (UUID v7, so new rows keep indexes ordered).
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }
}

impl VersionId {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        parse_uuid("version id", raw).map(Self)
    }

    /// A fresh id (UUID v7, so new rows keep indexes ordered).
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }
}

/// Whether `raw` is an opaque id of the allowed alphabet and length (users, channels, tabs).
pub fn is_opaque_id(raw: &str) -> bool {
    (1..=128).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b':' | b'-'))
}

/// Checks an opaque id (user, channel, tab) and names what it is when it is not one.
pub fn opaque_id(kind: &str, raw: &str) -> Result<String, AppError> {
    if is_opaque_id(raw) {
        Ok(raw.to_owned())
    } else {
        Err(AppError::bad_input(format!(
            "{kind} must be 1-128 characters of [A-Za-z0-9._@:-], got {raw:?}"
        )))
    }
}

impl UserId {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        opaque_id("user id", raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fresh id for an anonymous public-link visitor (`anonymous:<hex>`).
    pub fn anonymous() -> Self {
        Self(format!("anonymous:{}", Uuid::new_v4().simple()))
    }
}

/// Where an `:id` points: a stored item or one of the special folders.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ItemRef {
    /// The company's Shared Drive (`root`).
    Root,
    /// A user's personal drive (`user_<uid>`).
    UserDrive(UserId),
    /// The Shared Drive's trash (`trash`).
    Trash,
    /// A user's personal trash (`trash_<uid>`).
    UserTrash(UserId),
    /// What others shared with the viewer (`shared_with_me`).
    SharedWithMe,
    /// A stored item.
    Item(ItemId),
}

impl ItemRef {
    /// Reads an id exactly as sent: a UUID or a special folder's id; anything else (an empty
    /// or blank id included) is bad input, never a special folder.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        Ok(match raw {
            "root" => Self::Root,
            "trash" => Self::Trash,
            "shared_with_me" => Self::SharedWithMe,
            _ => {
                if let Some(uid) = raw.strip_prefix("user_") {
                    Self::UserDrive(UserId::parse(uid)?)
                } else if let Some(uid) = raw.strip_prefix("trash_") {
                    Self::UserTrash(UserId::parse(uid)?)
                } else {
                    Self::Item(ItemId::parse(raw).map_err(|_| {
                        AppError::bad_input(format!(
                            "item id must be a UUID or one of root, trash, trash_<user>, user_<user>, shared_with_me; got {raw:?}"
                        ))
                    })?)
                }
            }
        })
    }

    /// Reads an item id of `company` as a client sends it: the REST forms (`root`,
    /// `user_<uid>`, a UUID…) or a GraphQL global id (`root/<company>`); a global id of
    /// another company is bad input.
    pub fn parse_in(raw: &str, company: CompanyId) -> Result<Self, AppError> {
        match raw.split_once('/') {
            None => Self::parse(raw),
            Some((special, named)) => {
                let named = CompanyId::parse(named)?;
                if named != company {
                    return Err(AppError::bad_input(format!(
                        "{raw:?} names an item of another company than {company}"
                    )));
                }
                match Self::parse(special)? {
                    Self::Item(_) => Err(AppError::bad_input(format!(
                        "{raw:?} is not an item id: a stored item's id is its UUID alone"
                    ))),
                    special => Ok(special),
                }
            }
        }
    }

    /// A GraphQL global id as a company and what it names: a UUID names a stored item in any
    /// company; `<special>/<company>` a special folder of that company.
    pub fn parse_global(raw: &str) -> Result<(Option<CompanyId>, Self), AppError> {
        match raw.split_once('/') {
            None => Ok((None, Self::Item(ItemId::parse(raw)?))),
            Some((_, company)) => {
                let company = CompanyId::parse(company)?;
                Ok((Some(company), Self::parse_in(raw, company)?))
            }
        }
    }

    /// The id GraphQL shows: unique across companies, as normalized caches assume. A stored
    /// item's is its UUID; a special folder's is `<special>/<company>` (`root/0b6f…`).
    pub fn global(&self, company: CompanyId) -> String {
        match self {
            Self::Item(id) => id.to_string(),
            special => format!("{special}/{company}"),
        }
    }

    /// The stored item this names, if it is not a special folder.
    pub fn stored_id(&self) -> Option<ItemId> {
        match self {
            Self::Item(id) => Some(*id),
            _ => None,
        }
    }

    /// A drive's top: the places an item's `parent_id` may name besides a folder.
    pub fn is_drive(&self) -> bool {
        matches!(self, Self::Root | Self::UserDrive(_))
    }
}

impl fmt::Display for CompanyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for VersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for ItemRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str("root"),
            Self::UserDrive(uid) => write!(f, "user_{uid}"),
            Self::Trash => f.write_str("trash"),
            Self::UserTrash(uid) => write!(f, "trash_{uid}"),
            Self::SharedWithMe => f.write_str("shared_with_me"),
            Self::Item(id) => id.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_ids_round_trip() {
        for raw in [
            "root",
            "trash",
            "shared_with_me",
            "user_alice",
            "trash_bob@x.io",
        ] {
            assert_eq!(ItemRef::parse(raw).unwrap().to_string(), raw);
        }
        let id = Uuid::now_v7().to_string();
        assert_eq!(ItemRef::parse(&id).unwrap().to_string(), id);
    }

    #[test]
    fn global_ids_name_one_folder_of_one_company() {
        let company = CompanyId(Uuid::now_v7());
        let other = CompanyId(Uuid::now_v7());
        for raw in [
            "root",
            "trash",
            "shared_with_me",
            "user_alice",
            "trash_anonymous:1f",
        ] {
            let id = ItemRef::parse(raw).unwrap();
            let global = id.global(company);
            assert_eq!(global, format!("{raw}/{company}"));
            assert_eq!(ItemRef::parse_in(&global, company).unwrap(), id);
            assert_eq!(ItemRef::parse_in(raw, company).unwrap(), id);
            assert!(ItemRef::parse_in(&id.global(other), company).is_err());
            assert_eq!(ItemRef::parse_global(&global).unwrap(), (Some(company), id));
        }
        let stored = ItemRef::Item(ItemId::generate());
        assert_eq!(stored.global(company), stored.to_string());
        assert!(ItemRef::parse_in(&format!("{stored}/{company}"), company).is_err());
    }

    #[test]
    fn malformed_ids_are_bad_input() {
        for raw in [
            "nope",
            "user_",
            "user_a/b",
            "trash_ bad",
            "1234",
            "",
            " ",
            " root",
            "root ",
        ] {
            assert!(
                matches!(ItemRef::parse(raw), Err(AppError::BadInput(_))),
                "{raw}"
            );
        }
        assert!(CompanyId::parse("x").is_err());
        assert!(UserId::parse(&"a".repeat(129)).is_err());
    }
}
