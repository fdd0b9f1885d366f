//! Settings -> Config. Every check pushes a problem naming the variable and goes on, so one
//! start-up attempt reports everything that is wrong.

use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use ipnet::IpNet;
use rand::RngCore;
use secrecy::{SecretBox, SecretString};

use super::{
    ApiKeyConfig, Config, ConfigError, DatabaseConfig, DatabaseTarget, DialpadConfig, EncryptionKey, Environment,
    HttpConfig, InternalSecret, LogConfig, LogFormat, OAuthClientConfig, RateLimitConfig, RedisConfig, Settings,
    StreamConfig,
};
use crate::domain::rate_limit::Quota;

/// The shortest INTERNAL_API_SECRET and SESSION_SECRET production accepts.
const MIN_PRODUCTION_SECRET_CHARS: usize = 32;

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, variable: &str, problem: impl AsRef<str>) {
        self.0.push(format!("{variable}: {}", problem.as_ref()));
    }
}

/// A setting's value, with empty or blank strings treated as absent.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub(super) fn validate(s: &Settings) -> Result<Config, ConfigError> {
    let mut problems = Problems::default();
    let environment = environment(s, &mut problems);
    let deployed = environment.is_deployed();
    let production = environment == Environment::Production;

    let http = HttpConfig {
        host: parse_host(&s.host, &mut problems),
        port: parse_number(&s.port, "PORT", 0..=u16::MAX, &mut problems).unwrap_or(4000),
        trusted_proxies: trusted_proxies(s, &mut problems),
        shutdown_timeout: Duration::from_secs(
            parse_number(&s.shutdown_timeout_seconds, "SHUTDOWN_TIMEOUT_SECONDS", 0..=3600, &mut problems)
                .unwrap_or(25),
        ),
    };
    let log = log_config(s, environment, &mut problems);
    let database = database(s, &mut problems);
    if deployed && database.is_none() && !problems.0.iter().any(|p| p.starts_with("DB_")) {
        problems.push(
            "DATABASE_URL",
            format!("missing; {environment} needs PostgreSQL (set DATABASE_URL, or DB_HOST, DB_USER and DB_NAME)"),
        );
    }
    let redis = redis(s, &mut problems);

    let internal_api_secret = match present(&s.internal_api_secret) {
        Some(value) => {
            check_secret_length("INTERNAL_API_SECRET", value, production, &mut problems);
            InternalSecret { value: SecretString::from(value.to_owned()), generated: false }
        }
        None if deployed => {
            problems.push("INTERNAL_API_SECRET", "missing");
            InternalSecret { value: SecretString::from(String::new()), generated: false }
        }
        None => InternalSecret { value: SecretString::from(hex::encode(random_bytes())), generated: true },
    };
    let session_secret = match present(&s.session_secret) {
        Some(value) => {
            check_secret_length("SESSION_SECRET", value, production, &mut problems);
            SecretString::from(value.to_owned())
        }
        None => {
            if deployed {
                problems.push("SESSION_SECRET", "missing");
            }
            SecretString::from(hex::encode(random_bytes()))
        }
    };
    let dialpad = dialpad(s, environment, http.port, &mut problems);
    let token_encryption_key = encryption_key(s, deployed, &mut problems);
    let run_migrations = parse_bool(&s.run_migrations, "RUN_MIGRATIONS", &mut problems);
    let console = match &s.console_enabled {
        Some(raw) => parse_bool(raw, "CONSOLE_ENABLED", &mut problems),
        None => environment != Environment::Production,
    };
    let api_keys = api_key_config(s, &mut problems);
    let webhook_max_body_bytes =
        parse_number(&s.webhook_max_body_bytes, "WEBHOOK_MAX_BODY_BYTES", 1024..=64 * 1024 * 1024, &mut problems)
            .unwrap_or(1 << 20);
    let streams = stream_config(s, &mut problems);
    let rate_limits = rate_limit_config(s, &mut problems);

    if !problems.0.is_empty() {
        return Err(ConfigError { environment, problems: problems.0 });
    }
    Ok(Config {
        environment,
        http,
        log,
        database,
        redis,
        internal_api_secret,
        session_secret,
        dialpad,
        token_encryption_key,
        run_migrations,
        console,
        api_keys,
        webhook_max_body_bytes,
        streams,
        rate_limits,
    })
}

fn rate_limit_config(s: &Settings, problems: &mut Problems) -> RateLimitConfig {
    let per_minute = |raw: &str, variable: &str, problems: &mut Problems| {
        // At most one request a microsecond: the limiters keep time in microseconds.
        parse_number(raw, variable, 0..=60_000_000, problems).unwrap_or(0)
    };
    let app = per_minute(&s.rate_limit_app_per_minute, "RATE_LIMIT_APP_PER_MINUTE", problems);
    let burst = parse_number(&s.rate_limit_app_burst, "RATE_LIMIT_APP_BURST", 1..=1_000_000, problems).unwrap_or(1);
    let failures = per_minute(&s.rate_limit_auth_failures_per_minute, "RATE_LIMIT_AUTH_FAILURES_PER_MINUTE", problems);
    let oauth_failures = parse_number(
        &s.rate_limit_oauth_failures_per_15_minutes,
        "RATE_LIMIT_OAUTH_FAILURES_PER_15_MINUTES",
        0..=1_000_000,
        problems,
    )
    .unwrap_or(0);
    RateLimitConfig {
        per_app: Quota::per_minute(app, burst),
        // The whole minute's allowance at once: a few mistakes in a row are never refused.
        auth_failures: Quota::per_minute(failures, failures),
        oauth_failures: Quota::per_period(oauth_failures, Duration::from_secs(15 * 60)),
        internal_per_client: {
            let n = per_minute(&s.rate_limit_internal_per_minute, "RATE_LIMIT_INTERNAL_PER_MINUTE", problems);
            Quota::per_minute(n, n)
        },
    }
}

fn stream_config(s: &Settings, problems: &mut Problems) -> StreamConfig {
    let allowed_origins = present(&s.allowed_origins).map(|raw| {
        let origins: Vec<String> =
            raw.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect();
        for origin in &origins {
            let valid = url::Url::parse(origin)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.path() == "/");
            if !valid {
                problems.push("ALLOWED_ORIGINS", format!("{origin:?} is not an origin like https://app.example.com"));
            }
        }
        origins
    });
    StreamConfig {
        allowed_origins,
        ping_interval: Duration::from_secs(
            parse_number(&s.ws_ping_interval_seconds, "WS_PING_INTERVAL_SECONDS", 1..=3600, problems).unwrap_or(25),
        ),
        replay_limit: parse_number(&s.ws_replay_limit, "WS_REPLAY_LIMIT", 0..=100_000, problems).unwrap_or(1000),
        send_queue_size: parse_number(&s.ws_send_queue_size, "WS_SEND_QUEUE_SIZE", 1..=65_536, problems).unwrap_or(256),
    }
}

fn api_key_config(s: &Settings, problems: &mut Problems) -> ApiKeyConfig {
    let seconds = |raw: &str, variable: &str, problems: &mut Problems| {
        Duration::from_secs(parse_number(raw, variable, 1..=86_400, problems).unwrap_or(1))
    };
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    ApiKeyConfig {
        cache_ttl: seconds(&s.api_key_cache_ttl_seconds, "API_KEY_CACHE_TTL_SECONDS", problems),
        failure_cache_ttl: seconds(&s.api_key_failure_cache_ttl_seconds, "API_KEY_FAILURE_CACHE_TTL_SECONDS", problems),
        max_concurrent_verifications: match present(&s.api_key_max_concurrent_verifications) {
            Some(raw) => parse_number(raw, "API_KEY_MAX_CONCURRENT_VERIFICATIONS", 1..=1024, problems).unwrap_or(cpus),
            None => cpus,
        },
    }
}

fn environment(s: &Settings, problems: &mut Problems) -> Environment {
    let (variable, value) = match (present(&s.app_env), present(&s.node_env)) {
        (Some(v), _) => ("APP_ENV", v),
        (None, Some(v)) => ("NODE_ENV", v),
        (None, None) => return Environment::Development,
    };
    match value.to_ascii_lowercase().as_str() {
        "development" | "dev" | "test" => Environment::Development,
        "sandbox" => Environment::Sandbox,
        "production" | "prod" => Environment::Production,
        other => {
            problems.push(variable, format!("{other:?} is not one of development, sandbox, production"));
            // Judge the rest as strictly as production would, so nothing is hidden.
            Environment::Production
        }
    }
}

fn parse_host(raw: &str, problems: &mut Problems) -> IpAddr {
    match raw.trim() {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        other => other.parse().unwrap_or_else(|_| {
            problems.push("HOST", format!("{other:?} is not an IP address"));
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        }),
    }
}

fn parse_number<T>(raw: &str, variable: &str, range: std::ops::RangeInclusive<T>, problems: &mut Problems) -> Option<T>
where
    T: FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match raw.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Some(n),
        _ => {
            problems.push(variable, format!("{raw:?} is not a whole number from {} to {}", range.start(), range.end()));
            None
        }
    }
}

fn parse_bool(raw: &str, variable: &str, problems: &mut Problems) -> bool {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => true,
        "false" | "0" | "no" | "off" => false,
        _ => {
            problems.push(variable, format!("{raw:?} is not true or false"));
            true
        }
    }
}

fn log_config(s: &Settings, environment: Environment, problems: &mut Problems) -> LogConfig {
    let filter = s.log_level.trim().to_owned();
    if tracing_subscriber::EnvFilter::try_new(&filter).is_err() {
        problems.push("LOG_LEVEL", format!("{filter:?} is not a level or tracing filter"));
    }
    let format = match present(&s.log_format).map(str::to_ascii_lowercase).as_deref() {
        None if environment == Environment::Development => LogFormat::Pretty,
        None | Some("json") => LogFormat::Json,
        Some("pretty") | Some("text") => LogFormat::Pretty,
        Some(other) => {
            problems.push("LOG_FORMAT", format!("{other:?} is not json or pretty"));
            LogFormat::Json
        }
    };
    LogConfig { filter, format }
}

fn database(s: &Settings, problems: &mut Problems) -> Option<DatabaseConfig> {
    let max_connections = parse_number(&s.db_max_connections, "DB_MAX_CONNECTIONS", 1..=1000, problems).unwrap_or(20);
    if let Some(url) = present(&s.database_url) {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            // The value may hold a password: name the problem, never echo it.
            problems.push("DATABASE_URL", "must start with postgres:// or postgresql://");
        }
        return Some(DatabaseConfig {
            target: DatabaseTarget::Url(SecretString::from(url.to_owned())),
            max_connections,
        });
    }
    let host = present(&s.db_host);
    let user = present(&s.db_user);
    let name = present(&s.db_name);
    if host.is_none() && user.is_none() && name.is_none() {
        return None;
    }
    for (variable, value) in [("DB_HOST", host), ("DB_USER", user), ("DB_NAME", name)] {
        if value.is_none() {
            problems.push(variable, "missing (DB_HOST, DB_USER and DB_NAME go together)");
        }
    }
    let port = parse_number(&s.db_port, "DB_PORT", 1..=u16::MAX, problems).unwrap_or(5432);
    Some(DatabaseConfig {
        target: DatabaseTarget::Parts {
            host: host.unwrap_or_default().to_owned(),
            port,
            user: user.unwrap_or_default().to_owned(),
            password: present(&s.db_password).map(|p| SecretString::from(p.to_owned())),
            name: name.unwrap_or_default().to_owned(),
        },
        max_connections,
    })
}

fn redis(s: &Settings, problems: &mut Problems) -> Option<RedisConfig> {
    let url = present(&s.redis_url)?;
    const SCHEMES: [&str; 7] =
        ["redis://", "rediss://", "redis+unix://", "redis-cluster://", "redis-sentinel://", "valkey://", "valkeys://"];
    if !SCHEMES.iter().any(|scheme| url.starts_with(scheme)) {
        problems.push("REDIS_URL", "must start with redis://, rediss:// or another Redis scheme");
    }
    let key_prefix = s.redis_key_prefix.trim().to_owned();
    if key_prefix.chars().any(char::is_whitespace) {
        problems.push("REDIS_KEY_PREFIX", "must not contain whitespace");
    }
    Some(RedisConfig { url: SecretString::from(url.to_owned()), key_prefix })
}

fn check_secret_length(variable: &str, value: &str, production: bool, problems: &mut Problems) {
    let chars = value.chars().count();
    if production && chars < MIN_PRODUCTION_SECRET_CHARS {
        problems.push(
            variable,
            format!("must be at least {MIN_PRODUCTION_SECRET_CHARS} characters in production (has {chars})"),
        );
    }
}

fn trusted_proxies(s: &Settings, problems: &mut Problems) -> Vec<IpNet> {
    let Some(raw) = present(&s.trusted_proxies) else { return Vec::new() };
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            let parsed = entry.parse::<IpNet>().or_else(|_| entry.parse::<IpAddr>().map(IpNet::from));
            parsed.map_err(|_| problems.push("TRUSTED_PROXIES", format!("{entry:?} is not an IP address or CIDR"))).ok()
        })
        .collect()
}

fn dialpad(s: &Settings, environment: Environment, port: u16, problems: &mut Problems) -> DialpadConfig {
    let deployed = environment.is_deployed();
    let production = environment == Environment::Production;
    let client_id = present(&s.client_id).map(str::to_owned);
    let client_secret = present(&s.client_secret).map(|v| SecretString::from(v.to_owned()));
    if deployed {
        if client_id.is_none() {
            problems.push("CLIENT_ID", "missing");
        }
        if client_secret.is_none() {
            problems.push("CLIENT_SECRET", "missing");
        }
        if present(&s.redirect_uri).is_none() {
            problems.push("REDIRECT_URI", "missing");
        }
    }
    let mut uri = |variable: &str, value: &Option<String>| {
        let value = present(value)?;
        if let Err(problem) = check_redirect_uri(value, production) {
            problems.push(variable, problem);
        }
        Some(value.to_owned())
    };
    let redirect_uri = uri("REDIRECT_URI", &s.redirect_uri);
    let sandbox_redirect_uri = uri("DIALPAD_SANDBOX_REDIRECT_URI", &s.dialpad_sandbox_redirect_uri);
    let prod_redirect_uri = uri("DIALPAD_PROD_REDIRECT_URI", &s.dialpad_prod_redirect_uri);
    let redirect_uri = match environment {
        Environment::Sandbox => sandbox_redirect_uri.or(redirect_uri),
        Environment::Production => prod_redirect_uri.or(redirect_uri),
        Environment::Development => {
            Some(redirect_uri.unwrap_or_else(|| format!("http://localhost:{port}/auth/dialpad/callback")))
        }
    };
    if client_id.is_some() != client_secret.is_some() {
        let (set, unset) =
            if client_id.is_some() { ("CLIENT_ID", "CLIENT_SECRET") } else { ("CLIENT_SECRET", "CLIENT_ID") };
        problems.push(unset, format!("missing ({set} is set; the two go together)"));
    }
    let oauth = match (client_id, client_secret, redirect_uri) {
        (Some(client_id), Some(client_secret), Some(redirect_uri)) => {
            Some(OAuthClientConfig { client_id, client_secret, redirect_uri })
        }
        _ => None,
    };
    let scopes: Vec<String> = s.dialpad_scopes.split([' ', ',']).filter(|x| !x.is_empty()).map(str::to_owned).collect();
    if scopes.iter().any(|scope| !scope.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')) {
        problems.push("DIALPAD_SCOPES", "scopes are printable ASCII without quotes or backslashes");
    }

    let base_url = match present(&s.dialpad_base_url) {
        Some(url) => {
            if !matches!(url::Url::parse(url), Ok(u) if u.scheme() == "https" || u.scheme() == "http") {
                problems.push("DIALPAD_BASE_URL", format!("{url:?} is not an http(s) URL"));
            }
            url.trim_end_matches('/').to_owned()
        }
        None if production => "https://dialpad.com".to_owned(),
        None => "https://sandbox.dialpad.com".to_owned(),
    };
    let public_url = present(&s.public_url).map(|raw| {
        let url = raw.trim_end_matches('/');
        match url::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.path() == "/" => {}
            _ => problems.push("PUBLIC_URL", format!("{url:?} is not an origin like https://cti.example.com")),
        }
        if production && !url.starts_with("https://") {
            problems.push("PUBLIC_URL", "must be https in production");
        }
        url.to_owned()
    });
    let call_states: Vec<String> =
        s.dialpad_call_states.split([' ', ',']).filter(|x| !x.is_empty()).map(str::to_owned).collect();
    if call_states.is_empty() || call_states.iter().any(|st| !st.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')) {
        problems.push("DIALPAD_CALL_STATES", "list Dialpad call states, e.g. \"ringing connected hangup\"");
    }
    DialpadConfig {
        oauth,
        scopes,
        public_url,
        call_states,
        base_url,
        connect_without_ticket: parse_bool(
            &s.dialpad_connect_without_ticket,
            "DIALPAD_CONNECT_WITHOUT_TICKET",
            problems,
        ),
        webhook_secret: present(&s.dialpad_webhook_secret).map(|v| SecretString::from(v.to_owned())),
    }
}

/// A redirect URI must be absolute, without a fragment (Dialpad refuses one), and https in
/// production.
fn check_redirect_uri(value: &str, production: bool) -> Result<(), String> {
    let url = url::Url::parse(value).map_err(|_| format!("{value:?} is not an absolute URL"))?;
    if url.fragment().is_some() {
        return Err("must not contain a #fragment".to_owned());
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if !production => Ok(()),
        "http" => Err("must be https in production".to_owned()),
        other => Err(format!("scheme {other:?} is not http or https")),
    }
}

fn encryption_key(s: &Settings, deployed: bool, problems: &mut Problems) -> EncryptionKey {
    let Some(raw) = present(&s.token_encryption_key) else {
        if deployed {
            problems.push("TOKEN_ENCRYPTION_KEY", "missing (32 bytes as 64 hex characters or base64)");
        }
        return EncryptionKey { bytes: std::sync::Arc::new(SecretBox::new(Box::new(random_bytes()))), generated: true };
    };
    let decoded = hex::decode(raw)
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(raw).ok())
        .or_else(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).ok());
    match decoded.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok()) {
        Some(bytes) => EncryptionKey { bytes: std::sync::Arc::new(SecretBox::new(Box::new(bytes))), generated: false },
        None => {
            problems.push("TOKEN_ENCRYPTION_KEY", "must be 32 bytes as 64 hex characters or base64");
            EncryptionKey { bytes: std::sync::Arc::new(SecretBox::new(Box::new([0; 32]))), generated: false }
        }
    }
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests;
