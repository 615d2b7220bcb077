//! The federation wire format.
//!
//! The receiving node opens a stream with `POST /federation/v1/stream` and a JSON body
//! [`StreamRequest`] (its cursor per origin). The response body is a sequence of frames, each
//! a 4-byte big-endian length then that many bytes of zstd-compressed JSON:
//!
//! ```json
//! {"entries": [
//!   {"origin": "MLI", "seq": 41, "version": { ...the object... }, "signature": "base64"},
//!   {"origin": "MLI", "seq": 42, "recall": {"id": "...", "version": 3, "proof": { ... }}}
//! ]}
//! ```
//!
//! Every version carries its origin's signature and every recall its proof ([`super::sign`]):
//! the rest of a version's attestation (position, version, marking, world, tombstone, digest)
//! is rebuilt by the receiver from the entry itself, so only the 64 signed bytes cross;
//! the receiver verifies them against the origin's key, whoever sent them.
//!
//! Entries of one origin come in that origin's sequence order. An empty `entries` is a
//! heartbeat. Frames are bounded ([`MAX_FRAME_BYTES`] compressed, [`MAX_BATCH_BYTES`] once
//! decompressed) so that a partner cannot make a node allocate without limit.

use std::collections::BTreeMap;

use liptako_model::{Nation, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::sign::{Attestation, RecallProof};

/// The path of the stream endpoint.
pub const STREAM_PATH: &str = "/federation/v1/stream";
/// Largest compressed frame accepted.
pub const MAX_FRAME_BYTES: usize = 4 << 20;
/// Largest decompressed batch accepted.
pub const MAX_BATCH_BYTES: usize = 32 << 20;
/// zstd level: fast, and already several times smaller than JSON.
const ZSTD_LEVEL: i32 = 3;

/// What a receiving node asks for: the first frame of the request body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamRequest {
    /// For each origin, the last sequence number already applied from this partner.
    #[serde(default)]
    pub cursors: BTreeMap<Nation, u64>,
    /// The origins the receiver also pulls from directly: the ceiling of that direct link and
    /// how far it has applied the origin's log from it. A relay leaves to the direct link what
    /// the direct link carries (see `serve`).
    #[serde(default)]
    pub direct: BTreeMap<Nation, DirectLink>,
}

/// A receiver's direct link to an origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectLink {
    /// The highest level that may cross the direct link.
    pub ceiling: String,
    /// The last entry of the origin's log applied from the origin itself.
    pub cursor: u64,
}

/// The later frames of the request body: direct cursors as they advance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectUpdate {
    /// Origin -> the last entry applied from the origin itself.
    pub direct: BTreeMap<Nation, u64>,
}

/// A frame holding one JSON value (the request body's frames).
pub fn json_frame<T: Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    let json = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    frame(&json)
}

/// Decodes a frame holding one JSON value.
pub fn decode_json_frame<T: serde::de::DeserializeOwned>(
    compressed: &[u8],
) -> Result<T, WireError> {
    let json = zstd::bulk::decompress(compressed, MAX_BATCH_BYTES)
        .map_err(|err| WireError::Compression(err.to_string()))?;
    Ok(serde_json::from_slice(&json)?)
}

fn frame(json: &[u8]) -> std::io::Result<Vec<u8>> {
    let compressed = zstd::bulk::compress(json, ZSTD_LEVEL)?;
    let len =
        u32::try_from(compressed.len()).map_err(|_| std::io::Error::other("frame too large"))?;
    let mut frame = Vec::with_capacity(4 + compressed.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&compressed);
    Ok(frame)
}

/// One decoded entry.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A version to hold.
    Version {
        /// The origin's log.
        origin: Nation,
        /// Its sequence number there.
        seq: u64,
        /// The version.
        object: Box<Object>,
        /// The origin's attestation (`None`: the partner sent none; the entry is refused).
        attestation: Option<Box<Attestation>>,
    },
    /// Entries up to `seq` of `origin` the receiver already holds through its direct link:
    /// its cursor for this partner may move past them.
    Covered {
        /// The origin's log.
        origin: Nation,
        /// The last entry covered.
        seq: u64,
    },
    /// A recall.
    Recall {
        /// The origin's log.
        origin: Nation,
        /// Its sequence number there.
        seq: u64,
        /// The object.
        id: Uuid,
        /// The version not releasable to the receiver.
        version: u64,
        /// Why (`None`: the partner gave no proof; the recall is refused).
        proof: Option<Box<RecallProof>>,
    },
}

impl Entry {
    /// The object the entry is about, if any.
    pub fn object_id(&self) -> Option<Uuid> {
        match self {
            Entry::Version { object, .. } => Some(object.meta.id),
            Entry::Recall { id, .. } => Some(*id),
            Entry::Covered { .. } => None,
        }
    }

    /// The object's version the entry is about, if any.
    pub fn object_version(&self) -> Option<u64> {
        match self {
            Entry::Version { object, .. } => Some(object.meta.version),
            Entry::Recall { version, .. } => Some(*version),
            Entry::Covered { .. } => None,
        }
    }

    /// The origin and sequence number of the entry.
    pub fn position(&self) -> (Nation, u64) {
        match self {
            Entry::Version { origin, seq, .. }
            | Entry::Covered { origin, seq }
            | Entry::Recall { origin, seq, .. } => (*origin, *seq),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchJson {
    entries: Vec<EntryJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryJson {
    origin: Nation,
    seq: u64,
    #[serde(default)]
    version: Option<Box<Object>>,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default)]
    recall: Option<RecallJson>,
    #[serde(default)]
    covered: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecallJson {
    id: Uuid,
    version: u64,
    #[serde(default)]
    proof: Option<Box<RecallProof>>,
}

/// Builds one frame from entries whose objects are already JSON (the stored payloads are
/// copied in as they are: no re-serialisation).
#[derive(Debug, Default)]
pub struct BatchWriter {
    json: Vec<u8>,
    n_entries: usize,
}

impl BatchWriter {
    /// An empty batch.
    pub fn new() -> BatchWriter {
        BatchWriter {
            json: b"{\"entries\":[".to_vec(),
            n_entries: 0,
        }
    }

    fn separator(&mut self) {
        if self.n_entries > 0 {
            self.json.push(b',');
        }
        self.n_entries += 1;
    }

    /// Adds a version; `payload` is the object's JSON, `attestation` its origin's (only its
    /// signature is sent: the receiver rebuilds the rest from the version).
    pub fn version(&mut self, origin: Nation, seq: u64, payload: &[u8], attestation: &Attestation) {
        self.separator();
        self.json.extend_from_slice(
            format!("{{\"origin\":\"{origin}\",\"seq\":{seq},\"version\":").as_bytes(),
        );
        self.json.extend_from_slice(payload);
        self.json.extend_from_slice(b",\"signature\":");
        // A base64 string: serialising cannot fail.
        self.json
            .extend(serde_json::to_vec(&attestation.signature).unwrap_or_default());
        self.json.push(b'}');
    }

    /// Adds a recall.
    pub fn recall(
        &mut self,
        origin: Nation,
        seq: u64,
        id: Uuid,
        version: u64,
        proof: &RecallProof,
    ) {
        self.separator();
        self.json.extend_from_slice(
            format!(
                "{{\"origin\":\"{origin}\",\"seq\":{seq},\"recall\":{{\"id\":\"{id}\",\"version\":{version},\"proof\":"
            )
            .as_bytes(),
        );
        self.json
            .extend(serde_json::to_vec(proof).unwrap_or_default());
        self.json.extend_from_slice(b"}}");
    }

    /// Adds a covered marker.
    pub fn covered(&mut self, origin: Nation, seq: u64) {
        self.separator();
        self.json.extend_from_slice(
            format!("{{\"origin\":\"{origin}\",\"seq\":{seq},\"covered\":true}}").as_bytes(),
        );
    }

    /// How many entries so far.
    pub fn len(&self) -> usize {
        self.n_entries
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.n_entries == 0
    }

    /// Uncompressed size so far.
    pub fn json_len(&self) -> usize {
        self.json.len()
    }

    /// The frame: length prefix and compressed JSON.
    pub fn finish(mut self) -> std::io::Result<Vec<u8>> {
        self.json.extend_from_slice(b"]}");
        frame(&self.json)
    }
}

/// A frame that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The length prefix announces more than allowed.
    #[error("frame of {0} bytes exceeds the limit")]
    TooLarge(usize),
    /// The compressed bytes do not decompress within the limit.
    #[error("frame does not decompress: {0}")]
    Compression(String),
    /// The JSON is not a batch.
    #[error("malformed batch: {0}")]
    Json(#[from] serde_json::Error),
    /// An entry is neither a version nor a recall (or both).
    #[error("entry {origin} seq {seq} is neither one version nor one recall")]
    Entry {
        /// The origin.
        origin: Nation,
        /// The sequence number.
        seq: u64,
    },
}

/// Splits a byte stream into frames (feed it whatever arrives).
#[derive(Debug, Default)]
pub struct FrameReader {
    buffer: Vec<u8>,
}

impl FrameReader {
    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole frame's compressed content, if one has arrived.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, WireError> {
        let Some(prefix) = self.buffer.first_chunk::<4>() else {
            return Ok(None);
        };
        let len = u32::from_be_bytes(*prefix) as usize;
        if len > MAX_FRAME_BYTES {
            return Err(WireError::TooLarge(len));
        }
        if self.buffer.len() < 4 + len {
            return Ok(None);
        }
        let frame = self.buffer.get(4..4 + len).map(<[u8]>::to_vec);
        self.buffer.drain(..4 + len);
        Ok(frame)
    }
}

/// A version's attestation as its origin made it, from the version itself, its position and the
/// signature that came with it (the receiver then verifies the signature over it).
fn rebuilt(seq: u64, object: &Object, signature: String) -> Attestation {
    let payload = serde_json::to_vec(object).unwrap_or_default();
    Attestation {
        seq,
        version: object.meta.version,
        marking: object.meta.marking.clone(),
        exercise: object.meta.exercise.clone(),
        deleted: object.meta.deleted,
        digest: super::sign::digest(&payload),
        signature,
    }
}

/// Decodes one frame's compressed content into entries.
pub fn decode_frame(compressed: &[u8]) -> Result<Vec<Entry>, WireError> {
    let json = zstd::bulk::decompress(compressed, MAX_BATCH_BYTES)
        .map_err(|err| WireError::Compression(err.to_string()))?;
    let batch: BatchJson = serde_json::from_slice(&json)?;
    batch
        .entries
        .into_iter()
        .map(|entry| match (entry.version, entry.recall) {
            (None, None) if entry.covered => Ok(Entry::Covered {
                origin: entry.origin,
                seq: entry.seq,
            }),
            (Some(object), None) if !entry.covered => Ok(Entry::Version {
                origin: entry.origin,
                seq: entry.seq,
                attestation: entry
                    .signature
                    .map(|signature| Box::new(rebuilt(entry.seq, &object, signature))),
                object,
            }),
            (None, Some(recall)) if !entry.covered && entry.signature.is_none() => {
                Ok(Entry::Recall {
                    origin: entry.origin,
                    seq: entry.seq,
                    id: recall.id,
                    version: recall.version,
                    proof: recall.proof,
                })
            }
            _ => Err(WireError::Entry {
                origin: entry.origin,
                seq: entry.seq,
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Body, Marking, Meta, Report, ReportKind};

    fn object() -> Object {
        let at = time::macros::datetime!(2026-11-24 08:00 UTC);
        Object {
            meta: Meta {
                id: Uuid::from_u128(1),
                origin: Nation::parse("MLI").unwrap(),
                version: 2,
                created: at,
                updated: at,
                valid_until: None,
                marking: Marking::new("DR", ["AES"]),
                exercise: None,
                deleted: false,
            },
            body: Body::Report(Report {
                kind: ReportKind::Incident,
                title: "x".into(),
                body: "y".into(),
                location: None,
            }),
        }
    }

    #[test]
    fn frames_roundtrip_in_pieces() {
        let mli = Nation::parse("MLI").unwrap();
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let key = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let payload = serde_json::to_vec(&object()).unwrap();
        let attestation = super::super::sign::attest(&key, 7, &object().meta, &payload);
        let proof = RecallProof {
            at: attestation.clone(),
            by: attestation.clone(),
        };
        let mut batch = BatchWriter::new();
        batch.version(mli, 7, &payload, &attestation);
        batch.recall(mli, 8, Uuid::from_u128(2), 5, &proof);
        batch.covered(mli, 9);
        let mut stream = batch.finish().unwrap();
        stream.extend(BatchWriter::new().finish().unwrap()); // a heartbeat
        let mut reader = FrameReader::default();
        let mut frames = Vec::new();
        for piece in stream.chunks(3) {
            reader.push(piece);
            while let Some(frame) = reader.next_frame().unwrap() {
                frames.push(decode_frame(&frame).unwrap());
            }
        }
        assert_eq!(frames.len(), 2);
        assert!(frames[1].is_empty());
        match &frames[0][..] {
            [
                Entry::Version {
                    seq: 7,
                    object: decoded,
                    attestation: Some(decoded_attestation),
                    ..
                },
                Entry::Recall {
                    seq: 8,
                    version: 5,
                    proof: Some(decoded_proof),
                    ..
                },
                Entry::Covered { seq: 9, .. },
            ] => {
                assert_eq!(**decoded, object());
                assert_eq!(**decoded_attestation, attestation);
                assert_eq!(**decoded_proof, proof);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_frames_are_errors() {
        let mut reader = FrameReader::default();
        reader.push(&u32::MAX.to_be_bytes());
        assert!(matches!(reader.next_frame(), Err(WireError::TooLarge(_))));
        assert!(decode_frame(b"not zstd").is_err());
        let json = br#"{"entries":[{"origin":"MLI","seq":1}]}"#;
        let compressed = zstd::bulk::compress(json, 3).unwrap();
        assert!(matches!(
            decode_frame(&compressed),
            Err(WireError::Entry { .. })
        ));
        // A decompression bomb stops at the limit.
        let bomb = zstd::bulk::compress(&vec![b' '; MAX_BATCH_BYTES + 1], 3).unwrap();
        assert!(decode_frame(&bomb).is_err());
    }
}
