//! Where the infrastructure tests get PostgreSQL: TEST_DATABASE_URL when set, else a
//! testcontainers container when Docker answers, else nothing (the tests say they were
//! skipped). Under CI=true a missing PostgreSQL fails the run instead of skipping.
//! Each test gets its own database, dropped when the test ends.

use std::sync::OnceLock;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The admin URL of the shared PostgreSQL server, or `None` (after saying so once).
pub fn postgres_admin_url() -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        let found = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()).or_else(start_postgres_container);
        if found.is_none() {
            let message = "PostgreSQL tests SKIPPED: TEST_DATABASE_URL is not set and Docker is not available";
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI=true: {message}");
            }
            eprintln!("{message}");
        }
        found
    })
    .clone()
}

fn docker_answers() -> bool {
    std::env::var("DOCKER_HOST").is_ok() || std::path::Path::new("/var/run/docker.sock").exists()
}

/// Starts postgres:17 once per test process, on a thread whose runtime outlives every
/// test's own runtime. The container lives until the process exits.
fn start_postgres_container() -> Option<String> {
    if !docker_answers() {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use testcontainers_modules::postgres::Postgres;
        use testcontainers_modules::testcontainers::ImageExt;
        use testcontainers_modules::testcontainers::runners::AsyncRunner;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let started = async {
                let container = Postgres::default().with_host_auth().with_tag("17-alpine").start().await?;
                let host = container.get_host().await?;
                let port = container.get_host_port_ipv4(5432).await?;
                Ok::<_, anyhow::Error>((container, format!("postgres://postgres@{host}:{port}/postgres")))
            };
            match started.await {
                Ok((container, url)) => {
                    let _ = tx.send(Some(url));
                    let _keep = container;
                    std::future::pending::<()>().await;
                }
                Err(err) => {
                    eprintln!("cannot start a PostgreSQL container: {err:#}");
                    let _ = tx.send(None);
                }
            }
        });
    });
    rx.recv().ok().flatten()
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
