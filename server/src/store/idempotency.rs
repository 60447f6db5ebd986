//! Idempotency keys (Stripe / IETF draft semantics): claim, complete, release, expire.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::entities::idempotency_keys as idem;
use super::sealed::IdemClaim;
use super::{IdemOutcome, Result, Store, retry, write_txn};

fn by_triple(principal: &str, operation: &str, key: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(idem::Column::Principal.eq(principal))
        .add(idem::Column::Operation.eq(operation))
        .add(idem::Column::Key.eq(key))
}

/// How long keys live.
#[derive(Clone, Copy, Debug)]
pub struct IdemPolicy {
    /// How long an answer is kept.
    pub ttl: Duration,
    /// How long a claim may go unanswered before a retry may take it over.
    pub takeover: Duration,
}

impl Store {
    /// Claims `(principal, operation, key)` for a request with this fingerprint.
    ///
    /// The claim is the insert into the unique triple index, so exactly one of any number of
    /// concurrent callers (on any replica) gets `Reserved`. A row past `expires_at`, or an
    /// in-flight row older than `policy.takeover` (presumed to belong to a request whose process
    /// died), is deleted and the claim made afresh; the delete is conditional on the row still
    /// being what we read, so two callers cannot both take over. A request taken over cannot
    /// commit afterwards: its answer is fenced by the row id (see `sealed`).
    pub async fn idem_reserve(
        &self,
        principal: &str,
        operation: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        policy: IdemPolicy,
    ) -> Result<IdemOutcome> {
        write_txn!(self, |txn| {
            let existing = idem::Entity::find()
                .filter(by_triple(principal, operation, key))
                .one(&txn)
                .await?;
            if let Some(row) = existing {
                let expired = row.expires_at <= now;
                let abandoned = row.status.is_none() && row.created_at + policy.takeover <= now;
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
            let row = Uuid::now_v7();
            idem::ActiveModel {
                id: Set(row),
                principal: Set(principal.to_owned()),
                operation: Set(operation.to_owned()),
                key: Set(key.to_owned()),
                fingerprint: Set(fingerprint.to_owned()),
                status: Set(None),
                body: Set(None),
                created_at: Set(now),
                expires_at: Set(now + policy.ttl),
            }
            .insert(&txn)
            .await?;
            Ok(IdemOutcome::Reserved(IdemClaim { row }))
        })
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
