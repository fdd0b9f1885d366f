//! ConnectionRepository on Postgres: table `dialpad_connections`. A claim is one conditional
//! UPDATE of the row (`claimed_by`, `claimed_until`): PostgreSQL re-checks its condition
//! against a concurrent claimer's committed row, so of claims racing on any instances one
//! wins. Saves and deletes are fenced by the claim. No transaction is held while the
//! caller talks to Dialpad.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use uuid::Uuid;

use super::error::store_error;
use super::limit::TimeLimit;
use crate::domain::app::AppId;
use crate::domain::crypto::NONCE_LEN;
use crate::domain::dialpad::{Connection, ConnectionStatus, DialpadIdentity, Provisioning, SealedToken};
use crate::ports::{Claim, ConnectionRepository, StoreError};

pub struct PgConnectionRepository {
    pool: PgPool,
}

impl PgConnectionRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// The written columns after `app_id`, in the order [`bind`] binds them ($2 to $14). Every
/// statement below names them through this one list.
macro_rules! columns {
    () => {
        "dialpad_company_id, dialpad_user_id, email, scopes, connected_at, access_token, refresh_token, \
         access_token_expires_at, last_refreshed_at, status, last_error, next_refresh_at, refresh_failures"
    };
}

/// The provisioning columns, read with the others but written on their own
/// ([`ConnectionRepository::record_provisioning`]), so a refresh never overwrites them.
macro_rules! read_columns {
    () => {
        concat!(columns!(), ", webhook_id, subscription_id, provisioned_at, provision_error")
    };
}

/// Binds `$1` (app_id) and the [`columns!`] from `connection`.
fn bind<'q>(query: Query<'q, sqlx::Postgres, PgArguments>, c: &Connection) -> Query<'q, sqlx::Postgres, PgArguments> {
    query
        .bind(c.app_id.as_uuid())
        .bind(c.identity.company_id.clone())
        .bind(c.identity.user_id.clone())
        .bind(c.identity.email.clone())
        .bind(c.scopes.clone())
        .bind(c.connected_at)
        .bind(stored(&c.access_token))
        .bind(stored(&c.refresh_token))
        .bind(c.access_token_expires_at)
        .bind(c.last_refreshed_at)
        .bind(c.status.as_str())
        .bind(c.last_error.clone())
        .bind(c.next_refresh_at)
        .bind(i32::try_from(c.refresh_failures).unwrap_or(i32::MAX))
}

/// A sealed token as one column: the nonce, then the ciphertext.
fn stored(token: &SealedToken) -> Vec<u8> {
    [token.nonce.as_slice(), &token.ciphertext].concat()
}

fn sealed(bytes: Vec<u8>) -> Result<SealedToken, StoreError> {
    if bytes.len() <= NONCE_LEN {
        return Err(StoreError::unexpected(anyhow::anyhow!("a stored token is too short to be sealed")));
    }
    let nonce = bytes[..NONCE_LEN].try_into().expect("checked length");
    Ok(SealedToken { nonce, ciphertext: bytes[NONCE_LEN..].to_vec() })
}

#[derive(sqlx::FromRow)]
struct Row {
    app_id: Uuid,
    dialpad_company_id: String,
    dialpad_user_id: String,
    email: Option<String>,
    scopes: Vec<String>,
    connected_at: DateTime<Utc>,
    access_token: Vec<u8>,
    refresh_token: Vec<u8>,
    access_token_expires_at: DateTime<Utc>,
    last_refreshed_at: Option<DateTime<Utc>>,
    status: String,
    last_error: Option<String>,
    next_refresh_at: Option<DateTime<Utc>>,
    refresh_failures: i32,
    webhook_id: Option<String>,
    subscription_id: Option<String>,
    provisioned_at: Option<DateTime<Utc>>,
    provision_error: Option<String>,
}

impl TryFrom<Row> for Connection {
    type Error = StoreError;

    fn try_from(row: Row) -> Result<Self, StoreError> {
        let status = ConnectionStatus::parse(&row.status)
            .ok_or_else(|| StoreError::unexpected(anyhow::anyhow!("unknown connection status {:?}", row.status)))?;
        Ok(Connection {
            app_id: AppId::from_uuid(row.app_id),
            identity: DialpadIdentity {
                company_id: row.dialpad_company_id,
                user_id: row.dialpad_user_id,
                email: row.email,
            },
            scopes: row.scopes,
            connected_at: row.connected_at,
            access_token: sealed(row.access_token)?,
            refresh_token: sealed(row.refresh_token)?,
            access_token_expires_at: row.access_token_expires_at,
            last_refreshed_at: row.last_refreshed_at,
            status,
            last_error: row.last_error,
            next_refresh_at: row.next_refresh_at,
            refresh_failures: u32::try_from(row.refresh_failures).unwrap_or(0),
            provisioning: Provisioning {
                webhook_id: row.webhook_id,
                subscription_id: row.subscription_id,
                provisioned_at: row.provisioned_at,
                error: row.provision_error,
            },
        })
    }
}

#[async_trait]
impl ConnectionRepository for PgConnectionRepository {
    async fn get(&self, app_id: AppId) -> Result<Option<Connection>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let row: Option<Row> = sqlx::query_as(concat!(
                    "SELECT app_id, ",
                    read_columns!(),
                    " FROM dialpad_connections WHERE app_id = $1"
                ))
                .bind(app_id.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
                row.map(Connection::try_from).transpose()
            })
            .await
    }

    async fn replace(&self, connection: &Connection) -> Result<Option<Connection>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let mut tx = self.pool.begin().await.map_err(store_error)?;
                let old: Option<Row> = sqlx::query_as(concat!(
                    "SELECT app_id, ",
                    read_columns!(),
                    " FROM dialpad_connections WHERE app_id = $1 FOR UPDATE"
                ))
                .bind(connection.app_id.as_uuid())
                .fetch_optional(&mut *tx)
                .await
                .map_err(store_error)?;
                bind(
                    sqlx::query(concat!(
                        "INSERT INTO dialpad_connections (app_id, ",
                        columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                         ON CONFLICT (app_id) DO UPDATE SET (",
                        columns!(),
                        ", claimed_by, claimed_until, webhook_id, subscription_id, provisioned_at, provision_error) = \
                         ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, NULL, NULL, NULL, NULL, NULL)"
                    )),
                    connection,
                )
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
                tx.commit().await.map_err(store_error)?;
                old.map(Connection::try_from).transpose()
            })
            .await
    }

    async fn claim(
        &self,
        app_id: AppId,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let claimed: Option<Row> = sqlx::query_as(concat!(
                    "UPDATE dialpad_connections SET claimed_by = $2, claimed_until = $4
                     WHERE app_id = $1 AND (claimed_until IS NULL OR claimed_until <= $3)
                     RETURNING app_id, ",
                    read_columns!()
                ))
                .bind(app_id.as_uuid())
                .bind(holder)
                .bind(now)
                .bind(until)
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
                if let Some(row) = claimed {
                    return Ok(Claim::Taken(Box::new(row.try_into()?)));
                }
                let exists: bool =
                    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM dialpad_connections WHERE app_id = $1)")
                        .bind(app_id.as_uuid())
                        .fetch_one(&self.pool)
                        .await
                        .map_err(store_error)?;
                Ok(if exists { Claim::Busy } else { Claim::Absent })
            })
            .await
    }

    async fn save_claimed(&self, connection: &Connection, holder: &str) -> Result<bool, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let saved = bind(
                    sqlx::query(concat!(
                        "UPDATE dialpad_connections SET (",
                        columns!(),
                        ", claimed_by, claimed_until) = ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, NULL)
                         WHERE app_id = $1 AND claimed_by = $15"
                    )),
                    connection,
                )
                .bind(holder)
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
                Ok(saved.rows_affected() == 1)
            })
            .await
    }

    async fn release(&self, app_id: AppId, holder: &str) -> Result<(), StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                sqlx::query(
                    "UPDATE dialpad_connections SET claimed_by = NULL, claimed_until = NULL
                     WHERE app_id = $1 AND claimed_by = $2",
                )
                .bind(app_id.as_uuid())
                .bind(holder)
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
                Ok(())
            })
            .await
    }

    async fn delete_claimed(&self, app_id: AppId, holder: &str) -> Result<bool, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let deleted = sqlx::query("DELETE FROM dialpad_connections WHERE app_id = $1 AND claimed_by = $2")
                    .bind(app_id.as_uuid())
                    .bind(holder)
                    .execute(&self.pool)
                    .await
                    .map_err(store_error)?;
                Ok(deleted.rows_affected() == 1)
            })
            .await
    }

    async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<AppId>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let ids: Vec<Uuid> = sqlx::query_scalar(
                    "SELECT app_id FROM dialpad_connections
                     WHERE next_refresh_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
                     ORDER BY next_refresh_at LIMIT $2",
                )
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(store_error)?;
                Ok(ids.into_iter().map(AppId::from_uuid).collect())
            })
            .await
    }

    async fn record_provisioning(&self, app_id: AppId, provisioning: &Provisioning) -> Result<bool, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let recorded = sqlx::query(
                    "UPDATE dialpad_connections
                     SET webhook_id = $2, subscription_id = $3, provisioned_at = $4, provision_error = $5
                     WHERE app_id = $1",
                )
                .bind(app_id.as_uuid())
                .bind(&provisioning.webhook_id)
                .bind(&provisioning.subscription_id)
                .bind(provisioning.provisioned_at)
                .bind(&provisioning.error)
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
                Ok(recorded.rows_affected() == 1)
            })
            .await
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                sqlx::query_scalar("SELECT min(next_refresh_at) FROM dialpad_connections")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(store_error)
            })
            .await
    }
}
