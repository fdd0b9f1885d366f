//! Configuration rules, table-driven. Settings are built by hand (not from the process
//! environment) so the tests do not depend on the machine they run on.

use secrecy::ExposeSecret;

use super::*;

fn defaults() -> Settings {
    Settings::default()
}

/// Settings a production deployment could really use.
fn production() -> Settings {
    Settings {
        app_env: Some("production".into()),
        database_url: Some("postgres://cti:pw@db:5432/cti".into()),
        internal_api_secret: Some("i".repeat(32)),
        session_secret: Some("s".repeat(40)),
        client_id: Some("client".into()),
        client_secret: Some("client-secret".into()),
        redirect_uri: Some("https://cti.example.com/auth/dialpad/callback".into()),
        token_encryption_key: Some("ab".repeat(32)),
        ..defaults()
    }
}

fn problems(settings: &Settings) -> Vec<String> {
    Config::from_settings(settings).expect_err("configuration should be refused").problems
}

#[test]
fn development_starts_with_nothing_set() {
    let config = Config::from_settings(&defaults()).unwrap();
    assert_eq!(config.environment, Environment::Development);
    assert_eq!(config.http.port, 4000);
    assert!(config.database.is_none() && config.redis.is_none());
    assert!(config.internal_api_secret.generated);
    assert_eq!(config.internal_api_secret.value.expose_secret().len(), 64);
    assert!(config.token_encryption_key.generated);
    assert_eq!(config.log.format, LogFormat::Pretty);
    assert!(config.run_migrations);
}

#[test]
fn production_with_nothing_set_names_every_missing_variable_at_once() {
    let settings = Settings { app_env: Some("production".into()), ..defaults() };
    let found = problems(&settings);
    for variable in [
        "DATABASE_URL",
        "INTERNAL_API_SECRET",
        "SESSION_SECRET",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "REDIRECT_URI",
        "TOKEN_ENCRYPTION_KEY",
    ] {
        assert!(found.iter().any(|p| p.starts_with(variable)), "{variable} not reported in {found:?}");
    }
}

#[test]
fn a_complete_production_configuration_is_accepted() {
    let config = Config::from_settings(&production()).unwrap();
    assert_eq!(config.environment, Environment::Production);
    assert!(!config.internal_api_secret.generated && !config.token_encryption_key.generated);
    assert_eq!(config.log.format, LogFormat::Json);
    assert_eq!(config.dialpad.base_url, "https://dialpad.com");
    assert_eq!(config.dialpad.public_url, None, "the redirect URI's origin is used");
    assert!(!config.console, "no console in production unless asked for");
    let with_console = Settings { console_enabled: Some("true".into()), ..production() };
    assert!(Config::from_settings(&with_console).unwrap().console);
    assert!(Config::from_settings(&defaults()).unwrap().console, "on in development");
    assert!(config.dialpad.call_states.contains(&"ringing".to_owned()));
    let moved = Settings {
        public_url: Some("https://hooks.example.com/".into()),
        dialpad_call_states: "ringing,hangup missed".into(),
        ..production()
    };
    let config = Config::from_settings(&moved).unwrap();
    assert_eq!(config.dialpad.public_url.as_deref(), Some("https://hooks.example.com"));
    assert_eq!(config.dialpad.call_states, ["ringing", "hangup", "missed"]);
}

#[test]
fn production_rules_are_enforced() {
    let cases: Vec<(&str, Settings)> = vec![
        ("INTERNAL_API_SECRET", Settings { internal_api_secret: Some("short".into()), ..production() }),
        ("SESSION_SECRET", Settings { session_secret: Some("x".repeat(31)), ..production() }),
        ("REDIRECT_URI", Settings { redirect_uri: Some("http://cti.example.com/cb".into()), ..production() }),
        (
            "DIALPAD_PROD_REDIRECT_URI",
            Settings { dialpad_prod_redirect_uri: Some("http://cti.example.com/cb".into()), ..production() },
        ),
        (
            "DIALPAD_SANDBOX_REDIRECT_URI",
            Settings { dialpad_sandbox_redirect_uri: Some("https://x.example.com/cb#frag".into()), ..production() },
        ),
        ("TOKEN_ENCRYPTION_KEY", Settings { token_encryption_key: Some("abcd".into()), ..production() }),
        ("DATABASE_URL", Settings { database_url: Some("mysql://db/x".into()), ..production() }),
        ("PORT", Settings { port: "70000".into(), ..production() }),
        ("TRUSTED_PROXIES", Settings { trusted_proxies: Some("10.0.0.0/8,nope".into()), ..production() }),
        ("LOG_FORMAT", Settings { log_format: Some("xml".into()), ..production() }),
        ("APP_ENV", Settings { app_env: Some("prodution".into()), ..production() }),
        ("CONSOLE_ENABLED", Settings { console_enabled: Some("yes please".into()), ..production() }),
        ("PUBLIC_URL", Settings { public_url: Some("http://cti.example.com".into()), ..production() }),
        ("PUBLIC_URL", Settings { public_url: Some("https://cti.example.com/cti".into()), ..production() }),
        ("DIALPAD_CALL_STATES", Settings { dialpad_call_states: " , ".into(), ..production() }),
        ("DIALPAD_CALL_STATES", Settings { dialpad_call_states: "ringing Hangup!".into(), ..production() }),
    ];
    for (variable, settings) in cases {
        let found = problems(&settings);
        assert_eq!(found.len(), 1, "case {variable}: {found:?}");
        assert!(found[0].starts_with(variable), "case {variable}: {found:?}");
    }
}

#[test]
fn sandbox_requires_variables_but_not_production_lengths() {
    let settings =
        Settings { app_env: Some("sandbox".into()), internal_api_secret: Some("short".into()), ..production() };
    let config = Config::from_settings(&settings).unwrap();
    assert_eq!(config.environment, Environment::Sandbox);
    assert_eq!(config.dialpad.base_url, "https://sandbox.dialpad.com");
    let missing = Settings { app_env: Some("sandbox".into()), session_secret: None, ..production() };
    assert_eq!(problems(&missing), vec!["SESSION_SECRET: missing".to_owned()]);
}

#[test]
fn node_env_is_an_alias_and_app_env_wins() {
    let node = Settings { app_env: None, node_env: Some("production".into()), ..production() };
    assert_eq!(Config::from_settings(&node).unwrap().environment, Environment::Production);
    let test = Settings { node_env: Some("test".into()), ..defaults() };
    assert_eq!(Config::from_settings(&test).unwrap().environment, Environment::Development);
    let both = Settings { app_env: Some("development".into()), node_env: Some("production".into()), ..defaults() };
    assert_eq!(Config::from_settings(&both).unwrap().environment, Environment::Development);
}

#[test]
fn db_parts_select_postgres_and_must_come_together() {
    let parts =
        Settings { db_host: Some("db".into()), db_user: Some("u".into()), db_name: Some("n".into()), ..defaults() };
    let config = Config::from_settings(&parts).unwrap();
    assert!(matches!(
        config.database.unwrap().target,
        DatabaseTarget::Parts { ref host, port: 5432, .. } if host == "db"
    ));
    let partial = Settings { db_host: Some("db".into()), ..defaults() };
    let found = problems(&partial);
    assert!(found.iter().any(|p| p.starts_with("DB_USER")) && found.iter().any(|p| p.starts_with("DB_NAME")));
}

#[test]
fn secret_values_never_appear_in_the_error() {
    let settings = Settings {
        internal_api_secret: Some("hunter2-internal".into()),
        session_secret: Some("hunter2-session".into()),
        database_url: Some("mysql://user:hunter2-db@host/db".into()),
        token_encryption_key: Some("hunter2-key".into()),
        ..production()
    };
    let message = Config::from_settings(&settings).unwrap_err().to_string();
    assert!(!message.contains("hunter2"), "{message}");
}

#[test]
fn trusted_proxies_accept_addresses_and_networks() {
    let settings = Settings { trusted_proxies: Some("10.0.0.0/8, 127.0.0.1 ,::1".into()), ..defaults() };
    let proxies = Config::from_settings(&settings).unwrap().http.trusted_proxies;
    assert_eq!(proxies.len(), 3);
    assert!(proxies[1].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap()));
}
