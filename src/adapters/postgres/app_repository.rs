//! AppRepository on Postgres: table `apps`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::error::store_error;
use super::limit::TimeLimit;
use crate::domain::app::{App, AppId, AppName, AppPatch};
use crate::domain::dialpad::ScreenPopTemplate;
use crate::domain::pagination::{Page, PageLimit};
use crate::ports::{AppCursor, AppRepository, StoreError};

pub struct PgAppRepository {
    pool: PgPool,
}

impl PgAppRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(sqlx::FromRow)]
struct AppRow {
    id: Uuid,
    name: String,
    is_active: bool,
    screen_pop_url: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<AppRow> for App {
    type Error = StoreError;

    fn try_from(row: AppRow) -> Result<Self, StoreError> {
        Ok(App {
            id: AppId::from_uuid(row.id),
            name: AppName::parse(&row.name)
                .map_err(|e| StoreError::unexpected(anyhow::anyhow!("stored app name: {e}")))?,
            is_active: row.is_active,
            screen_pop_url: row
                .screen_pop_url
                .map(|t| ScreenPopTemplate::parse(&t))
                .transpose()
                .map_err(|e| StoreError::unexpected(anyhow::anyhow!("stored screen pop template: {e}")))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

const COLUMNS: &str = "id, name, is_active, screen_pop_url, created_at, updated_at";

#[async_trait]
impl AppRepository for PgAppRepository {
    async fn insert(&self, app: &App) -> Result<(), StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                sqlx::query(
                    "INSERT INTO apps (id, name, is_active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(app.id.as_uuid())
                .bind(app.name.as_str())
                .bind(app.is_active)
                .bind(app.created_at)
                .bind(app.updated_at)
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
                Ok(())
            })
            .await
    }

    async fn get(&self, id: AppId) -> Result<Option<App>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let row: Option<AppRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM apps WHERE id = $1")))
                        .bind(id.as_uuid())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(store_error)?;
                row.map(App::try_from).transpose()
            })
            .await
    }

    async fn list(&self, limit: PageLimit, after: Option<AppCursor>) -> Result<Page<App>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let rows: Vec<AppRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM apps
                     WHERE $1::timestamptz IS NULL OR (created_at, id) > ($1, $2)
                     ORDER BY created_at, id LIMIT $3"
                )))
                .bind(after.map(|c| c.created_at))
                .bind(after.map(|c| c.id.as_uuid()))
                .bind(limit.probe())
                .fetch_all(&self.pool)
                .await
                .map_err(store_error)?;
                let apps = rows.into_iter().map(App::try_from).collect::<Result<Vec<_>, _>>()?;
                Ok(Page::from_probe(apps, limit))
            })
            .await
    }

    async fn update(&self, id: AppId, patch: &AppPatch, now: DateTime<Utc>) -> Result<Option<App>, StoreError> {
        TimeLimit::DEFAULT
            .bound(async move {
                let mut tx = self.pool.begin().await.map_err(store_error)?;
                let row: Option<AppRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM apps WHERE id = $1 FOR UPDATE")))
                        .bind(id.as_uuid())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(store_error)?;
                let Some(row) = row else { return Ok(None) };
                let mut app = App::try_from(row)?;
                if app.apply(patch, now) {
                    sqlx::query(
                        "UPDATE apps SET name = $2, is_active = $3, screen_pop_url = $4, updated_at = $5 WHERE id = $1",
                    )
                    .bind(app.id.as_uuid())
                    .bind(app.name.as_str())
                    .bind(app.is_active)
                    .bind(app.screen_pop_url.as_ref().map(|t| t.as_str()))
                    .bind(app.updated_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?;
                }
                tx.commit().await.map_err(store_error)?;
                Ok(Some(app))
            })
            .await
    }
}
