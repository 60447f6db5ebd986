//! One module per noun.

pub mod agents;
pub mod auth;
pub mod notifications;

use crate::args::Paging;

/// Page size and cursor as the SDK builders take them.
pub fn page_args(p: &Paging) -> (Option<std::num::NonZeroU64>, Option<uuid::Uuid>) {
    (p.limit.and_then(std::num::NonZeroU64::new), p.cursor)
}
