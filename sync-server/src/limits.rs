//! Per-device rate limit: a token bucket in memory. A restart refills every
//! bucket, which is fine: the limit protects the server from a runaway
//! client, it is not an accounting system.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use uuid::Uuid;

#[derive(Debug)]
pub struct RateLimiter {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<HashMap<Uuid, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// `per_minute` on average, up to `burst` at once.
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            capacity: f64::from(burst.max(1)),
            per_second: f64::from(per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `device` at time `now`; `false` means "slow down".
    pub fn try_acquire(&self, device: Uuid, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(device).or_insert(Bucket {
            tokens: self.capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_is_allowed_then_refused_until_tokens_refill() {
        let limiter = RateLimiter::new(60, 3);
        let device = Uuid::new_v4();
        let start = Instant::now();
        assert!((0..3).all(|_| limiter.try_acquire(device, start)));
        assert!(!limiter.try_acquire(device, start));
        // Another device has its own bucket.
        assert!(limiter.try_acquire(Uuid::new_v4(), start));
        // 60 per minute = one a second.
        assert!(limiter.try_acquire(device, start + Duration::from_secs(1)));
        assert!(!limiter.try_acquire(device, start + Duration::from_secs(1)));
    }
}
