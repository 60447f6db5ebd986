//! Paged lists: the `--limit`, `--cursor` and `--all` flags every `list` verb takes, and
//! [`pages!`], which sends one page or follows `next_cursor` through all of them.

use clap::Args;
use serde::Serialize;

#[derive(Args, Debug, Clone)]
pub struct Paging {
    /// Page size, 1 to 200 [default: 50]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=200))]
    pub limit: Option<u64>,
    /// Continue after this cursor (the `next_cursor` of the previous page) [default: the
    /// first page]
    #[arg(long)]
    pub cursor: Option<uuid::Uuid>,
    /// Follow cursors and print every page [default: one page]
    #[arg(long, conflicts_with = "cursor")]
    pub all: bool,
}

impl Paging {
    /// Page size and cursor as the SDK builders take them.
    pub fn args(&self) -> (Option<std::num::NonZeroU64>, Option<uuid::Uuid>) {
        (self.limit.and_then(std::num::NonZeroU64::new), self.cursor)
    }
}

/// What a list verb got: every item it fetched and the cursor of the page after them (none
/// after `--all`). `--json` prints it as the API's `{items, next_cursor}`.
#[derive(Serialize, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<uuid::Uuid>,
}

/// Sends a list request (a builder expression, built afresh per page) with the paging flags,
/// for one page, or for every page with `--all`. Evaluates to a [`Page`].
macro_rules! pages {
    ($ctx:expr, $paging:expr, $request:expr) => {{
        let paging: &$crate::paging::Paging = $paging;
        let (limit, mut cursor) = paging.args();
        let mut items = Vec::new();
        loop {
            let mut req = $request;
            if let Some(l) = limit {
                req = req.limit(l);
            }
            if let Some(c) = cursor {
                req = req.cursor(c);
            }
            let page = $ctx.send(req.send()).await?;
            items.extend(page.items);
            cursor = page.next_cursor;
            if !paging.all || cursor.is_none() {
                break;
            }
        }
        $crate::paging::Page {
            items,
            next_cursor: cursor,
        }
    }};
}
