//! spawn_app: a real server on 127.0.0.1:0 with memory adapters or PostgreSQL, plus the
//! small HTTP helpers the tests share. Set TEST_LOG=1 to see the server's logs.

use std::sync::{Arc, Once};

use cti_server::config::{Config, LogConfig, LogFormat, Settings};
use cti_server::startup::{Application, Backends};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::infra::Infra;

pub const INTERNAL_SECRET: &str = "test-internal-secret-0123456789abcdef";
/// DIALPAD_WEBHOOK_SECRET of test servers (the legacy route).
pub const LEGACY_SECRET: &str = "legacy-global-webhook-secret";

/// Which adapters a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Memory adapters, in-process invalidation: the embedded default.
    Memory,
    /// PostgreSQL and Redis: the scaled-out deployment.
    Real,
}

/// Generates one test per backend from an `async fn(Backend)`:
/// `apps::create_then_get::memory`, `apps::create_then_get::postgres_redis`.
macro_rules! for_each_backend {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn memory() {
                super::$name($crate::helpers::Backend::Memory).await
            }
            #[tokio::test]
            async fn postgres_redis() {
                super::$name($crate::helpers::Backend::Real).await
            }
        }
    )*};
}
pub(crate) use for_each_backend;

fn init_test_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            cti_server::telemetry::init_logging(&LogConfig { filter: "debug".into(), format: LogFormat::Pretty });
        }
    });
}

/// Settings of a test server: loopback, port 0, a known admin secret.
pub fn test_settings() -> Settings {
    Settings {
        host: "127.0.0.1".into(),
        port: "0".into(),
        internal_api_secret: Some(INTERNAL_SECRET.into()),
        dialpad_webhook_secret: Some(LEGACY_SECRET.into()),
        // Shared by every test server, as every replica of a deployment shares it.
        token_encryption_key: Some("11".repeat(32)),
        // Tests drive the admin API hard from one address; the limit has its own tests.
        rate_limit_internal_per_minute: "0".into(),
        ..Settings::default()
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub infra: Option<Arc<Infra>>,
    /// The server's adapters (to disturb them in failure tests).
    pub backends: Backends,
}

impl TestApp {
    /// A server on `backend`, or `None` when that backend's infrastructure is skipped.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_tuned(backend, |_| {}).await
    }

    /// A server with the test settings as changed by `tune`.
    pub async fn spawn_tuned(backend: Backend, tune: impl FnOnce(&mut Settings)) -> Option<TestApp> {
        let infra = match backend {
            Backend::Memory => None,
            Backend::Real => Some(Infra::create().await?),
        };
        let mut settings = test_settings();
        tune(&mut settings);
        Some(Self::spawn_with(settings, infra).await)
    }

    /// Another server on the same PostgreSQL database and Redis prefix as this one.
    pub async fn sibling(&self) -> TestApp {
        self.sibling_tuned(|_| {}).await
    }

    /// A sibling with the test settings as changed by `tune`.
    pub async fn sibling_tuned(&self, tune: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = test_settings();
        tune(&mut settings);
        Self::spawn_with(settings, Some(self.infra.clone().expect("a sibling needs shared infrastructure"))).await
    }

    /// A server with these settings, on `infra` when given (several servers may share it).
    pub async fn spawn_with(mut settings: Settings, infra: Option<Arc<Infra>>) -> TestApp {
        init_test_logging();
        if let Some(infra) = &infra {
            // Kept when the test set them (a fault proxy in front of the same servers).
            settings.database_url.get_or_insert_with(|| infra.db.url.clone());
            settings.redis_url.get_or_insert_with(|| infra.redis.url.clone());
            settings.redis_key_prefix = infra.redis.prefix.clone();
        }
        let config = Config::from_settings(&settings).expect("test configuration is valid");
        let backends = Backends::connect(&config).await.expect("backends connect");
        let app = Application::build_with(config, backends.clone()).await.expect("server builds");
        let port = app.port();
        let shutdown = app.shutdown_token();
        let server = tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            shutdown,
            server: Some(server),
            infra,
            backends,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request to the admin API with the right bearer token.
    pub fn internal(&self, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(INTERNAL_SECRET)
    }

    /// Creates an app through the admin API and returns its id.
    pub async fn create_app(&self, name: &str) -> String {
        let res = self.internal(Method::POST, "/internal/apps").json(&serde_json::json!({ "name": name })).send().await;
        let body = json_of(res.expect("request sent"), 201).await;
        body["id"].as_str().expect("id").to_owned()
    }

    /// Stops the server gracefully and returns how it ended.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.server.take().expect("running").await?
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Asserts the status and returns the JSON body.
pub async fn json_of(res: Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("body is not JSON: {text}"))
}

/// Asserts an error response: status, JSON shape, and the `error` title.
pub async fn assert_error(res: Response, status: u16, error: &str) -> Value {
    let body = json_of(res, status).await;
    assert_eq!(body["error"], error, "body: {body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "message missing: {body}");
    body
}

impl TestApp {
    /// Issues (or rotates) the app's API key through the admin API; returns the key.
    pub async fn issue_key(&self, app_id: &str, grace_seconds: i64) -> String {
        let res = self
            .internal(Method::POST, &format!("/internal/apps/{app_id}/api-key"))
            .json(&serde_json::json!({ "grace_seconds": grace_seconds }))
            .send()
            .await
            .expect("request sent");
        json_of(res, 201).await["api_key"].as_str().expect("api_key").to_owned()
    }

    /// GET /api/me with `key`; the status code.
    pub async fn me_status(&self, key: &str) -> u16 {
        let res = self.request(Method::GET, "/api/me").header("x-app-api-key", key).send().await.expect("sent");
        res.status().as_u16()
    }

    /// The value of one sample line of /metrics (0 when absent).
    pub async fn metric(&self, line_start: &str) -> f64 {
        let text = self.request(Method::GET, "/metrics").send().await.expect("sent").text().await.expect("text");
        text.lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .map(|v| v.parse().expect("a number"))
            .unwrap_or(0.0)
    }

    /// Waits until one sample line of /metrics reaches `at_least` (an event the server counts);
    /// panics if it does not within 10 s.
    pub async fn metric_reaches(&self, line_start: &str, at_least: f64) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let value = self.metric(line_start).await;
            if value >= at_least {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "{line_start} stayed at {value}, below {at_least}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
