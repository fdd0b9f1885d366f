//! One subscriber connection shared by every pub/sub user (key invalidation, event fan-out),
//! routed by channel. After a reconnect the subscriptions are restored first, and only then
//! is every listener told `Resubscribed`: whatever was published while disconnected is lost,
//! and each listener knows to recover it some other way.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use fred::clients::SubscriberClient;
use fred::prelude::*;
use tokio::sync::broadcast;

/// What a channel listener receives.
#[derive(Debug, Clone)]
pub enum Delivery {
    Message(Bytes),
    /// The connection was (re)established; messages may have been missed before this.
    Resubscribed,
}

const LISTENER_CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct RedisPubSub {
    subscriber: SubscriberClient,
    routes: Arc<RwLock<HashMap<String, broadcast::Sender<Delivery>>>>,
    dispatcher: Arc<tokio::task::JoinHandle<()>>,
}

impl RedisPubSub {
    /// Connects the subscriber and starts routing its messages.
    pub async fn start(subscriber: SubscriberClient) -> Result<Self, Error> {
        subscriber.init().await?;
        let routes: Arc<RwLock<HashMap<String, broadcast::Sender<Delivery>>>> = Arc::default();
        let dispatcher = tokio::spawn(dispatch(subscriber.clone(), routes.clone()));
        Ok(Self { subscriber, routes, dispatcher: Arc::new(dispatcher) })
    }

    /// Deliveries on `channel`, subscribing on first use.
    pub async fn listen(&self, channel: &str) -> Result<broadcast::Receiver<Delivery>, Error> {
        let (rx, first) = {
            let mut routes = self.routes.write().expect("routes poisoned");
            match routes.get(channel) {
                Some(tx) => (tx.subscribe(), false),
                None => {
                    let (tx, rx) = broadcast::channel(LISTENER_CAPACITY);
                    routes.insert(channel.to_owned(), tx);
                    (rx, true)
                }
            }
        };
        if first {
            self.subscriber.subscribe(channel).await?;
        }
        Ok(rx)
    }

    pub async fn quit(&self) {
        self.dispatcher.abort();
        let _ = self.subscriber.quit().await;
    }
}

async fn dispatch(subscriber: SubscriberClient, routes: Arc<RwLock<HashMap<String, broadcast::Sender<Delivery>>>>) {
    let mut messages = subscriber.message_rx();
    let mut reconnects = subscriber.reconnect_rx();
    let tell_all = |delivery: Delivery| {
        for tx in routes.read().expect("routes poisoned").values() {
            let _ = tx.send(delivery.clone());
        }
    };
    loop {
        tokio::select! {
            message = messages.recv() => match message {
                Ok(message) => {
                    let Ok(payload) = message.value.convert::<Bytes>() else { continue };
                    if let Some(tx) = routes.read().expect("routes poisoned").get(&*message.channel) {
                        let _ = tx.send(Delivery::Message(payload));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "redis subscriber lagged; listeners will recover");
                    tell_all(Delivery::Resubscribed);
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            reconnect = reconnects.recv() => match reconnect {
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    if let Err(err) = subscriber.resubscribe_all().await {
                        tracing::warn!(error = %err, "redis resubscribe failed");
                    }
                    tracing::info!("redis subscriber connected");
                    tell_all(Delivery::Resubscribed);
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}
