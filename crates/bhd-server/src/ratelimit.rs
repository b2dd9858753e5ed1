//! Request rate limits: N requests a minute per user, per API key, and per client address
//! before sign-in. Behind the [`RateLimiter`] trait so that a shared backend (Redis) can take
//! over when several nodes must share one budget.

use async_trait::async_trait;
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, clock::DefaultClock};
use std::num::NonZeroU32;
use std::time::Duration;

/// The outcome of one check, with what the `RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// Requests per window.
    pub limit: u32,
    /// Requests left now.
    pub remaining: u32,
    /// Seconds until the budget is full again.
    pub reset_secs: u64,
    /// Seconds to wait before retrying (when refused).
    pub retry_after_secs: u64,
}

/// A rate limiter keyed by caller ("user:…", "key:…", "ip:…").
#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Counts one request for `key` and says whether it may proceed.
    async fn check(&self, key: &str) -> Decision;
}

type Keyed = governor::RateLimiter<
    String,
    DefaultKeyedStateStore<String>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// In-process limiter (one node): GCRA from the `governor` crate, which refills the budget
/// continuously (one request every 60/N seconds) rather than in fixed windows.
pub struct LocalRateLimiter {
    limiter: Keyed,
    per_minute: u32,
}

impl LocalRateLimiter {
    /// A limiter of `per_minute` requests a minute per key (must be > 0).
    pub fn new(per_minute: NonZeroU32) -> Self {
        let limiter = governor::RateLimiter::keyed(Quota::per_minute(per_minute))
            .with_middleware::<StateInformationMiddleware>();
        Self {
            limiter,
            per_minute: per_minute.get(),
        }
    }

    /// Forgets keys whose budget is full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }

    fn secs_for(&self, requests: u32) -> u64 {
        // Each request's worth of budget comes back after 60/N seconds.
        (u64::from(requests) * 60).div_ceil(u64::from(self.per_minute))
    }
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn check(&self, key: &str) -> Decision {
        match self.limiter.check_key(&key.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Decision {
                    allowed: true,
                    limit: self.per_minute,
                    remaining,
                    reset_secs: self.secs_for(self.per_minute - remaining),
                    retry_after_secs: 0,
                }
            }
            Err(not_until) => {
                use governor::clock::Clock;
                let wait: Duration = not_until.wait_time_from(DefaultClock::default().now());
                let wait = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Decision {
                    allowed: false,
                    limit: self.per_minute,
                    remaining: 0,
                    reset_secs: self.secs_for(self.per_minute),
                    retry_after_secs: wait.max(1),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_past_the_budget_and_counts_down() {
        let l = LocalRateLimiter::new(NonZeroU32::new(3).unwrap());
        let a = l.check("user:a").await;
        assert!(a.allowed);
        assert_eq!(a.remaining, 2);
        assert!(l.check("user:a").await.allowed);
        assert!(l.check("user:a").await.allowed);
        let refused = l.check("user:a").await;
        assert!(!refused.allowed);
        assert!(refused.retry_after_secs >= 1 && refused.retry_after_secs <= 20);
        // Another key has its own budget.
        assert!(l.check("user:b").await.allowed);
    }
}
