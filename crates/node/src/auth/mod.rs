//! Who is calling, for every door of the node: passwords, session tokens, the one login and the
//! one user → principal, and revocation.
//!
//! - **Passwords** are stored as Argon2id PHC strings (RustCrypto `argon2`, default OWASP
//!   parameters) under one policy ([`check_password`]). Checking is slow and takes ~19 MiB on
//!   purpose, so it runs on [`MAX_CONCURRENT_HASHES`] threads of its own ([`hasher`]); a login
//!   for an unknown user still checks a dummy hash, so the answer takes as long.
//! - **The one login**, [`verify_login`], used by the API, TAK `<auth>`, TAK enrollment and
//!   TAXII Basic: throttled **before** hashing ([`throttle`]), failures audited with the door's
//!   name (the user name as given, cut to [`MAX_AUDITED_NAME`] characters).
//! - **Session tokens** are signed, not stored: `lpt2.<claims>.<mac>`, the claims (user name, the
//!   account's session generation, issue and expiry times) in base64url JSON, the MAC a keyed
//!   BLAKE2b with the node's secret key (`node.key`). A token carries no clearance or role:
//!   **the principal is read from the account at each decision** ([`Users::principal`]), so a
//!   demotion applies at the next request, and disabling an account or resetting its password
//!   (which bumps its generation) ends every session at once, on every door.
//! - **Cursors** handed to clients are sealed ([`Auth::seal_cursor`]): a page position says
//!   nothing about the objects between two pages (how many hidden versions exist, how fast the
//!   node writes).

pub mod hasher;
pub mod throttle;
pub mod users;

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64ct::{Base64UrlUnpadded, Encoding};
use blake2::Blake2bMac512;
use blake2::digest::{KeyInit, Mac};
pub use hasher::{Hasher, HasherError, MAX_CONCURRENT_HASHES, MAX_WAITING_LOGINS};
use liptako_model::Principal;
use liptako_store::{AuditEntry, UserRecord, WriteOp};
use serde::{Deserialize, Serialize};
pub use throttle::Throttle;
use time::OffsetDateTime;
pub use users::{Refusal, Users, authenticate};

use crate::state::Node;

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "node.key";
const KEY_BYTES: usize = 64;
const TOKEN_PREFIX: &str = "lpt2.";
/// The longest user name a login looks up; anything longer is refused without hashing.
pub const MAX_LOGIN_NAME: usize = 128;
/// The longest user name written to the audit log.
pub const MAX_AUDITED_NAME: usize = 64;
/// Shortest and longest passwords.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=256;

/// The one password policy, for every path that sets a password (`init`, `user add`,
/// `user set`, the users API).
pub fn check_password(password: &str) -> Result<(), String> {
    let n_chars = password.chars().count();
    if PASSWORD_CHARS.contains(&n_chars) {
        Ok(())
    } else {
        Err(format!(
            "a password needs {} to {} characters",
            PASSWORD_CHARS.start(),
            PASSWORD_CHARS.end()
        ))
    }
}

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

/// A random password for people to type: 20 characters from an alphabet without look-alikes.
pub fn generate_password() -> Result<String, AuthError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|err| AuthError::Random(err.to_string()))?;
    Ok(bytes
        .iter()
        .map(|byte| {
            let idx = usize::from(*byte) % ALPHABET.len();
            ALPHABET.get(idx).copied().unwrap_or(b'x') as char
        })
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

/// Writes a file only its owner can read, durably (the file, then its directory).
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
    file.sync_all()?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Claims {
    /// The user.
    sub: String,
    /// The account's session generation when the token was issued.
    #[serde(rename = "gen")]
    generation: u64,
    iat: i64,
    exp: i64,
}

/// A genuine, unexpired session token: whose, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user name.
    pub user: String,
    /// The account's session generation it was issued under.
    pub generation: u64,
    /// When it stops working.
    pub expires: OffsetDateTime,
}

/// Issues and checks tokens and cursors, and holds the login throttle.
pub struct Auth {
    key: Vec<u8>,
    ttl: Duration,
    throttle: Throttle,
    hasher: Hasher,
}

impl Auth {
    /// An authority with the node's key, the token lifetime and the throttle's limits; starts
    /// the password-checking threads.
    pub fn new(
        key: Vec<u8>,
        ttl: Duration,
        max_failed: u32,
        lockout: Duration,
    ) -> Result<Auth, AuthError> {
        Ok(Auth {
            key,
            ttl,
            throttle: Throttle::new(max_failed, lockout),
            hasher: Hasher::start()
                .map_err(|err| AuthError::Hash(format!("cannot start its threads: {err}")))?,
        })
    }

    /// The login throttle.
    pub fn throttle(&self) -> &Throttle {
        &self.throttle
    }

    /// A token for `user` (under its current session generation), valid from `now` for the
    /// configured time; and its expiry.
    pub fn issue(&self, user: &UserRecord, now: OffsetDateTime) -> (String, OffsetDateTime) {
        let expires = now + self.ttl;
        let claims = Claims {
            sub: user.name.clone(),
            generation: user.session_gen,
            iat: now.unix_timestamp(),
            exp: expires.unix_timestamp(),
        };
        // Serialising a struct of strings and integers cannot fail.
        let body =
            Base64UrlUnpadded::encode_string(&serde_json::to_vec(&claims).unwrap_or_default());
        let mac = Base64UrlUnpadded::encode_string(&self.mac(&[body.as_bytes()]));
        (format!("{TOKEN_PREFIX}{body}.{mac}"), expires)
    }

    /// The session a token is for, if the token is genuine and not expired at `now`. Whether
    /// the account still allows it is [`Users::principal`]'s decision.
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Session, TokenError> {
        let rest = token
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(TokenError::Malformed)?;
        let (body, mac) = rest.split_once('.').ok_or(TokenError::Malformed)?;
        let mac = Base64UrlUnpadded::decode_vec(mac).map_err(|_| TokenError::Malformed)?;
        if !constant_time_eq(&self.mac(&[body.as_bytes()]), &mac) {
            return Err(TokenError::BadSignature);
        }
        let claims: Claims = Base64UrlUnpadded::decode_vec(body)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or(TokenError::Malformed)?;
        if now.unix_timestamp() >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(Session {
            user: claims.sub,
            generation: claims.generation,
            expires: OffsetDateTime::from_unix_timestamp(claims.exp)
                .map_err(|_| TokenError::Malformed)?,
        })
    }

    /// A list position as the client sees it: sealed, so that it says nothing (not the store's
    /// change counter, nor how far apart two pages are); only this node can open it.
    pub fn seal_cursor(&self, position: u64) -> String {
        let mut nonce = [0u8; 8];
        // Without randomness the cursor is still sealed, only no longer unlinkable.
        let _ = getrandom::fill(&mut nonce);
        let pad = self.mac(&[b"cursor-pad", &nonce]);
        let mut sealed = position.to_be_bytes();
        for (byte, key) in sealed.iter_mut().zip(pad.iter()) {
            *byte ^= key;
        }
        let tag = self.mac(&[b"cursor-tag", &nonce, &sealed]);
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        bytes.extend(tag.iter().take(16));
        Base64UrlUnpadded::encode_string(&bytes)
    }

    /// The position a sealed cursor holds, if this node sealed it and nobody altered it.
    pub fn open_cursor(&self, cursor: &str) -> Option<u64> {
        let bytes = Base64UrlUnpadded::decode_vec(cursor).ok()?;
        if bytes.len() != 32 {
            return None;
        }
        let (nonce, rest) = bytes.split_at(8);
        let (sealed, tag) = rest.split_at(8);
        let expected = self.mac(&[b"cursor-tag", nonce, sealed]);
        if !constant_time_eq(expected.get(..16)?, tag) {
            return None;
        }
        let pad = self.mac(&[b"cursor-pad", nonce]);
        let mut position = [0u8; 8];
        for ((out, byte), key) in position.iter_mut().zip(sealed).zip(pad.iter()) {
            *out = byte ^ key;
        }
        Some(u64::from_be_bytes(position))
    }

    fn mac_state(&self) -> Blake2bMac512 {
        // The key is KEY_BYTES long, within BLAKE2b's 64-byte key limit, so this cannot fail;
        // an empty-key MAC would still be a MAC, never a bypass.
        <Blake2bMac512 as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| <Blake2bMac512 as KeyInit>::new(&Default::default()))
    }

    fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut state = self.mac_state();
        for part in parts {
            // Length-prefixed, so that parts cannot slide into each other.
            state.update(&(part.len() as u64).to_be_bytes());
            state.update(part);
        }
        state.finalize().into_bytes().to_vec()
    }
}

/// Whether two MACs are equal, in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
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
    /// Too many failures, or too many logins at once: retry after this.
    #[error("too many failed attempts: retry in {} s", .0.as_secs().max(1))]
    Throttled(Duration),
    /// The store or a thread failed.
    #[error("internal error: {0}")]
    Internal(String),
}

/// **The one login** of every door (API, TAK `<auth>`, enrollment, TAXII Basic): the throttle
/// reserves the attempt before anything is hashed, at most [`MAX_CONCURRENT_HASHES`] hashes run
/// at once (argon2 on the hasher's threads; an unknown user costs the same), failures are
/// audited with the door's name. Returns the account, so the caller can issue a token.
pub async fn verify_login(
    node: &Arc<Node>,
    username: &str,
    password: &str,
    addr: Option<IpAddr>,
    door: &str,
) -> Result<UserRecord, LoginError> {
    let auth = node.auth();
    let audited_name: String = username.chars().take(MAX_AUDITED_NAME).collect();
    let attempt = auth
        .throttle
        .begin(&audited_name, addr, node.clock().instant())
        .map_err(LoginError::Throttled)?;
    let outcome = async {
        if username.chars().count() > MAX_LOGIN_NAME || password.chars().count() > 1024 {
            return Ok(None); // no account has such a name or password: refuse, hash nothing
        }
        let name = username.to_owned();
        let user = node
            .with_store(move |store| store.user(&name))
            .await
            .map_err(|err| LoginError::Internal(err.to_string()))?
            .filter(|user| !user.disabled);
        // A few threads check passwords behind a bounded queue; past it, callers are turned
        // away at once: a flood of logins can hold neither the node's memory nor its cores.
        let phc = user.as_ref().map(|user| user.password_hash.clone());
        match auth.hasher.check(password.to_owned(), phc).await {
            Ok(true) => Ok(user),
            Ok(false) => Ok(None),
            Err(HasherError::Busy) => Err(LoginError::Throttled(Duration::from_secs(1))),
            Err(err) => Err(LoginError::Internal(err.to_string())),
        }
    }
    .await;
    let now = node.clock().instant();
    match outcome {
        Ok(Some(user)) => {
            attempt.succeeded(now);
            Ok(user)
        }
        Ok(None) => {
            attempt.failed(now);
            let audit = WriteOp::Audit(AuditEntry {
                at: node.now(),
                actor: audited_name,
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
            Err(LoginError::Refused)
        }
        // Turned away before hashing: not a failure of the password.
        Err(err) => {
            attempt.released();
            Err(err)
        }
    }
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
    use liptako_model::{Nation, Role};

    fn auth() -> Auth {
        Auth::new(
            vec![7; KEY_BYTES],
            Duration::from_secs(60),
            3,
            Duration::from_secs(10),
        )
        .unwrap()
    }

    fn user() -> UserRecord {
        UserRecord {
            name: "awa".into(),
            nation: Nation::parse("BFA").unwrap(),
            clearance: "C".into(),
            role: Role::Editor,
            password_hash: String::new(),
            created: time::macros::datetime!(2026-12-01 00:00 UTC),
            disabled: false,
            session_gen: 3,
        }
    }

    #[test]
    fn tokens_roundtrip_and_expire() {
        let auth = auth();
        let now = time::macros::datetime!(2026-12-06 12:00 UTC);
        let (token, expires) = auth.issue(&user(), now);
        let session = auth.verify(&token, now).unwrap();
        assert_eq!((session.user.as_str(), session.generation), ("awa", 3));
        assert_eq!(session.expires, expires);
        assert_eq!(
            auth.verify(&token, expires + time::Duration::seconds(1)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tampered_or_foreign_tokens_fail() {
        let auth = auth();
        let now = time::macros::datetime!(2026-12-06 12:00 UTC);
        let (token, _) = auth.issue(&user(), now);
        // Move the session generation forward (a revoked token) and keep the old MAC.
        let (body, mac) = token
            .trim_start_matches(TOKEN_PREFIX)
            .split_once('.')
            .unwrap();
        let json = String::from_utf8(Base64UrlUnpadded::decode_vec(body).unwrap()).unwrap();
        let forged =
            Base64UrlUnpadded::encode_string(json.replace("\"gen\":3", "\"gen\":4").as_bytes());
        assert_eq!(
            auth.verify(&format!("{TOKEN_PREFIX}{forged}.{mac}"), now),
            Err(TokenError::BadSignature)
        );
        let other = Auth::new(
            vec![8; KEY_BYTES],
            Duration::from_secs(60),
            3,
            Duration::ZERO,
        )
        .unwrap();
        assert_eq!(other.verify(&token, now), Err(TokenError::BadSignature));
        assert_eq!(auth.verify("Bearer x", now), Err(TokenError::Malformed));
        assert_eq!(auth.verify("lpt2.abc", now), Err(TokenError::Malformed));
        // The first version's tokens carried clearance and role: no longer accepted.
        assert_eq!(auth.verify("lpt1.abc.def", now), Err(TokenError::Malformed));
    }

    #[test]
    fn cursors_are_sealed_and_unlinkable() {
        let auth = auth();
        let a = auth.seal_cursor(41);
        let b = auth.seal_cursor(41);
        assert_ne!(a, b, "the same position seals differently each time");
        assert_eq!(auth.open_cursor(&a), Some(41));
        assert_eq!(auth.open_cursor(&b), Some(41));
        let mut altered = Base64UrlUnpadded::decode_vec(&a).unwrap();
        altered[10] ^= 1;
        assert_eq!(
            auth.open_cursor(&Base64UrlUnpadded::encode_string(&altered)),
            None
        );
        assert_eq!(auth.open_cursor("41"), None);
        let other = Auth::new(
            vec![8; KEY_BYTES],
            Duration::from_secs(60),
            3,
            Duration::ZERO,
        )
        .unwrap();
        assert_eq!(other.open_cursor(&a), None);
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
        assert!(check_password(&generated).is_ok());
        assert!(check_password("abc").is_err());
        assert!(check_password(&"x".repeat(257)).is_err());
    }
}
