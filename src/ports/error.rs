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

impl StoreError {
    /// The same failure for several callers (a failed batch answered to each of its
    /// requests, a cache load shared by its waiters): each copy keeps the whole cause chain.
    pub fn shared(error: std::sync::Arc<StoreError>) -> Self {
        let unavailable = matches!(*error, StoreError::Unavailable(_));
        let cause = anyhow::Error::new(SharedCause(error));
        if unavailable { Self::Unavailable(cause) } else { Self::Unexpected(cause) }
    }
}

/// A store error behind an `Arc`, as the cause of each of its copies.
#[derive(Debug, Clone)]
struct SharedCause(std::sync::Arc<StoreError>);

impl std::fmt::Display for SharedCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedCause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_shared_error_keeps_its_kind_and_whole_cause_chain() {
        let root = anyhow::anyhow!("connection reset").context("writing a batch of 3 events");
        let shared = Arc::new(StoreError::Unavailable(root));
        for copy in [StoreError::shared(shared.clone()), StoreError::shared(shared)] {
            let StoreError::Unavailable(cause) = copy else { panic!("the kind changed") };
            assert_eq!(format!("{cause:#}"), "storage unavailable: writing a batch of 3 events: connection reset");
        }
        let unexpected = StoreError::shared(Arc::new(StoreError::unexpected(anyhow::anyhow!("bad row"))));
        assert!(matches!(unexpected, StoreError::Unexpected(_)));
    }
}
