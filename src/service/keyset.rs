//! Pages in SQL: a listing's order as columns, and where a page starts — an offset, or the
//! rows after or before a key (keyset pagination, which stays right while rows come and go).

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr, SubQueryStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    Order as Direction, PaginatorTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect,
    QueryTrait, Select,
};

use crate::domain::{Key, KeyValue, PageRequest, Position};
use crate::error::AppResult;

/// A listing's order: folders first (item listings), then a value, then the id.
pub(super) struct Order<C> {
    pub directory: Option<C>,
    /// The sort value: a column, or an expression of the query (a search's score).
    pub value: SimpleExpr,
    pub id: C,
    pub descending: bool,
}

fn value(key: &Key) -> SimpleExpr {
    match &key.value {
        KeyValue::Text(text) => Expr::value(text.clone()),
        KeyValue::Int(int) => Expr::value(*int),
    }
}

impl<C: ColumnTrait> Order<C> {
    /// `select` in this order, or in the reverse one.
    pub fn apply<E: EntityTrait<Column = C>>(
        &self,
        select: Select<E>,
        reversed: bool,
    ) -> Select<E> {
        let (first, last) = match reversed {
            false => (Direction::Desc, Direction::Asc),
            true => (Direction::Asc, Direction::Desc),
        };
        let value = if self.descending != reversed {
            Direction::Desc
        } else {
            Direction::Asc
        };
        let mut select = select;
        if let Some(directory) = self.directory {
            // Folders first: `true` sorts after `false`, so descending.
            select = select.order_by(directory, if reversed { last } else { first });
        }
        select
            .order_by(self.value.clone(), value.clone())
            .order_by(self.id, value)
    }

    /// The rows that come after `key` in this order (`before`: that come before it).
    pub fn beyond(&self, key: &Key, before: bool) -> Condition {
        let greater = self.descending == before;
        let (value, id) = (value(key), Expr::value(key.id));
        let tail = if greater {
            Condition::any()
                .add(self.value.clone().gt(value.clone()))
                .add(
                    Condition::all()
                        .add(self.value.clone().eq(value))
                        .add(self.id.into_expr().gt(id)),
                )
        } else {
            Condition::any()
                .add(self.value.clone().lt(value.clone()))
                .add(
                    Condition::all()
                        .add(self.value.clone().eq(value))
                        .add(self.id.into_expr().lt(id)),
                )
        };
        let (Some(directory), Some(is_directory)) = (self.directory, key.directory) else {
            return tail;
        };
        // Folders (true) come before files (false).
        let same = Condition::all().add(directory.eq(is_directory)).add(tail);
        match (is_directory, before) {
            (true, false) => Condition::any().add(directory.eq(false)).add(same),
            (false, true) => Condition::any().add(directory.eq(true)).add(same),
            _ => same,
        }
    }

    /// `select` positioned where `page` starts, in the order its rows are read (backwards for
    /// a backwards page), without a limit.
    pub fn positioned<E: EntityTrait<Column = C>>(
        &self,
        select: Select<E>,
        page: &PageRequest,
    ) -> Select<E> {
        match &page.position {
            Position::Offset(_) => self.apply(select, false),
            Position::After(key) => self.apply(select.filter(self.beyond(key, false)), false),
            Position::Before(key) => self.apply(select.filter(self.beyond(key, true)), true),
            Position::Last => self.apply(select, true),
        }
    }
}

/// The column a counted page carries its listing's size in.
const TOTAL: &str = "listing_total";

/// One page's rows of `select` decoded as `M` (and one more, to know whether more follow), in
/// the order they are read, and the listing's size when the page counts it: one statement,
/// the count riding along as a scalar subquery (two when a counted page is empty).
pub(super) async fn read<C: ConnectionTrait, E: EntityTrait, M: FromQueryResult>(
    db: &C,
    select: Select<E>,
    order: &Order<E::Column>,
    page: &PageRequest,
) -> AppResult<(Vec<M>, Option<u64>)>
where
    E::Model: Send + Sync,
{
    read_with(db, select, order, page, |res| M::from_query_result(res, "")).await
}

/// `read`, each row decoded by `decode`.
pub(super) async fn read_with<C: ConnectionTrait, E: EntityTrait, M>(
    db: &C,
    select: Select<E>,
    order: &Order<E::Column>,
    page: &PageRequest,
    decode: impl Fn(&QueryResult) -> Result<M, DbErr>,
) -> AppResult<(Vec<M>, Option<u64>)>
where
    E::Model: Send + Sync,
{
    let offset = match page.position {
        Position::Offset(offset) => offset,
        _ => 0,
    };
    let query = order
        .positioned(select.clone(), page)
        .offset(offset)
        .limit(page.rows_to_read());
    let backend = db.get_database_backend();
    let decoded = |rows: Vec<QueryResult>| rows.iter().map(&decode).collect::<Result<Vec<M>, _>>();
    if !page.count {
        return Ok((
            decoded(db.query_all_raw(query.build(backend)).await?)?,
            None,
        ));
    }
    let counted = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(select.clone().into_query(), Alias::new("listing"))
        .to_owned();
    let query = query.expr_as(
        SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(counted))),
        TOTAL,
    );
    let rows = db.query_all_raw(query.build(backend)).await?;
    let total = match rows.first() {
        Some(first) => first.try_get::<i64>("", TOTAL)? as u64,
        None => select.count(db).await?,
    };
    Ok((decoded(rows)?, Some(total)))
}
