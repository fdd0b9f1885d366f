//! Applies invalidation notices from every instance to this instance's key cache, then hands
//! each to whatever else depends on keys (open streams re-check theirs).

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
/// `then` runs after each notice moved the generations, on this task: work it starts sees
/// the notice in the generations. `notices` comes from [`KeyInvalidation::subscribe`](crate::ports::KeyInvalidation::subscribe),
/// called before the server accepts requests so that no notice falls between the two.
pub async fn apply_invalidations(
    mut notices: BoxStream<'static, Invalidation>,
    generations: Arc<Generations>,
    then: impl Fn(Invalidation) + Send + 'static,
    stop: CancellationToken,
) {
    loop {
        let notice = tokio::select! {
            notice = notices.next() => notice,
            () = stop.cancelled() => return,
        };
        let Some(notice) = notice else { return };
        match notice {
            Invalidation::App(app) => generations.bump_app(app),
            Invalidation::All => generations.bump_all(),
        }
        then(notice);
    }
}
