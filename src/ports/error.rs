//! The error every storage-like port shares. Adapters translate their infrastructure errors
//! into these two cases by error code or kind, never by message text, so the use cases can
//! tell "try again later" (503) from "this is a bug" (500).

/// A failure of a backing store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend could not be reached, timed out, or refused for lack of capacity.
    /// Retrying later may succeed; HTTP answers 503.
    #[error("storage unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else: a broken invariant, a bad row, a bug. HTTP answers 500.
    #[error("unexpected storage error")]
    Unexpected(#[source] anyhow::Error),
}

impl StoreError {
    pub fn unavailable(err: impl Into<anyhow::Error>) -> Self {
        Self::Unavailable(err.into())
    }

    pub fn unexpected(err: impl Into<anyhow::Error>) -> Self {
        Self::Unexpected(err.into())
    }
}
