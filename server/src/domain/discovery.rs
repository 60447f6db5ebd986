//! The `discovery` operation that reaches the store. (`getApiIndex` is derived from the
//! contract alone, in `api/`.)

use crate::errors::Result;
use crate::store::Store;

/// Healthy means the database answers.
pub async fn get_health(store: &Store) -> Result<()> {
    Ok(store.ping().await?)
}
