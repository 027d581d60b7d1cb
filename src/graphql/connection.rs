//! Relay cursor connections over the service's offset pages.

use std::future::Future;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{ErrorExtensions, OutputType, SimpleObject};

use crate::domain::page::MAX_PAGE;
use crate::domain::{Page, PageRequest};
use crate::error::{AppError, AppResult};

/// How many rows a connection returns when neither `first` nor `last` is given.
const DEFAULT_PAGE: u64 = 100;

/// Fields every connection carries besides its edges.
#[derive(SimpleObject)]
pub struct ConnectionFields {
    /// How many rows the whole listing has.
    pub total_count: usize,
}

pub type Paged<N> = Connection<usize, N, ConnectionFields>;

/// Whether a connection field's selection asks for `totalCount` (else nothing is counted).
pub fn wants_total(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// The furthest offset a cursor may name.
const MAX_OFFSET: u64 = 1 << 40;

/// A cursor sent back by a client: an offset, range-checked (`BAD_USER_INPUT` otherwise).
fn cursor(raw: Option<String>, argument: &str) -> AppResult<Option<u64>> {
    raw.map(|raw| {
        raw.parse::<u64>()
            .ok()
            .filter(|offset| *offset < MAX_OFFSET)
            .ok_or_else(|| {
                AppError::bad_input(format!("{argument} is not a cursor this listing gave out"))
            })
    })
    .transpose()
}

/// A row count asked for: 0 to `MAX_PAGE` (more is cut to `MAX_PAGE`), never negative.
fn rows(raw: Option<i32>, argument: &str) -> AppResult<Option<u64>> {
    raw.map(|n| {
        u64::try_from(n).map(|n| n.min(MAX_PAGE)).map_err(|_| {
            AppError::bad_input(format!("{argument} must be 0 to {MAX_PAGE}, got {n}"))
        })
    })
    .transpose()
}

/// Resolves `first`/`after`/`last`/`before` into an offset page and back into a connection.
/// Cursors are offsets: stable while the listing does not change. `count`: whether the
/// listing's size is wanted (`wants_total`). Every argument is range-checked first.
pub async fn paginate<T, N, F, Fut>(
    after: Option<String>,
    before: Option<String>,
    first: Option<i32>,
    last: Option<i32>,
    count: bool,
    fetch: F,
) -> async_graphql::Result<Paged<N>>
where
    N: OutputType + From<T>,
    F: Fn(PageRequest) -> Fut,
    Fut: Future<Output = AppResult<Page<T>>>,
{
    let arguments = || -> AppResult<_> {
        Ok((
            cursor(after, "after")?,
            cursor(before, "before")?,
            rows(first, "first")?,
            rows(last, "last")?,
        ))
    };
    let (after, before, first, last) = arguments().map_err(|e| e.extend())?;
    let start = after.map_or(0, |a| a + 1);
    let (offset, limit) = match (first, last) {
        (Some(first), _) => {
            let limit = before.map_or(first, |b| first.min(b.saturating_sub(start)));
            (start, limit)
        }
        (None, Some(last)) => {
            let end = match before {
                Some(before) => before,
                None => {
                    let probe = fetch(PageRequest::new(0, 0))
                        .await
                        .map_err(|e| e.extend())?;
                    probe.total
                }
            };
            let from = end.saturating_sub(last).max(start);
            (from, end.saturating_sub(from))
        }
        (None, None) => {
            let limit = before.map_or(DEFAULT_PAGE, |b| b.saturating_sub(start).min(DEFAULT_PAGE));
            (start, limit)
        }
    };
    let mut request = PageRequest::new(offset, limit);
    if !count {
        request = request.uncounted();
    }
    let page = fetch(request).await.map_err(|e| e.extend())?;
    let mut connection = Connection::with_additional_fields(
        offset > 0,
        page.has_next(),
        ConnectionFields {
            total_count: page.total as usize,
        },
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .enumerate()
            .map(|(i, item)| Edge::new(offset as usize + i, N::from(item))),
    );
    Ok(connection)
}
