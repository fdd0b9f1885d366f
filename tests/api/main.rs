//! Integration tests: the real server on port 0, over HTTP. One binary, modules by area.
//! Memory adapters by default; the same tests run against PostgreSQL (and Redis) when
//! TEST_DATABASE_URL / TEST_REDIS_URL are set or Docker answers (see `infra`).

mod dialpad;
mod fake_dialpad;
mod fault_proxy;
mod helpers;
mod infra;
mod ws_client;

mod api_keys;
mod app_api;
mod apps;
mod cli;
mod console;
mod contracts;
mod dialpad_actions;
mod dialpad_oauth;
mod errors;
mod hardening;
mod health;
mod https;
mod internal_auth;
mod openapi;
mod postgres_pool;
mod rate_limits;
mod read_bodies;
mod rolling_restart;
mod shutdown;
mod streams;
mod use_cases;
mod user_mappings;
mod webhooks;
