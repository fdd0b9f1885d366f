//! Use cases over the memory adapters with a manual clock. They live here, not beside the
//! code in src/app, because the app layer reaches adapters only through ports: wiring
//! adapters in is a caller's job, as it is startup's.

mod api_keys;
mod rate_limits;
