//! The knowledge operations: HTTP ↔ `domain::knowledge`.
//!
//! PLACEHOLDER until the knowledge store lands: every operation answers 500.

use taos_api::server as wire;

use super::{Api, Res};
use crate::auth::Ctx;
use crate::errors::{self, Error};

fn pending<T>() -> Res<T> {
    Err(Error::new(&errors::INTERNAL_ERROR, "The knowledge store is not built yet.").into())
}

pub(super) async fn list(
    _api: &Api,
    _ctx: Ctx,
    _q: wire::ListKnowledgeItemsQuery,
) -> Res<wire::ListKnowledgeItemsResponse> {
    pending()
}

pub(super) async fn search(
    _api: &Api,
    _ctx: Ctx,
    _q: wire::SearchKnowledgeQuery,
) -> Res<wire::SearchKnowledgeResponse> {
    pending()
}

pub(super) async fn get(
    _api: &Api,
    _ctx: Ctx,
    _p: wire::GetKnowledgeItemPath,
) -> Res<wire::GetKnowledgeItemResponse> {
    pending()
}

pub(super) async fn system_prompt(_api: &Api, _ctx: Ctx) -> Res<wire::GetSystemPromptResponse> {
    pending()
}
