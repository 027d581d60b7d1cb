//! Revisions and ETags: what every change stamps on an item, and the tag of an answer about it.

use std::fmt;

use sha2::{Digest, Sha256};

use super::Item;
use crate::error::{AppError, AppResult};

/// The company revision an item's last change gave it. Revisions of one company grow with
/// every committed change; clients treat them as opaque strings.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Revision(pub i64);

impl Revision {
    /// A revision a client sends back: the bare revision, or an ETag Quire sent (quoted or
    /// not, weak or not: `W/"12.3fa9…"`), whose revision is what precedes the first dot.
    pub fn parse(raw: &str) -> AppResult<Self> {
        let tag = raw.trim();
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        let tag = tag.trim_matches('"');
        let revision = tag.split('.').next().unwrap_or_default();
        match revision.parse::<i64>() {
            Ok(value) if value > 0 => Ok(Self(value)),
            _ => Err(AppError::bad_input(format!(
                "{raw:?} is not a revision or an ETag of an item"
            ))),
        }
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Item {
    /// The strong ETag of what an answer about this item shows this viewer: its revision,
    /// then a digest of what else the answer shows (the viewer's level and trash state, its
    /// creator, and the revision of each folder on its readable path, whose names it lists).
    /// A folder's own revision changes with its children (DESIGN: a change marks the parent),
    /// so polling a folder with `If-None-Match` sees every change to its listing. `None` for
    /// the special folders, which have no revision.
    pub fn etag(&self) -> Option<String> {
        let revision = self.revision?;
        let mut digest = Sha256::new();
        digest.update(self.level.as_str());
        digest.update([u8::from(self.in_trash)]);
        if let Some(creator) = &self.creator {
            for part in [creator.name.as_deref(), creator.email.as_deref()] {
                digest.update(part.unwrap_or_default());
                digest.update([0]);
            }
        }
        for folder in self.ancestors.iter() {
            digest.update(folder.id.to_string());
            digest.update(folder.revision.map_or(0, |r| r.0).to_be_bytes());
            digest.update(folder.level.as_str());
        }
        let digest = digest.finalize();
        let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Some(format!("\"{revision}.{short}\""))
    }
}

#[cfg(test)]
mod tests {
    use super::Revision;

    #[test]
    fn a_revision_is_read_from_itself_or_from_an_etag() {
        for raw in [
            "12",
            "\"12\"",
            "\"12.0123abcd\"",
            "W/\"12.0123abcd\"",
            " 12.x ",
        ] {
            assert_eq!(Revision::parse(raw).unwrap(), Revision(12), "{raw}");
        }
        for raw in ["", "*", "abc", "\"-3\"", "0", "W/\"\""] {
            assert!(Revision::parse(raw).is_err(), "{raw}");
        }
    }
}
