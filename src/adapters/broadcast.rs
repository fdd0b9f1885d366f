//! A tokio broadcast receiver as the stream every pub/sub adapter hands out: each message
//! mapped (or skipped), a lag (messages lost to a slow reader) turned into the port's "you
//! missed something" notice, and the channel's end the stream's end.

use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use tokio::sync::broadcast;

pub fn stream_of<T, U, F>(rx: broadcast::Receiver<T>, lagged: U, map: F) -> BoxStream<'static, U>
where
    T: Clone + Send + 'static,
    U: Clone + Send + 'static,
    F: Fn(T) -> Option<U> + Send + 'static,
{
    stream::unfold((rx, map, lagged), |(mut rx, map, lagged)| async move {
        loop {
            match rx.recv().await {
                Ok(message) => {
                    if let Some(notice) = map(message) {
                        return Some((notice, (rx, map, lagged)));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => return Some((lagged.clone(), (rx, map, lagged))),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .boxed()
}
