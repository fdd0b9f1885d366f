//! WebhookSecretRepository contract, over memory and PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cti_server::adapters::memory::{MemoryAppRepository, MemoryWebhookSecretRepository};
use cti_server::adapters::postgres::{PgAppRepository, PgWebhookSecretRepository};
use cti_server::domain::app::{App, AppId, AppName};
use cti_server::domain::webhook_secret::SealedSecret;
use cti_server::ports::{AppRepository, WebhookSecretRepository};
use uuid::Uuid;

use crate::infra::TestDb;

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000 + s, 0).unwrap()
}

fn sealed(app_id: AppId, created: i64) -> SealedSecret {
    SealedSecret {
        id: Uuid::new_v4(),
        app_id,
        nonce: [created as u8; 12],
        ciphertext: vec![1, 2, 3, created as u8],
        hint: format!("h{created}"),
        created_at: at(created),
        expires_at: None,
    }
}

async fn contract(apps: Arc<dyn AppRepository>, repo: Arc<dyn WebhookSecretRepository>) {
    let (app, other) = (AppId::generate(), AppId::generate());
    for id in [app, other] {
        apps.insert(&App::new(id, AppName::parse("s").unwrap(), at(0))).await.unwrap();
    }
    let first = sealed(app, 1);
    repo.rotate(&first, at(1)).await.unwrap();
    repo.rotate(&sealed(other, 1), at(1)).await.unwrap();
    let second = sealed(app, 2);
    repo.rotate(&second, at(100)).await.unwrap();
    let third = sealed(app, 3);
    repo.rotate(&third, at(50)).await.unwrap();

    let listed = repo.list(app).await.unwrap();
    let view: Vec<(Uuid, Option<DateTime<Utc>>)> = listed.iter().map(|s| (s.id, s.expires_at)).collect();
    // Newest first; each rotation retires what would outlive it, never extends an expiry.
    assert_eq!(view, [(third.id, None), (second.id, Some(at(50))), (first.id, Some(at(50)))]);
    assert_eq!(listed[0].ciphertext, third.ciphertext);
    assert_eq!(listed[0].nonce, third.nonce);
    assert_eq!(repo.list(other).await.unwrap().len(), 1);
}

#[tokio::test]
async fn memory_webhook_secret_repository_honours_the_contract() {
    contract(Arc::new(MemoryAppRepository::new()), Arc::new(MemoryWebhookSecretRepository::new())).await;
}

#[tokio::test]
async fn postgres_webhook_secret_repository_honours_the_contract() {
    let Some(db) = TestDb::create().await else { return };
    let pool = db.migrated_pool().await;
    contract(Arc::new(PgAppRepository::new(pool.clone())), Arc::new(PgWebhookSecretRepository::new(pool))).await;
}
