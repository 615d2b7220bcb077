//! In-process table tests of the sender's decision (`collect`), on a real SQLite store with a
//! fixed clock: release, withdrawal, recall, ceiling, the partner's own objects and relaying;
//! every entry sent is checked by the receiver's rule (`pull::refusal`), and the receiver's
//! refusal of forged, altered, moved and unproven entries is tested on what the sender made.
//! The real-process tests (crates/liptako/tests/cli/federation.rs) run the same rule end to end.
#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

use std::collections::BTreeMap;

use liptako_model::{
    Body, Confederation, Draft, Expect, Levels, LinkAccreditation, Marking, Meta, Nation, Object,
    Policy, Report, ReportKind,
};
use liptako_store::{ReplicaEntry, SqliteStore, Store, WriteOp};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

use ring::signature::Ed25519KeyPair;

use super::{Link, Relay, collect};
use crate::federation::pull::refusal;
use crate::federation::sign::{Keyring, Signer, attest};
use crate::federation::wire::{BatchWriter, Entry, FrameReader, decode_frame};
use crate::pki::origin_public_key;

const T0: OffsetDateTime = datetime!(2026-12-01 08:00 UTC);

fn nation(code: &str) -> Nation {
    Nation::parse(code).unwrap()
}

struct Sender {
    _dir: tempfile::TempDir,
    store: SqliteStore,
    policy: Policy,
    /// MLI's origin key.
    signer: Signer,
    /// The other origins' keys (to sign what MLI receives from them).
    others: BTreeMap<Nation, Ed25519KeyPair>,
    /// Every origin's public key, as the receiver accredits them.
    keyring: Keyring,
    link: LinkAccreditation,
    cursors: BTreeMap<Nation, u64>,
    /// Every entry sent so far.
    log: Vec<Entry>,
}

fn new_key() -> Ed25519KeyPair {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

/// What one round sent: versions as (id, version, title), recalls as (id, version), covered
/// positions; and how many audit records it wrote.
#[derive(Debug, Default, PartialEq)]
struct Sent {
    versions: Vec<(Uuid, u64, String)>,
    recalls: Vec<(Uuid, u64)>,
    covered: Vec<(Nation, u64)>,
    audits: usize,
}

impl Sender {
    /// MLI's node, sending to BFA over a link with ceiling `ceiling`.
    fn new(ceiling: &str) -> Sender {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("liptako.db"), None).unwrap();
        let members = ["MLI", "BFA", "NER"].map(nation).into_iter().collect();
        let signer = Signer::new(nation("MLI"), new_key());
        let others = BTreeMap::from([(nation("BFA"), new_key()), (nation("NER"), new_key())]);
        let mut keyring = Keyring::default();
        keyring.insert(nation("MLI"), origin_public_key(&signer.key));
        for (origin, key) in &others {
            keyring.insert(*origin, origin_public_key(key));
        }
        Sender {
            _dir: dir,
            store,
            policy: Policy::new(
                Confederation::new("AES", members).unwrap(),
                Levels::default(),
            ),
            signer,
            others,
            keyring,
            link: LinkAccreditation {
                nation: nation("BFA"),
                ceiling: ceiling.into(),
            },
            cursors: BTreeMap::new(),
            log: Vec::new(),
        }
    }

    /// A local change of report `id` (MLI's): `expect` says which version it replaces.
    fn write(&self, id: Uuid, expect: Expect, title: &str, marking: Marking) {
        self.store
            .write(vec![WriteOp::Local {
                draft: Draft {
                    id,
                    origin: nation("MLI"),
                    expect,
                    at: T0,
                    marking,
                    valid_until: None,
                    exercise: None,
                    body: Some(report(title)),
                },
                actor: "awa".into(),
            }])
            .unwrap();
    }

    /// A version of another origin's report, received from `peer` as entry `seq`.
    fn receive(&self, peer: &str, origin: &str, seq: u64, id: Uuid, marking: Marking) {
        let object = Object {
            meta: Meta {
                id,
                origin: nation(origin),
                version: 1,
                created: T0,
                updated: T0,
                valid_until: None,
                marking,
                exercise: None,
                deleted: false,
            },
            body: report(&format!("{origin} {seq}")),
        };
        // Signed by its origin, as the receiving side checked before holding it.
        let payload = serde_json::to_vec(&object).unwrap();
        let attestation = attest(&self.others[&nation(origin)], seq, &object.meta, &payload);
        self.receive_as(
            peer,
            origin,
            seq,
            object,
            serde_json::to_vec(&attestation).unwrap(),
        );
    }

    /// A version received with `attestation` as its stored attestation (empty: none).
    fn receive_as(&self, peer: &str, origin: &str, seq: u64, object: Object, attestation: Vec<u8>) {
        self.store
            .write(vec![WriteOp::Replica {
                peer: nation(peer),
                origin: nation(origin),
                seq,
                entry: ReplicaEntry::Version(Box::new(object)),
                at: T0,
                attestation,
            }])
            .unwrap();
    }

    /// Why BFA, receiving `entry` over this link, would refuse it.
    fn refused(&self, entry: &Entry) -> Option<&'static str> {
        refusal(
            &self.link,
            &crate::state::exercise_worlds(&self.store).unwrap(),
            &self.policy,
            &self.keyring,
            entry,
        )
        .map(|refusal| refusal.reason)
    }

    /// One round at `now` with the receiver's direct links `relay`; its audit records are
    /// written, as the stream writes them before the frame leaves.
    fn round_with(&mut self, relay: &Relay, now: OffsetDateTime) -> Sent {
        let (round, cursors) = collect(
            &self.store,
            &self.policy,
            &self.signer,
            &Link {
                accreditation: &self.link,
                exercises: &crate::state::exercise_worlds(&self.store).unwrap(),
            },
            relay,
            self.cursors.clone(),
            now,
        )
        .unwrap();
        self.cursors = cursors;
        let mut sent = Sent {
            audits: round.audits.len(),
            ..Sent::default()
        };
        if !round.audits.is_empty() {
            self.store.write(round.audits).unwrap();
        }
        for entry in entries(round.batch) {
            // Whatever the sender sends, the receiver's rule accepts.
            assert_eq!(self.refused(&entry), None, "{entry:?}");
            self.log.push(entry.clone());
            match entry {
                Entry::Version { object, .. } => {
                    let Body::Report(report) = &object.body else {
                        panic!("not a report")
                    };
                    sent.versions
                        .push((object.meta.id, object.meta.version, report.title.clone()));
                }
                Entry::Recall { id, version, .. } => sent.recalls.push((id, version)),
                Entry::Covered { origin, seq } => sent.covered.push((origin, seq)),
            }
        }
        sent
    }

    fn round(&mut self) -> Sent {
        self.round_with(&no_relay(), T0)
    }
}

/// What a partner reads from the frame a batch makes.
fn entries(batch: BatchWriter) -> Vec<Entry> {
    let mut reader = FrameReader::default();
    reader.push(&batch.finish().unwrap());
    decode_frame(&reader.next_frame().unwrap().unwrap()).unwrap()
}

fn report(title: &str) -> Body {
    Body::Report(Report {
        kind: ReportKind::Incident,
        title: title.into(),
        body: String::new(),
        location: None,
    })
}

fn no_relay() -> Relay {
    Relay {
        ceilings: BTreeMap::new(),
        cursors: BTreeMap::new(),
        grace: super::RELAY_GRACE,
    }
}

fn rel(level: &str, to: &[&str]) -> Marking {
    Marking::new(level, to.iter().copied())
}

#[test]
fn a_releasable_version_crosses_once_and_is_audited() {
    let mut s = Sender::new("C");
    let id = Uuid::new_v4();
    s.write(id, Expect::New, "v1", rel("DR", &["AES"]));
    let sent = s.round();
    assert_eq!(sent.versions, [(id, 1, "v1".to_owned())]);
    assert_eq!(sent.audits, 1);
    // Nothing twice.
    assert_eq!(s.round(), Sent::default());
}

#[test]
fn what_the_link_may_not_hold_never_leaves() {
    let mut s = Sender::new("C");
    for (title, marking) in [
        ("national", rel("DR", &[])),
        ("to NER only", rel("DR", &["NER"])),
        ("above the ceiling", rel("S", &["AES"])),
        ("unknown level", rel("XX", &["AES"])),
    ] {
        s.write(Uuid::new_v4(), Expect::New, title, marking);
    }
    let sent = s.round();
    assert_eq!(sent, Sent::default());
    // Decided, not pending: the cursor is past them.
    assert_eq!(s.cursors.get(&nation("MLI")), Some(&4));
}

#[test]
fn a_version_withdrawn_before_the_round_never_crosses_nor_is_named() {
    let mut s = Sender::new("C");
    let id = Uuid::new_v4();
    s.write(id, Expect::New, "secret plan", rel("DR", &["AES"]));
    s.write(id, Expect::Version(1), "narrowed", rel("DR", &[]));
    assert_eq!(s.round(), Sent::default());
    // Raised above the link's ceiling: withdrawn as well.
    let raised = Uuid::new_v4();
    s.write(raised, Expect::New, "r1", rel("DR", &["AES"]));
    s.write(raised, Expect::Version(1), "r2", rel("S", &["AES"]));
    assert_eq!(s.round(), Sent::default());
}

#[test]
fn a_narrowed_and_rereleased_object_crosses_as_its_latest_version_only() {
    let mut s = Sender::new("C");
    let id = Uuid::new_v4();
    s.write(id, Expect::New, "v1", rel("DR", &["AES"]));
    s.write(id, Expect::Version(1), "v2", rel("DR", &[]));
    s.write(id, Expect::Version(2), "v3", rel("DR", &["BFA"]));
    let sent = s.round();
    assert_eq!(sent.versions, [(id, 3, "v3".to_owned())]);
    assert!(sent.recalls.is_empty());
}

#[test]
fn a_version_followed_by_releasable_ones_crosses_with_them() {
    let mut s = Sender::new("C");
    let id = Uuid::new_v4();
    s.write(id, Expect::New, "v1", rel("DR", &["AES"]));
    s.write(id, Expect::Version(1), "v2", rel("C", &["BFA"]));
    let sent = s.round();
    assert_eq!(
        sent.versions,
        [(id, 1, "v1".to_owned()), (id, 2, "v2".to_owned())]
    );
}

#[test]
fn what_the_partner_held_is_recalled_once_and_nothing_else_is() {
    let mut s = Sender::new("C");
    let held = Uuid::new_v4();
    s.write(held, Expect::New, "held", rel("DR", &["AES"]));
    assert_eq!(s.round().versions.len(), 1);
    s.write(held, Expect::Version(1), "narrowed", rel("DR", &["NER"]));
    let sent = s.round();
    assert_eq!(sent.recalls, [(held, 2)]);
    assert!(sent.versions.is_empty());
    assert_eq!(sent.audits, 1);
    // A further change the partner may not hold: it was recalled already, nothing more.
    s.write(
        held,
        Expect::Version(2),
        "still narrow",
        rel("DR", &["NER"]),
    );
    assert_eq!(s.round(), Sent::default());
    // Released again: the new version crosses.
    s.write(held, Expect::Version(3), "again", rel("DR", &["AES"]));
    assert_eq!(s.round().versions, [(held, 4, "again".to_owned())]);
}

#[test]
fn a_deletion_of_a_released_object_crosses_as_a_tombstone() {
    let mut s = Sender::new("C");
    let id = Uuid::new_v4();
    s.write(id, Expect::New, "v1", rel("DR", &["AES"]));
    assert_eq!(s.round().versions.len(), 1);
    s.store
        .write(vec![WriteOp::Local {
            draft: Draft {
                id,
                origin: nation("MLI"),
                expect: Expect::Version(1),
                at: T0,
                marking: rel("DR", &["AES"]),
                valid_until: None,
                exercise: None,
                body: None,
            },
            actor: "awa".into(),
        }])
        .unwrap();
    let (round, _) = collect(
        &s.store,
        &s.policy,
        &s.signer,
        &Link {
            accreditation: &s.link,
            exercises: &crate::state::exercise_worlds(&s.store).unwrap(),
        },
        &no_relay(),
        s.cursors.clone(),
        T0,
    )
    .unwrap();
    let entries = entries(round.batch);
    assert!(
        matches!(&entries[..], [Entry::Version { object, .. }] if object.meta.deleted && object.meta.version == 2),
        "{entries:?}"
    );
}

#[test]
fn the_partners_own_objects_are_never_sent_back() {
    let mut s = Sender::new("C");
    s.receive("BFA", "BFA", 1, Uuid::new_v4(), rel("DR", &["AES"]));
    assert_eq!(s.round(), Sent::default());
    assert_eq!(s.cursors.get(&nation("BFA")), None);
}

#[test]
fn a_relay_leaves_to_the_direct_link_what_it_carries_and_bridges_it_when_cut() {
    let mut s = Sender::new("C");
    let (early, late, only_via_us) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    s.receive("NER", "NER", 1, early, rel("DR", &["AES"]));
    s.receive("NER", "NER", 2, late, rel("DR", &["AES"]));
    // BFA's direct link to NER has a ceiling of DR: a C version can only come through us.
    s.receive("NER", "NER", 3, only_via_us, rel("C", &["AES"]));
    let mut relay = Relay {
        ceilings: BTreeMap::from([(nation("NER"), "DR".to_owned())]),
        cursors: BTreeMap::from([(nation("NER"), 1)]),
        grace: super::RELAY_GRACE,
    };
    // Within the grace: entry 1 is covered (delivered directly), entry 2 waits for the direct
    // link, and nothing after it goes yet.
    let sent = s.round_with(&relay, T0);
    assert_eq!(sent.covered, [(nation("NER"), 1)]);
    assert!(sent.versions.is_empty());
    // Past the grace, the direct link has not delivered entry 2: the relay sends it, and the
    // C version it alone can carry.
    relay.grace = std::time::Duration::ZERO;
    let sent = s.round_with(&relay, T0 + time::Duration::seconds(1));
    let ids: Vec<Uuid> = sent.versions.iter().map(|(id, ..)| *id).collect();
    assert_eq!(ids, [late, only_via_us]);
    assert_eq!(sent.audits, 2);
}

#[test]
fn a_relay_never_forwards_what_its_own_link_may_not_carry() {
    let mut s = Sender::new("DR");
    s.receive("NER", "NER", 1, Uuid::new_v4(), rel("C", &["AES"]));
    s.receive("NER", "NER", 2, Uuid::new_v4(), rel("DR", &["NER", "MLI"]));
    assert_eq!(s.round(), Sent::default());
    assert_eq!(s.cursors.get(&nation("NER")), Some(&2));
}

#[test]
fn a_recall_of_a_version_withdrawn_later_is_proven_by_the_later_version() {
    let mut s = Sender::new("C");
    let id = Uuid::new_v4();
    s.write(id, Expect::New, "v1", rel("DR", &["AES"]));
    assert_eq!(s.round().versions.len(), 1);
    // v2 may cross, v3 withdraws the object from BFA before the next round.
    s.write(id, Expect::Version(1), "v2", rel("DR", &["AES"]));
    s.write(id, Expect::Version(2), "v3", rel("DR", &["NER"]));
    let sent = s.round();
    assert_eq!(sent.recalls, [(id, 2)]);
    match s.log.last() {
        Some(Entry::Recall {
            proof: Some(proof), ..
        }) => {
            assert_eq!((proof.at.version, proof.by.version), (2, 3));
            assert_eq!(proof.by.marking, rel("DR", &["NER"]));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_entry_received_unsigned_is_not_relayed() {
    let mut s = Sender::new("C");
    let object = Object {
        meta: Meta {
            id: Uuid::new_v4(),
            origin: nation("NER"),
            version: 1,
            created: T0,
            updated: T0,
            valid_until: None,
            marking: rel("DR", &["AES"]),
            exercise: None,
            deleted: false,
        },
        body: report("unsigned"),
    };
    s.receive_as("NER", "NER", 1, object, Vec::new());
    assert_eq!(s.round(), Sent::default());
}

/// The entries a sender made, each altered as a malicious relay would, and why the receiver
/// refuses each.
#[test]
fn a_receiver_refuses_what_the_origin_did_not_sign() {
    let mut s = Sender::new("C");
    let (id, other) = (Uuid::new_v4(), Uuid::new_v4());
    s.write(id, Expect::New, "genuine", rel("DR", &["AES"]));
    s.write(other, Expect::New, "other", rel("DR", &["AES"]));
    s.round();
    s.write(id, Expect::Version(1), "narrowed", rel("DR", &["NER"]));
    s.round();
    let [version, other_version, recall] = &s.log[..] else {
        panic!("{:?}", s.log)
    };
    let altered = |change: &dyn Fn(&mut Entry)| {
        let mut entry = version.clone();
        change(&mut entry);
        s.refused(&entry)
    };
    let title = |entry: &mut Entry| {
        if let Entry::Version { object, .. } = entry
            && let Body::Report(report) = &mut object.body
        {
            report.title = "forged".into();
        }
    };
    assert_eq!(
        altered(&title),
        Some("version differs from what its origin signed")
    );
    let widen = |entry: &mut Entry| {
        if let Entry::Version {
            object,
            attestation,
            ..
        } = entry
        {
            object.meta.marking = rel("DR", &["BFA"]);
            if let Some(attestation) = attestation {
                attestation.marking = rel("DR", &["BFA"]);
            }
        }
    };
    assert_eq!(
        altered(&widen),
        Some("the origin's signature does not verify")
    );
    let moved = |entry: &mut Entry| {
        if let Entry::Version { seq, .. } = entry {
            *seq += 10;
        }
    };
    assert_eq!(
        altered(&moved),
        Some("the origin signed this version at another position")
    );
    let unsigned = |entry: &mut Entry| {
        if let Entry::Version { attestation, .. } = entry {
            *attestation = None;
        }
    };
    assert_eq!(altered(&unsigned), Some("version not signed by its origin"));
    // Another object's attestation on this one.
    let swapped = |entry: &mut Entry| {
        if let (
            Entry::Version { attestation, .. },
            Entry::Version {
                attestation: theirs,
                ..
            },
        ) = (entry, other_version)
        {
            attestation.clone_from(theirs);
        }
    };
    assert!(altered(&swapped).is_some());
    // Signed by the wrong origin key: a partner signing a third nation's object itself.
    let resigned = |entry: &mut Entry| {
        if let Entry::Version {
            object,
            attestation,
            seq,
            ..
        } = entry
        {
            let payload = serde_json::to_vec(object.as_ref()).unwrap();
            *attestation = Some(Box::new(attest(
                &s.others[&nation("NER")],
                *seq,
                &object.meta,
                &payload,
            )));
        }
    };
    assert_eq!(
        altered(&resigned),
        Some("the origin's signature does not verify")
    );
    // An origin whose key is not accredited.
    let unknown = Keyring::default();
    assert_eq!(
        refusal(
            &s.link,
            &crate::state::exercise_worlds(&s.store).unwrap(),
            &s.policy,
            &unknown,
            version,
        )
        .map(|r| r.reason),
        Some("no origin key accredited for this origin")
    );

    // The genuine recall is accepted (checked in the round); a recall of the other object,
    // which BFA may still hold, with this proof or with the other's version, is not.
    let Entry::Recall {
        proof: Some(proof), ..
    } = recall
    else {
        panic!("{recall:?}")
    };
    let mut erase_other = recall.clone();
    if let Entry::Recall { id, .. } = &mut erase_other {
        *id = other;
    }
    assert_eq!(
        s.refused(&erase_other),
        Some("the origin's signature on the recall proof does not verify")
    );
    let Entry::Version {
        attestation: Some(other_attestation),
        seq: other_seq,
        ..
    } = other_version
    else {
        panic!("{other_version:?}")
    };
    let not_withdrawn = Entry::Recall {
        origin: nation("MLI"),
        seq: *other_seq,
        id: other,
        version: 1,
        proof: Some(Box::new(crate::federation::sign::RecallProof {
            at: (**other_attestation).clone(),
            by: (**other_attestation).clone(),
        })),
    };
    assert_eq!(
        s.refused(&not_withdrawn),
        Some("recall of a version this node may hold")
    );
    // The genuine proof at another position (to make the genuine entry there be skipped).
    let mut moved_recall = recall.clone();
    if let Entry::Recall { seq, .. } = &mut moved_recall {
        *seq += 5;
    }
    assert_eq!(
        s.refused(&moved_recall),
        Some("recall proof names another entry")
    );
    let mut unproven = recall.clone();
    if let Entry::Recall { proof, .. } = &mut unproven {
        *proof = None;
    }
    assert_eq!(
        s.refused(&unproven),
        Some("recall without its origin's proof")
    );
    assert_eq!(proof.by.version, 2);
}

#[test]
fn a_relay_forwards_a_recall_with_its_origins_proof_and_the_receiver_judges_it() {
    for (narrowed_to, bfa_accepts) in [(&[][..], true), (&["BFA"][..], false)] {
        let mut s = Sender::new("C");
        let id = Uuid::new_v4();
        s.receive("NER", "NER", 1, id, rel("DR", &["AES"]));
        assert_eq!(s.round().versions.len(), 1);
        // NER narrows its object (excluding MLI) and recalls it from MLI with its proof.
        let ner = &s.others[&nation("NER")];
        let v1 = s.store.log_version(id, 1).unwrap().unwrap();
        let liptako_store::LogBody::Version { meta, payload } = &v1.body else {
            panic!("{v1:?}")
        };
        assert!(!payload.is_empty());
        let mut v2 = meta.clone();
        v2.version = 2;
        v2.marking = rel("DR", narrowed_to);
        // The origin recalls at the narrowing version's own position, which proves itself.
        let at = attest(ner, 2, &v2, b"the narrowed version");
        let proof = crate::federation::sign::RecallProof {
            at: at.clone(),
            by: at,
        };
        s.store
            .write(vec![WriteOp::Replica {
                peer: nation("NER"),
                origin: nation("NER"),
                seq: 2,
                entry: ReplicaEntry::Recall { id, version: 2 },
                at: T0,
                attestation: serde_json::to_vec(&proof).unwrap(),
            }])
            .unwrap();
        let (round, _) = collect(
            &s.store,
            &s.policy,
            &s.signer,
            &Link {
                accreditation: &s.link,
                exercises: &crate::state::exercise_worlds(&s.store).unwrap(),
            },
            &no_relay(),
            s.cursors.clone(),
            T0,
        )
        .unwrap();
        let entries = entries(round.batch);
        let [
            recall @ Entry::Recall {
                proof: Some(sent), ..
            },
        ] = &entries[..]
        else {
            panic!("{entries:?}")
        };
        assert_eq!(**sent, proof);
        // BFA applies it only if NER's narrowed version excludes BFA too.
        let verdict = s.refused(recall);
        if bfa_accepts {
            assert_eq!(verdict, None);
        } else {
            assert_eq!(verdict, Some("recall of a version this node may hold"));
        }
    }
}
