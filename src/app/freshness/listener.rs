//! Applies the change notices of every instance to this instance, then hands each to what
//! holds checked state outside the caches (open streams re-check their keys).

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio_util::sync::CancellationToken;

use super::Freshness;
use crate::ports::Invalidation;

/// Runs until `stop`: each app notice stales what was loaded for that app; `All` (after a
/// reconnect, when notices may have been lost) stales everything. `then` runs after each
/// notice was applied, on this task: work it starts sees the notice. `notices` comes from
/// [`KeyInvalidation::subscribe`](crate::ports::KeyInvalidation::subscribe), called before
/// the server accepts requests so that no notice falls between the two.
pub async fn apply_invalidations(
    mut notices: BoxStream<'static, Invalidation>,
    freshness: Freshness,
    then: impl Fn(Invalidation) + Send + 'static,
    stop: CancellationToken,
) {
    loop {
        let notice = tokio::select! {
            notice = notices.next() => notice,
            () = stop.cancelled() => return,
        };
        let Some(notice) = notice else { return };
        freshness.apply(notice);
        then(notice);
    }
}
