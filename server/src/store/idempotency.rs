//! Idempotency keys (Stripe / IETF draft semantics): claim, complete, release, expire.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::entities::idempotency_keys as idem;
use super::{IdemOutcome, Result, Store, retry, write_txn};

/// An in-flight claim older than this is presumed to belong to a crashed request (the process
/// died before completing or releasing it) and may be taken over.
const ABANDONED_AFTER: Duration = Duration::seconds(60);

fn by_triple(principal: &str, operation: &str, key: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(idem::Column::Principal.eq(principal))
        .add(idem::Column::Operation.eq(operation))
        .add(idem::Column::Key.eq(key))
}

impl Store {
    /// Claims `(principal, operation, key)` for a request with this fingerprint.
    ///
    /// The claim is the insert into the unique triple index, so exactly one of any number of
    /// concurrent callers (on any replica) gets `Reserved`. A row past `expires_at`, or an
    /// in-flight row older than a minute, is deleted and the claim made afresh; the delete is
    /// conditional on the row still being what we read, so two callers cannot both take over.
    pub async fn idem_reserve(
        &self,
        principal: &str,
        operation: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<IdemOutcome> {
        write_txn!(self, |txn| {
            let existing = idem::Entity::find()
                .filter(by_triple(principal, operation, key))
                .one(&txn)
                .await?;
            if let Some(row) = existing {
                let expired = row.expires_at <= now;
                let abandoned = row.status.is_none() && row.created_at + ABANDONED_AFTER <= now;
                if !expired && !abandoned {
                    return Ok(match (row.status, row.body) {
                        (None, _) => IdemOutcome::InFlight {
                            fingerprint: row.fingerprint,
                        },
                        (Some(status), body) => IdemOutcome::Done {
                            fingerprint: row.fingerprint,
                            status: u16::try_from(status).unwrap_or(500),
                            body: body.unwrap_or_default(),
                        },
                    });
                }
                let mut stale = idem::Entity::delete_many().filter(idem::Column::Id.eq(row.id));
                if !expired {
                    stale = stale.filter(idem::Column::Status.is_null());
                }
                if stale.exec(&txn).await?.rows_affected == 0 {
                    // Someone completed or took it over between our read and our delete.
                    return Err(retry());
                }
            }
            // On PostgreSQL a concurrent claimer fails here with a unique violation; its retry
            // then reads our row and answers InFlight.
            idem::ActiveModel {
                id: Set(Uuid::now_v7()),
                principal: Set(principal.to_owned()),
                operation: Set(operation.to_owned()),
                key: Set(key.to_owned()),
                fingerprint: Set(fingerprint.to_owned()),
                status: Set(None),
                body: Set(None),
                created_at: Set(now),
                expires_at: Set(now + ttl),
            }
            .insert(&txn)
            .await?;
            Ok(IdemOutcome::Reserved)
        })
    }

    /// Stores the first answer so that retries replay it.
    pub async fn idem_complete(
        &self,
        principal: &str,
        operation: &str,
        key: &str,
        status: u16,
        body: String,
    ) -> Result<()> {
        idem::Entity::update_many()
            .col_expr(idem::Column::Status, Expr::value(i32::from(status)))
            .col_expr(idem::Column::Body, Expr::value(body))
            .filter(by_triple(principal, operation, key))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Forgets the key (after a 5xx, or when the request was never run) so it can be retried.
    pub async fn idem_release(&self, principal: &str, operation: &str, key: &str) -> Result<()> {
        idem::Entity::delete_many()
            .filter(by_triple(principal, operation, key))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Deletes keys that expired at or before `now`; returns how many.
    pub async fn idem_purge_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(idem::Entity::delete_many()
            .filter(idem::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
