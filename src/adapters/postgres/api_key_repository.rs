//! ApiKeyRepository on Postgres: tables `api_keys` and `api_key_audit`. Issuing locks the
//! app's row, so concurrent rotations of one app serialize; a partial unique index keeps
//! one active key per app whatever happens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::error::store_error;
use super::limit::TimeLimit;
use crate::domain::api_key::{AuditAction, AuditEvent, KeyHint, KeyId, KeyState, StoredApiKey};
use crate::domain::app::AppId;
use crate::domain::pagination::{Page, PageLimit};
use crate::ports::{ApiKeyRepository, CurrentKeys, Issued, StoreError};

pub struct PgApiKeyRepository {
    pool: PgPool,
}

impl PgApiKeyRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

const COLUMNS: &str = "key_id, app_id, secret_hash, hint, state, created_at, expires_at, revoked_at, last_used_at";

#[derive(sqlx::FromRow)]
struct KeyRow {
    key_id: String,
    app_id: Uuid,
    secret_hash: String,
    hint: String,
    state: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl TryFrom<KeyRow> for StoredApiKey {
    type Error = StoreError;

    fn try_from(row: KeyRow) -> Result<Self, StoreError> {
        Ok(StoredApiKey {
            key_id: KeyId::parse(&row.key_id).map_err(StoreError::unexpected)?,
            app_id: AppId::from_uuid(row.app_id),
            secret_hash: row.secret_hash,
            hint: KeyHint::from_stored(row.hint),
            state: row.state.parse().map_err(|e: String| StoreError::unexpected(anyhow::anyhow!(e)))?,
            created_at: row.created_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            last_used_at: row.last_used_at,
        })
    }
}

fn keys(rows: Vec<KeyRow>) -> Result<Vec<StoredApiKey>, StoreError> {
    rows.into_iter().map(StoredApiKey::try_from).collect()
}

async fn record(
    conn: &mut PgConnection,
    key: &StoredApiKey,
    action: AuditAction,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO api_key_audit (app_id, key_id, hint, action, occurred_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(key.app_id.as_uuid())
        .bind(key.key_id.as_str())
        .bind(key.hint.as_str())
        .bind(action.as_str())
        .bind(at)
        .execute(conn)
        .await
        .map_err(store_error)?;
    Ok(())
}

/// Moves the app's keys in `from` to revoked, recording each; returns them.
async fn revoke_in_state(
    conn: &mut PgConnection,
    app_id: AppId,
    from: &[KeyState],
    now: DateTime<Utc>,
) -> Result<Vec<StoredApiKey>, StoreError> {
    let states: Vec<&str> = from.iter().map(KeyState::as_str).collect();
    let rows: Vec<KeyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE api_keys SET state = 'revoked', revoked_at = $3
         WHERE app_id = $1 AND state = ANY($2) RETURNING {COLUMNS}"
    )))
    .bind(app_id.as_uuid())
    .bind(&states)
    .bind(now)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let revoked = keys(rows)?;
    for key in &revoked {
        record(conn, key, AuditAction::Revoked, now).await?;
    }
    Ok(revoked)
}

#[async_trait]
impl ApiKeyRepository for PgApiKeyRepository {
    async fn issue(
        &self,
        new: &StoredApiKey,
        grace_until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Issued, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let mut tx = self.pool.begin().await.map_err(store_error)?;
                // Serializes issues for one app.
                sqlx::query("SELECT 1 FROM apps WHERE id = $1 FOR UPDATE")
                    .bind(new.app_id.as_uuid())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(store_error)?;
                let mut retired = revoke_in_state(&mut tx, new.app_id, &[KeyState::Grace], now).await?;
                let mut had_active = false;
                let previous = match grace_until {
                    Some(until) => {
                        let row: Option<KeyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                            "UPDATE api_keys SET state = 'grace', expires_at = $2
                             WHERE app_id = $1 AND state = 'active' RETURNING {COLUMNS}"
                        )))
                        .bind(new.app_id.as_uuid())
                        .bind(until)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(store_error)?;
                        row.map(StoredApiKey::try_from).transpose()?
                    }
                    None => {
                        let active = revoke_in_state(&mut tx, new.app_id, &[KeyState::Active], now).await?;
                        had_active = !active.is_empty();
                        retired.extend(active);
                        None
                    }
                };
                // The active key (at most one) was either moved to grace or revoked just above.
                had_active |= previous.is_some();
                sqlx::query(
                    "INSERT INTO api_keys (key_id, app_id, secret_hash, hint, state, created_at)
                     VALUES ($1, $2, $3, $4, 'active', $5)",
                )
                .bind(new.key_id.as_str())
                .bind(new.app_id.as_uuid())
                .bind(&new.secret_hash)
                .bind(new.hint.as_str())
                .bind(new.created_at)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
                let action = if had_active { AuditAction::Rotated } else { AuditAction::Generated };
                record(&mut tx, new, action, now).await?;
                tx.commit().await.map_err(store_error)?;
                Ok(Issued { key: new.clone(), previous, retired })
            })
            .await
    }

    async fn find(&self, key_id: &KeyId) -> Result<Option<StoredApiKey>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let row: Option<KeyRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM api_keys WHERE key_id = $1")))
                        .bind(key_id.as_str())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(store_error)?;
                row.map(StoredApiKey::try_from).transpose()
            })
            .await
    }

    async fn current(&self, app_id: AppId) -> Result<CurrentKeys, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let rows: Vec<KeyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM api_keys WHERE app_id = $1 AND state IN ('active', 'grace')
                     ORDER BY created_at DESC"
                )))
                .bind(app_id.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(store_error)?;
                let all = keys(rows)?;
                Ok(CurrentKeys {
                    active: all.iter().find(|k| k.state == KeyState::Active).cloned(),
                    grace: all.iter().find(|k| k.state == KeyState::Grace).cloned(),
                })
            })
            .await
    }

    async fn revoke_all(&self, app_id: AppId, now: DateTime<Utc>) -> Result<Vec<StoredApiKey>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let mut tx = self.pool.begin().await.map_err(store_error)?;
                let revoked = revoke_in_state(&mut tx, app_id, &[KeyState::Active, KeyState::Grace], now).await?;
                tx.commit().await.map_err(store_error)?;
                Ok(revoked)
            })
            .await
    }

    async fn expire_due(&self, now: DateTime<Utc>) -> Result<Vec<StoredApiKey>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let mut tx = self.pool.begin().await.map_err(store_error)?;
                // The state condition makes concurrent sweeps expire (and record) each key once.
                let rows: Vec<KeyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE api_keys SET state = 'expired'
                     WHERE state = 'grace' AND expires_at <= $1 RETURNING {COLUMNS}"
                )))
                .bind(now)
                .fetch_all(&mut *tx)
                .await
                .map_err(store_error)?;
                let expired = keys(rows)?;
                for key in &expired {
                    record(&mut tx, key, AuditAction::Expired, now).await?;
                }
                tx.commit().await.map_err(store_error)?;
                Ok(expired)
            })
            .await
    }

    async fn audit(
        &self,
        app_id: AppId,
        limit: PageLimit,
        before: Option<i64>,
    ) -> Result<Page<AuditEvent>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let rows: Vec<(i64, Uuid, String, String, String, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT id, app_id, key_id, hint, action, occurred_at FROM api_key_audit
                     WHERE app_id = $1 AND ($2::bigint IS NULL OR id < $2)
                     ORDER BY id DESC LIMIT $3",
                )
                .bind(app_id.as_uuid())
                .bind(before)
                .bind(limit.probe())
                .fetch_all(&self.pool)
                .await
                .map_err(store_error)?;
                let events = rows
                    .into_iter()
                    .map(|(id, app_id, key_id, hint, action, occurred_at)| {
                        Ok(AuditEvent {
                            id,
                            app_id: AppId::from_uuid(app_id),
                            key_id: KeyId::parse(&key_id).map_err(StoreError::unexpected)?,
                            hint: KeyHint::from_stored(hint),
                            action: action.parse().map_err(|e: String| StoreError::unexpected(anyhow::anyhow!(e)))?,
                            occurred_at,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok(Page::from_probe(events, limit))
            })
            .await
    }

    async fn record_last_used(&self, key_id: &KeyId, at: DateTime<Utc>) -> Result<(), StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                sqlx::query(
                    "UPDATE api_keys SET last_used_at = $2
                     WHERE key_id = $1 AND (last_used_at IS NULL OR last_used_at < $2 - interval '60 seconds')",
                )
                .bind(key_id.as_str())
                .bind(at)
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
                Ok(())
            })
            .await
    }
}
