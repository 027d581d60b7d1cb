//! Access lists: reading them (for display) and replacing them (managers only).

use std::collections::HashMap;

use entity::{grant, item};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::access::ROOT_KEY;
use super::access::require;
use super::revisions::{self, Logged, entry_key, no_revision};
use super::{Service, access, convert, items, locks, users};
use crate::auth::Viewer;
use crate::domain::ids::opaque_id;
use crate::domain::{
    AccessEntity, ChangeKind, CompanyId, EntityKind, Item, ItemRef, Level, Revision,
};
use crate::error::{AppError, AppResult};

fn grants_key(id: &ItemRef) -> Option<Uuid> {
    match id {
        ItemRef::Root => Some(ROOT_KEY),
        ItemRef::Item(id) => Some(id.0),
        _ => None,
    }
}

/// One validated entry: what is inherited (the `folder` entry), or a grant to a subject.
#[derive(Clone, Debug)]
pub(super) enum Entry {
    Folder(Level),
    Grant {
        kind: EntityKind,
        subject: String,
        level: Level,
    },
}

/// A validated replacement access list: the `folder` entry's level and the stored entries.
pub(super) struct NewAccess {
    folder_level: Level,
    entries: HashMap<(EntityKind, String), Level>,
}

/// Checks one entry: an id of the right shape, a `company` entry naming this company, no
/// `folder` entry for the Shared Drive.
fn validate_entry(company: CompanyId, id: &ItemRef, entity: AccessEntity) -> AppResult<Entry> {
    let subject = match entity.kind {
        EntityKind::Folder if grants_key(id) == Some(ROOT_KEY) => {
            return Err(AppError::bad_input(
                "the Shared Drive has no parent to inherit from",
            ));
        }
        EntityKind::Folder => return Ok(Entry::Folder(entity.level)),
        EntityKind::User => opaque_id("user id", &entity.id)?,
        EntityKind::Channel => opaque_id("channel id", &entity.id)?,
        EntityKind::Company if entity.id == company.to_string() => entity.id,
        EntityKind::Company => {
            return Err(AppError::bad_input(format!(
                "a company entry must name this company ({company}), got {:?}",
                entity.id
            )));
        }
    };
    Ok(Entry::Grant {
        kind: entity.kind,
        subject,
        level: entity.level,
    })
}

/// The most entries one access list holds.
pub const MAX_ENTRIES: usize = 1000;

/// Checks a replacement list entry by entry (at most `MAX_ENTRIES` besides the `folder`
/// entry, as a list reads back). A missing `folder` entry means nothing is inherited.
pub(super) fn validate(
    company: CompanyId,
    id: &ItemRef,
    entities: Vec<AccessEntity>,
) -> AppResult<NewAccess> {
    let stored = entities
        .iter()
        .filter(|entity| entity.kind != EntityKind::Folder)
        .count();
    if stored > MAX_ENTRIES || entities.len() > MAX_ENTRIES + 1 {
        return Err(AppError::bad_input(format!(
            "an access list holds at most {MAX_ENTRIES} entries besides its folder entry, got {}",
            entities.len()
        )));
    }
    let mut new = NewAccess {
        folder_level: Level::None,
        entries: HashMap::new(),
    };
    for entity in entities {
        match validate_entry(company, id, entity)? {
            Entry::Folder(level) => new.folder_level = level,
            Entry::Grant {
                kind,
                subject,
                level,
            } => {
                new.entries.insert((kind, subject), level);
            }
        }
    }
    Ok(new)
}

fn stored_key(id: &ItemRef) -> AppResult<Uuid> {
    grants_key(id).ok_or_else(|| AppError::bad_input(format!("{id} has no access list of its own")))
}

fn grant_row(
    company: CompanyId,
    key: Uuid,
    kind: EntityKind,
    subject: String,
    level: Level,
    grantor: &Viewer,
) -> grant::ActiveModel {
    grant::ActiveModel {
        company_id: Set(company.0),
        item_id: Set(key),
        kind: Set(kind.as_str().to_owned()),
        subject: Set(subject),
        level: Set(level.as_str().to_owned()),
        grantor: Set(Some(grantor.user_id.to_string())),
    }
}

/// Writes grants, changing only the level of those already there (their grantor stays), a
/// few hundred rows a statement (well within every database's bound parameters).
async fn upsert<C: ConnectionTrait>(db: &C, rows: Vec<grant::ActiveModel>) -> AppResult<()> {
    for rows in rows.chunks(200) {
        upsert_few(db, rows.to_vec()).await?;
    }
    Ok(())
}

async fn upsert_few<C: ConnectionTrait>(db: &C, rows: Vec<grant::ActiveModel>) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    grant::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                grant::Column::CompanyId,
                grant::Column::ItemId,
                grant::Column::Kind,
                grant::Column::Subject,
            ])
            .update_column(grant::Column::Level)
            .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

async fn set_folder_level<C: ConnectionTrait>(db: &C, key: Uuid, level: Level) -> AppResult<()> {
    item::Entity::update_many()
        .col_expr(item::Column::FolderLevel, Expr::value(level.as_str()))
        .filter(item::Column::Id.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Waits for the turn to change the length of one access list (stored under `key`).
async fn take_list_turn(txn: &DatabaseTransaction, company: CompanyId, key: Uuid) -> AppResult<()> {
    locks::take_turn(txn, &[b"access", company.0.as_bytes(), key.as_bytes()]).await
}

/// Replaces the access list of an item (or of the Shared Drive), keeping the grantor of
/// entries that stay. Replacements and additions to one list take turns; removals need none.
pub(super) async fn replace(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    company: CompanyId,
    id: &ItemRef,
    new: NewAccess,
) -> AppResult<Vec<String>> {
    let key = stored_key(id)?;
    take_list_turn(txn, company, key).await?;
    let kept: Vec<(String, String)> = new
        .entries
        .keys()
        .map(|(kind, subject)| (kind.as_str().to_owned(), subject.clone()))
        .collect();
    let stored = grant::Entity::find()
        .filter(grant::Column::CompanyId.eq(company.0))
        .filter(grant::Column::ItemId.eq(key))
        .all(txn)
        .await?;
    // Who loses their entry: those who held more than `none`, left out or now given `none`.
    let level_after = |g: &grant::Model| {
        EntityKind::parse(&g.kind)
            .and_then(|kind| new.entries.get(&(kind, g.subject.clone())))
            .copied()
            .unwrap_or(Level::None)
    };
    let revoked: Vec<String> = stored
        .iter()
        .filter(|g| convert::parse_level(&g.level) > Level::None && level_after(g) == Level::None)
        .map(|g| entry_key(&g.kind, &g.subject))
        .collect();
    let stale: Vec<(String, String)> = stored
        .into_iter()
        .map(|g| (g.kind, g.subject))
        .filter(|entry| !kept.contains(entry))
        .collect();
    for (kind, subject) in stale {
        grant::Entity::delete_by_id((company.0, key, kind, subject))
            .exec(txn)
            .await?;
    }
    let rows = new
        .entries
        .into_iter()
        .map(|((kind, subject), level)| grant_row(company, key, kind, subject, level, viewer))
        .collect();
    upsert(txn, rows).await?;
    if key != ROOT_KEY {
        set_folder_level(txn, key, new.folder_level).await?;
    }
    Ok(revoked)
}

impl Service {
    /// Gives one user, the company or a channel a level on an item (or the Shared Drive), or
    /// sets its `folder` entry; the rest of the list stays. `manage` needed; a list holds at
    /// most `MAX_ENTRIES`. One row is written: concurrent shares of one item all land.
    pub async fn share_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        entity: AccessEntity,
        if_revision: Option<Revision>,
    ) -> AppResult<Item> {
        let entry = validate_entry(company, id, entity)?;
        self.retrying(|| self.edit_entry(viewer, company, id, (&entry, if_revision), true))
            .await?;
        self.get_item(viewer, company, id).await
    }

    /// Removes one entry from an item's access list (the `folder` entry: stop inheriting).
    /// `manage` needed.
    pub async fn unshare_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        (kind, subject): (EntityKind, &str),
        if_revision: Option<Revision>,
    ) -> AppResult<Item> {
        let entry = match kind {
            EntityKind::Folder => validate_entry(
                company,
                id,
                AccessEntity {
                    kind,
                    id: String::new(),
                    level: Level::None,
                    grantor: None,
                },
            )?,
            kind => Entry::Grant {
                kind,
                subject: subject.to_owned(),
                level: Level::None,
            },
        };
        self.retrying(|| self.edit_entry(viewer, company, id, (&entry, if_revision), false))
            .await?;
        self.get_item(viewer, company, id).await
    }

    /// Writes (`put`) or removes one entry of a list the viewer manages.
    async fn edit_entry(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        (entry, if_revision): (&Entry, Option<Revision>),
        put: bool,
    ) -> AppResult<()> {
        let key = stored_key(id)?;
        let txn = self.write().await?;
        let place = match id {
            ItemRef::Item(stored) => {
                locks::places(&txn, company.0, &[stored.0], false).await?;
                let (item, row) = access::readable_item(&*txn, viewer, company, stored.0).await?;
                require(&item, Level::Manage, "changing who has access")?;
                revisions::claim(&txn, company, *stored, if_revision).await?;
                revisions::mark_parents(&txn, company, [row.parent_id.as_str()]).await?;
                Some(row)
            }
            _ => {
                let root = items::get(&*txn, viewer, company, id).await?;
                require(&root, Level::Manage, "changing who has access")?;
                if if_revision.is_some() {
                    return Err(no_revision(id));
                }
                None
            }
        };
        let revoked = match entry {
            Entry::Grant {
                kind,
                subject,
                level,
            } if !put || *level == Level::None => {
                // Only who held more than `none` loses anything.
                let held = grant::Entity::find_by_id((
                    company.0,
                    key,
                    kind.as_str().to_owned(),
                    subject.clone(),
                ))
                .one(&*txn)
                .await?;
                held.filter(|grant| convert::parse_level(&grant.level) > Level::None)
                    .map(|_| entry_key(kind.as_str(), subject))
                    .into_iter()
                    .collect()
            }
            _ => Vec::new(),
        };
        let logged = Logged::new(ChangeKind::AccessChanged, key, viewer);
        let logged = match &place {
            Some(row) => logged.in_place(row),
            None => logged,
        };
        let logged = logged.revoking(revoked);
        revisions::log(&txn, company, logged);
        match entry.clone() {
            Entry::Folder(level) => set_folder_level(&*txn, key, level).await?,
            Entry::Grant {
                kind,
                subject,
                level,
            } if put => {
                // A new entry waits for the list's turn, so that no two of them pass the cap.
                take_list_turn(&txn, company, key).await?;
                let stored: Vec<(String, String)> = grant::Entity::find()
                    .select_only()
                    .columns([grant::Column::Kind, grant::Column::Subject])
                    .filter(grant::Column::CompanyId.eq(company.0))
                    .filter(grant::Column::ItemId.eq(key))
                    .into_tuple()
                    .all(&*txn)
                    .await?;
                let entry = (kind.as_str().to_owned(), subject.clone());
                if stored.len() >= MAX_ENTRIES && !stored.contains(&entry) {
                    return Err(AppError::bad_input(format!(
                        "an access list holds at most {MAX_ENTRIES} entries; remove one first"
                    )));
                }
                upsert(
                    &*txn,
                    vec![grant_row(company, key, kind, subject, level, viewer)],
                )
                .await?;
            }
            Entry::Grant { kind, subject, .. } => {
                grant::Entity::delete_by_id((company.0, key, kind.as_str().to_owned(), subject))
                    .exec(&*txn)
                    .await?;
            }
        }
        users::remember(&*txn, viewer).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// An item's access list from its stored entries (ordered by kind, then subject): the Shared
/// Drive's shows its effective `company` entry even when none is stored.
pub(super) fn shown_list(
    company: CompanyId,
    key: Uuid,
    stored: &[grant::Model],
) -> Vec<AccessEntity> {
    let mut entities = Vec::with_capacity(stored.len() + 1);
    if key == ROOT_KEY && !stored.iter().any(|g| g.kind == "company") {
        entities.push(AccessEntity {
            kind: EntityKind::Company,
            id: company.to_string(),
            level: Level::Read,
            grantor: None,
        });
    }
    entities.extend(stored.iter().filter_map(|g| {
        Some(AccessEntity {
            kind: EntityKind::parse(&g.kind)?,
            id: g.subject.clone(),
            level: convert::parse_level(&g.level),
            grantor: g.grantor.clone(),
        })
    }));
    entities
}
