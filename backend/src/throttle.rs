//! Guessing passwords, slowed down: wrong log-ins are answered more slowly each time, and
//! after a few, the user (and, after more, the address) is locked for a while — `429`
//! with `Retry-After`. A success clears the count. Sessions already open are untouched,
//! so an attacker cannot log a real user's devices out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Wrong passwords for one user before it is locked, and for one address.
pub const USER_STRIKES: u32 = 5;
pub const ADDRESS_STRIKES: u32 = 20;
/// The first lock, doubled with each further strike, up to the longest.
pub const FIRST_LOCK: Duration = Duration::from_secs(30);
pub const LONGEST_LOCK: Duration = Duration::from_secs(15 * 60);
/// Counts are forgotten after this long without a wrong password.
const FORGET_AFTER: Duration = Duration::from_secs(3600);

#[derive(Clone, Copy)]
struct Strikes {
    count: u32,
    locked_until: Option<Instant>,
    last: Instant,
}

#[derive(Default)]
pub struct Throttle {
    users: HashMap<String, Strikes>,
    addresses: HashMap<IpAddr, Strikes>,
}

fn lock_for(count: u32, free: u32) -> Option<Duration> {
    (count >= free).then(|| {
        let doublings = (count - free).min(10);
        (FIRST_LOCK * 2u32.pow(doublings)).min(LONGEST_LOCK)
    })
}

impl Throttle {
    /// How long until `user` from `ip` may try again, if locked.
    pub fn wait(&self, user: &str, ip: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let until = |s: Option<&Strikes>| s.and_then(|s| s.locked_until).filter(|u| *u > now).map(|u| u - now);
        let a = until(self.users.get(user));
        let b = ip.and_then(|ip| until(self.addresses.get(&ip)));
        a.max(b)
    }

    /// A wrong password: how long to hold the answer back (the more, the slower).
    pub fn failed(&mut self, user: &str, ip: Option<IpAddr>, now: Instant) -> Duration {
        self.users.retain(|_, s| now.duration_since(s.last) < FORGET_AFTER);
        self.addresses.retain(|_, s| now.duration_since(s.last) < FORGET_AFTER);
        let strike = |s: &mut Strikes, free: u32| {
            s.count += 1;
            s.last = now;
            if let Some(d) = lock_for(s.count, free) {
                s.locked_until = Some(now + d);
            }
            s.count
        };
        let fresh = Strikes { count: 0, locked_until: None, last: now };
        let n = strike(self.users.entry(user.to_string()).or_insert(fresh), USER_STRIKES);
        if let Some(ip) = ip {
            strike(self.addresses.entry(ip).or_insert(fresh), ADDRESS_STRIKES);
        }
        Duration::from_millis(150 * u64::from(n.min(10)))
    }

    /// The right password: the user's count starts again.
    pub fn succeeded(&mut self, user: &str) {
        self.users.remove(user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_locked_after_five_wrong_passwords_for_longer_each_time() {
        let mut t = Throttle::default();
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let now = Instant::now();
        for _ in 0..4 {
            t.failed("fs_clerk", Some(ip), now);
        }
        assert_eq!(t.wait("fs_clerk", Some(ip), now), None, "four wrong passwords are forgiven");
        t.failed("fs_clerk", Some(ip), now);
        assert_eq!(t.wait("fs_clerk", Some(ip), now), Some(FIRST_LOCK));
        assert_eq!(t.wait("fs_clerk", None, now + FIRST_LOCK), None, "the lock ends");
        t.failed("fs_clerk", Some(ip), now + FIRST_LOCK);
        assert_eq!(t.wait("fs_clerk", None, now + FIRST_LOCK), Some(FIRST_LOCK * 2));
        assert_eq!(t.wait("sz_clerk", None, now), None, "other users are not locked");
        t.succeeded("fs_clerk");
        assert_eq!(t.wait("fs_clerk", None, now + FIRST_LOCK), None);
    }

    #[test]
    fn an_address_guessing_across_many_users_is_locked_too() {
        let mut t = Throttle::default();
        let ip: IpAddr = "10.0.0.9".parse().unwrap();
        let now = Instant::now();
        for n in 0..ADDRESS_STRIKES {
            t.failed(&format!("user{n}"), Some(ip), now);
        }
        assert!(t.wait("anyone", Some(ip), now).is_some());
        assert_eq!(t.wait("anyone", Some("10.0.0.10".parse().unwrap()), now), None);
    }
}
