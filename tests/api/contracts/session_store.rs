//! SessionStore contract, in memory and over Redis: values expire, a take succeeds once
//! (also under concurrency, across instances), a put replaces, and a put-once stores once.

use std::sync::Arc;
use std::time::Duration;

use cti_server::adapters::memory::MemorySessionStore;
use cti_server::adapters::redis::{RedisClients, RedisSessionStore};
use cti_server::ports::SessionStore;

use crate::infra::TestRedis;

const LONG: Duration = Duration::from_secs(60);

async fn contract(here: Arc<dyn SessionStore>, there: Arc<dyn SessionStore>) {
    here.put("k1", "v1", LONG).await.unwrap();
    assert_eq!(there.get("k1").await.unwrap().as_deref(), Some("v1"), "every instance reads it");
    here.put("k1", "v2", LONG).await.unwrap();
    assert_eq!(here.get("k1").await.unwrap().as_deref(), Some("v2"), "a put replaces");
    assert_eq!(there.take("k1").await.unwrap().as_deref(), Some("v2"));
    assert_eq!(here.take("k1").await.unwrap(), None, "taken once");
    assert_eq!(here.get("k1").await.unwrap(), None);
    assert_eq!(here.get("never-put").await.unwrap(), None);

    here.put("short", "v", Duration::from_millis(100)).await.unwrap();
    assert_eq!(there.get("short").await.unwrap().as_deref(), Some("v"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(there.get("short").await.unwrap(), None, "expired");
    assert_eq!(here.take("short").await.unwrap(), None, "an expired value cannot be taken");

    here.put("contested", "prize", LONG).await.unwrap();
    let takes = (0..20).map(|i| {
        let store = if i % 2 == 0 { here.clone() } else { there.clone() };
        async move { store.take("contested").await.unwrap() }
    });
    let winners = futures_util::future::join_all(takes).await.into_iter().flatten().count();
    assert_eq!(winners, 1, "exactly one concurrent take gets the value");

    let puts = (0..20).map(|i| {
        let store = if i % 2 == 0 { here.clone() } else { there.clone() };
        async move { store.put_new("once", &format!("v{i}"), LONG).await.unwrap() }
    });
    let stored = futures_util::future::join_all(puts).await.into_iter().filter(|s| *s).count();
    assert_eq!(stored, 1, "exactly one concurrent put-once stores");
    assert!(here.get("once").await.unwrap().is_some());
    here.put("gone", "v", Duration::from_millis(50)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(there.put_new("gone", "again", LONG).await.unwrap(), "an expired value does not count");
}

#[tokio::test]
async fn memory_sessions_honour_the_contract() {
    let store = Arc::new(MemorySessionStore::new());
    contract(store.clone(), store).await;
}

#[tokio::test]
async fn redis_sessions_honour_the_contract_across_instances() {
    let Some(redis) = TestRedis::create() else { return };
    let here = RedisClients::connect(&redis.url, &redis.prefix).await.unwrap();
    let there = RedisClients::connect(&redis.url, &redis.prefix).await.unwrap();
    contract(Arc::new(RedisSessionStore::new(here)), Arc::new(RedisSessionStore::new(there))).await;
}
