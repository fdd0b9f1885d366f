//! UserMappingRepository on Postgres: table `user_mappings`. A duplicate (app, Dialpad
//! user) is refused by the primary key and reported as `Conflict`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::error::{is_unique_violation, store_error};
use super::limit::TimeLimit;
use crate::domain::app::AppId;
use crate::domain::pagination::{Page, PageLimit};
use crate::domain::user_mapping::{AppUserId, DialpadUserId, UserMapping, UserMappingPatch};
use crate::ports::{InsertMappingError, StoreError, UserMappingRepository};

pub struct PgUserMappingRepository {
    pool: PgPool,
}

impl PgUserMappingRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

const COLUMNS: &str = "app_id, dialpad_user_id, app_user_id, email, display_name, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    app_id: Uuid,
    dialpad_user_id: i64,
    app_user_id: String,
    email: Option<String>,
    display_name: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<Row> for UserMapping {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(UserMapping {
            app_id: AppId::from_uuid(r.app_id),
            dialpad_user_id: DialpadUserId::new(r.dialpad_user_id).map_err(StoreError::unexpected)?,
            app_user_id: AppUserId::parse(&r.app_user_id).map_err(StoreError::unexpected)?,
            email: r.email,
            display_name: r.display_name,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[async_trait]
impl UserMappingRepository for PgUserMappingRepository {
    async fn insert(&self, m: &UserMapping) -> Result<(), InsertMappingError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let result = sqlx::query(
                    "INSERT INTO user_mappings (app_id, dialpad_user_id, app_user_id, email, display_name, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(m.app_id.as_uuid())
                .bind(m.dialpad_user_id.get())
                .bind(m.app_user_id.as_str())
                .bind(&m.email)
                .bind(&m.display_name)
                .bind(m.created_at)
                .bind(m.updated_at)
                .execute(&self.pool)
                .await;
                match result {
                    Ok(_) => Ok(()),
                    Err(err) if is_unique_violation(&err, "user_mappings_pkey") => Err(InsertMappingError::Conflict),
                    Err(err) => Err(InsertMappingError::Store(store_error(err))),
                }
            })
            .await
    }

    async fn get(&self, app_id: AppId, user: DialpadUserId) -> Result<Option<UserMapping>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM user_mappings WHERE app_id = $1 AND dialpad_user_id = $2"
                )))
                .bind(app_id.as_uuid())
                .bind(user.get())
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
                row.map(UserMapping::try_from).transpose()
            })
            .await
    }

    async fn list(
        &self,
        app_id: AppId,
        limit: PageLimit,
        after: Option<DialpadUserId>,
    ) -> Result<Page<UserMapping>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM user_mappings WHERE app_id = $1 AND ($2::bigint IS NULL OR dialpad_user_id > $2)
                     ORDER BY dialpad_user_id LIMIT $3"
                )))
                .bind(app_id.as_uuid())
                .bind(after.map(|a| a.get()))
                .bind(limit.probe())
                .fetch_all(&self.pool)
                .await
                .map_err(store_error)?;
                let mappings = rows.into_iter().map(UserMapping::try_from).collect::<Result<Vec<_>, _>>()?;
                Ok(Page::from_probe(mappings, limit))
            })
            .await
    }

    async fn update(
        &self,
        app_id: AppId,
        user: DialpadUserId,
        patch: &UserMappingPatch,
        now: DateTime<Utc>,
    ) -> Result<Option<UserMapping>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let mut tx = self.pool.begin().await.map_err(store_error)?;
                let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM user_mappings WHERE app_id = $1 AND dialpad_user_id = $2 FOR UPDATE"
                )))
                .bind(app_id.as_uuid())
                .bind(user.get())
                .fetch_optional(&mut *tx)
                .await
                .map_err(store_error)?;
                let Some(row) = row else { return Ok(None) };
                let mut mapping = UserMapping::try_from(row)?;
                mapping.apply(patch, now);
                sqlx::query(
                    "UPDATE user_mappings SET app_user_id = $3, email = $4, display_name = $5, updated_at = $6
                     WHERE app_id = $1 AND dialpad_user_id = $2",
                )
                .bind(app_id.as_uuid())
                .bind(user.get())
                .bind(mapping.app_user_id.as_str())
                .bind(&mapping.email)
                .bind(&mapping.display_name)
                .bind(mapping.updated_at)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
                tx.commit().await.map_err(store_error)?;
                Ok(Some(mapping))
            })
            .await
    }

    async fn delete(&self, app_id: AppId, user: DialpadUserId) -> Result<bool, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let done = sqlx::query("DELETE FROM user_mappings WHERE app_id = $1 AND dialpad_user_id = $2")
                    .bind(app_id.as_uuid())
                    .bind(user.get())
                    .execute(&self.pool)
                    .await
                    .map_err(store_error)?;
                Ok(done.rows_affected() > 0)
            })
            .await
    }

    async fn apps_for(&self, user: DialpadUserId) -> Result<Vec<AppId>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let ids: Vec<Uuid> = sqlx::query_scalar("SELECT app_id FROM user_mappings WHERE dialpad_user_id = $1")
                    .bind(user.get())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(store_error)?;
                Ok(ids.into_iter().map(AppId::from_uuid).collect())
            })
            .await
    }

    async fn dialpad_users_of(&self, app_id: AppId, app_user: &AppUserId) -> Result<Vec<DialpadUserId>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT dialpad_user_id FROM user_mappings WHERE app_id = $1 AND app_user_id = $2",
                )
                .bind(app_id.as_uuid())
                .bind(app_user.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(store_error)?;
                ids.into_iter().map(|id| DialpadUserId::new(id).map_err(StoreError::unexpected)).collect()
            })
            .await
    }
}
