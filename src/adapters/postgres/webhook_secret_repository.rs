//! WebhookSecretRepository on Postgres: table `webhook_secrets` (ciphertexts only).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::error::store_error;
use super::limit::TimeLimit;
use crate::domain::app::AppId;
use crate::domain::webhook_secret::SealedSecret;
use crate::ports::{MAX_LISTED_SECRETS, StoreError, WebhookSecretRepository};

pub struct PgWebhookSecretRepository {
    pool: PgPool,
}

impl PgWebhookSecretRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    app_id: Uuid,
    nonce: Vec<u8>,
    ciphertext: Vec<u8>,
    hint: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
}

#[async_trait]
impl WebhookSecretRepository for PgWebhookSecretRepository {
    async fn rotate(&self, new: &SealedSecret, retire_at: DateTime<Utc>) -> Result<(), StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let mut tx = self.pool.begin().await.map_err(store_error)?;
                sqlx::query(
                    "UPDATE webhook_secrets SET expires_at = $2
                     WHERE app_id = $1 AND (expires_at IS NULL OR expires_at > $2)",
                )
                .bind(new.app_id.as_uuid())
                .bind(retire_at)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
                sqlx::query(
                    "INSERT INTO webhook_secrets (id, app_id, nonce, ciphertext, hint, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(new.id)
                .bind(new.app_id.as_uuid())
                .bind(new.nonce.as_slice())
                .bind(&new.ciphertext)
                .bind(&new.hint)
                .bind(new.created_at)
                .bind(new.expires_at)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
                tx.commit().await.map_err(store_error)?;
                Ok(())
            })
            .await
    }

    async fn list(&self, app_id: AppId) -> Result<Vec<SealedSecret>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT id, app_id, nonce, ciphertext, hint, created_at, expires_at FROM webhook_secrets
                     WHERE app_id = $1 ORDER BY created_at DESC LIMIT $2",
                )
                .bind(app_id.as_uuid())
                .bind(MAX_LISTED_SECRETS as i64)
                .fetch_all(&self.pool)
                .await
                .map_err(store_error)?;
                rows.into_iter()
                    .map(|r| {
                        Ok(SealedSecret {
                            id: r.id,
                            app_id: AppId::from_uuid(r.app_id),
                            nonce: r
                                .nonce
                                .try_into()
                                .map_err(|_| StoreError::unexpected(anyhow::anyhow!("stored nonce is not 12 bytes")))?,
                            ciphertext: r.ciphertext,
                            hint: r.hint,
                            created_at: r.created_at,
                            expires_at: r.expires_at,
                        })
                    })
                    .collect()
            })
            .await
    }
}
