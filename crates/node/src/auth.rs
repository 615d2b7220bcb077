//! Passwords, session tokens and login throttling.
//!
//! - Passwords are stored as Argon2id PHC strings (RustCrypto `argon2`, default OWASP
//!   parameters). Hashing and verifying are slow on purpose: callers run them on a blocking
//!   thread. A login for an unknown user still verifies against a dummy hash, so the answer
//!   takes as long as for a real one.
//! - Session tokens are signed, not stored: `lpt1.<claims>.<mac>`, the claims (user, nation,
//!   clearance, role, issue and expiry times) in base64url JSON, the MAC a keyed BLAKE2b over
//!   them with the node's secret key (`node.key` in the data directory). Any process holding the
//!   key can check a token, and a restart does not log everyone out.
//! - Failed logins are counted per user name and per client address; past the configured number
//!   the key is locked out for a time that doubles with each further failure (at most an hour).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64ct::{Base64UrlUnpadded, Encoding};
use blake2::Blake2bMac512;
use blake2::digest::{KeyInit, Mac};
use liptako_model::{Nation, Principal, Role};
use liptako_store::{AuditEntry, UserRecord, WriteOp};

use crate::state::Node;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "node.key";
const KEY_BYTES: usize = 64;
const TOKEN_PREFIX: &str = "lpt1.";
/// The longest lock-out.
const MAX_LOCKOUT: Duration = Duration::from_secs(3600);
/// Throttle entries kept before expired ones are swept.
const THROTTLE_SWEEP_AT: usize = 10_000;

/// Hashes a password for storage (slow: run on a blocking thread).
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|err| AuthError::Hash(err.to_string()))
}

/// Whether `password` matches a stored PHC string (slow: run on a blocking thread).
pub fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Verifies against a fixed hash, so a login for an unknown user costs the same time.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash_password("liptako-dummy-password").unwrap_or_default());
    let _ = verify_password(password, phc);
}

/// A random password for people to type: 20 characters from an alphabet without look-alikes.
pub fn generate_password() -> Result<String, AuthError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|err| AuthError::Random(err.to_string()))?;
    Ok(bytes
        .iter()
        .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
        .collect())
}

/// Reads the node's secret key, creating it (readable by the owner only) if it is missing.
pub fn load_or_create_key(data_dir: &Path) -> Result<Vec<u8>, AuthError> {
    let path = data_dir.join(KEY_FILE);
    match std::fs::read(&path) {
        Ok(key) if key.len() == KEY_BYTES => Ok(key),
        Ok(_) => Err(AuthError::Key(format!(
            "{}: expected {KEY_BYTES} bytes",
            path.display()
        ))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; KEY_BYTES];
            getrandom::fill(&mut key).map_err(|err| AuthError::Random(err.to_string()))?;
            write_private(&path, &key)
                .map_err(|err| AuthError::Key(format!("{}: {err}", path.display())))?;
            Ok(key)
        }
        Err(err) => Err(AuthError::Key(format!("{}: {err}", path.display()))),
    }
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Claims {
    sub: String,
    nat: Nation,
    clr: String,
    rol: Role,
    iat: i64,
    exp: i64,
}

/// Issues and checks tokens, and throttles logins.
pub struct Auth {
    key: Vec<u8>,
    ttl: Duration,
    max_failed: u32,
    lockout: Duration,
    throttle: Mutex<HashMap<ThrottleKey, Failures>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ThrottleKey {
    User(String),
    Addr(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    locked_until: Option<Instant>,
}

impl Auth {
    /// An authority with the node's key and the configured limits.
    pub fn new(key: Vec<u8>, ttl: Duration, max_failed: u32, lockout: Duration) -> Auth {
        Auth {
            key,
            ttl,
            max_failed: max_failed.max(1),
            lockout,
            throttle: Mutex::new(HashMap::new()),
        }
    }

    /// A token for `principal`, valid from `now` for the configured time; and its expiry.
    pub fn issue(&self, principal: &Principal, now: OffsetDateTime) -> (String, OffsetDateTime) {
        let expires = now + self.ttl;
        let claims = Claims {
            sub: principal.name.clone(),
            nat: principal.nation,
            clr: principal.clearance.clone(),
            rol: principal.role,
            iat: now.unix_timestamp(),
            exp: expires.unix_timestamp(),
        };
        // Serialising a struct of strings and integers cannot fail.
        let body =
            Base64UrlUnpadded::encode_string(&serde_json::to_vec(&claims).unwrap_or_default());
        let mac = Base64UrlUnpadded::encode_string(&self.mac(body.as_bytes()));
        (format!("{TOKEN_PREFIX}{body}.{mac}"), expires)
    }

    /// The principal a token names, if the token is genuine and not expired at `now`.
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Principal, TokenError> {
        let rest = token
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(TokenError::Malformed)?;
        let (body, mac) = rest.split_once('.').ok_or(TokenError::Malformed)?;
        let mac = Base64UrlUnpadded::decode_vec(mac).map_err(|_| TokenError::Malformed)?;
        let mut check = self.mac_state();
        check.update(body.as_bytes());
        check
            .verify_slice(&mac)
            .map_err(|_| TokenError::BadSignature)?;
        let claims: Claims = Base64UrlUnpadded::decode_vec(body)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or(TokenError::Malformed)?;
        if now.unix_timestamp() >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(Principal {
            name: claims.sub,
            nation: claims.nat,
            clearance: claims.clr,
            role: claims.rol,
        })
    }

    fn mac_state(&self) -> Blake2bMac512 {
        // The key is KEY_BYTES long, within BLAKE2b's 64-byte key limit, so this cannot fail;
        // an empty-key MAC would still be a MAC, never a bypass.
        <Blake2bMac512 as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| <Blake2bMac512 as KeyInit>::new(&Default::default()))
    }

    fn mac(&self, bytes: &[u8]) -> Vec<u8> {
        let mut state = self.mac_state();
        state.update(bytes);
        state.finalize().into_bytes().to_vec()
    }

    /// `Err(retry_after)` if this user name or address is locked out at `now`.
    pub fn check_throttle(
        &self,
        user: &str,
        addr: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), Duration> {
        let throttle = self.lock_throttle();
        let keys = throttle_keys(user, addr);
        let wait = keys
            .iter()
            .filter_map(|key| throttle.get(key))
            .filter_map(|failures| failures.locked_until)
            .filter_map(|until| until.checked_duration_since(now))
            .max();
        match wait {
            Some(wait) if !wait.is_zero() => Err(wait),
            _ => Ok(()),
        }
    }

    /// Counts a failed login; returns the lock-out it started, if any.
    pub fn record_failure(
        &self,
        user: &str,
        addr: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        let mut throttle = self.lock_throttle();
        if throttle.len() > THROTTLE_SWEEP_AT {
            throttle.retain(|_, failures| failures.locked_until.is_some_and(|until| until > now));
        }
        let mut longest = None;
        for key in throttle_keys(user, addr) {
            let failures = throttle.entry(key).or_insert(Failures {
                count: 0,
                locked_until: None,
            });
            failures.count = failures.count.saturating_add(1);
            if failures.count >= self.max_failed {
                let doublings = (failures.count - self.max_failed).min(16);
                let lockout = self.lockout.saturating_mul(1 << doublings).min(MAX_LOCKOUT);
                failures.locked_until = Some(now + lockout);
                longest = longest.max(Some(lockout));
            }
        }
        longest
    }

    /// Clears the failures of a user name and address after a successful login.
    pub fn record_success(&self, user: &str, addr: Option<IpAddr>) {
        let mut throttle = self.lock_throttle();
        for key in throttle_keys(user, addr) {
            throttle.remove(&key);
        }
    }

    fn lock_throttle(&self) -> std::sync::MutexGuard<'_, HashMap<ThrottleKey, Failures>> {
        // The map holds counters only; a panic elsewhere cannot leave it inconsistent.
        self.throttle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn throttle_keys(user: &str, addr: Option<IpAddr>) -> Vec<ThrottleKey> {
    let mut keys = vec![ThrottleKey::User(user.to_owned())];
    keys.extend(addr.map(ThrottleKey::Addr));
    keys
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a Liptako token.
    #[error("malformed bearer token")]
    Malformed,
    /// Not signed by this node's key (or altered).
    #[error("bearer token not issued here, or altered")]
    BadSignature,
    /// Past its expiry.
    #[error("bearer token expired: log in again")]
    Expired,
}

/// A failure of the password or key machinery itself.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// Hashing failed.
    #[error("password hashing: {0}")]
    Hash(String),
    /// The system's random source failed.
    #[error("random source: {0}")]
    Random(String),
    /// The key file is unusable.
    #[error("node key: {0}")]
    Key(String),
}

/// Why a password login failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong user name or password, or a disabled user.
    #[error("wrong user name or password")]
    Refused,
    /// Too many failures: retry after this.
    #[error("too many failed attempts: retry in {} s", .0.as_secs().max(1))]
    Throttled(Duration),
    /// The store or a thread failed.
    #[error("internal error: {0}")]
    Internal(String),
}

/// **The one login** of every door (API, TAK `<auth>`, enrollment, TAXII Basic): throttled per
/// user and address, argon2 on a blocking thread (an unknown user costs the same time),
/// failures audited with the door's name.
pub async fn verify_login(
    node: &Arc<Node>,
    username: &str,
    password: &str,
    addr: Option<IpAddr>,
    door: &str,
) -> Result<Principal, LoginError> {
    node.auth()
        .check_throttle(username, addr, node.clock().instant())
        .map_err(LoginError::Throttled)?;
    let name = username.to_owned();
    let user = node
        .with_store(move |store| store.user(&name))
        .await
        .map_err(|err| LoginError::Internal(err.to_string()))?;
    let password = password.to_owned();
    let (user, matches) = tokio::task::spawn_blocking(move || match user {
        Some(user) if !user.disabled => {
            let matches = verify_password(&password, &user.password_hash);
            (Some(user), matches)
        }
        _ => {
            verify_dummy(&password);
            (None, false)
        }
    })
    .await
    .map_err(|err| LoginError::Internal(err.to_string()))?;
    let Some(user) = user.filter(|_| matches) else {
        node.auth()
            .record_failure(username, addr, node.clock().instant());
        let audit = WriteOp::Audit(AuditEntry {
            at: node.now(),
            actor: username.to_owned(),
            action: "login_failed".into(),
            object_id: None,
            version: None,
            partner: None,
            detail: format!(
                "{door}{}",
                addr.map(|addr| format!(" from {addr}")).unwrap_or_default()
            ),
        });
        node.write(vec![audit])
            .await
            .map_err(|err| LoginError::Internal(err.to_string()))?;
        return Err(LoginError::Refused);
    };
    node.auth().record_success(username, addr);
    Ok(user_principal(&user))
}

/// **The one user → principal**: what a user account speaks for at every door.
pub fn user_principal(user: &UserRecord) -> Principal {
    Principal {
        name: user.name.clone(),
        nation: user.nation,
        clearance: user.clearance.clone(),
        role: user.role,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(
            vec![7; KEY_BYTES],
            Duration::from_secs(60),
            3,
            Duration::from_secs(10),
        )
    }

    fn principal() -> Principal {
        Principal::new("awa", Nation::parse("BFA").unwrap(), "C", Role::Editor)
    }

    #[test]
    fn tokens_roundtrip_and_expire() {
        let auth = auth();
        let now = OffsetDateTime::now_utc();
        let (token, expires) = auth.issue(&principal(), now);
        assert_eq!(auth.verify(&token, now), Ok(principal()));
        assert_eq!(
            auth.verify(&token, expires + time::Duration::seconds(1)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tampered_or_foreign_tokens_fail() {
        let auth = auth();
        let now = OffsetDateTime::now_utc();
        let (token, _) = auth.issue(&principal(), now);
        // Raise the clearance in the claims and keep the old MAC.
        let (body, mac) = token
            .trim_start_matches(TOKEN_PREFIX)
            .split_once('.')
            .unwrap();
        let json = String::from_utf8(Base64UrlUnpadded::decode_vec(body).unwrap()).unwrap();
        let forged = Base64UrlUnpadded::encode_string(json.replace("\"C\"", "\"S\"").as_bytes());
        assert_eq!(
            auth.verify(&format!("{TOKEN_PREFIX}{forged}.{mac}"), now),
            Err(TokenError::BadSignature)
        );
        let other = Auth::new(
            vec![8; KEY_BYTES],
            Duration::from_secs(60),
            3,
            Duration::ZERO,
        );
        assert_eq!(other.verify(&token, now), Err(TokenError::BadSignature));
        assert_eq!(auth.verify("Bearer x", now), Err(TokenError::Malformed));
        assert_eq!(auth.verify("lpt1.abc", now), Err(TokenError::Malformed));
    }

    #[test]
    fn passwords() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("x", "not a phc string"));
        let generated = generate_password().unwrap();
        assert_eq!(generated.len(), 20);
    }

    #[test]
    fn throttle_locks_out_and_doubles() {
        let auth = auth();
        let addr: Option<IpAddr> = Some([10, 0, 0, 1].into());
        let t0 = Instant::now();
        assert_eq!(auth.record_failure("awa", addr, t0), None);
        assert_eq!(auth.record_failure("awa", addr, t0), None);
        assert_eq!(
            auth.record_failure("awa", addr, t0),
            Some(Duration::from_secs(10))
        );
        assert!(auth.check_throttle("awa", None, t0).is_err());
        // The address is locked too, whatever the user name.
        assert!(auth.check_throttle("someone", addr, t0).is_err());
        assert!(auth.check_throttle("someone", None, t0).is_ok());
        assert!(
            auth.check_throttle("awa", None, t0 + Duration::from_secs(11))
                .is_ok()
        );
        assert_eq!(
            auth.record_failure("awa", addr, t0 + Duration::from_secs(11)),
            Some(Duration::from_secs(20))
        );
        auth.record_success("awa", addr);
        assert!(
            auth.check_throttle("awa", addr, t0 + Duration::from_secs(12))
                .is_ok()
        );
    }
}
