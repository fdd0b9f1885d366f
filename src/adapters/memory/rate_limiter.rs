//! RateLimiter in one process: each subject's TAT in a map, decided under its lock by the
//! domain's GCRA. Subjects whose TAT has passed carry no information and are swept out as
//! the map grows, so memory follows the subjects active in the last burst window.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::domain::rate_limit::{Decision, Quota};
use crate::ports::{Clock, RateLimiter};

/// Sweep passed entries once the map has grown past this many since the last sweep.
const SWEEP_AFTER: usize = 10_000;

pub struct InProcessRateLimiter {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    tats: HashMap<String, u64>,
    sweep_at: usize,
}

impl InProcessRateLimiter {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock, state: Mutex::new(State { tats: HashMap::new(), sweep_at: SWEEP_AFTER }) }
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.clock.now().timestamp_micros()).unwrap_or(0)
    }
}

#[async_trait]
impl RateLimiter for InProcessRateLimiter {
    async fn check(&self, subject: &str, quota: Quota, cost: u32) -> Result<Decision, anyhow::Error> {
        let now = self.now_us();
        let mut state = self.state.lock().expect("rate limiter poisoned");
        let (decision, tat) = quota.decide(state.tats.get(subject).copied(), now, cost);
        if let Some(tat) = tat {
            state.tats.insert(subject.to_owned(), tat);
            if state.tats.len() >= state.sweep_at {
                state.tats.retain(|_, tat| *tat > now);
                state.sweep_at = state.tats.len() + SWEEP_AFTER;
            }
        }
        Ok(decision)
    }
}
