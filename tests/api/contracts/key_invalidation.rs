//! KeyInvalidation contract, in process and over Redis: a notice reaches every subscriber
//! (on every instance), deployments with other prefixes hear nothing, and over Redis a
//! reconnection is announced as `All`.

use std::sync::Arc;
use std::time::Duration;

use cti_server::adapters::memory::InProcessKeyInvalidation;
use cti_server::adapters::redis::{RedisClients, RedisKeyInvalidation};
use cti_server::domain::app::AppId;
use cti_server::ports::{Invalidation, KeyInvalidation};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::infra::{PUBSUB, TestRedis};

async fn next(stream: &mut BoxStream<'static, Invalidation>) -> Invalidation {
    tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("a notice within 5 s").expect("open")
}

/// Skips the `All` a fresh Redis subscription announces, if any.
async fn next_app(stream: &mut BoxStream<'static, Invalidation>) -> Invalidation {
    loop {
        match next(stream).await {
            Invalidation::All => continue,
            notice => return notice,
        }
    }
}

async fn contract(here: Arc<dyn KeyInvalidation>, there: Arc<dyn KeyInvalidation>) {
    let mut mine = here.subscribe();
    let mut theirs = there.subscribe();
    let app = AppId::generate();
    here.publish(app).await.unwrap();
    assert_eq!(next_app(&mut mine).await, Invalidation::App(app), "the publisher hears itself");
    assert_eq!(next_app(&mut theirs).await, Invalidation::App(app), "every instance hears it");
    let other = AppId::generate();
    there.publish(other).await.unwrap();
    assert_eq!(next_app(&mut mine).await, Invalidation::App(other));
}

#[tokio::test]
async fn in_process_invalidation_honours_the_contract() {
    let bus = Arc::new(InProcessKeyInvalidation::new());
    contract(bus.clone(), bus).await;
}

async fn redis_instance(redis: &TestRedis, prefix: &str) -> (RedisClients, Arc<dyn KeyInvalidation>) {
    let clients = RedisClients::connect(&redis.url, prefix).await.unwrap();
    let invalidation = Arc::new(RedisKeyInvalidation::start(clients.clone()).await);
    (clients, invalidation)
}

#[tokio::test]
async fn redis_invalidation_honours_the_contract_across_instances() {
    let Some(redis) = TestRedis::create() else { return };
    let _delivery = PUBSUB.read().await;
    let (_a, here) = redis_instance(&redis, &redis.prefix).await;
    let (_b, there) = redis_instance(&redis, &redis.prefix).await;
    contract(here, there).await;
}

#[tokio::test]
async fn redis_invalidation_is_scoped_by_prefix_and_reconnects_announce_all() {
    let Some(redis) = TestRedis::create() else { return };
    let _cuts = PUBSUB.write().await;
    let (_a, here) = redis_instance(&redis, &redis.prefix).await;
    let (_b, elsewhere) = redis_instance(&redis, &format!("{}other:", redis.prefix)).await;
    let mut foreign = elsewhere.subscribe();
    let mut mine = here.subscribe();
    here.publish(AppId::generate()).await.unwrap();
    next_app(&mut mine).await;
    let heard = tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            if let Some(Invalidation::App(app)) = foreign.next().await {
                return app;
            }
        }
    })
    .await;
    assert!(heard.is_err(), "another deployment's prefix heard {heard:?}");

    // Cut every subscriber connection: ours reconnects and says notices may have been lost.
    redis.cut_pubsub().await;
    assert_eq!(next(&mut mine).await, Invalidation::All);
    // And it still hears what comes next.
    let app = AppId::generate();
    here.publish(app).await.unwrap();
    assert_eq!(next_app(&mut mine).await, Invalidation::App(app));
}
