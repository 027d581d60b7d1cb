//! Access levels, ordered `none < read < write < manage`.

use async_graphql::Enum;
use std::str::FromStr;

use crate::error::AppError;

/// How much a viewer may do with an item.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[graphql(name = "AccessLevel", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    /// Nothing: the item is invisible.
    #[default]
    None,
    /// See the item, its versions and download it.
    Read,
    /// Change the item's content and metadata, create items inside a folder.
    Write,
    /// Also share, trash, delete and restore it.
    Manage,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Read => "read",
            Self::Write => "write",
            Self::Manage => "manage",
        }
    }

    /// Parses a stored or client-sent level; anything else is bad input naming the field.
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        raw.parse().map_err(|_| {
            AppError::bad_input(format!(
                "{field} must be one of none, read, write, manage; got {raw:?}"
            ))
        })
    }
}

impl FromStr for Level {
    type Err = ();

    fn from_str(raw: &str) -> Result<Self, ()> {
        match raw {
            "none" => Ok(Self::None),
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            "manage" => Ok(Self::Manage),
            _ => Err(()),
        }
    }
}
