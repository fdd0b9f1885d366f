//! The raw settings, as the environment (or a flag) gives them: every variable the old
//! Node server read keeps its name. Values stay strings here so that validation can report
//! every problem at once instead of stopping at the first unparsable one.

use clap::Args;

const DEFAULT_HOST: &str = "0.0.0.0";
const DEFAULT_PORT: &str = "4000";
const DEFAULT_LOG_LEVEL: &str = "info";
const DEFAULT_DB_PORT: &str = "5432";
const DEFAULT_DB_MAX_CONNECTIONS: &str = "20";
const DEFAULT_REDIS_KEY_PREFIX: &str = "cti:";
const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS: &str = "25";
const DEFAULT_RUN_MIGRATIONS: &str = "true";
const DEFAULT_API_KEY_CACHE_TTL_SECONDS: &str = "300";
const DEFAULT_WEBHOOK_MAX_BODY_BYTES: &str = "1048576";
const DEFAULT_API_KEY_FAILURE_CACHE_TTL_SECONDS: &str = "30";
const DEFAULT_WS_PING_INTERVAL_SECONDS: &str = "25";
const DEFAULT_WS_REPLAY_LIMIT: &str = "1000";
const DEFAULT_WS_SEND_QUEUE_SIZE: &str = "256";
const DEFAULT_RATE_LIMIT_APP_PER_MINUTE: &str = "6000";
const DEFAULT_RATE_LIMIT_APP_BURST: &str = "200";
const DEFAULT_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: &str = "30";
const DEFAULT_RATE_LIMIT_OAUTH_FAILURES_PER_15_MINUTES: &str = "10";
const DEFAULT_RATE_LIMIT_INTERNAL_PER_MINUTE: &str = "100";
const DEFAULT_DIALPAD_SCOPES: &str = "calls:list recordings_export offline_access";
const DEFAULT_DIALPAD_CONNECT_WITHOUT_TICKET: &str = "false";
const DEFAULT_DIALPAD_CALL_STATES: &str = "calling ringing queued connected hold merged hangup missed voicemail voicemail_uploaded recording call_transcription";

/// Every configuration variable. `--help` prints this list with meanings and defaults;
/// secret values are never shown there.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Configuration (environment variables; a flag of the same name overrides)")]
pub struct Settings {
    /// Deployment environment: development (default), sandbox or production. Sandbox and
    /// production refuse to start unless every required variable is present and valid.
    #[arg(long, env = "APP_ENV", global = true, value_name = "ENV")]
    pub app_env: Option<String>,

    /// Alias of APP_ENV, read when APP_ENV is not set (the old server's name); "test" means development.
    #[arg(long, env = "NODE_ENV", global = true, value_name = "ENV")]
    pub node_env: Option<String>,

    /// Address to bind.
    #[arg(long, env = "HOST", global = true, default_value = DEFAULT_HOST)]
    pub host: String,

    /// TCP port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", global = true, default_value = DEFAULT_PORT)]
    pub port: String,

    /// Log filter: a level (error, warn, info, debug, trace) or tracing directives such as
    /// "info,cti_server=debug".
    #[arg(long, env = "LOG_LEVEL", global = true, default_value = DEFAULT_LOG_LEVEL)]
    pub log_level: String,

    /// Log format: json or pretty. Default: pretty in development, json elsewhere.
    #[arg(long, env = "LOG_FORMAT", global = true)]
    pub log_format: Option<String>,

    /// PostgreSQL URL. Takes precedence over DB_*. Neither set: in-memory storage (development only).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// PostgreSQL host (with DB_USER and DB_NAME, an alternative to DATABASE_URL).
    #[arg(long, env = "DB_HOST", global = true)]
    pub db_host: Option<String>,

    /// PostgreSQL port.
    #[arg(long, env = "DB_PORT", global = true, default_value = DEFAULT_DB_PORT)]
    pub db_port: String,

    /// PostgreSQL user.
    #[arg(long, env = "DB_USER", global = true)]
    pub db_user: Option<String>,

    /// PostgreSQL password.
    #[arg(long, env = "DB_PASSWORD", global = true, hide_env_values = true)]
    pub db_password: Option<String>,

    /// PostgreSQL database name.
    #[arg(long, env = "DB_NAME", global = true)]
    pub db_name: Option<String>,

    /// Largest number of pooled PostgreSQL connections per instance.
    #[arg(long, env = "DB_MAX_CONNECTIONS", global = true, default_value = DEFAULT_DB_MAX_CONNECTIONS)]
    pub db_max_connections: String,

    /// Redis URL (redis:// or rediss://). Set it when running more than one instance:
    /// key revocations, live events and sessions then reach every instance.
    #[arg(long, env = "REDIS_URL", global = true, hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key and channel, so several deployments can share one Redis.
    #[arg(long, env = "REDIS_KEY_PREFIX", global = true, default_value = DEFAULT_REDIS_KEY_PREFIX)]
    pub redis_key_prefix: String,

    /// Bearer token of the /internal admin API. Production: at least 32 characters.
    /// Development without it: a random one is generated and printed once at startup.
    #[arg(long, env = "INTERNAL_API_SECRET", global = true, hide_env_values = true)]
    pub internal_api_secret: Option<String>,

    /// Secret that signs the OAuth session cookie; every instance needs the same one.
    /// Production: at least 32 characters. Development without it: generated for this run.
    #[arg(long, env = "SESSION_SECRET", global = true, hide_env_values = true)]
    pub session_secret: Option<String>,

    /// Dialpad OAuth client id. Required in sandbox and production.
    #[arg(long, env = "CLIENT_ID", global = true)]
    pub client_id: Option<String>,

    /// Dialpad OAuth client secret. Required in sandbox and production.
    #[arg(long, env = "CLIENT_SECRET", global = true, hide_env_values = true)]
    pub client_secret: Option<String>,

    /// OAuth redirect URI registered with Dialpad (this server's /auth/dialpad/callback, as
    /// the browser reaches it). Required in sandbox and production; https in production.
    /// Development default: http://localhost:<PORT>/auth/dialpad/callback.
    #[arg(long, env = "REDIRECT_URI", global = true)]
    pub redirect_uri: Option<String>,

    /// Redirect URI used instead of REDIRECT_URI when APP_ENV=sandbox.
    #[arg(long, env = "DIALPAD_SANDBOX_REDIRECT_URI", global = true)]
    pub dialpad_sandbox_redirect_uri: Option<String>,

    /// Redirect URI used instead of REDIRECT_URI when APP_ENV=production; https.
    #[arg(long, env = "DIALPAD_PROD_REDIRECT_URI", global = true)]
    pub dialpad_prod_redirect_uri: Option<String>,

    /// Space-separated OAuth scopes to request when an app connects its Dialpad account.
    /// offline_access is what makes Dialpad give a refresh token.
    #[arg(long, env = "DIALPAD_SCOPES", global = true, default_value = DEFAULT_DIALPAD_SCOPES)]
    pub dialpad_scopes: String,

    /// Accept GET /auth/dialpad/connect?app_id= without a connect ticket (the old server's
    /// form: anyone who knows an app id can connect a Dialpad account to it). Off by default.
    #[arg(
        long,
        env = "DIALPAD_CONNECT_WITHOUT_TICKET",
        global = true,
        default_value = DEFAULT_DIALPAD_CONNECT_WITHOUT_TICKET
    )]
    pub dialpad_connect_without_ticket: String,

    /// Where Dialpad reaches this server (https://cti.example.com): webhooks provisioned for
    /// an app post to <PUBLIC_URL>/webhooks/dialpad/<app_id>. Default: the redirect URI's origin.
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Space-separated call states the call subscription provisioned for each app asks for.
    #[arg(long, env = "DIALPAD_CALL_STATES", global = true, default_value = DEFAULT_DIALPAD_CALL_STATES)]
    pub dialpad_call_states: String,

    /// Dialpad base URL. Default: https://sandbox.dialpad.com in development and sandbox,
    /// https://dialpad.com in production.
    #[arg(long, env = "DIALPAD_BASE_URL", global = true)]
    pub dialpad_base_url: Option<String>,

    /// Shared secret of the legacy webhook route POST /webhooks/dialpad. Unset: that route
    /// refuses every request (per-app routes keep working).
    #[arg(long, env = "DIALPAD_WEBHOOK_SECRET", global = true, hide_env_values = true)]
    pub dialpad_webhook_secret: Option<String>,

    /// 32-byte key (64 hex characters or base64) that encrypts webhook secrets and OAuth
    /// tokens at rest. Required in sandbox and production; development generates a
    /// temporary one.
    #[arg(long, env = "TOKEN_ENCRYPTION_KEY", global = true, hide_env_values = true)]
    pub token_encryption_key: Option<String>,

    /// Comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-Proto and
    /// X-Forwarded-For are believed (e.g. "10.0.0.0/8,127.0.0.1").
    #[arg(long, env = "TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,

    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT before they are cut.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECONDS", global = true, default_value = DEFAULT_SHUTDOWN_TIMEOUT_SECONDS)]
    pub shutdown_timeout_seconds: String,

    /// Serve the live console at /console (true or false). Default: on, except in production.
    #[arg(long, env = "CONSOLE_ENABLED", global = true)]
    pub console_enabled: Option<String>,

    /// Apply database migrations when `serve` starts (true or false).
    #[arg(long, env = "RUN_MIGRATIONS", global = true, default_value = DEFAULT_RUN_MIGRATIONS)]
    pub run_migrations: String,

    /// Seconds a verified API key stays cached. Revocations reach every instance at once
    /// through Redis; this bounds staleness only if Redis is unreachable. Open streams'
    /// keys are read again as often.
    #[arg(long, env = "API_KEY_CACHE_TTL_SECONDS", global = true, default_value = DEFAULT_API_KEY_CACHE_TTL_SECONDS)]
    pub api_key_cache_ttl_seconds: String,

    /// Seconds a refused API key stays cached, so a flood of one wrong key costs one argon2.
    #[arg(
        long,
        env = "API_KEY_FAILURE_CACHE_TTL_SECONDS",
        global = true,
        default_value = DEFAULT_API_KEY_FAILURE_CACHE_TTL_SECONDS
    )]
    pub api_key_failure_cache_ttl_seconds: String,

    /// Most argon2 verifications running at once (default: the number of CPUs).
    #[arg(long, env = "API_KEY_MAX_CONCURRENT_VERIFICATIONS", global = true)]
    pub api_key_max_concurrent_verifications: Option<String>,

    /// Largest webhook body accepted, in bytes (413 above it).
    #[arg(long, env = "WEBHOOK_MAX_BODY_BYTES", global = true, default_value = DEFAULT_WEBHOOK_MAX_BODY_BYTES)]
    pub webhook_max_body_bytes: String,

    /// Comma-separated origins allowed to open /ws (e.g. https://app.example.com); others
    /// get 403. Unset: any origin (set it in production against cross-site WebSocket hijacking).
    #[arg(long, env = "ALLOWED_ORIGINS", global = true)]
    pub allowed_origins: Option<String>,

    /// Seconds between WebSocket pings; a client that misses two pongs is disconnected.
    #[arg(long, env = "WS_PING_INTERVAL_SECONDS", global = true, default_value = DEFAULT_WS_PING_INTERVAL_SECONDS)]
    pub ws_ping_interval_seconds: String,

    /// Most stored events a WebSocket resume (`since=`) replays; beyond, the client gets a
    /// `reset` message and reloads through the API.
    #[arg(long, env = "WS_REPLAY_LIMIT", global = true, default_value = DEFAULT_WS_REPLAY_LIMIT)]
    pub ws_replay_limit: String,

    /// Events waiting per WebSocket client; a client that falls this far behind is
    /// disconnected (close 1008) and can resume with `since=`.
    #[arg(long, env = "WS_SEND_QUEUE_SIZE", global = true, default_value = DEFAULT_WS_SEND_QUEUE_SIZE)]
    pub ws_send_queue_size: String,

    /// Requests per minute each app may make with its API key (/api/*, /ws), on average
    /// across all instances; 0: no limit. Webhooks are never limited.
    #[arg(long, env = "RATE_LIMIT_APP_PER_MINUTE", global = true, default_value = DEFAULT_RATE_LIMIT_APP_PER_MINUTE)]
    pub rate_limit_app_per_minute: String,

    /// Requests an app may make at once above its per-minute rate.
    #[arg(long, env = "RATE_LIMIT_APP_BURST", global = true, default_value = DEFAULT_RATE_LIMIT_APP_BURST)]
    pub rate_limit_app_burst: String,

    /// Wrong credentials (API keys, tickets, the internal secret) one client address may
    /// present per minute before it is refused with 429 until it slows down; 0: no limit.
    #[arg(
        long,
        env = "RATE_LIMIT_AUTH_FAILURES_PER_MINUTE",
        global = true,
        default_value = DEFAULT_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE
    )]
    pub rate_limit_auth_failures_per_minute: String,

    /// Failed attempts on /auth/dialpad/* (bad or used connect tickets, unknown sessions,
    /// state mismatches) one client address may make per 15 minutes before it gets 429
    /// there; completed connects do not count; 0: no limit.
    #[arg(
        long,
        env = "RATE_LIMIT_OAUTH_FAILURES_PER_15_MINUTES",
        global = true,
        default_value = DEFAULT_RATE_LIMIT_OAUTH_FAILURES_PER_15_MINUTES
    )]
    pub rate_limit_oauth_failures_per_15_minutes: String,

    /// Admin API requests (/internal/*, disconnect) one client address may make per minute
    /// (the old server's limit), across instances; 0: no limit.
    #[arg(long, env = "RATE_LIMIT_INTERNAL_PER_MINUTE", global = true, default_value = DEFAULT_RATE_LIMIT_INTERNAL_PER_MINUTE)]
    pub rate_limit_internal_per_minute: String,
}

impl Default for Settings {
    /// What clap gives when nothing is set: the documented defaults and nothing else.
    fn default() -> Self {
        Self {
            host: DEFAULT_HOST.to_owned(),
            port: DEFAULT_PORT.to_owned(),
            log_level: DEFAULT_LOG_LEVEL.to_owned(),
            db_port: DEFAULT_DB_PORT.to_owned(),
            db_max_connections: DEFAULT_DB_MAX_CONNECTIONS.to_owned(),
            redis_key_prefix: DEFAULT_REDIS_KEY_PREFIX.to_owned(),
            shutdown_timeout_seconds: DEFAULT_SHUTDOWN_TIMEOUT_SECONDS.to_owned(),
            run_migrations: DEFAULT_RUN_MIGRATIONS.to_owned(),
            console_enabled: None,
            api_key_cache_ttl_seconds: DEFAULT_API_KEY_CACHE_TTL_SECONDS.to_owned(),
            api_key_failure_cache_ttl_seconds: DEFAULT_API_KEY_FAILURE_CACHE_TTL_SECONDS.to_owned(),
            webhook_max_body_bytes: DEFAULT_WEBHOOK_MAX_BODY_BYTES.to_owned(),
            allowed_origins: None,
            ws_ping_interval_seconds: DEFAULT_WS_PING_INTERVAL_SECONDS.to_owned(),
            ws_replay_limit: DEFAULT_WS_REPLAY_LIMIT.to_owned(),
            ws_send_queue_size: DEFAULT_WS_SEND_QUEUE_SIZE.to_owned(),
            rate_limit_app_per_minute: DEFAULT_RATE_LIMIT_APP_PER_MINUTE.to_owned(),
            rate_limit_app_burst: DEFAULT_RATE_LIMIT_APP_BURST.to_owned(),
            rate_limit_auth_failures_per_minute: DEFAULT_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE.to_owned(),
            rate_limit_oauth_failures_per_15_minutes: DEFAULT_RATE_LIMIT_OAUTH_FAILURES_PER_15_MINUTES.to_owned(),
            rate_limit_internal_per_minute: DEFAULT_RATE_LIMIT_INTERNAL_PER_MINUTE.to_owned(),
            dialpad_scopes: DEFAULT_DIALPAD_SCOPES.to_owned(),
            dialpad_connect_without_ticket: DEFAULT_DIALPAD_CONNECT_WITHOUT_TICKET.to_owned(),
            dialpad_call_states: DEFAULT_DIALPAD_CALL_STATES.to_owned(),
            public_url: None,
            app_env: None,
            node_env: None,
            log_format: None,
            database_url: None,
            db_host: None,
            db_user: None,
            db_password: None,
            db_name: None,
            redis_url: None,
            internal_api_secret: None,
            session_secret: None,
            client_id: None,
            client_secret: None,
            redirect_uri: None,
            dialpad_sandbox_redirect_uri: None,
            dialpad_prod_redirect_uri: None,
            dialpad_base_url: None,
            dialpad_webhook_secret: None,
            token_encryption_key: None,
            trusted_proxies: None,
            api_key_max_concurrent_verifications: None,
        }
    }
}
