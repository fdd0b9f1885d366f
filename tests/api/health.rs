//! /health, /health/ready and /metrics.

use std::sync::Arc;
use std::time::Duration;

use cti_server::startup::{Application, Backends};
use reqwest::Method;
use sqlx::postgres::PgPoolOptions;

use crate::helpers::{Backend, TestApp, json_of, test_settings};

#[tokio::test]
async fn health_reports_status_uptime_environment_and_version() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let body = json_of(app.request(Method::GET, "/health").send().await.unwrap(), 200).await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["environment"], "development");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(body["uptime_seconds"].as_f64().is_some_and(|s| s >= 0.0), "{body}");
}

#[tokio::test]
async fn ready_is_200_on_the_embedded_default() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let body = json_of(app.request(Method::GET, "/health/ready").send().await.unwrap(), 200).await;
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn ready_checks_postgres_and_redis_when_configured() {
    let Some(app) = TestApp::spawn(Backend::Real).await else { return };
    let body = json_of(app.request(Method::GET, "/health/ready").send().await.unwrap(), 200).await;
    assert_eq!(body["checks"]["postgres"], "ok", "{body}");
    assert_eq!(body["checks"]["redis"], "ok", "{body}");
}

#[tokio::test]
async fn ready_is_503_naming_the_backend_that_does_not_answer() {
    // A pool towards a port nobody listens on: the probe fails, liveness does not.
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy("postgres://cti@127.0.0.1:1/nowhere")
        .unwrap();
    let config = cti_server::config::Config::from_settings(&test_settings()).unwrap();
    let mut backends = Backends::memory();
    backends.probes = Backends::memory().with_postgres(pool).probes;
    let server = Application::build_with(config, backends).await.unwrap();
    let base = format!("http://127.0.0.1:{}", server.port());
    let stop = server.shutdown_token();
    tokio::spawn(server.run_until_stopped());

    let res = reqwest::get(format!("{base}/health/ready")).await.unwrap();
    let body = json_of(res, 503).await;
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["error"], "Not ready");
    assert!(body["message"].as_str().unwrap().starts_with("postgres:"), "{body}");
    assert_ne!(body["checks"]["postgres"], "ok");
    assert_eq!(reqwest::get(format!("{base}/health")).await.unwrap().status(), 200);
    stop.cancel();
}

#[tokio::test]
async fn redis_down_is_degraded_not_unready() {
    let Some(app) = TestApp::spawn(Backend::Real).await else { return };
    // The instance's Redis probe, towards a port nobody listens on.
    let dead = fred::prelude::Builder::from_config(fred::prelude::Config::from_url("redis://127.0.0.1:1").unwrap())
        .build_pool(1)
        .unwrap();
    let config = cti_server::config::Config::from_settings(&test_settings()).unwrap();
    let mut backends = app.backends.clone();
    backends.probes =
        vec![backends.probes[0].clone(), Arc::new(cti_server::adapters::redis::RedisHealthProbe::new(dead))];
    let server = Application::build_with(config, backends).await.unwrap();
    let base = format!("http://127.0.0.1:{}", server.port());
    let stop = server.shutdown_token();
    tokio::spawn(server.run_until_stopped());

    let body = json_of(reqwest::get(format!("{base}/health/ready")).await.unwrap(), 200).await;
    assert_eq!(body["status"], "degraded", "{body}");
    assert_eq!(body["checks"]["postgres"], "ok");
    assert_ne!(body["checks"]["redis"], "ok");
    assert!(body["message"].as_str().unwrap().starts_with("redis:"), "{body}");
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"backend_up{backend="redis"} 0"#), "{metrics}");
    assert!(metrics.contains(r#"backend_up{backend="postgres"} 1"#), "{metrics}");
    stop.cancel();
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_with_latency_and_memory() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    for _ in 0..3 {
        app.request(Method::GET, "/health").send().await.unwrap();
    }
    app.request(Method::GET, "/no/such/route").send().await.unwrap();
    let res = app.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert!(text.contains(r#"http_requests_total{method="GET",route="/health",status="200"} 3"#), "{text}");
    assert!(text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#), "{text}");
    assert!(
        text.contains(r#"http_request_duration_seconds_bucket{method="GET",route="/health",status="200",le="0.005"}"#)
    );
    assert!(text.contains("process_resident_memory_bytes"), "{text}");
}
