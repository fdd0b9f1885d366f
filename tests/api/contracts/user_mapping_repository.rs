//! UserMappingRepository contract, over memory and PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cti_server::adapters::memory::{MemoryAppRepository, MemoryUserMappingRepository};
use cti_server::adapters::postgres::{PgAppRepository, PgUserMappingRepository};
use cti_server::domain::app::{App, AppId, AppName};
use cti_server::domain::pagination::PageLimit;
use cti_server::domain::user_mapping::{AppUserId, DialpadUserId, UserMapping, UserMappingPatch};
use cti_server::ports::{AppRepository, InsertMappingError, UserMappingRepository};

use crate::infra::TestDb;

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000 + s, 0).unwrap()
}

fn mapping(app_id: AppId, user: i64, app_user: &str) -> UserMapping {
    UserMapping {
        app_id,
        dialpad_user_id: DialpadUserId::new(user).unwrap(),
        app_user_id: AppUserId::parse(app_user).unwrap(),
        email: Some(format!("{app_user}@example.com")),
        display_name: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

async fn contract(apps: Arc<dyn AppRepository>, repo: Arc<dyn UserMappingRepository>) {
    let (a, b) = (AppId::generate(), AppId::generate());
    for id in [a, b] {
        apps.insert(&App::new(id, AppName::parse("m").unwrap(), at(0))).await.unwrap();
    }
    let user = DialpadUserId::new(42).unwrap();
    repo.insert(&mapping(a, 42, "agent-1")).await.unwrap();
    assert!(matches!(repo.insert(&mapping(a, 42, "other")).await, Err(InsertMappingError::Conflict)));
    repo.insert(&mapping(b, 42, "b-agent")).await.unwrap();
    repo.insert(&mapping(a, 7, "agent-1")).await.unwrap();
    repo.insert(&mapping(a, 99, "agent-2")).await.unwrap();

    assert_eq!(repo.get(a, user).await.unwrap().unwrap().app_user_id.as_str(), "agent-1");
    let mut apps_of_42 = repo.apps_for(user).await.unwrap();
    apps_of_42.sort();
    let mut both = vec![a, b];
    both.sort();
    assert_eq!(apps_of_42, both);
    let mut of_agent_1 = repo.dialpad_users_of(a, &AppUserId::parse("agent-1").unwrap()).await.unwrap();
    of_agent_1.sort();
    assert_eq!(of_agent_1.iter().map(|u| u.get()).collect::<Vec<_>>(), [7, 42]);

    let limit = PageLimit::new(Some(2)).unwrap();
    let page = repo.list(a, limit, None).await.unwrap();
    assert_eq!(
        (page.items.iter().map(|m| m.dialpad_user_id.get()).collect::<Vec<_>>(), page.has_more),
        (vec![7, 42], true)
    );
    let rest = repo.list(a, limit, Some(page.items[1].dialpad_user_id)).await.unwrap();
    assert_eq!(rest.items.iter().map(|m| m.dialpad_user_id.get()).collect::<Vec<_>>(), [99]);

    let patch = UserMappingPatch { email: Some(None), display_name: Some(Some("Ada".into())), ..Default::default() };
    let updated = repo.update(a, user, &patch, at(10)).await.unwrap().unwrap();
    assert_eq!(
        (updated.email.as_deref(), updated.display_name.as_deref(), updated.updated_at),
        (None, Some("Ada"), at(10))
    );
    assert_eq!(repo.get(a, user).await.unwrap(), Some(updated));
    assert!(repo.update(a, DialpadUserId::new(1).unwrap(), &patch, at(10)).await.unwrap().is_none());

    assert!(repo.delete(a, user).await.unwrap());
    assert!(!repo.delete(a, user).await.unwrap());
    assert_eq!(repo.apps_for(user).await.unwrap(), [b]);
}

#[tokio::test]
async fn memory_user_mapping_repository_honours_the_contract() {
    contract(Arc::new(MemoryAppRepository::new()), Arc::new(MemoryUserMappingRepository::new())).await;
}

#[tokio::test]
async fn postgres_user_mapping_repository_honours_the_contract() {
    let Some(db) = TestDb::create().await else { return };
    let pool = db.migrated_pool().await;
    contract(Arc::new(PgAppRepository::new(pool.clone())), Arc::new(PgUserMappingRepository::new(pool))).await;
}
