//! The connection pool as the server opens it (`adapters::postgres::connect`), with
//! vendor/sqlx-core's release patch: a connection whose last query ran to completion goes
//! back to the pool without the on-release ping. These check what that ping used to
//! guarantee, on one connection so every step reuses the same one: a dropped transaction
//! is rolled back before anyone else runs on it, a query abandoned halfway leaves nothing
//! behind, and a connection the server cut is replaced after one failed query. The ping that
//! remains is bounded: a connection that stops answering frees its place in the pool.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sqlx::{Connection, PgConnection, PgPool};

use crate::fault_proxy::FaultProxy;
use crate::infra::TestDb;

async fn one_connection_pool(db: &TestDb) -> PgPool {
    let options = db.url.parse().unwrap();
    cti_server::adapters::postgres::connect(options, 1, Duration::from_secs(5)).await.unwrap()
}

async fn count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM t").fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn a_connection_back_in_the_pool_carries_nothing_over() {
    let Some(db) = TestDb::create().await else { return };
    let pool = one_connection_pool(&db).await;
    sqlx::query("CREATE TABLE t (n int PRIMARY KEY)").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO t SELECT generate_series(1, 5000)").execute(&pool).await.unwrap();

    // A transaction dropped without commit is rolled back while its connection sits idle:
    // another connection can take the row it held, before the pool is used again.
    let mut other = PgConnection::connect(&db.url).await.unwrap();
    sqlx::query("SET lock_timeout = '5s'").execute(&mut other).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO t VALUES (0)").execute(&mut *tx).await.unwrap();
    drop(tx);
    sqlx::query("INSERT INTO t VALUES (0)").execute(&mut other).await.expect("the dropped transaction let go");
    sqlx::query("DELETE FROM t WHERE n = 0").execute(&mut other).await.unwrap();
    assert_eq!(count(&pool).await, 5000);

    // A query abandoned after its first row: the next one gets its own results.
    {
        let mut rows = sqlx::query_scalar::<_, i32>("SELECT n FROM t ORDER BY n").fetch(&pool);
        assert_eq!(rows.next().await.unwrap().unwrap(), 1);
    }
    assert_eq!(count(&pool).await, 5000);
    let n: i32 = sqlx::query_scalar("SELECT 42").fetch_one(&pool).await.unwrap();
    assert_eq!(n, 42);

    // A committed transaction and plain queries in a row reuse the connection.
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&pool).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO t VALUES (0)").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count(&pool).await, 5001);
    let same: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&pool).await.unwrap();
    assert_eq!(same, backend, "one connection throughout");

    // The server cuts it: one query fails, the broken connection is not handed out again.
    sqlx::query("SELECT pg_terminate_backend($1)").bind(backend).execute(&mut other).await.unwrap();
    let mut failures = 0;
    let mut recovered = false;
    for _ in 0..3 {
        match sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()").fetch_one(&pool).await {
            Ok(pid) => {
                assert_ne!(pid, backend);
                recovered = true;
                break;
            }
            Err(_) => failures += 1,
        }
    }
    assert!(recovered && failures <= 1, "{failures} failures before a new connection");
    assert_eq!(count(&pool).await, 5001);
    other.close().await.ok();
}

#[tokio::test]
async fn a_connection_that_stops_answering_frees_its_place_in_the_pool() {
    let Some(db) = TestDb::create().await else { return };
    let (proxy, url) = FaultProxy::for_url(&db.url).await;
    let pool = cti_server::adapters::postgres::connect(url.parse().unwrap(), 1, Duration::from_secs(30)).await.unwrap();
    sqlx::query("SELECT 1").execute(&pool).await.unwrap();
    assert_eq!(pool.size(), 1);

    // PostgreSQL goes silent (a frozen host, a dropped route); a request gives up waiting,
    // so its connection goes back through the ping, which is not answered either.
    proxy.pause();
    let gave_up = tokio::time::timeout(Duration::from_millis(300), sqlx::query("SELECT 1").execute(&pool)).await;
    assert!(gave_up.is_err(), "nothing answers while paused");
    // The pool lets go of it within the ping's bound, while the network is still silent
    // (without the bound it would hold it until TCP gives up, about 15 minutes).
    let deadline = Instant::now() + Duration::from_secs(30);
    while pool.size() > 0 {
        assert!(Instant::now() < deadline, "the silent connection still holds its place");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    proxy.pass();
    let n: i32 = sqlx::query_scalar("SELECT 7").fetch_one(&pool).await.unwrap();
    assert_eq!(n, 7, "a new connection serves once the network is back");
}
