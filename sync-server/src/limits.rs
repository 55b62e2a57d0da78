//! Request rates and where a request comes from.
//!
//! Rates are token buckets in memory, one set per server process: a restart
//! refills them, and behind a load balancer each instance keeps its own (so
//! N instances allow up to N times the rate). That is fine for what they
//! do, protect the server from a runaway or hostile client; login
//! throttling, which must hold across instances, lives in the store
//! (`web/throttle.rs`).
//!
//! The source address is the TCP peer, unless the peer is a reverse proxy
//! the operator listed in `trusted_proxies`: only then is
//! `X-Forwarded-For` read (anyone can send that header).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use uuid::Uuid;

/// A token bucket per key: `per_minute` on average, up to `burst` at once.
#[derive(Debug)]
pub struct RateLimiter<K = Uuid> {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Refused: try again after this long (the `Retry-After` of a 429).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, at least one, as `Retry-After` takes them.
    pub fn seconds(self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)
    }
}

/// Buckets idle long enough to be full again are dropped past this many, so
/// a flood of new keys (addresses) cannot grow memory without bound.
const PRUNE_ABOVE: usize = 10_000;

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter<K> {
        RateLimiter {
            capacity: f64::from(burst.max(1)),
            per_second: f64::from(per_minute.max(1)) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` at time `now`, or says how long to wait.
    pub fn try_acquire(&self, key: &K, now: Instant) -> Result<(), RetryAfter> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            let refill = Duration::from_secs_f64(self.capacity / self.per_second);
            buckets.retain(|_, b| now.saturating_duration_since(b.updated) < refill);
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err(RetryAfter(Duration::from_secs_f64(wait)))
        }
    }
}

/// The address a request came from, as far as this server can tell; an
/// IPv6 address counts by its /64 (one household or phone network), so
/// changing the last bits does not make a new caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(pub Option<IpAddr>);

impl Source {
    /// The rate-limit key: IPv4 as it is, IPv6 by its /64 prefix.
    pub fn bucket(self) -> Option<IpAddr> {
        self.0.map(|ip| match ip {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        })
    }

    /// The address as text for the audit log (`unknown` without one).
    pub fn label(self) -> String {
        self.0
            .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    }

    /// The source of a request from `peer`: the peer itself, or, when the
    /// peer is a trusted proxy, the nearest address in `X-Forwarded-For`
    /// that is not one of the trusted proxies.
    pub fn of(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Source {
        let peer = peer.map(canonical);
        let Some(ip) = peer else {
            return Source(None);
        };
        if !trusted.contains(&ip) {
            return Source(Some(ip));
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in forwarded.iter().rev() {
            match hop.parse::<IpAddr>().map(canonical) {
                Ok(hop) if trusted.contains(&hop) => continue,
                Ok(hop) => return Source(Some(hop)),
                // A garbled entry: nothing before it can be trusted either.
                Err(_) => break,
            }
        }
        Source(Some(ip))
    }
}

/// `::ffff:1.2.3.4` is `1.2.3.4`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl FromRequestParts<crate::api::AppState> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::api::AppState,
    ) -> Result<Source, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Source::of(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_until_tokens_refill() {
        let limiter = RateLimiter::new(60, 3);
        let device = Uuid::new_v4();
        let start = Instant::now();
        assert!((0..3).all(|_| limiter.try_acquire(&device, start).is_ok()));
        let wait = limiter.try_acquire(&device, start).unwrap_err();
        assert_eq!(wait.seconds(), 1, "{wait:?}");
        // Another device has its own bucket.
        assert!(limiter.try_acquire(&Uuid::new_v4(), start).is_ok());
        // 60 per minute = one a second.
        assert!(limiter
            .try_acquire(&device, start + Duration::from_secs(1))
            .is_ok());
        assert!(limiter
            .try_acquire(&device, start + Duration::from_secs(1))
            .is_err());
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        // Straight from the internet: the header is the caller's own claim.
        let direct = Source::of(Some("198.51.100.1".parse().unwrap()), &headers, &[proxy]);
        assert_eq!(direct.label(), "198.51.100.1");
        // From the proxy: the address it saw, not what the client wrote before it.
        let proxied = Source::of(Some(proxy), &headers, &[proxy]);
        assert_eq!(proxied.label(), "203.0.113.9");
        // The proxy sent nothing usable: the proxy itself.
        assert_eq!(
            Source::of(Some(proxy), &HeaderMap::new(), &[proxy]).label(),
            "10.0.0.5"
        );
    }

    #[test]
    fn ipv6_callers_share_a_bucket_per_64() {
        let a = Source(Some("2001:db8:1:2::1".parse().unwrap()));
        let b = Source(Some("2001:db8:1:2:ffff::9".parse().unwrap()));
        let c = Source(Some("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(a.bucket(), b.bucket());
        assert_ne!(a.bucket(), c.bucket());
        let mapped = Source::of(
            Some("::ffff:192.0.2.7".parse().unwrap()),
            &HeaderMap::new(),
            &[],
        );
        assert_eq!(mapped.label(), "192.0.2.7");
    }
}
