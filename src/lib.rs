//! cti-server: a Dialpad CTI server. It receives Dialpad's signed webhooks, stores each
//! event exactly once, streams events live to each app's front ends and serves them through
//! a per-app API.
//!
//! Layers (dependencies point inward): [`adapters`] -> [`app`] -> [`ports`] -> [`domain`].
//! [`startup`] wires adapters from [`config`]; [`cli`] is what `main` runs.

pub mod adapters;
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod ports;
pub mod startup;
pub mod telemetry;
