//! Applies invalidation notices from every instance to this instance's key cache.

use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio_util::sync::CancellationToken;

use super::Generations;
use crate::ports::Invalidation;

/// Runs until `stop`: each app notice stales that app's cached checks; `All` (after a
/// reconnect, when notices may have been lost) stales every cached check. Stale entries
/// stay in the cache only so that their reload can skip argon2 (see
/// [`CachedCheck::verified`](crate::ports::CachedCheck::verified)); they are never served.
/// `notices` comes from [`KeyInvalidation::subscribe`](crate::ports::KeyInvalidation::subscribe),
/// called before the server accepts requests so that no notice falls between the two.
pub async fn apply_invalidations(
    mut notices: BoxStream<'static, Invalidation>,
    generations: Arc<Generations>,
    stop: CancellationToken,
) {
    loop {
        let notice = tokio::select! {
            notice = notices.next() => notice,
            () = stop.cancelled() => return,
        };
        match notice {
            Some(Invalidation::App(app)) => generations.bump_app(app),
            Some(Invalidation::All) => generations.bump_all(),
            None => return,
        }
    }
}
