//! Applies invalidation notices from every instance to this instance's key cache.

use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio_util::sync::CancellationToken;

use super::Generations;
use crate::ports::{ApiKeyCache, Invalidation};

/// Runs until `stop`: each app notice stales that app's cached checks; `All` (after a
/// reconnect, when notices may have been lost) empties the cache. `notices` comes from
/// [`KeyInvalidation::subscribe`](crate::ports::KeyInvalidation::subscribe), called before
/// the server accepts requests so that no notice falls between the two.
pub async fn apply_invalidations(
    mut notices: BoxStream<'static, Invalidation>,
    generations: Arc<Generations>,
    cache: Arc<dyn ApiKeyCache>,
    stop: CancellationToken,
) {
    loop {
        let notice = tokio::select! {
            notice = notices.next() => notice,
            () = stop.cancelled() => return,
        };
        match notice {
            Some(Invalidation::App(app)) => generations.bump_app(app),
            Some(Invalidation::All) => {
                generations.bump_all();
                cache.invalidate_all();
            }
            None => return,
        }
    }
}
