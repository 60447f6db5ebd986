//! The pages people use in a browser: `/login` and `/notifications`.

use axum::Router;

use crate::state::SharedState;

pub fn routes(_state: SharedState) -> Router {
    Router::new()
}
