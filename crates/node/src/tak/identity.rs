//! Who a TAK client is on the map: its device uid and its callsign, which other clients use to
//! address it (`<marti><dest callsign|uid>`, one-to-one GeoChat). A client says both about
//! itself, so the hub keeps who claimed each first ([`Identities`]) and routes directed messages
//! only to the holder.
//!
//! The rules, for a uid and a callsign alike:
//! - a claim belongs to its [`Claimant`]: an authenticated principal (certificate, or logged in
//!   with `<auth>`) by name, so that a user's devices and reconnections keep what is theirs; an
//!   anonymous client by its session, since every anonymous client shares one principal;
//! - it is live while a session of its claimant holds it; once the last one disconnects, an
//!   anonymous claim lapses at once and an authenticated one stays until the stale time of its
//!   last report, at least [`GRACE`] and at most [`MEMORY`] later, so that nobody takes a
//!   user's callsign while its phone changes networks;
//! - another claimant's claim on a live value is refused ([`Claimed::Refused`]), except that an
//!   authenticated claimant takes a value back from an anonymous one ([`Claimed::TakenBack`]):
//!   an anonymous client never holds what is a user's.
//!
//! Pure bookkeeping: time comes in as an argument.

use std::collections::HashMap;
use std::time::Duration;

use time::OffsetDateTime;

/// How long an authenticated client's claim outlives its last session, at least.
pub const GRACE: Duration = Duration::from_secs(120);
/// How long an authenticated client's claim outlives its last session, at most (a client sets
/// its own stale times).
pub const MEMORY: Duration = Duration::from_secs(3600);

/// Who owns a claim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Claimant {
    /// An authenticated principal, by name.
    Principal(String),
    /// One anonymous client, by session.
    Anonymous(u64),
}

impl Claimant {
    /// Whether this is an anonymous client.
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Claimant::Anonymous(_))
    }
}

/// What is claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A device uid.
    Uid,
    /// A callsign.
    Callsign,
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// The claimant holds it now (it was free, lapsed, or already its own).
    Held,
    /// Taken back from an anonymous client: these sessions held it and no longer do.
    TakenBack(Vec<u64>),
    /// Another claimant holds it.
    Refused,
}

#[derive(Debug, Clone)]
struct Claim {
    claimant: Claimant,
    /// Connected sessions holding it.
    sessions: Vec<u64>,
    /// The stale time of the last report that claimed it.
    stale: OffsetDateTime,
    /// When no session holds it: when it lapses.
    until: Option<OffsetDateTime>,
}

impl Claim {
    fn is_live(&self, now: OffsetDateTime) -> bool {
        !self.sessions.is_empty() || self.until.is_some_and(|until| until > now)
    }
}

/// Every live claim (see the module docs).
#[derive(Debug, Default)]
pub struct Identities {
    claims: HashMap<(Kind, String), Claim>,
}

impl Identities {
    /// Who holds `value` at `now`, if anyone.
    pub fn holder(&self, kind: Kind, value: &str, now: OffsetDateTime) -> Option<&Claimant> {
        self.claims
            .get(&(kind, value.to_owned()))
            .filter(|claim| claim.is_live(now))
            .map(|claim| &claim.claimant)
    }

    /// Whether `value` is held by someone else than `claimant` at `now`.
    pub fn held_by_other(
        &self,
        kind: Kind,
        value: &str,
        claimant: &Claimant,
        now: OffsetDateTime,
    ) -> bool {
        self.holder(kind, value, now)
            .is_some_and(|holder| holder != claimant)
    }

    /// What [`Identities::claim`] would answer, without claiming: `Refused` or not.
    pub fn may_claim(
        &self,
        kind: Kind,
        value: &str,
        claimant: &Claimant,
        now: OffsetDateTime,
    ) -> bool {
        match self.holder(kind, value, now) {
            None => true,
            Some(holder) if holder == claimant => true,
            Some(holder) => holder.is_anonymous() && !claimant.is_anonymous(),
        }
    }

    /// `session` of `claimant` claims `value`, reported with the stale time `stale`.
    pub fn claim(
        &mut self,
        kind: Kind,
        value: &str,
        claimant: &Claimant,
        session: u64,
        stale: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Claimed {
        if !self.may_claim(kind, value, claimant, now) {
            return Claimed::Refused;
        }
        let key = (kind, value.to_owned());
        let mut taken_from = Vec::new();
        match self.claims.get_mut(&key) {
            Some(claim) if claim.is_live(now) && &claim.claimant == claimant => {
                if !claim.sessions.contains(&session) {
                    claim.sessions.push(session);
                }
                claim.stale = stale;
                claim.until = None;
                return Claimed::Held;
            }
            Some(claim) if claim.is_live(now) => taken_from = std::mem::take(&mut claim.sessions),
            _ => {}
        }
        self.claims.insert(
            key,
            Claim {
                claimant: claimant.clone(),
                sessions: vec![session],
                stale,
                until: None,
            },
        );
        if taken_from.is_empty() {
            Claimed::Held
        } else {
            Claimed::TakenBack(taken_from)
        }
    }

    /// `session` no longer holds `value` (it claimed another, was taken back, or left).
    pub fn release(&mut self, kind: Kind, value: &str, session: u64, now: OffsetDateTime) {
        let key = (kind, value.to_owned());
        let Some(claim) = self.claims.get_mut(&key) else {
            return;
        };
        claim.sessions.retain(|held| *held != session);
        if !claim.sessions.is_empty() {
            return;
        }
        if claim.claimant.is_anonymous() {
            self.claims.remove(&key);
            return;
        }
        if claim.until.is_none() {
            let until = claim.stale.max(now + GRACE).min(now + MEMORY);
            claim.until = Some(until);
        }
    }

    /// Forgets claims that lapsed by `now`.
    pub fn sweep(&mut self, now: OffsetDateTime) {
        self.claims.retain(|_, claim| claim.is_live(now));
    }

    /// Claims kept (live or not yet swept).
    pub fn len(&self) -> usize {
        self.claims.len()
    }

    /// Whether no claim is kept.
    pub fn is_empty(&self) -> bool {
        self.claims.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> OffsetDateTime {
        time::macros::datetime!(2026-12-06 18:00 UTC)
    }

    fn user(name: &str) -> Claimant {
        Claimant::Principal(name.to_owned())
    }

    #[test]
    fn the_first_claimant_keeps_it_while_connected() {
        let mut ids = Identities::default();
        let now = t0();
        let stale = now + Duration::from_secs(60);
        assert_eq!(
            ids.claim(Kind::Callsign, "ALPHA", &user("awa"), 1, stale, now),
            Claimed::Held
        );
        // Another user and an anonymous client are refused; the same user's other device is not.
        assert_eq!(
            ids.claim(Kind::Callsign, "ALPHA", &user("moussa"), 2, stale, now),
            Claimed::Refused
        );
        assert_eq!(
            ids.claim(
                Kind::Callsign,
                "ALPHA",
                &Claimant::Anonymous(3),
                3,
                stale,
                now
            ),
            Claimed::Refused
        );
        assert_eq!(
            ids.claim(Kind::Callsign, "ALPHA", &user("awa"), 4, stale, now),
            Claimed::Held
        );
        // Still held long after its stale time, while a session holds it.
        let later = now + Duration::from_secs(86_400);
        assert_eq!(
            ids.holder(Kind::Callsign, "ALPHA", later),
            Some(&user("awa"))
        );
        // Uids and callsigns are separate spaces.
        assert_eq!(ids.holder(Kind::Uid, "ALPHA", now), None);
    }

    #[test]
    fn a_user_takes_back_from_an_anonymous_client_never_the_reverse() {
        let mut ids = Identities::default();
        let now = t0();
        let stale = now + Duration::from_secs(60);
        let anonymous = Claimant::Anonymous(7);
        assert_eq!(
            ids.claim(Kind::Uid, "ANDROID-1", &anonymous, 7, stale, now),
            Claimed::Held
        );
        // Another anonymous client is another claimant.
        assert!(!ids.may_claim(Kind::Uid, "ANDROID-1", &Claimant::Anonymous(8), now));
        assert_eq!(
            ids.claim(Kind::Uid, "ANDROID-1", &user("awa"), 9, stale, now),
            Claimed::TakenBack(vec![7])
        );
        assert_eq!(
            ids.claim(Kind::Uid, "ANDROID-1", &anonymous, 7, stale, now),
            Claimed::Refused
        );
    }

    #[test]
    fn claims_outlive_their_last_session_by_who_made_them() {
        let mut ids = Identities::default();
        let now = t0();
        let anonymous = Claimant::Anonymous(1);
        ids.claim(Kind::Callsign, "GUEST", &anonymous, 1, now, now);
        ids.release(Kind::Callsign, "GUEST", 1, now);
        assert_eq!(ids.holder(Kind::Callsign, "GUEST", now), None);

        // A user's claim stays until its report's stale time, at least GRACE ...
        let stale = now + Duration::from_secs(600);
        ids.claim(Kind::Callsign, "ALPHA", &user("awa"), 2, stale, now);
        ids.release(Kind::Callsign, "ALPHA", 2, now);
        let anonymous = Claimant::Anonymous(3);
        assert!(!ids.may_claim(
            Kind::Callsign,
            "ALPHA",
            &anonymous,
            now + Duration::from_secs(599)
        ));
        assert!(ids.may_claim(
            Kind::Callsign,
            "ALPHA",
            &anonymous,
            now + Duration::from_secs(601)
        ));
        ids.claim(Kind::Callsign, "BRAVO", &user("awa"), 2, now, now);
        ids.release(Kind::Callsign, "BRAVO", 2, now);
        assert!(ids.held_by_other(Kind::Callsign, "BRAVO", &anonymous, now + GRACE / 2));
        assert!(!ids.held_by_other(Kind::Callsign, "BRAVO", &anonymous, now + GRACE));
        // ... and at most MEMORY, whatever stale time the client wrote.
        let far = now + Duration::from_secs(10 * 86_400);
        ids.claim(Kind::Callsign, "CHARLIE", &user("awa"), 2, far, now);
        ids.release(Kind::Callsign, "CHARLIE", 2, now);
        assert!(ids.held_by_other(Kind::Callsign, "CHARLIE", &anonymous, now + MEMORY / 2));
        assert!(!ids.held_by_other(Kind::Callsign, "CHARLIE", &anonymous, now + MEMORY));
        // The user comes back within the time: still theirs.
        assert_eq!(
            ids.claim(
                Kind::Callsign,
                "CHARLIE",
                &user("awa"),
                5,
                far,
                now + MEMORY / 2
            ),
            Claimed::Held
        );
        ids.sweep(now + MEMORY * 2);
        assert_eq!(ids.len(), 1, "only the held claim is left");
    }
}
