//! Typed configuration, loaded once at startup from the environment (and `.env` when
//! present) with the old Node server's variable names. [`Config::from_settings`] checks
//! everything, cross-field rules included, and reports every problem in one message.
//! Secrets are wrapped so they never reach a log line or a Debug print.

mod settings;
mod validate;

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use secrecy::SecretString;
pub use settings::Settings;

/// Where the server runs. Decides how strict configuration is and whether HTTPS is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Sandbox,
    Production,
}

impl Environment {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Sandbox => "sandbox",
            Self::Production => "production",
        }
    }

    /// Sandbox and production are deployed environments: every required variable must be set.
    pub fn is_deployed(&self) -> bool {
        !matches!(self, Self::Development)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub http: HttpConfig,
    pub log: LogConfig,
    /// `None`: in-memory storage (development only).
    pub database: Option<DatabaseConfig>,
    /// `None`: in-process bus, invalidation and sessions (one instance only).
    pub redis: Option<RedisConfig>,
    pub internal_api_secret: InternalSecret,
    /// SESSION_SECRET (generated for this run in development when unset).
    pub session_secret: SecretString,
    pub dialpad: DialpadConfig,
    pub token_encryption_key: EncryptionKey,
    pub run_migrations: bool,
    /// Serve the live console at /console (CONSOLE_ENABLED; off in production by default).
    pub console: bool,
    pub api_keys: ApiKeyConfig,
    /// Largest webhook body accepted.
    pub webhook_max_body_bytes: usize,
    pub streams: StreamConfig,
    pub rate_limits: RateLimitConfig,
}

/// Request rate limits; `None`: that limit is off.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub per_app: Option<crate::domain::rate_limit::Quota>,
    pub auth_failures: Option<crate::domain::rate_limit::Quota>,
    /// Failed OAuth attempts per client address (/auth/dialpad/*).
    pub oauth_failures: Option<crate::domain::rate_limit::Quota>,
    /// Admin API requests per client address.
    pub internal_per_client: Option<crate::domain::rate_limit::Quota>,
}

/// The WebSocket streams.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// `None`: any origin.
    pub allowed_origins: Option<Vec<String>>,
    pub ping_interval: Duration,
    pub replay_limit: u32,
    pub send_queue_size: usize,
}

/// The API key cache and verification bounds.
#[derive(Debug, Clone)]
pub struct ApiKeyConfig {
    pub cache_ttl: Duration,
    pub failure_cache_ttl: Duration,
    pub max_concurrent_verifications: usize,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub host: IpAddr,
    pub port: u16,
    /// Proxies whose forwarding headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// How long in-flight requests may run on after a shutdown signal.
    pub shutdown_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    /// A tracing `EnvFilter` directive string, validated.
    pub filter: String,
    pub format: LogFormat,
}

/// How to reach PostgreSQL.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub target: DatabaseTarget,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub enum DatabaseTarget {
    /// DATABASE_URL, kept secret because it may embed a password.
    Url(SecretString),
    /// DB_HOST / DB_PORT / DB_USER / DB_PASSWORD / DB_NAME.
    Parts { host: String, port: u16, user: String, password: Option<SecretString>, name: String },
}

#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// The URL may embed a password.
    pub url: SecretString,
    pub key_prefix: String,
}

/// The bearer token of the admin API, and whether it was generated for this run.
#[derive(Debug, Clone)]
pub struct InternalSecret {
    pub value: SecretString,
    pub generated: bool,
}

#[derive(Debug, Clone, Default)]
pub struct DialpadConfig {
    /// The OAuth client; `None` (development without CLIENT_ID and CLIENT_SECRET): apps
    /// cannot connect their Dialpad accounts.
    pub oauth: Option<OAuthClientConfig>,
    /// OAuth scopes asked for (DIALPAD_SCOPES).
    pub scopes: Vec<String>,
    pub base_url: String,
    /// Accept the old server's connect form without a ticket.
    pub connect_without_ticket: bool,
    /// PUBLIC_URL: where Dialpad reaches this server; `None`: the redirect URI's origin.
    pub public_url: Option<String>,
    /// The call states provisioned subscriptions ask for (DIALPAD_CALL_STATES).
    pub call_states: Vec<String>,
    /// Secret of the legacy global webhook route; `None` disables that route.
    pub webhook_secret: Option<SecretString>,
}

/// This server as a Dialpad OAuth client.
#[derive(Debug, Clone)]
pub struct OAuthClientConfig {
    pub client_id: String,
    pub client_secret: SecretString,
    /// The redirect URI for this environment (DIALPAD_SANDBOX_REDIRECT_URI in sandbox,
    /// DIALPAD_PROD_REDIRECT_URI in production, when set; else REDIRECT_URI), as configured.
    pub redirect_uri: String,
}

impl OAuthClientConfig {
    /// The origin (scheme, host, port) of the redirect URI: where browsers reach this server.
    pub fn public_origin(&self) -> String {
        url::Url::parse(&self.redirect_uri).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
    }
}

/// The AES-256 key for secrets at rest, and whether it was generated for this run (then
/// anything it encrypts is unreadable after a restart).
#[derive(Clone)]
pub struct EncryptionKey {
    pub bytes: std::sync::Arc<secrecy::SecretBox<[u8; 32]>>,
    pub generated: bool,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey").field("bytes", &"[REDACTED]").field("generated", &self.generated).finish()
    }
}

/// Every problem found in the configuration, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub environment: Environment,
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "invalid configuration for APP_ENV={} ({} problem{}):",
            self.environment,
            self.problems.len(),
            if self.problems.len() == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        write!(f, "Run `cti-server --help` for every variable and its meaning.")
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Validates raw settings into a configuration, or names every problem at once.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        validate::validate(settings)
    }
}
