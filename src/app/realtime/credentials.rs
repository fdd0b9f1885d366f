//! The credentials of this instance's open streams, kept standing or ended. A stream is
//! registered with the key that opened it; whenever that app's keys or state change (the
//! invalidation notices every instance receives), its streams' keys are checked again
//! against storage, and a stream whose key was revoked or expired, or whose app was
//! deactivated, is told to end. A key in its grace period ends its streams when the grace
//! ends, without any notice.
//!
//! A notice can pass while a stream is between its authentication and its registration.
//! Authentication is therefore bracketed by a [`Mark`]: if the app was invalidated after
//! it, the stream is checked again as soon as it is registered. The checks themselves run
//! in one background task (checks.rs).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};

use crate::app::freshness::{Freshness, Mark};
use crate::domain::api_key::{KeyId, Principal};
use crate::domain::app::AppId;
use crate::domain::stream::{Ending, Standing};
use crate::ports::{ApiKeyRepository, AppRepository, Clock, Invalidation, StoreError};

/// What admitted a stream: its app, the key, until when that key was good, and the mark
/// taken before it was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub app_id: AppId,
    pub key_id: KeyId,
    pub until: Option<DateTime<Utc>>,
    mark: Mark,
}

impl Grant {
    /// A grant for a key checked (good until `until`) after `mark` was taken.
    pub fn new(mark: Mark, app_id: AppId, key_id: KeyId, until: Option<DateTime<Utc>>) -> Self {
        Self { app_id, key_id, until, mark }
    }

    /// A grant for a key just authenticated after `mark` was taken.
    pub fn authenticated(mark: Mark, principal: &Principal) -> Self {
        Self::new(mark, principal.app_id, principal.key_id.clone(), principal.usable_until)
    }
}

#[derive(Clone)]
pub struct Credentials {
    inner: Arc<Inner>,
}

struct Inner {
    /// The keys of open streams, by app; one standing per key, shared by its streams (most
    /// of an app's streams use the same key, so a stream costs a receiver, not a channel).
    keys_in_use: Mutex<HashMap<AppId, HashMap<KeyId, KeyInUse>>>,
    /// Apps whose streams' keys are due for a check (notices arrived), or all of them.
    due: Mutex<Due>,
    /// Wakes the checking task.
    wake: Notify,
    keys: Arc<dyn ApiKeyRepository>,
    apps: Arc<dyn AppRepository>,
    clock: Arc<dyn Clock>,
    freshness: Freshness,
}

#[derive(Default)]
struct Due {
    apps: HashSet<AppId>,
    all: bool,
}

/// One app's keys in use, as taken for a check.
pub(super) struct AppCheck {
    pub app_id: AppId,
    keys: Vec<(KeyId, watch::Sender<Standing>)>,
}

struct KeyInUse {
    standing: watch::Sender<Standing>,
    streams: usize,
}

/// A registered stream's credentials. Dropping it unregisters the stream.
pub struct Credential {
    inner: Arc<Inner>,
    app_id: AppId,
    key_id: KeyId,
    /// The key's channel this stream joined (a key whose streams ended gets a new one).
    joined: watch::Sender<Standing>,
    standing: watch::Receiver<Standing>,
}

impl Credentials {
    pub fn new(
        keys: Arc<dyn ApiKeyRepository>,
        apps: Arc<dyn AppRepository>,
        clock: Arc<dyn Clock>,
        freshness: Freshness,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                keys_in_use: Mutex::default(),
                due: Mutex::default(),
                wake: Notify::new(),
                keys,
                apps,
                clock,
                freshness,
            }),
        }
    }

    /// Take before checking a stream's credentials.
    pub fn mark(&self) -> Mark {
        self.inner.freshness.mark()
    }

    /// The standing of `key_id` for `app_id` as stored now (not cached): for credentials that
    /// were issued a while ago, such as a ticket's.
    pub async fn check(&self, app_id: AppId, key_id: &KeyId) -> Result<Standing, StoreError> {
        let mut found = self.inner.check(app_id, [key_id.clone()]).await?;
        Ok(found.remove(key_id).unwrap_or(Standing::Ended(Ending::KeyRevoked)))
    }

    /// Registers a stream admitted by `grant`; it is checked again at once if its app changed
    /// since the grant's mark.
    pub fn watch(&self, grant: &Grant) -> Credential {
        let app_id = grant.app_id;
        let admitted = Standing::Good { until: grant.until };
        let joined = {
            let mut keys_in_use = self.inner.keys_in_use.lock().expect("credentials poisoned");
            let in_use = keys_in_use
                .entry(app_id)
                .or_default()
                .entry(grant.key_id.clone())
                .or_insert_with(|| KeyInUse { standing: watch::channel(admitted).0, streams: 0 });
            if matches!(*in_use.standing.borrow(), Standing::Ended(_)) {
                // The key's earlier streams are ending; this one was admitted since (the app
                // reactivated, say): it starts a new channel, checked below if need be.
                *in_use = KeyInUse { standing: watch::channel(admitted).0, streams: 0 };
            }
            in_use.streams += 1;
            in_use.standing.send_if_modified(|current| merge(current, admitted));
            // Subscribed under the lock: a check that finds the entry finds it listened to.
            (in_use.standing.clone(), in_use.standing.subscribe())
        };
        let (joined, standing) = joined;
        if self.inner.freshness.changed_since(app_id, grant.mark) {
            self.changed(Invalidation::App(app_id));
        }
        Credential { inner: self.inner.clone(), app_id, key_id: grant.key_id.clone(), joined, standing }
    }

    /// Applies a notice: the keys of the app's open streams (or every app's, for `All`) are
    /// due for a check by the checking task. Call after the notice was applied to the freshness.
    pub fn changed(&self, notice: Invalidation) {
        {
            let mut due = self.inner.due.lock().expect("credentials poisoned");
            match notice {
                Invalidation::App(app) => {
                    due.apps.insert(app);
                }
                Invalidation::All => due.all = true,
            }
        }
        self.inner.wake.notify_one();
    }

    /// Resolves when something may be due.
    pub(super) async fn woken(&self) {
        self.inner.wake.notified().await;
    }

    /// Takes what is due: each app's keys in use now (apps without open streams need none).
    pub(super) fn take_due(&self) -> Vec<AppCheck> {
        let due = std::mem::take(&mut *self.inner.due.lock().expect("credentials poisoned"));
        let keys_in_use = self.inner.keys_in_use.lock().expect("credentials poisoned");
        let of = |app: &AppId, keys: &HashMap<KeyId, KeyInUse>| AppCheck {
            app_id: *app,
            keys: keys.iter().map(|(key_id, in_use)| (key_id.clone(), in_use.standing.clone())).collect(),
        };
        if due.all {
            keys_in_use.iter().map(|(app, keys)| of(app, keys)).collect()
        } else {
            due.apps.iter().filter_map(|app| keys_in_use.get(app).map(|keys| of(app, keys))).collect()
        }
    }

    /// Reads the keys of `check` from storage and tells their streams.
    pub(super) async fn run_check(&self, check: &AppCheck) -> Result<(), StoreError> {
        let found = self.inner.check(check.app_id, check.keys.iter().map(|(key_id, _)| key_id.clone())).await?;
        for (key_id, standing) in &check.keys {
            if let Some(&now) = found.get(key_id) {
                standing.send_if_modified(|current| merge(current, now));
            }
        }
        Ok(())
    }
}

/// Moves `current` to what a later check found; whether it changed.
fn merge(current: &mut Standing, found: Standing) -> bool {
    let next = current.then(found);
    let changed = next != *current;
    *current = next;
    changed
}

impl Inner {
    /// Each key's standing for `app_id`, read from storage.
    async fn check(
        &self,
        app_id: AppId,
        key_ids: impl IntoIterator<Item = KeyId>,
    ) -> Result<HashMap<KeyId, Standing>, StoreError> {
        let app_active = self.apps.get(app_id).await?.map(|app| app.is_active);
        let mut found = HashMap::new();
        for key_id in key_ids.into_iter().collect::<HashSet<_>>() {
            let key = self.keys.find(&key_id).await?;
            found.insert(key_id, Standing::of(app_id, key.as_ref(), app_active, self.clock.now()));
        }
        Ok(found)
    }
}

impl Credential {
    /// Resolves when the stream's credentials end, with why. Cancel-safe: keep one future
    /// pinned, or call again.
    pub async fn ended(&mut self) -> Ending {
        // The sender lives as long as this credential (`joined`): `changed` cannot fail.
        loop {
            let standing = *self.standing.borrow_and_update();
            match standing {
                Standing::Ended(why) => return why,
                Standing::Good { until: None } => {
                    let _ = self.standing.changed().await;
                }
                Standing::Good { until: Some(end) } => {
                    let left = (end - self.inner.clock.now()).to_std().unwrap_or_default();
                    tokio::select! {
                        () = tokio::time::sleep(left) => return Ending::KeyExpired,
                        _ = self.standing.changed() => {}
                    }
                }
            }
        }
    }
}

impl Drop for Credential {
    fn drop(&mut self) {
        let mut keys_in_use = self.inner.keys_in_use.lock().expect("credentials poisoned");
        let Some(keys) = keys_in_use.get_mut(&self.app_id) else { return };
        if let Some(in_use) = keys.get_mut(&self.key_id)
            && in_use.standing.same_channel(&self.joined)
        {
            in_use.streams -= 1;
            if in_use.streams == 0 {
                keys.remove(&self.key_id);
            }
        }
        if keys.is_empty() {
            keys_in_use.remove(&self.app_id);
        }
    }
}
