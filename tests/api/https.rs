//! Production HTTPS enforcement: plain http is redirected, HSTS is always sent, and
//! X-Forwarded-Proto counts only from TRUSTED_PROXIES.

use cti_server::config::{Config, Settings};
use cti_server::startup::{Application, Backends};
use reqwest::StatusCode;

use crate::helpers::test_settings;

/// A production server (memory adapters; the database URL only satisfies validation).
async fn production(trusted_proxies: Option<&str>) -> (String, tokio_util::sync::CancellationToken) {
    let settings = Settings {
        app_env: Some("production".into()),
        database_url: Some("postgres://unused@127.0.0.1:1/unused".into()),
        internal_api_secret: Some("i".repeat(32)),
        session_secret: Some("s".repeat(32)),
        client_id: Some("id".into()),
        client_secret: Some("secret".into()),
        redirect_uri: Some("https://cti.example.com/auth/dialpad/callback".into()),
        token_encryption_key: Some("00".repeat(32)),
        trusted_proxies: trusted_proxies.map(str::to_owned),
        ..test_settings()
    };
    let config = Config::from_settings(&settings).unwrap();
    let app = Application::build_with(config, Backends::memory()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let stop = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    (base, stop)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test]
async fn plain_http_is_redirected_to_https_with_hsts() {
    let (base, stop) = production(None).await;
    let res = client().post(format!("{base}/internal/apps?x=1")).header("host", "cti.example.com").send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(res.headers()["location"], "https://cti.example.com/internal/apps?x=1");
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    stop.cancel();
}

#[tokio::test]
async fn forwarded_proto_is_believed_only_from_trusted_proxies() {
    let (trusting, stop1) = production(Some("127.0.0.0/8")).await;
    let res = client().get(format!("{trusting}/openapi.json")).header("x-forwarded-proto", "https").send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");

    let (untrusting, stop2) = production(Some("10.0.0.0/8")).await;
    let res = client().get(format!("{untrusting}/openapi.json")).header("x-forwarded-proto", "https").send().await;
    assert_eq!(res.unwrap().status(), StatusCode::PERMANENT_REDIRECT);
    stop1.cancel();
    stop2.cancel();
}

#[tokio::test]
async fn probes_answer_over_http_and_development_does_not_redirect() {
    let (base, stop) = production(None).await;
    for probe in ["/health", "/health/ready", "/metrics"] {
        let res = client().get(format!("{base}{probe}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{probe}");
        assert!(res.headers().contains_key("strict-transport-security"), "{probe}");
    }
    stop.cancel();

    let config = Config::from_settings(&test_settings()).unwrap();
    let app = Application::build_with(config, Backends::memory()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let stop = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    let res = client().get(format!("{base}/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.headers().contains_key("strict-transport-security"));
    stop.cancel();
}
