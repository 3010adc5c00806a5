//! `Idempotency-Key` on creating requests: a repeat with the same key and the same request
//! returns the first result; the same key with a different request is refused. The first
//! result is stored in the transaction that created the record.

use crate::{AppError, Ctx};
use aftersales_store::{StoreError, Tx, idempotency as store};
use serde::{Serialize, de::DeserializeOwned};

/// A client's key and a fingerprint of its request (method, path and body).
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub fingerprint: String,
}

impl Idempotency {
    pub const MAX_KEY_LEN: usize = 200;
}

fn owner(ctx: &Ctx) -> String {
    ctx.audit_actor().0.unwrap_or_else(|| ctx.audit_actor().1)
}

impl crate::App {
    /// The stored first result for this key, if the request was already made.
    pub(crate) async fn idem_replay<T: DeserializeOwned>(
        &self,
        ctx: &Ctx,
        idem: Option<&Idempotency>,
    ) -> Result<Option<T>, AppError> {
        let Some(idem) = idem else { return Ok(None) };
        let Some(stored) = store::find(self.db.pool(), &owner(ctx), &idem.key).await? else {
            return Ok(None);
        };
        if stored.request_hash != idem.fingerprint {
            return Err(AppError::IdempotencyKeyReused);
        }
        serde_json::from_str(&stored.body)
            .map(Some)
            .map_err(|e| AppError::Internal(format!("stored idempotent response unreadable: {e}")))
    }

    /// Claims the key at the start of the creating transaction. On PostgreSQL a concurrent
    /// request with the same key waits here until the first commits, then fails, and its
    /// caller replays the first result (see [`Self::idem_replay_after_race`]).
    pub(crate) async fn idem_claim(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        idem: Option<&Idempotency>,
    ) -> Result<(), AppError> {
        let Some(idem) = idem else { return Ok(()) };
        let r = store::StoredResponse {
            request_hash: idem.fingerprint.clone(),
            status: 0,
            body: String::new(),
        };
        match store::insert(tx.conn(), &owner(ctx), &idem.key, &r, self.now()).await {
            Ok(()) => Ok(()),
            Err(StoreError::Constraint(_)) => Err(AppError::Conflict(KEY_IN_USE)),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores the first result in the creating transaction.
    pub(crate) async fn idem_complete<T: Serialize>(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        idem: Option<&Idempotency>,
        value: &T,
    ) -> Result<(), AppError> {
        let Some(idem) = idem else { return Ok(()) };
        let body = serde_json::to_string(value).map_err(|e| AppError::Internal(e.to_string()))?;
        store::complete(tx.conn(), &owner(ctx), &idem.key, 201, &body).await?;
        Ok(())
    }

    /// After losing a race for the key: the winner's result.
    pub(crate) async fn idem_replay_after_race<T: DeserializeOwned>(
        &self,
        ctx: &Ctx,
        idem: Option<&Idempotency>,
        err: AppError,
    ) -> Result<T, AppError> {
        match err {
            AppError::Conflict(KEY_IN_USE) => self
                .idem_replay(ctx, idem)
                .await?
                .ok_or(AppError::Conflict(KEY_IN_USE)),
            other => Err(other),
        }
    }
}

const KEY_IN_USE: &str = "idempotency_key_in_use";
