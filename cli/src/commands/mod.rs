//! One module per noun.

/// Sends a list request (a builder expression, built afresh per page) for one page, or follows
/// `next_cursor` through every page with `--all`. Evaluates to `(items, next_cursor)`.
macro_rules! pages {
    ($ctx:expr, $paging:expr, $request:expr) => {{
        let (limit, mut cursor) = $crate::commands::page_args($paging);
        let mut all = Vec::new();
        loop {
            let mut req = $request;
            if let Some(l) = limit {
                req = req.limit(l);
            }
            if let Some(c) = cursor {
                req = req.cursor(c);
            }
            let page = req.send().await.map_err(|e| $ctx.fail(e))?.into_inner();
            all.extend(page.items);
            cursor = page.next_cursor;
            if !$paging.all || cursor.is_none() {
                break;
            }
        }
        (all, cursor)
    }};
}

pub mod agents;
pub mod auth;
pub mod knowledge;
pub mod notifications;
pub mod user_tokens;

use crate::args::Paging;

/// Page size and cursor as the SDK builders take them.
pub fn page_args(p: &Paging) -> (Option<std::num::NonZeroU64>, Option<uuid::Uuid>) {
    (p.limit.and_then(std::num::NonZeroU64::new), p.cursor)
}
