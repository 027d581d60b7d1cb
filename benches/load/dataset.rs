//! The dataset: a company's Shared Drive with folders five deep, files at depth six and one
//! folder of 100 files. Written through the service (small companies) or copied in bulk from
//! rows the service wrote (large ones), so both hold what the API would have written.

use std::collections::HashMap;

use entity::{grant, item, version};
use quire::auth::Viewer;
use quire::domain::inputs::{CreateItem, NewVersion};
use quire::domain::names::sort_key;
use quire::domain::{CompanyId, ItemId, ItemRef};
use quire::service::Service;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

/// Folder levels under the Shared Drive; files sit one level deeper.
const FOLDER_LEVELS: u32 = 5;
/// Every file's size in bytes (metadata only: the reads measured never touch bytes).
const FILE_SIZE: i64 = 1_000;
/// Files in the folder the folder reads fetch.
pub const HUNDRED: usize = 100;
/// Rows per INSERT: under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters.
const ROWS_PER_INSERT: usize = 1_000;
/// INSERTs per transaction while bulk seeding.
const INSERTS_PER_COMMIT: usize = 50;

/// How wide the tree is: `fanout` folders per folder, `files_per_leaf` files per deepest folder.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    fanout: u64,
    files_per_leaf: u64,
}

impl Shape {
    /// The narrowest tree of about `items` items (never fewer) with about 30 files per leaf.
    pub fn for_items(items: u64) -> Self {
        let mut fanout = 1;
        while Self::folders_of(fanout) + fanout.pow(FOLDER_LEVELS) * 30 < items {
            fanout += 1;
        }
        let leaves = fanout.pow(FOLDER_LEVELS);
        let fixed = Self::folders_of(fanout) + 1 + HUNDRED as u64;
        let files_per_leaf = items.saturating_sub(fixed).div_ceil(leaves).max(1);
        Self {
            fanout,
            files_per_leaf,
        }
    }

    fn folders_of(fanout: u64) -> u64 {
        (1..=FOLDER_LEVELS).map(|level| fanout.pow(level)).sum()
    }

    /// Every item the tree holds, the folder of 100 files included.
    pub fn items(&self) -> u64 {
        Self::folders_of(self.fanout)
            + self.fanout.pow(FOLDER_LEVELS) * self.files_per_leaf
            + 1
            + HUNDRED as u64
    }

    /// Calls `emit` for every item, each parent before its children.
    fn generate(&self, emit: &mut dyn FnMut(Node)) {
        for index in 0..self.fanout {
            self.folder(1, index == 0, None, "/", index, emit);
        }
    }

    fn folder(
        &self,
        level: u32,
        first: bool,
        parent: Option<Uuid>,
        path: &str,
        index: u64,
        emit: &mut dyn FnMut(Node),
    ) {
        let id = Uuid::now_v7();
        let files_below = self.fanout.pow(FOLDER_LEVELS - level) * self.files_per_leaf;
        let hundred_below = if first { HUNDRED as i64 } else { 0 };
        emit(Node {
            id,
            parent,
            path: path.to_owned(),
            name: format!("folder-{index}"),
            is_directory: true,
            size: (files_below as i64 + hundred_below) * FILE_SIZE,
            mark: None,
        });
        let inner = format!("{path}{id}/");
        if level < FOLDER_LEVELS {
            for child in 0..self.fanout {
                self.folder(
                    level + 1,
                    first && child == 0,
                    Some(id),
                    &inner,
                    child,
                    emit,
                );
            }
            return;
        }
        for file in 0..self.files_per_leaf {
            emit(Node::file(id, &inner, file as usize, None));
        }
        if first {
            let hundred = Uuid::now_v7();
            emit(Node {
                id: hundred,
                parent: Some(id),
                path: inner.clone(),
                name: "hundred".into(),
                is_directory: true,
                size: HUNDRED as i64 * FILE_SIZE,
                mark: Some(Mark::Hundred),
            });
            let inner = format!("{inner}{hundred}/");
            for file in 0..HUNDRED {
                let mark = (file == 0).then_some(Mark::File);
                emit(Node::file(hundred, &inner, file, mark));
            }
        }
    }
}

/// One item to write, with the id, path and size the bulk copy gives it.
struct Node {
    id: Uuid,
    parent: Option<Uuid>,
    path: String,
    name: String,
    is_directory: bool,
    size: i64,
    mark: Option<Mark>,
}

/// A word of the dataset's vocabulary of 10,000 (two syllables of 100), by number.
fn word(number: u128) -> String {
    const CONSONANTS: &[u8] = b"bcdfghjklmnprstvwxyz";
    const VOWELS: &[u8] = b"aeiou";
    let syllable = |n: u128| {
        let n = (n % 100) as usize;
        format!("{}{}", CONSONANTS[n / 5] as char, VOWELS[n % 5] as char)
    };
    format!("{}{}", syllable(number / 100), syllable(number))
}

impl Node {
    /// A file named `<word>-<word>-<index>.txt`, its words drawn from its id's random bits:
    /// search has a vocabulary to find (a word is in about 1 name in 5,000).
    fn file(parent: Uuid, path: &str, index: usize, mark: Option<Mark>) -> Self {
        let id = Uuid::now_v7();
        let random = id.as_u128() & ((1 << 74) - 1);
        Self {
            id,
            parent: Some(parent),
            path: path.to_owned(),
            name: format!(
                "{}-{}-{index}.txt",
                word(random % 10_000),
                word((random >> 20) % 10_000)
            ),
            is_directory: false,
            size: FILE_SIZE,
            mark,
        }
    }
}

/// The items the scenarios read.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Hundred,
    File,
}

/// A seeded company and the items the scenarios read.
#[derive(Clone, Debug)]
pub struct Seeded {
    pub company: CompanyId,
    pub items: u64,
    /// The folder of 100 files, at depth six.
    pub hundred: ItemId,
    /// One file of it.
    pub file: ItemId,
}

const BROWSE_FOLDER: &str = include_str!("../../tests/queries/BrowseFolder.graphql");

impl Seeded {
    /// The REST path of `GET item/:id` for one of its items.
    pub fn item_path(&self, id: ItemId) -> String {
        format!(
            "/internal/services/documents/v1/companies/{}/item/{id}",
            self.company
        )
    }

    /// The GraphQL body that browses its folder of 100.
    pub fn browse_body(&self) -> String {
        serde_json::json!({
            "query": BROWSE_FOLDER,
            "variables": {
                "companyId": self.company.to_string(),
                "id": self.hundred.to_string(),
                "first": HUNDRED,
            },
        })
        .to_string()
    }
}

/// Writes the tree through `Service::create_item`, one item at a time, as `creator`.
pub async fn through_service(
    service: &Service,
    creator: &Viewer,
    company: CompanyId,
    shape: Shape,
) -> anyhow::Result<Seeded> {
    let mut nodes = Vec::new();
    shape.generate(&mut |node| nodes.push(node));
    let mut created: HashMap<Uuid, ItemId> = HashMap::new();
    let (mut hundred, mut file, mut top) = (None, None, None);
    // Every file holds the same FILE_SIZE bytes, uploaded once (sizes come from bytes).
    let bytes = bytes::Bytes::from(vec![b'x'; FILE_SIZE as usize]);
    let staged = service
        .stage(futures::stream::once(async move {
            Ok::<_, quire::error::AppError>(bytes)
        }))
        .await?;
    let content = service
        .upload_file(creator, company, "file.txt", Some("text/plain"), staged)
        .await?;
    for node in nodes {
        let parent = match node.parent {
            Some(parent) => ItemRef::Item(created[&parent]),
            None => ItemRef::Root,
        };
        let version = (!node.is_directory).then(|| NewVersion {
            file_name: node.name.clone(),
            mime: "text/plain".into(),
            external_id: Some(content.id.to_string()),
            ..Default::default()
        });
        let item = service
            .create_item(
                creator,
                company,
                CreateItem {
                    parent,
                    name: node.name.clone(),
                    is_directory: node.is_directory,
                    description: String::new(),
                    tags: Vec::new(),
                    version,
                },
            )
            .await?;
        let ItemRef::Item(id) = item.id else {
            anyhow::bail!("created {} has no item id", node.name);
        };
        if node.parent.is_none() && top.is_none() {
            top = Some((item.id.clone(), node.size));
        }
        created.insert(node.id, id);
        match node.mark {
            Some(Mark::Hundred) => hundred = Some(id),
            Some(Mark::File) => file = Some(id),
            None => {}
        }
    }
    // The sizes the bulk copy computes must be the ones the service keeps.
    let (top, size) = top.expect("the tree has a top folder");
    let stored = service.get_item(creator, company, &top).await?.size;
    anyhow::ensure!(
        stored == size,
        "folder size {stored}, the bulk copy would write {size}"
    );
    Ok(Seeded {
        company,
        items: created.len() as u64,
        hundred: hundred.expect("the tree holds the folder of 100"),
        file: file.expect("the tree holds a file"),
    })
}

/// The rows the service wrote for one folder and one file, copied for every bulk item.
pub struct Templates {
    folder: item::Model,
    folder_grant: grant::Model,
    file: item::Model,
    file_grant: grant::Model,
    file_version: version::Model,
}

impl Templates {
    /// Reads the rows of a service-seeded company's folder of 100 and of its first file.
    pub async fn read(db: &DatabaseConnection, seeded: &Seeded) -> anyhow::Result<Self> {
        let row = |id: ItemId| async move {
            item::Entity::find_by_id(id.0)
                .one(db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("item {id} is missing"))
        };
        let grant = |id: ItemId| async move {
            grant::Entity::find()
                .filter(grant::Column::ItemId.eq(id.0))
                .one(db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("item {id} has no grant"))
        };
        let file = row(seeded.file).await?;
        let file_version = version::Entity::find_by_id(file.last_version_id.unwrap_or_default())
            .one(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the template file has no version"))?;
        Ok(Self {
            folder: row(seeded.hundred).await?,
            folder_grant: grant(seeded.hundred).await?,
            file,
            file_grant: grant(seeded.file).await?,
            file_version,
        })
    }
}

/// One INSERT's worth of rows.
#[derive(Default)]
struct Batch {
    items: Vec<item::ActiveModel>,
    grants: Vec<grant::ActiveModel>,
    versions: Vec<version::ActiveModel>,
}

impl Batch {
    fn push(&mut self, templates: &Templates, company: CompanyId, node: &Node) {
        let template = if node.is_directory {
            &templates.folder
        } else {
            &templates.file
        };
        let version_id = (!node.is_directory).then(Uuid::now_v7);
        self.items.push(set_all(item::Model {
            id: node.id,
            company_id: company.0,
            // A top folder's parent is its drive.
            parent_id: node
                .parent
                .map_or_else(|| template.drive.clone(), |p| p.to_string()),
            path: node.path.clone(),
            name: node.name.clone(),
            sort_name: sort_key(&node.name),
            size: node.size,
            last_version_id: version_id,
            ..template.clone()
        }));
        let grant = if node.is_directory {
            &templates.folder_grant
        } else {
            &templates.file_grant
        };
        self.grants.push(set_all(grant::Model {
            company_id: company.0,
            item_id: node.id,
            ..grant.clone()
        }));
        if let Some(id) = version_id {
            self.versions.push(set_all(version::Model {
                id,
                item_id: node.id,
                company_id: company.0,
                file_name: node.name.clone(),
                ..templates.file_version.clone()
            }));
        }
    }

    async fn insert<C: ConnectionTrait>(self, db: &C) -> anyhow::Result<()> {
        item::Entity::insert_many(self.items).exec(db).await?;
        grant::Entity::insert_many(self.grants).exec(db).await?;
        if !self.versions.is_empty() {
            version::Entity::insert_many(self.versions).exec(db).await?;
        }
        Ok(())
    }
}

fn set_all<M, A>(model: M) -> A
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait,
{
    model.into_active_model().reset_all()
}

/// Writes the tree for `company` by copying the template rows: the same columns the service
/// wrote, with each item's own id, parent, path, name and size. Returns what the scenarios read.
pub async fn in_bulk(
    db: &DatabaseConnection,
    templates: Templates,
    company: CompanyId,
    shape: Shape,
) -> anyhow::Result<Seeded> {
    let templates = std::sync::Arc::new(templates);
    let (sender, mut batches) = tokio::sync::mpsc::channel::<Batch>(8);
    let generator = {
        let templates = templates.clone();
        tokio::task::spawn_blocking(move || {
            let (mut hundred, mut file) = (None, None);
            let mut batch = Batch::default();
            shape.generate(&mut |node| {
                match node.mark {
                    Some(Mark::Hundred) => hundred = Some(ItemId(node.id)),
                    Some(Mark::File) => file = Some(ItemId(node.id)),
                    None => {}
                }
                batch.push(&templates, company, &node);
                if batch.items.len() == ROWS_PER_INSERT {
                    // A closed channel means the inserter failed; it reports why.
                    let _ = sender.blocking_send(std::mem::take(&mut batch));
                }
            });
            let _ = sender.blocking_send(batch);
            (hundred, file)
        })
    };
    let mut txn = db.begin().await?;
    let mut inserts = 0;
    while let Some(batch) = batches.recv().await {
        batch.insert(&txn).await?;
        inserts += 1;
        if inserts % INSERTS_PER_COMMIT == 0 {
            txn.commit().await?;
            txn = db.begin().await?;
        }
    }
    txn.commit().await?;
    let (hundred, file) = generator.await?;
    Ok(Seeded {
        company,
        items: shape.items(),
        hundred: hundred.expect("the tree holds the folder of 100"),
        file: file.expect("the tree holds a file"),
    })
}
