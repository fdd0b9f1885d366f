//! Memory adapters: every port as a small honest in-process implementation (a map behind a
//! lock). They back the embedded default (`cargo run` with nothing configured) and the
//! tests, and pass the same contract suites as the real adapters.

mod app_repository;
mod clock;

pub use app_repository::MemoryAppRepository;
pub use clock::ManualClock;
