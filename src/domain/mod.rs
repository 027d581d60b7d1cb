//! API-neutral types shared by the service and both faces: ids, levels, items, pages, inputs.

pub mod access;
pub mod change;
pub mod ids;
pub mod inputs;
pub mod item;
pub mod level;
pub mod names;
pub mod page;
pub mod revision;
pub mod search;
pub mod viewer;

pub use access::{AccessEntity, AccessInfo, AccessOrigin, AccessSource, EntityKind, PublicLink};
pub use change::{Change, ChangeCursor, ChangeKind, ChangePage};
pub use ids::{CompanyId, ItemId, ItemRef, UserId, VersionId};
pub use item::{Item, Scope, Tab, User, Version};
pub use level::Level;
pub use page::{Detail, Key, KeyValue, Page, PageRequest, Position, SortBy, SortOrder, Sorting};
pub use revision::Revision;
pub use viewer::{PublicGrant, Role, Viewer};

/// Milliseconds since the Unix epoch, the unit of every timestamp Quire stores and sends.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
