//! The binary as an operator runs it: configuration errors, --help, check, migrate, and a
//! clean exit on SIGTERM.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::infra::Infra;

const BIN: &str = env!("CARGO_BIN_EXE_cti-server");

/// An empty working directory, so no `.env` is picked up.
fn empty_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cti-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN).args(args).env_clear().envs(env.iter().copied()).current_dir(empty_dir()).output().unwrap()
}

#[test]
fn production_with_nothing_set_exits_non_zero_naming_every_missing_variable() {
    let out = run(&[], &[("APP_ENV", "production")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for variable in [
        "DATABASE_URL",
        "INTERNAL_API_SECRET",
        "SESSION_SECRET",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "REDIRECT_URI",
        "TOKEN_ENCRYPTION_KEY",
    ] {
        assert!(stderr.contains(variable), "{variable} not named in: {stderr}");
    }
    assert_eq!(stderr.matches("invalid configuration").count(), 1, "one message: {stderr}");
}

#[test]
fn node_env_production_is_strict_too() {
    let out = run(&["check"], &[("NODE_ENV", "production")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("APP_ENV=production"));
}

#[test]
fn help_lists_every_variable_and_hides_secret_values() {
    let out =
        run(&["--help"], &[("INTERNAL_API_SECRET", "do-not-print-me"), ("DATABASE_URL", "postgres://u:pw-xyz@h/d")]);
    assert!(out.status.success());
    // Help is wrapped to the terminal width: compare with whitespace folded.
    let help = String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    for variable in [
        "APP_ENV",
        "NODE_ENV",
        "PORT",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "DATABASE_URL",
        "DB_HOST",
        "DB_PORT",
        "DB_USER",
        "DB_PASSWORD",
        "DB_NAME",
        "REDIS_URL",
        "INTERNAL_API_SECRET",
        "SESSION_SECRET",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "REDIRECT_URI",
        "DIALPAD_SANDBOX_REDIRECT_URI",
        "DIALPAD_PROD_REDIRECT_URI",
        "DIALPAD_SCOPES",
        "DIALPAD_WEBHOOK_SECRET",
        "TOKEN_ENCRYPTION_KEY",
        "TRUSTED_PROXIES",
        "DIALPAD_BASE_URL",
        "RATE_LIMIT_APP_PER_MINUTE",
        "RATE_LIMIT_APP_BURST",
        "RATE_LIMIT_AUTH_FAILURES_PER_MINUTE",
        "RATE_LIMIT_OAUTH_FAILURES_PER_15_MINUTES",
        "DIALPAD_CONNECT_WITHOUT_TICKET",
        "RATE_LIMIT_INTERNAL_PER_MINUTE",
    ] {
        assert!(help.contains(&format!("env: {variable}")), "{variable} missing from --help");
    }
    assert!(help.contains("[default: 4000]"));
    assert!(!help.contains("do-not-print-me") && !help.contains("pw-xyz"), "a secret value is shown");
}

#[test]
fn check_succeeds_on_the_embedded_default_and_migrate_needs_a_database() {
    let out = run(&["check"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("database: none configured"));

    let out = run(&["migrate"], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database configured"));
}

#[test]
fn check_fails_when_the_database_does_not_answer() {
    let out = run(&["check"], &[("DATABASE_URL", "postgres://cti:secret-pw@127.0.0.1:1/none")]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("database: FAILED"), "{stdout}");
    assert!(!stdout.contains("secret-pw"), "the password is printed: {stdout}");
}

#[test]
fn check_fails_when_redis_does_not_answer() {
    let out = run(&["check"], &[("REDIS_URL", "redis://:secret-pw@127.0.0.1:1")]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("redis: FAILED"), "{stdout}");
    assert!(!stdout.contains("secret-pw"), "the password is printed: {stdout}");
}

#[tokio::test]
async fn migrate_then_check_reports_a_connected_up_to_date_database_and_redis() {
    let Some(infra) = Infra::create().await else { return };
    let (db, redis) = (infra.db.url.clone(), infra.redis.url.clone());
    let (migrate, check) = tokio::task::spawn_blocking(move || {
        let env = [("DATABASE_URL", db.as_str()), ("REDIS_URL", redis.as_str())];
        (run(&["migrate"], &env), run(&["check"], &env))
    })
    .await
    .unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{stdout}");
    assert!(stdout.contains("0 pending migration") && stdout.contains("redis: connected"), "{stdout}");
}

#[tokio::test]
async fn serve_answers_health_and_exits_zero_on_sigterm() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(BIN)
        .env_clear()
        .envs([("PORT", port.to_string()), ("HOST", "127.0.0.1".into()), ("LOG_FORMAT", "json".into())])
        .current_dir(empty_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/health");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(Instant::now() < deadline, "server did not answer /health");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "exit status {status:?}");
}
