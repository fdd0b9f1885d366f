//! RateLimiter over Redis: the subject's TAT under `<prefix>rl:<subject>`, decided and
//! updated by one Lua script (atomic), on Redis's own clock (`TIME`), so that instances
//! whose clocks disagree still share one limit. The script is the domain's
//! [`Quota::decide`] in Lua.

use async_trait::async_trait;
use fred::types::scripts::Script;

use super::RedisClients;
use crate::domain::rate_limit::{Decision, Quota};
use crate::ports::RateLimiter;

/// KEYS[1] the subject; ARGV emission (µs), burst, cost. Returns {1, remaining, reset_after_µs}
/// when allowed, {0, retry_after_µs, 0} when not.
/// Times are microseconds (below 2^53, exact in Lua's doubles); the TAT is written with
/// `%d`, since Lua's default number format keeps only 14 digits.
const GCRA: &str = r#"
local emission = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + emission * cost
local allow_at = new_tat - emission * burst
if now < allow_at then
  return {0, allow_at - now, 0}
end
local used = new_tat - now
local keep_ms = math.max(math.ceil(used / 1000), 1)
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', keep_ms)
return {1, math.floor(math.max(emission * burst - used, 0) / emission), used}
"#;

pub struct RedisRateLimiter {
    clients: RedisClients,
    script: Script,
}

impl RedisRateLimiter {
    pub fn new(clients: RedisClients) -> Self {
        Self { clients, script: Script::from_lua(GCRA) }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, subject: &str, quota: Quota, cost: u32) -> Result<Decision, anyhow::Error> {
        let key = self.clients.name(&format!("rl:{subject}"));
        let args = vec![i64::try_from(quota.emission_us())?, i64::from(quota.burst), i64::from(cost)];
        let (allowed, first, second): (i64, i64, i64) =
            self.script.evalsha_with_reload(self.clients.pool.next(), key, args).await?;
        let micros = |us: i64| std::time::Duration::from_micros(us.max(0).unsigned_abs());
        Ok(if allowed == 1 {
            Decision::Allowed {
                remaining: u32::try_from(first.max(0)).unwrap_or(u32::MAX),
                reset_after: micros(second),
            }
        } else {
            Decision::Limited { retry_after: micros(first.max(1)) }
        })
    }
}
