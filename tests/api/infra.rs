//! Where the infrastructure tests get PostgreSQL and Redis: TEST_DATABASE_URL and
//! TEST_REDIS_URL when set, else testcontainers containers when Docker answers, else nothing
//! (the tests say they were skipped). Under CI=true a missing backend fails the run instead
//! of skipping. Each test gets its own database and its own Redis key prefix, both removed
//! when the test ends.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use fred::prelude::*;
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use testcontainers_modules::testcontainers::core::ContainerRequest;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{Image, ImageExt};

/// The backend URL from `variable`, else from `start`, else `None` after saying the tests
/// were skipped (or failing under CI=true).
fn resolve(variable: &str, what: &str, start: fn() -> Option<String>) -> Option<String> {
    let found = std::env::var(variable).ok().filter(|u| !u.is_empty()).or_else(start);
    if found.is_none() {
        let message = format!("{what} tests SKIPPED: {variable} is not set and Docker is not available");
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("CI=true: {message}");
        }
        // Straight to stderr: the test harness captures eprintln! of passing tests.
        let _ = writeln!(std::io::stderr(), "{message}");
    }
    found
}

/// The admin URL of the shared PostgreSQL server, or `None` (after saying so once).
pub fn postgres_admin_url() -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| resolve("TEST_DATABASE_URL", "PostgreSQL", start_postgres_container)).clone()
}

/// The URL of the shared Redis server, or `None` (after saying so once).
pub fn redis_url() -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| resolve("TEST_REDIS_URL", "Redis", start_redis_container)).clone()
}

fn docker_answers() -> bool {
    std::env::var("DOCKER_HOST").is_ok() || std::path::Path::new("/var/run/docker.sock").exists()
}

/// Starts a container once per test process, on a thread whose runtime outlives every
/// test's own runtime. The container lives until the process exits.
fn start_container<I>(
    image: impl Into<ContainerRequest<I>> + Send + 'static,
    port: u16,
    url: fn(String, u16) -> String,
) -> Option<String>
where
    I: Image + 'static,
{
    if !docker_answers() {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let started = async {
                let container = image.into().start().await?;
                let host = container.get_host().await?.to_string();
                let mapped = container.get_host_port_ipv4(port).await?;
                Ok::<_, anyhow::Error>((container, url(host, mapped)))
            };
            match started.await {
                Ok((container, url)) => {
                    let _ = tx.send(Some(url));
                    let _keep = container;
                    std::future::pending::<()>().await;
                }
                Err(err) => {
                    eprintln!("cannot start a container: {err:#}");
                    let _ = tx.send(None);
                }
            }
        });
    });
    rx.recv().ok().flatten()
}

fn start_postgres_container() -> Option<String> {
    use testcontainers_modules::postgres::Postgres;
    start_container(Postgres::default().with_host_auth().with_tag("17-alpine"), 5432, |host, port| {
        format!("postgres://postgres@{host}:{port}/postgres")
    })
}

fn start_redis_container() -> Option<String> {
    use testcontainers_modules::redis::Redis;
    start_container(Redis::default().with_tag("7-alpine"), 6379, |host, port| format!("redis://{host}:{port}"))
}

/// A database of its own for one test, created from the admin URL and dropped on Drop.
pub struct TestDb {
    pub url: String,
    name: String,
    admin_url: String,
}

impl TestDb {
    /// A fresh empty database, or `None` when PostgreSQL tests are skipped.
    pub async fn create() -> Option<TestDb> {
        let admin_url = postgres_admin_url()?;
        let name = format!("cti_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = database_url(&admin_url, &name);
        Some(TestDb { url, name, admin_url })
    }

    /// Drops the database now, cutting its connections: the server using it loses its
    /// storage for good (Drop then has nothing left to do).
    pub async fn drop_now(&self) {
        let mut admin = PgConnection::connect(&self.admin_url).await.expect("connect to TEST_DATABASE_URL");
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop)).execute(&mut admin).await.expect("drop test database");
    }

    /// A pool on this database with migrations applied.
    pub async fn migrated_pool(&self) -> sqlx::PgPool {
        let pool = sqlx::PgPool::connect(&self.url).await.expect("connect to test database");
        cti_server::adapters::postgres::migrate(&pool).await.expect("migrate test database");
        pool
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside a test's runtime; do the async cleanup on a thread of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(err) = sqlx::raw_sql(sqlx::AssertSqlSafe(drop)).execute(&mut admin).await {
                        eprintln!("could not drop test database {name}: {err}");
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// The admin URL with its database replaced by `name`.
fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Tests share one Redis server, and `CLIENT KILL TYPE pubsub` cuts every test's
/// subscribers, not only the caller's: a message published meanwhile is lost, as pub/sub
/// promises. A test that cuts them holds this exclusively for its whole run; a test that
/// asserts that a pub/sub message arrives holds it shared.
pub static PUBSUB: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// A Redis key prefix of its own for one test; its keys are deleted on Drop.
pub struct TestRedis {
    pub url: String,
    pub prefix: String,
}

impl TestRedis {
    /// A fresh prefix, or `None` when Redis tests are skipped.
    pub fn create() -> Option<TestRedis> {
        Some(TestRedis { url: redis_url()?, prefix: format!("test-{}:", uuid::Uuid::new_v4().simple()) })
    }

    /// Cuts every pub/sub connection on the server (they reconnect). Hold
    /// `PUBSUB.write()` for the whole test.
    pub async fn cut_pubsub(&self) {
        let _: i64 = self.client().await.custom(fred::cmd!("CLIENT"), vec!["KILL", "TYPE", "pubsub"]).await.unwrap();
    }

    /// A plain client on the test server (for inspecting or disturbing it).
    pub async fn client(&self) -> Client {
        let client = Builder::from_config(Config::from_url(&self.url).expect("redis url")).build().expect("client");
        client.init().await.expect("connect to TEST_REDIS_URL");
        client
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let (url, pattern) = (self.url.clone(), format!("{}*", self.prefix));
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                let Ok(config) = Config::from_url(&url) else { return };
                let Ok(client) = Builder::from_config(config).build() else { return };
                if client.init().await.is_err() {
                    return;
                }
                let mut cursor = "0".to_owned();
                loop {
                    let scanned: Result<(String, Vec<String>), _> = client
                        .custom(
                            fred::cmd!("SCAN"),
                            vec![cursor.clone(), "MATCH".into(), pattern.clone(), "COUNT".into(), "1000".into()],
                        )
                        .await;
                    let Ok((next, keys)) = scanned else { break };
                    if !keys.is_empty() {
                        let _: Result<i64, _> = client.del(keys).await;
                    }
                    if next == "0" {
                        break;
                    }
                    cursor = next;
                }
                let _ = client.quit().await;
            });
        });
        let _ = cleanup.join();
    }
}

/// A database and a Redis prefix of their own, shared by every server of one test.
pub struct Infra {
    pub db: TestDb,
    pub redis: TestRedis,
}

impl Infra {
    /// `None` when PostgreSQL or Redis tests are skipped.
    pub async fn create() -> Option<Arc<Infra>> {
        let redis = TestRedis::create()?;
        let db = TestDb::create().await?;
        Some(Arc::new(Infra { db, redis }))
    }
}
