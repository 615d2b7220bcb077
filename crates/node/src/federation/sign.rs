//! Origin signatures: partners cannot forge.
//!
//! Every node signs, with its origin key (Ed25519, `pki`), what it originates: each entry of
//! its own log carries an [`Attestation`], the origin's signed statement of the entry's
//! position (origin, sequence number), the object's id and version, the version's marking,
//! world and tombstone flag, and the SHA-256 digest of the version's canonical JSON (the
//! object serialised by this program; every node serialises a parsed object to the same
//! bytes). A relay forwards the attestation as it received it; it cannot make one.
//!
//! A receiver holds a partner's entry of an origin's log only if the origin key it accredits
//! for that origin (`[federation] origin_keys`) verifies it, whoever relayed it:
//!
//! - a **version** only with an attestation of that very position whose fields and digest
//!   match the version received;
//! - a **recall** only with a [`RecallProof`]: the attestation of the recalled position (the
//!   object's version there) and the attestation of a version, that one or a later one, whose
//!   marking this node may not hold over the link. A relay can thus recall only what the origin
//!   itself withdrew from this nation, never erase what this node may hold. The proof shows the
//!   withdrawing version's marking and digest, never its content.
//!
//! So a malicious or compromised partner can withhold or delay a third nation's entries, but
//! not forge them, alter them, move them to another position (which would make the genuine
//! entry there be skipped), or recall them.

use std::collections::BTreeMap;

use base64ct::Encoding as _;
use liptako_model::{Marked, Marking, Meta, Nation};
use liptako_store::{LogBody, LogEntry};
use ring::signature::{ED25519, Ed25519KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::pki::OriginPublicKey;

/// What the signature is over starts with this (domain separation).
const DOMAIN: &[u8] = b"liptako origin attestation v1\n";

/// An origin's signed statement about one entry of its log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// The entry's position in the origin's log.
    pub seq: u64,
    /// The object's version at that position.
    pub version: u64,
    /// The version's marking.
    pub marking: Marking,
    /// The version's exercise world, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<String>,
    /// Whether the version is a tombstone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// SHA-256 of the version's canonical JSON, lowercase hex.
    pub digest: String,
    /// Ed25519 signature, base64.
    pub signature: String,
}

/// Why a recall may be applied: see the module documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecallProof {
    /// The attestation of the recalled position.
    pub at: Attestation,
    /// The attestation of the version that withdrew the object from the receiver.
    pub by: Attestation,
}

/// SHA-256 of a version's canonical JSON, lowercase hex.
pub fn digest(payload: &[u8]) -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, payload);
    hash.as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The bytes signed for an attestation of `origin`'s object `id`.
fn statement(origin: Nation, id: Uuid, attestation: &Attestation) -> Vec<u8> {
    let fields = (
        origin,
        id,
        attestation.seq,
        attestation.version,
        &attestation.marking,
        &attestation.exercise,
        attestation.deleted,
        &attestation.digest,
    );
    let mut bytes = DOMAIN.to_vec();
    // A tuple of plain values: one JSON array, the same bytes on every node.
    bytes.extend(serde_json::to_vec(&fields).unwrap_or_default());
    bytes
}

/// Signs the version `meta` (canonical JSON `payload`) at `seq` of this node's log.
pub fn attest(key: &Ed25519KeyPair, seq: u64, meta: &Meta, payload: &[u8]) -> Attestation {
    let mut attestation = Attestation {
        seq,
        version: meta.version,
        marking: meta.marking.clone(),
        exercise: meta.exercise.clone(),
        deleted: meta.deleted,
        digest: digest(payload),
        signature: String::new(),
    };
    let signature = key.sign(&statement(meta.origin, meta.id, &attestation));
    attestation.signature = base64ct::Base64::encode_string(signature.as_ref());
    attestation
}

impl Attestation {
    /// Whether `key` signed this attestation for `origin`'s object `id`.
    pub fn verifies(&self, key: &OriginPublicKey, origin: Nation, id: Uuid) -> bool {
        let Ok(signature) = base64ct::Base64::decode_vec(&self.signature) else {
            return false;
        };
        UnparsedPublicKey::new(&ED25519, key.0)
            .verify(&statement(origin, id, self), &signature)
            .is_ok()
    }

    /// Whether it describes the version `meta` whose canonical JSON has digest `digest`.
    pub fn describes(&self, meta: &Meta, digest: &str) -> bool {
        self.version == meta.version
            && self.marking == meta.marking
            && self.exercise == meta.exercise
            && self.deleted == meta.deleted
            && self.digest == digest
    }

    /// The attested version's marking as the access rule reads it.
    pub fn marked(&self, origin: Nation) -> AttestedVersion<'_> {
        AttestedVersion {
            origin,
            attestation: self,
        }
    }
}

/// An attested version, for `Policy::allows`.
#[derive(Debug)]
pub struct AttestedVersion<'a> {
    origin: Nation,
    attestation: &'a Attestation,
}

impl Marked for AttestedVersion<'_> {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.attestation.marking
    }
    fn world(&self) -> Option<&str> {
        self.attestation.exercise.as_deref()
    }
    fn is_deleted(&self) -> bool {
        self.attestation.deleted
    }
}

/// Own attestations kept once made (each link sends the same new versions; an entry at a
/// position of this node's log never changes), at most this many, the oldest positions going
/// first.
const SIGNED_KEPT: usize = 16_384;

/// This node's origin key, and the nation it signs for.
#[derive(Debug)]
pub struct Signer {
    /// This node's nation.
    pub nation: Nation,
    /// Its origin key.
    pub key: Ed25519KeyPair,
    /// Attestations of its own log's latest positions, by position.
    signed: std::sync::Mutex<BTreeMap<u64, Attestation>>,
}

impl Signer {
    /// The signer of `nation` with its origin `key`.
    pub fn new(nation: Nation, key: Ed25519KeyPair) -> Signer {
        Signer {
            nation,
            key,
            signed: std::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// This node's attestation of its own version at `seq`, signed once for every link.
    fn own(&self, seq: u64, meta: &Meta, payload: &[u8]) -> Attestation {
        let lock = || {
            self.signed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(kept) = lock().get(&seq) {
            return kept.clone();
        }
        let made = attest(&self.key, seq, meta, payload);
        let mut signed = lock();
        signed.insert(seq, made.clone());
        while signed.len() > SIGNED_KEPT {
            signed.pop_first();
        }
        made
    }

    /// The attestation of a log entry this node may send: its own versions are signed now;
    /// a partner's carry the attestation received with them (`None` if it came without one,
    /// before signatures existed, or is not a version).
    pub fn attestation(&self, origin: Nation, entry: &LogEntry) -> Option<Attestation> {
        match (&entry.body, origin == self.nation) {
            (LogBody::Version { meta, payload }, true) => Some(self.own(entry.seq, meta, payload)),
            (LogBody::Version { .. } | LogBody::Dropped { .. }, false) => entry
                .attestation
                .as_deref()
                .and_then(|bytes| serde_json::from_slice(bytes).ok()),
            _ => None,
        }
    }

    /// The proof a partner's recall came with (relayed as it came).
    pub fn stored_proof(entry: &LogEntry) -> Option<RecallProof> {
        match entry.body {
            LogBody::Recall => entry
                .attestation
                .as_deref()
                .and_then(|bytes| serde_json::from_slice(bytes).ok()),
            _ => None,
        }
    }
}

/// The origin keys a node accredits.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: BTreeMap<Nation, OriginPublicKey>,
}

impl Keyring {
    /// A keyring from `[federation] origin_keys` (already checked when the configuration was
    /// read; an unparsable key accredits nothing).
    pub fn from_config(keys: &BTreeMap<Nation, String>) -> Keyring {
        Keyring {
            keys: keys
                .iter()
                .filter_map(|(nation, text)| {
                    OriginPublicKey::parse(text).ok().map(|key| (*nation, key))
                })
                .collect(),
        }
    }

    /// Accredits `key` for `origin`.
    pub fn insert(&mut self, origin: Nation, key: OriginPublicKey) {
        self.keys.insert(origin, key);
    }

    /// The key accredited for `origin`.
    pub fn get(&self, origin: Nation) -> Option<&OriginPublicKey> {
        self.keys.get(&origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Body, Object, Report, ReportKind};
    use ring::signature::KeyPair as _;

    fn key() -> Ed25519KeyPair {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
    }

    #[test]
    fn an_own_version_is_signed_once_for_every_link_and_the_kept_ones_are_bounded() {
        let signer = Signer::new(Nation::parse("MLI").unwrap(), key());
        let object = object();
        let payload = serde_json::to_vec(&object).unwrap();
        let first = signer.own(5, &object.meta, &payload);
        let again = signer.own(5, &object.meta, &payload);
        assert_eq!(first, again);
        let public = OriginPublicKey(signer.key.public_key().as_ref().try_into().unwrap());
        assert!(again.verifies(&public, object.meta.origin, object.meta.id));
        signer
            .signed
            .lock()
            .unwrap()
            .extend((1..=SIGNED_KEPT as u64).map(|seq| (seq, first.clone())));
        signer.own(SIGNED_KEPT as u64 + 1, &object.meta, &payload);
        let kept = signer.signed.lock().unwrap();
        assert_eq!(kept.len(), SIGNED_KEPT);
        assert_eq!(
            kept.keys().next(),
            Some(&2),
            "the oldest positions go first"
        );
    }

    fn object() -> Object {
        let at = time::macros::datetime!(2026-12-01 08:00:00.123456 UTC);
        Object {
            meta: Meta {
                id: Uuid::from_u128(7),
                origin: Nation::parse("MLI").unwrap(),
                version: 3,
                created: at,
                updated: at,
                valid_until: None,
                marking: Marking::new("DR", ["AES"]),
                exercise: Some("Tessit 26".into()),
                deleted: false,
            },
            body: Body::Report(Report {
                kind: ReportKind::Incident,
                title: "convoi \"attaqué\" à 0.1 km".into(),
                body: "line\nbreak \u{1F6A9}".into(),
                location: None,
            }),
        }
    }

    #[test]
    fn an_attestation_verifies_only_unchanged_and_with_its_origin_key() {
        let key = key();
        let public = crate::pki::origin_public_key(&key);
        let object = object();
        let payload = serde_json::to_vec(&object).unwrap();
        let good = attest(&key, 41, &object.meta, &payload);
        let (mli, id) = (object.meta.origin, object.meta.id);
        assert!(good.verifies(&public, mli, id));
        assert!(good.describes(&object.meta, &digest(&payload)));
        // Another origin's key, another origin, another object: no.
        let other = crate::pki::origin_public_key(&self::key());
        assert!(!good.verifies(&other, mli, id));
        assert!(!good.verifies(&public, Nation::parse("NER").unwrap(), id));
        assert!(!good.verifies(&public, mli, Uuid::from_u128(8)));
        // Every field is covered.
        let changes: [fn(&mut Attestation); 7] = [
            |a| a.seq += 1,
            |a| a.version += 1,
            |a| a.marking = Marking::new("DR", ["BFA"]),
            |a| a.exercise = None,
            |a| a.deleted = true,
            |a| a.digest = digest(b"other"),
            |a| a.signature = "AAAA".into(),
        ];
        for change in changes {
            let mut forged = good.clone();
            change(&mut forged);
            assert!(!forged.verifies(&public, mli, id), "{forged:?}");
        }
        // A changed version no longer matches the attestation.
        let mut changed = object.clone();
        if let Body::Report(report) = &mut changed.body {
            report.title.push('!');
        }
        let changed_payload = serde_json::to_vec(&changed).unwrap();
        assert!(!good.describes(&changed.meta, &digest(&changed_payload)));
    }

    proptest::proptest! {
        /// What a receiver hashes is the object it parsed, serialised again: it must be the
        /// origin's bytes exactly (any coordinates, any text, times to the microsecond).
        #[test]
        fn a_parsed_object_serialises_to_the_bytes_that_were_signed(
            lat in -90.0f64..90.0,
            lon in -180.0f64..180.0,
            alt_m in proptest::option::of(-500.0f64..9000.0),
            title in "\\PC{0,40}",
            micros in 0i64..1_000_000,
        ) {
            let mut object = object();
            let at = time::macros::datetime!(2026-12-01 08:00 UTC)
                + time::Duration::microseconds(micros);
            object.meta.updated = at;
            if let Body::Report(report) = &mut object.body {
                report.title = title;
                report.location = Some(liptako_model::Point { lat, lon, alt_m });
            }
            let bytes = serde_json::to_vec(&object).unwrap();
            let parsed: Object = serde_json::from_slice(&bytes).unwrap();
            proptest::prop_assert_eq!(serde_json::to_vec(&parsed).unwrap(), bytes);
        }
    }
}
