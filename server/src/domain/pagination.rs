//! Cursor pagination: a page is `limit` items plus the id to continue after. Cursors are item
//! ids (UUID v7, time-ordered), so a page never shifts when items are added meanwhile.

use uuid::Uuid;

/// The largest page (the contract's `maximum`, which the router enforces; kept as a ceiling so
/// no caller inside the server can ask for an unbounded fetch).
pub const MAX_LIMIT: u64 = 200;

pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Uuid>,
}

/// The number of rows to fetch: one more than asked, to know whether a next page exists.
pub fn fetch_size(limit: u64) -> u64 {
    limit.clamp(1, MAX_LIMIT) + 1
}

/// Cuts a fetch of `limit + 1` rows down to a page.
pub fn page<T>(mut rows: Vec<T>, limit: u64, id: impl Fn(&T) -> Uuid) -> Page<T> {
    let limit = limit.clamp(1, MAX_LIMIT) as usize;
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(id)
    } else {
        None
    };
    Page {
        items: rows,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_cursor_only_when_more_rows_exist() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let p = page(ids.clone(), 2, |u| *u);
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.next_cursor, Some(ids[1]));
        let p = page(ids[..2].to_vec(), 2, |u| *u);
        assert_eq!(p.next_cursor, None);
        assert_eq!(fetch_size(500), MAX_LIMIT + 1);
    }
}
