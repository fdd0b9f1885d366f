//! Regressions found by fault and fuzz testing: each test here failed before its fix.

mod edge;
mod faults;
mod hostile_events;
mod out_of_range;
mod redis_at_startup;
mod storage_errors;
