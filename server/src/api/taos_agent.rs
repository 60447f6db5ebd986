//! taOS agent: the helper agent's system prompt. HTTP ↔ domain for the operations tagged
//! `taos-agent`.

use taos_api::server::{self as wire, TaosAgentApi};
use taos_api::types;

use super::{Api, Res};
use crate::auth::Ctx;
use crate::domain::taos_agent;

impl TaosAgentApi for Api {
    async fn get_system_prompt(&self, _ctx: Ctx) -> Res<wire::GetSystemPromptResponse> {
        let p = taos_agent::get_system_prompt(&self.state.store).await?;
        Ok(wire::GetSystemPromptResponse::Ok(types::SystemPrompt {
            prompt: p.prompt,
            fallback: p.fallback,
            sources: p
                .sources
                .into_iter()
                .map(|s| types::SystemPromptSource {
                    id: s.id,
                    title: s.title,
                    source_id: s.source_id,
                    source_url: s.source_url,
                })
                .collect(),
        }))
    }
}
