//! Sealed writes: the work of a request with an `Idempotency-Key` commits in one transaction
//! with the answer stored for its key, so no crash can leave a created resource without the
//! answer that replays it (a retry would then create it again).
//!
//! The key is claimed first, in a transaction of its own, so that concurrent requests with the
//! same key see it in flight. The work then runs inside [`Store::sealed`]: every [`write_txn!`]
//! of that task becomes a savepoint of one outer transaction, held open (parked) until
//! [`Store::idem_complete`] writes the answer into it and commits both, or
//! [`Store::idem_release`] rolls both back. A process killed before that commit leaves only
//! the claim, which a retry takes over after the window; one killed after it leaves the answer.
//!
//! Within sealed work every write must go through `write_txn!` (a direct write on the pool
//! would wait behind the parked transaction's lock on SQLite), and reads on the pool do not
//! see the parked writes until the commit.

use std::future::Future;
use std::sync::Arc;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, TransactionTrait};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::entities::idempotency_keys as idem;
use super::{Error, Result, Store};

tokio::task_local! {
    static SEAL: Arc<Seal>;
}

/// The claim of one key: the row [`Store::idem_reserve`] inserted for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdemClaim {
    pub(super) row: Uuid,
}

/// A claim whose work has run (see [`Store::sealed`]), holding the work's writes uncommitted.
pub struct Sealed {
    seal: Arc<Seal>,
}

struct Seal {
    claim: IdemClaim,
    parked: Mutex<Option<DatabaseTransaction>>,
    /// Run once the work's writes are committed; dropped when they are rolled back.
    on_commit: std::sync::Mutex<Vec<AfterCommit>>,
}

type AfterCommit = Box<dyn FnOnce() + Send>;

impl Seal {
    fn committed(&self) {
        let hooks = std::mem::take(&mut *self.on_commit.lock().unwrap_or_else(|p| p.into_inner()));
        for hook in hooks {
            hook();
        }
    }
}

impl Store {
    /// Runs `work` (in this task) with its writes parked in one transaction; the result comes
    /// back with the [`Sealed`] handle that commits or drops them.
    pub async fn sealed<F: Future>(&self, claim: IdemClaim, work: F) -> (F::Output, Sealed) {
        let seal = Arc::new(Seal {
            claim,
            parked: Mutex::new(None),
            on_commit: std::sync::Mutex::new(Vec::new()),
        });
        let output = SEAL.scope(seal.clone(), work).await;
        (output, Sealed { seal })
    }

    /// Runs `hook` once what this task wrote is committed: at once outside sealed work, after
    /// the commit with the stored answer within it, never when that work is rolled back. For
    /// background work that must see the request's writes (a deploy's operation).
    pub fn on_commit(&self, hook: impl FnOnce() + Send + 'static) {
        match SEAL.try_with(Arc::clone) {
            Ok(seal) => seal
                .on_commit
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Box::new(hook)),
            Err(_) => hook(),
        }
    }

    /// The transaction a `write_txn!` body runs in: a savepoint of the parked transaction
    /// within sealed work (starting it on the first write), a fresh write transaction otherwise.
    pub(super) async fn begin_write_txn(&self) -> std::result::Result<DatabaseTransaction, DbErr> {
        let Ok(seal) = SEAL.try_with(Arc::clone) else {
            return self.begin_write().await;
        };
        let mut parked = seal.parked.lock().await;
        let outer = match parked.take() {
            Some(outer) => outer,
            None => self.begin_write().await?,
        };
        let savepoint = outer.begin().await;
        *parked = Some(outer);
        savepoint
    }

    /// Stores the answer of a claim with the writes of its work, in one commit. When the claim
    /// is no longer this request's (it was presumed crashed and taken over), nothing of it is
    /// kept: [`Error::Conflict`].
    pub async fn idem_complete(&self, sealed: Sealed, status: u16, body: String) -> Result<()> {
        let parked = sealed.seal.parked.lock().await.take();
        let answer = idem::Entity::update_many()
            .col_expr(idem::Column::Status, Expr::value(i32::from(status)))
            .col_expr(idem::Column::Body, Expr::value(body))
            .filter(idem::Column::Id.eq(sealed.seal.claim.row))
            .filter(idem::Column::Status.is_null());
        let Some(txn) = parked else {
            return match answer.exec(&self.db).await?.rows_affected {
                0 => Err(Error::Conflict),
                _ => {
                    sealed.seal.committed();
                    Ok(())
                }
            };
        };
        if answer.exec(&txn).await?.rows_affected == 0 {
            // The error is what matters; a failed rollback also ends the transaction.
            let _ = txn.rollback().await;
            return Err(Error::Conflict);
        }
        txn.commit().await?;
        sealed.seal.committed();
        Ok(())
    }

    /// Forgets a claim and whatever its work wrote, so a retry runs afresh (after a 5xx, or
    /// when the answer could not be stored).
    pub async fn idem_release(&self, sealed: Sealed) -> Result<()> {
        if let Some(txn) = sealed.seal.parked.lock().await.take() {
            let _ = txn.rollback().await;
        }
        idem::Entity::delete_many()
            .filter(idem::Column::Id.eq(sealed.seal.claim.row))
            .filter(idem::Column::Status.is_null())
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
