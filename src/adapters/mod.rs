//! Adapters: the outside world behind the ports (Postgres, memory, the system clock) and
//! the inbound HTTP edge. Adapters never call each other except through ports.

pub mod broadcast;
pub mod clock;
pub mod dialpad;
pub mod http;
pub mod memory;
pub mod postgres;
pub mod redis;
pub mod ws;
