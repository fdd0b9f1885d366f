//! ApiKeyRepository contract, over memory and PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cti_server::adapters::memory::{MemoryApiKeyRepository, MemoryAppRepository};
use cti_server::adapters::postgres::{PgApiKeyRepository, PgAppRepository};
use cti_server::domain::api_key::{ApiKey, AuditAction, KeyEnvironment, KeyState, StoredApiKey};
use cti_server::domain::app::{App, AppId, AppName};
use cti_server::domain::pagination::PageLimit;
use cti_server::ports::{ApiKeyRepository, AppRepository};

use crate::infra::TestDb;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000 + seconds, 0).unwrap()
}

fn new_key(app_id: AppId, created: i64) -> StoredApiKey {
    let key = ApiKey::generate(KeyEnvironment::Test, &mut rand::rng());
    StoredApiKey {
        key_id: key.key_id().clone(),
        app_id,
        secret_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        hint: key.hint(),
        state: KeyState::Active,
        created_at: at(created),
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    }
}

async fn actions(repo: &dyn ApiKeyRepository, app: AppId) -> Vec<AuditAction> {
    let page = repo.audit(app, PageLimit::default(), None).await.unwrap();
    page.items.iter().map(|e| e.action).collect()
}

async fn contract(apps: Arc<dyn AppRepository>, repo: Arc<dyn ApiKeyRepository>) {
    let app = App::new(AppId::generate(), AppName::parse("keys").unwrap(), at(0));
    apps.insert(&app).await.unwrap();

    // First key: generated.
    let k1 = new_key(app.id, 1);
    let issued = repo.issue(&k1, None, at(1)).await.unwrap();
    assert_eq!((issued.previous, issued.retired.len()), (None, 0));
    assert_eq!(repo.find(&k1.key_id).await.unwrap(), Some(k1.clone()));

    // Rotation with grace: k1 in grace until the given time.
    let k2 = new_key(app.id, 2);
    let issued = repo.issue(&k2, Some(at(100)), at(2)).await.unwrap();
    let previous = issued.previous.unwrap();
    assert_eq!(
        (previous.key_id.clone(), previous.state, previous.expires_at),
        (k1.key_id.clone(), KeyState::Grace, Some(at(100)))
    );
    let current = repo.current(app.id).await.unwrap();
    assert_eq!(current.active.unwrap().key_id, k2.key_id);
    assert_eq!(current.grace.unwrap().key_id, k1.key_id);

    // Another rotation with grace retires the key already in grace.
    let k3 = new_key(app.id, 3);
    let issued = repo.issue(&k3, Some(at(200)), at(3)).await.unwrap();
    assert_eq!(issued.retired.iter().map(|k| &k.key_id).collect::<Vec<_>>(), [&k1.key_id]);
    assert_eq!(repo.find(&k1.key_id).await.unwrap().unwrap().state, KeyState::Revoked);

    // Expiry: due grace keys only, once.
    assert!(repo.expire_due(at(199)).await.unwrap().is_empty());
    let expired = repo.expire_due(at(200)).await.unwrap();
    assert_eq!(expired.iter().map(|k| (&k.key_id, k.state)).collect::<Vec<_>>(), [(&k2.key_id, KeyState::Expired)]);
    assert!(repo.expire_due(at(300)).await.unwrap().is_empty());

    // Revocation of everything usable.
    let revoked = repo.revoke_all(app.id, at(400)).await.unwrap();
    assert_eq!(revoked.iter().map(|k| (&k.key_id, k.revoked_at)).collect::<Vec<_>>(), [(&k3.key_id, Some(at(400)))]);
    assert!(repo.revoke_all(app.id, at(401)).await.unwrap().is_empty());
    assert_eq!(repo.current(app.id).await.unwrap(), Default::default());

    // Audit, newest first, paged.
    use AuditAction::*;
    assert_eq!(actions(&*repo, app.id).await, [Revoked, Expired, Rotated, Revoked, Rotated, Generated]);
    let limit = PageLimit::new(Some(4)).unwrap();
    let first = repo.audit(app.id, limit, None).await.unwrap();
    assert!(first.has_more);
    let rest = repo.audit(app.id, limit, Some(first.items[3].id)).await.unwrap();
    assert_eq!(rest.items.iter().map(|e| e.action).collect::<Vec<_>>(), [Rotated, Generated]);
    assert!(!rest.has_more);
    assert!(repo.audit(AppId::generate(), limit, None).await.unwrap().items.is_empty());

    // After revocation, the next key is "generated" again.
    let k4 = new_key(app.id, 500);
    repo.issue(&k4, None, at(500)).await.unwrap();
    assert_eq!(actions(&*repo, app.id).await[0], Generated);

    // last_used_at moves at most once a minute.
    repo.record_last_used(&k4.key_id, at(600)).await.unwrap();
    repo.record_last_used(&k4.key_id, at(630)).await.unwrap();
    assert_eq!(repo.find(&k4.key_id).await.unwrap().unwrap().last_used_at, Some(at(600)));
    repo.record_last_used(&k4.key_id, at(661)).await.unwrap();
    assert_eq!(repo.find(&k4.key_id).await.unwrap().unwrap().last_used_at, Some(at(661)));

    // Concurrent issues for one app: every one succeeds, exactly one key stays active.
    let issues = (0..8).map(|i| {
        let repo = repo.clone();
        let key = new_key(app.id, 700 + i);
        tokio::spawn(async move { repo.issue(&key, Some(at(10_000)), at(700 + i)).await.map(|_| ()) })
    });
    for result in futures_util::future::join_all(issues).await {
        result.unwrap().unwrap();
    }
    let current = repo.current(app.id).await.unwrap();
    assert!(current.active.is_some() && current.grace.is_some());
    let usable = actions(&*repo, app.id).await.iter().filter(|a| **a == Rotated).count();
    assert!(usable >= 8, "every concurrent issue was recorded");
}

#[tokio::test]
async fn memory_api_key_repository_honours_the_contract() {
    contract(Arc::new(MemoryAppRepository::new()), Arc::new(MemoryApiKeyRepository::new())).await;
}

#[tokio::test]
async fn postgres_api_key_repository_honours_the_contract() {
    let Some(db) = TestDb::create().await else { return };
    let pool = db.migrated_pool().await;
    contract(Arc::new(PgAppRepository::new(pool.clone())), Arc::new(PgApiKeyRepository::new(pool))).await;
}

#[tokio::test]
async fn postgres_keeps_one_active_key_per_app_even_against_a_direct_insert() {
    let Some(db) = TestDb::create().await else { return };
    let pool = db.migrated_pool().await;
    let apps = PgAppRepository::new(pool.clone());
    let app = App::new(AppId::generate(), AppName::parse("x").unwrap(), at(0));
    apps.insert(&app).await.unwrap();
    PgApiKeyRepository::new(pool.clone()).issue(&new_key(app.id, 1), None, at(1)).await.unwrap();
    let second = new_key(app.id, 2);
    let direct = sqlx::query(
        "INSERT INTO api_keys (key_id, app_id, secret_hash, hint, state, created_at) VALUES ($1, $2, 'h', 'h', 'active', now())",
    )
    .bind(second.key_id.as_str())
    .bind(app.id.as_uuid())
    .execute(&pool)
    .await;
    let err = direct.expect_err("a second active key is refused");
    assert_eq!(err.as_database_error().and_then(|e| e.constraint()), Some("api_keys_one_active_per_app"));
}
