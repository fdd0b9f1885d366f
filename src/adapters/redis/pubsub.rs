//! One subscriber connection shared by every pub/sub user (key invalidation, event fan-out),
//! routed by channel. After a reconnect the subscriptions are restored first, and only then
//! is every listener told `Resubscribed`: whatever was published while disconnected is lost,
//! and each listener knows to recover it some other way. A listener gets its receiver only
//! once the channel's SUBSCRIBE succeeded; a failed one is tried again by the next listener
//! (fred restores after a reconnect only the subscriptions that succeeded). A listener may
//! also register before Redis is reachable (`Subscribe::WhenConnected`): its channel is
//! subscribed on every connection, the first one included.

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
/// How long a SUBSCRIBE may take (fred retries a command on a stalled connection for longer).
const SUBSCRIBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A channel's listeners, and whether Redis confirmed its subscription.
struct Route {
    tx: broadcast::Sender<Delivery>,
    subscribed: Arc<tokio::sync::OnceCell<()>>,
}

type Routes = Arc<RwLock<HashMap<String, Route>>>;

#[derive(Clone)]
pub struct RedisPubSub {
    subscriber: SubscriberClient,
    routes: Routes,
    dispatcher: Arc<tokio::task::JoinHandle<()>>,
}

impl RedisPubSub {
    /// Starts the subscriber connecting (and reconnecting, forever) and routing its messages.
    pub fn start(subscriber: SubscriberClient) -> Self {
        let routes: Routes = Arc::default();
        // Taken before connecting and before the task runs: no message and no connection
        // (the first one included) can come before the dispatcher listens.
        let (messages, reconnects) = (subscriber.message_rx(), subscriber.reconnect_rx());
        let dispatcher = tokio::spawn(dispatch(subscriber.clone(), routes.clone(), messages, reconnects));
        subscriber.connect();
        Self { subscriber, routes, dispatcher: Arc::new(dispatcher) }
    }

    /// Whether the subscriber is connected now.
    pub fn is_connected(&self) -> bool {
        self.subscriber.is_connected()
    }

    /// Completes when the subscriber is connected.
    pub async fn wait_for_connect(&self) -> Result<(), Error> {
        self.subscriber.wait_for_connect().await
    }

    /// Deliveries on `channel`: subscribed before this returns when Redis is connected,
    /// else (or if that fails) on the next connection: for listeners that start before
    /// Redis may be reachable.
    pub async fn listen_when_connected(&self, channel: &str) -> broadcast::Receiver<Delivery> {
        let (rx, subscribed) = self.route(channel);
        if self.subscriber.is_connected() {
            let subscribe = tokio::time::timeout(SUBSCRIBE_TIMEOUT, self.subscriber.subscribe(channel));
            if !matches!(subscribe.await, Ok(Ok(()))) {
                tracing::warn!("redis SUBSCRIBE failed; tried again on the next connection");
            } else {
                let _ = subscribed.set(());
            }
        }
        rx
    }

    fn route(&self, channel: &str) -> (broadcast::Receiver<Delivery>, Arc<tokio::sync::OnceCell<()>>) {
        let mut routes = self.routes.write().expect("routes poisoned");
        let route = routes
            .entry(channel.to_owned())
            .or_insert_with(|| Route { tx: broadcast::channel(LISTENER_CAPACITY).0, subscribed: Arc::default() });
        (route.tx.subscribe(), route.subscribed.clone())
    }

    /// Deliveries on `channel`, once Redis confirmed the subscription (made on first use,
    /// and tried again by each listener until it succeeds).
    pub async fn listen(&self, channel: &str) -> Result<broadcast::Receiver<Delivery>, Error> {
        let (rx, subscribed) = {
            let mut routes = self.routes.write().expect("routes poisoned");
            let route = routes
                .entry(channel.to_owned())
                .or_insert_with(|| Route { tx: broadcast::channel(LISTENER_CAPACITY).0, subscribed: Arc::default() });
            (route.tx.subscribe(), route.subscribed.clone())
        };
        // fred may report a SUBSCRIBE done before Redis ran it (seen under CPU load: a message
        // published right after was never delivered). A PING answered on the same connection
        // comes after Redis ran the SUBSCRIBE, so from then on nothing published is missed.
        let subscribe = async {
            let confirmed = async {
                self.subscriber.subscribe(channel).await?;
                self.subscriber.ping::<fred::types::Value>(None).await.map(drop)
            };
            match tokio::time::timeout(SUBSCRIBE_TIMEOUT, confirmed).await {
                Ok(subscribed) => subscribed,
                Err(_) => Err(Error::new(ErrorKind::Timeout, "SUBSCRIBE got no answer")),
            }
        };
        subscribed.get_or_try_init(|| subscribe).await?;
        Ok(rx)
    }

    pub async fn quit(&self) {
        self.dispatcher.abort();
        let _ = self.subscriber.quit().await;
    }
}

async fn dispatch(
    subscriber: SubscriberClient,
    routes: Routes,
    mut messages: broadcast::Receiver<fred::types::Message>,
    mut reconnects: broadcast::Receiver<fred::types::config::Server>,
) {
    let tell_all = |delivery: Delivery| {
        for route in routes.read().expect("routes poisoned").values() {
            let _ = route.tx.send(delivery.clone());
        }
    };
    loop {
        tokio::select! {
            message = messages.recv() => match message {
                Ok(message) => {
                    let Ok(payload) = message.value.convert::<Bytes>() else { continue };
                    if let Some(route) = routes.read().expect("routes poisoned").get(&*message.channel) {
                        let _ = route.tx.send(Delivery::Message(payload));
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
                    subscribe_pending(&subscriber, &routes).await;
                    tracing::info!("redis subscriber connected");
                    tell_all(Delivery::Resubscribed);
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

/// Subscribes the routes whose subscription never succeeded (registered while Redis was
/// unreachable, or refused).
async fn subscribe_pending(subscriber: &SubscriberClient, routes: &Routes) {
    let pending: Vec<(String, Arc<tokio::sync::OnceCell<()>>)> = routes
        .read()
        .expect("routes poisoned")
        .iter()
        .filter(|(_, route)| !route.subscribed.initialized())
        .map(|(channel, route)| (channel.clone(), route.subscribed.clone()))
        .collect();
    for (channel, subscribed) in pending {
        if let Err(err) = subscribed.get_or_try_init(|| subscriber.subscribe(channel)).await {
            tracing::warn!(error = %err, "redis SUBSCRIBE failed; tried again on reconnect");
        }
    }
}
