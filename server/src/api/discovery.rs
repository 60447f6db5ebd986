//! Discovery: is the server up, and what does it offer. HTTP ↔ domain for the operations tagged `discovery`.

use taos_api::operations::{self, Operation, TAGS};
use taos_api::server::{self as wire, DiscoveryApi};
use taos_api::types;

use super::{Api, Res};
use crate::auth::Ctx;
use crate::domain::discovery;

impl DiscoveryApi for Api {
    async fn get_health(&self, _ctx: Ctx) -> Res<wire::GetHealthResponse> {
        discovery::get_health(&self.state.store).await?;
        Ok(wire::GetHealthResponse::Ok(types::Health {
            status: types::HealthStatus::Ok,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }))
    }

    async fn get_api_index(&self, _ctx: Ctx) -> Res<wire::GetApiIndexResponse> {
        Ok(wire::GetApiIndexResponse::Ok(api_index()))
    }
}

/// The discovery index: each tag's routes, scopes and docs, and where the contract, the docs
/// and `/llms.txt` are. Also what `GET /` answers an agent.
pub fn api_index() -> types::ApiIndex {
    let routes = TAGS
        .iter()
        .map(|tag| {
            let ops: Vec<&Operation> = operations::OPERATIONS
                .iter()
                .filter(|o| o.tag == tag.name)
                .collect();
            let mut scopes: Vec<String> = ops.iter().filter_map(|o| o.scope.map(String::from)).collect();
            scopes.sort();
            scopes.dedup();
            types::ApiRoute {
                prefix: common_prefix(ops.iter().map(|o| o.path)),
                title: tag.title.to_string(),
                doc_url: tag.doc_url.to_string(),
                scopes,
            }
        })
        .collect();
    types::ApiIndex {
        routes,
        openapi_url: "/openapi.json".into(),
        docs_url: "/docs/agents/".into(),
        llms_txt_url: "/llms.txt".into(),
        mcp_url: "/mcp".into(),
    }
}

/// The longest run of path segments all paths share.
fn common_prefix<'a>(paths: impl Iterator<Item = &'a str>) -> String {
    let paths: Vec<Vec<&str>> = paths.map(|p| p.split('/').collect()).collect();
    let Some(first) = paths.first() else {
        return "/".into();
    };
    let mut shared = Vec::new();
    for (i, seg) in first.iter().enumerate() {
        if !paths.iter().all(|p| p.get(i) == Some(seg)) {
            break;
        }
        shared.push(*seg);
    }
    let prefix = shared.join("/");
    if prefix.is_empty() { "/".into() } else { prefix }
}

#[cfg(test)]
mod tests {
    use super::common_prefix;

    #[test]
    fn prefixes() {
        assert_eq!(
            common_prefix(["/api/agents", "/api/agents/{name}"].into_iter()),
            "/api/agents"
        );
        assert_eq!(
            common_prefix(["/api/agents/{name}/token/issue", "/api/agents/{name}/token"].into_iter()),
            "/api/agents/{name}/token"
        );
        assert_eq!(common_prefix(["/api/health", "/api"].into_iter()), "/api");
        assert_eq!(common_prefix(["/auth/setup", "/auth/login"].into_iter()), "/auth");
    }
}
