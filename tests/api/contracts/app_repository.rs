//! AppRepository contract, over memory and PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use cti_server::adapters::memory::MemoryAppRepository;
use cti_server::adapters::postgres::PgAppRepository;
use cti_server::domain::app::{App, AppId, AppName, AppPatch};
use cti_server::domain::dialpad::ScreenPopTemplate;
use cti_server::domain::pagination::PageLimit;
use cti_server::ports::{AppCursor, AppRepository};

use crate::infra::TestDb;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000 + seconds, 0).unwrap()
}

fn app(name: &str, created: i64) -> App {
    App::new(AppId::generate(), AppName::parse(name).unwrap(), at(created))
}

async fn contract(repo: Arc<dyn AppRepository>) {
    // insert / get
    let a = app("a", 0);
    repo.insert(&a).await.unwrap();
    assert_eq!(repo.get(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(repo.get(AppId::generate()).await.unwrap(), None);
    assert!(repo.insert(&a).await.is_err(), "a duplicate id is refused");

    // list: oldest first, then by id; strictly after the cursor
    let b = app("b", 10);
    let c = app("c", 10);
    repo.insert(&c).await.unwrap();
    repo.insert(&b).await.unwrap();
    let mut same_time = [b.clone(), c.clone()];
    same_time.sort_by_key(|x| x.id);
    let limit = PageLimit::new(Some(2)).unwrap();
    let page = repo.list(limit, None).await.unwrap();
    assert_eq!(page.items, vec![a.clone(), same_time[0].clone()]);
    assert!(page.has_more);
    let page = repo.list(limit, Some(AppCursor::from(&page.items[1]))).await.unwrap();
    assert_eq!(page.items, vec![same_time[1].clone()]);
    assert!(!page.has_more);

    // update: applies the patch; a no-op leaves updated_at alone
    let later = at(100);
    let template = ScreenPopTemplate::parse("https://crm.example.com/?p={external_number}").unwrap();
    let patch = AppPatch {
        name: Some(AppName::parse("a2").unwrap()),
        is_active: Some(false),
        screen_pop_url: Some(Some(template.clone())),
    };
    let updated = repo.update(a.id, &patch, later).await.unwrap().unwrap();
    assert_eq!((updated.name.as_str(), updated.is_active, updated.updated_at), ("a2", false, later));
    assert_eq!(updated.screen_pop_url, Some(template));
    assert_eq!(repo.get(a.id).await.unwrap(), Some(updated.clone()));
    let same = repo.update(a.id, &patch, later + Duration::seconds(5)).await.unwrap().unwrap();
    assert_eq!(same.updated_at, later);
    assert_eq!(repo.update(AppId::generate(), &patch, later).await.unwrap(), None);
    let cleared = AppPatch { screen_pop_url: Some(None), ..AppPatch::default() };
    assert_eq!(repo.update(a.id, &cleared, later).await.unwrap().unwrap().screen_pop_url, None);
}

#[tokio::test]
async fn memory_app_repository_honours_the_contract() {
    contract(Arc::new(MemoryAppRepository::new())).await;
}

#[tokio::test]
async fn postgres_app_repository_honours_the_contract() {
    let Some(db) = TestDb::create().await else { return };
    contract(Arc::new(PgAppRepository::new(db.migrated_pool().await))).await;
}
