//! Login throttling, per login name and per source address.
//!
//! The state is the audit log's failed logins, read through the store, so
//! every server sharing a database sees the same count. After a few
//! failures each further try must wait, twice as long each time; after
//! more, the login (or the address) is locked for a quarter of an hour.
//! A success, or an admin enabling the account or setting its password,
//! starts the login's count again; an address's count only ages out.

use time::{Duration, OffsetDateTime};

use crate::store::{FailedLogin, LoginFailures};

/// Failures allowed before the next try must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures within [`WINDOW`] before delays start.
    pub free: usize,
    /// Failures within [`WINDOW`] that lock.
    pub lock_after: usize,
    /// The longest delay before the lock.
    pub max_delay: Duration,
}

/// Only failures this recent count.
pub const WINDOW: Duration = Duration::minutes(15);
/// How long a lock lasts, from the last failure.
pub const LOCK: Duration = Duration::minutes(15);

/// One person mistyping: five tries, then 2, 4, 8, 16 s waits, then a lock.
pub const PER_LOGIN: Policy = Policy {
    free: 5,
    lock_after: 10,
    max_delay: Duration::minutes(1),
};

/// An office or phone network shares an address: more room before delays.
pub const PER_SOURCE: Policy = Policy {
    free: 20,
    lock_after: 100,
    max_delay: Duration::minutes(1),
};

/// What to do with a login attempt, before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Too soon after the last failure: try again at `until`.
    Wait {
        until: OffsetDateTime,
        scope: Scope,
    },
    /// Locked until `until`.
    Locked {
        until: OffsetDateTime,
        scope: Scope,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Login,
    Source,
}

impl Verdict {
    /// Seconds until another try is allowed.
    pub fn retry_after(self, now: OffsetDateTime) -> Option<i64> {
        match self {
            Verdict::Allow => None,
            Verdict::Wait { until, .. } | Verdict::Locked { until, .. } => {
                Some(((until - now).whole_milliseconds() as i64 + 999) / 1000).map(|s| s.max(1))
            }
        }
    }
}

/// The verdict of one policy over its failures (newest first).
pub fn judge(
    policy: Policy,
    failures: &[FailedLogin],
    scope: Scope,
    now: OffsetDateTime,
) -> Verdict {
    let recent: Vec<&FailedLogin> = failures
        .iter()
        .take_while(|f| now - f.at < WINDOW)
        .collect();
    let Some(last) = recent.first().map(|f| f.at) else {
        return Verdict::Allow;
    };
    let n = recent.len();
    if n >= policy.lock_after {
        let until = last + LOCK;
        return if until > now {
            Verdict::Locked { until, scope }
        } else {
            Verdict::Allow
        };
    }
    if n >= policy.free {
        // 2 s after the first failure past the free ones, doubling.
        let doublings = u32::try_from(n + 1 - policy.free).unwrap_or(16).min(16);
        let delay = Duration::seconds(1i64 << doublings).min(policy.max_delay);
        let until = last + delay;
        if until > now {
            return Verdict::Wait { until, scope };
        }
    }
    Verdict::Allow
}

/// Both policies: the stricter answer wins.
pub fn verdict(failures: &LoginFailures, now: OffsetDateTime) -> Verdict {
    let by_login = judge(PER_LOGIN, &failures.by_login, Scope::Login, now);
    let by_source = judge(PER_SOURCE, &failures.by_source, Scope::Source, now);
    let rank = |v: &Verdict| match v {
        Verdict::Allow => (0, OffsetDateTime::UNIX_EPOCH),
        Verdict::Wait { until, .. } => (1, *until),
        Verdict::Locked { until, .. } => (2, *until),
    };
    if rank(&by_source) > rank(&by_login) {
        by_source
    } else {
        by_login
    }
}

/// Whether one more failure now would start a lock (to audit the lock).
pub fn locks_after_one_more(failures: &[FailedLogin], policy: Policy, now: OffsetDateTime) -> bool {
    failures.iter().take_while(|f| now - f.at < WINDOW).count() + 1 == policy.lock_after
}

/// The most failures either policy ever needs to see.
pub const LOOKBACK: u32 = 100;

type Gates = std::collections::HashMap<String, std::sync::Arc<std::sync::Mutex<()>>>;

/// A lock per login name: attempts on one login run one at a time in this
/// process, so a burst of parallel guesses cannot all pass the check before
/// the first failure is counted. (Across servers the window is one
/// attempt's duration per server.) Hold the returned lock for the attempt.
pub fn gate(login: &str) -> std::sync::Arc<std::sync::Mutex<()>> {
    static GATES: std::sync::OnceLock<std::sync::Mutex<Gates>> = std::sync::OnceLock::new();
    let mut gates = GATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    // Drop the gates nobody holds, so unknown logins do not pile up.
    if gates.len() > 1_000 {
        gates.retain(|_, g| std::sync::Arc::strong_count(g) > 1);
    }
    std::sync::Arc::clone(gates.entry(login.to_owned()).or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn failures(n: usize, last: OffsetDateTime) -> Vec<FailedLogin> {
        (0..n)
            .map(|i| FailedLogin {
                at: last - Duration::seconds(i as i64),
                source: "192.0.2.1".into(),
            })
            .collect()
    }

    #[test]
    fn five_failures_are_free_then_waits_double_then_the_login_locks() {
        let now = datetime!(2026-12-01 10:00 UTC);
        assert_eq!(
            judge(PER_LOGIN, &failures(4, now), Scope::Login, now),
            Verdict::Allow
        );
        let waits: Vec<Option<i64>> = (5..10)
            .map(|n| judge(PER_LOGIN, &failures(n, now), Scope::Login, now).retry_after(now))
            .collect();
        assert_eq!(waits, [Some(2), Some(4), Some(8), Some(16), Some(32)]);
        let locked = judge(PER_LOGIN, &failures(10, now), Scope::Login, now);
        assert!(matches!(locked, Verdict::Locked { .. }), "{locked:?}");
        assert_eq!(locked.retry_after(now), Some(15 * 60));
        // Waiting it out is enough; old failures stop counting.
        let later = now + Duration::minutes(16);
        assert_eq!(
            judge(PER_LOGIN, &failures(10, now), Scope::Login, later),
            Verdict::Allow
        );
        assert!(locks_after_one_more(&failures(9, now), PER_LOGIN, now));
    }

    #[test]
    fn a_shared_address_gets_more_room_than_one_login() {
        let now = datetime!(2026-12-01 10:00 UTC);
        let many = LoginFailures {
            by_login: Vec::new(),
            by_source: failures(10, now),
        };
        assert_eq!(verdict(&many, now), Verdict::Allow);
        let flood = LoginFailures {
            by_login: failures(1, now),
            by_source: failures(100, now),
        };
        assert!(matches!(
            verdict(&flood, now),
            Verdict::Locked {
                scope: Scope::Source,
                ..
            }
        ));
    }
}
