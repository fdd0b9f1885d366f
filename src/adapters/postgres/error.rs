//! sqlx errors to [`StoreError`]: by error kind and SQLSTATE class, never by message text.

use crate::ports::StoreError;

/// Translates a sqlx error. Connection trouble, pool exhaustion, shutdowns and resource
/// exhaustion are `Unavailable` (the caller answers 503 and the client retries); everything
/// else is `Unexpected`.
pub(crate) fn store_error(err: sqlx::Error) -> StoreError {
    if is_unavailable(&err) { StoreError::Unavailable(err.into()) } else { StoreError::Unexpected(err.into()) }
}

fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        // Protocol: the connection broke mid-conversation (e.g. closed right after connecting,
        // before the TLS or startup answer): a new connection may well succeed.
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception, 53: insufficient resources, 57P0x: the server is
            // shutting down or restarting, 40001/40P01: serialization failure or deadlock.
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P0")
                || code == "40001"
                || code == "40P01"
        }),
        _ => false,
    }
}

/// True when the error is a unique violation (SQLSTATE 23505) of `constraint`.
pub(crate) fn is_unique_violation(err: &sqlx::Error, constraint: &str) -> bool {
    match err {
        sqlx::Error::Database(db) => db.code().as_deref() == Some("23505") && db.constraint() == Some(constraint),
        _ => false,
    }
}
