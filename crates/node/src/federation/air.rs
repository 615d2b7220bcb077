//! The joint air picture over the links: air tracks cross as a stream of their own, not
//! through the version logs.
//!
//! **Sending** (`POST /federation/v1/air`, on the partner's mutual-TLS connection): for each
//! partner stream, a [`LinkScheduler`] (`liptako_track::link`) is offered, at every picture,
//! this node's own tracks (`picture::JointAir`: what its own sensors see, never what partners
//! told it, so nothing echoes back) **that the link may carry** (`Policy::allows` for the link;
//! what is not offered is ended at the partner), and cuts frames within the link's budget
//! (`[[link]] air_kbit_s`): emergencies, tracks without transponder and tracks over a
//! partner's territory first, every track thinned alike when the budget is tight, no backlog:
//! after an outage the partner gets the current picture, not the history. Opening the stream
//! is audited (`release_air`).
//!
//! **Receiving** (a second stream on the same connection as the log pull): frames are decoded
//! (`liptako_track::wire`, bounded, never panics), each state's marking is checked (this node
//! may hold it over the link, and it is no narrower than this node's own picture: whoever may
//! see this node's picture may see the track, so fusing it never widens it), and the records go
//! to the tracker as the partner's source of system tracks (track-to-track fusion by covariance
//! intersection, `liptako_track::tracker::joint`). Refused records are counted.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Request;
use hyper::client::conn::http2::SendRequest;
use liptako_model::{Audience, Labelled, LinkAccreditation, Marking, Nation, Policy};
use liptako_store::{AuditEntry, WriteOp};
use liptako_track::link::{LinkConfig, LinkScheduler};
use liptako_track::wire::{LinkRecord, decode_frame};
use tokio::sync::mpsc;

use super::ChannelBody;
use super::wire::FrameReader;
use crate::links::LinkState;
use crate::picture::PartnerTracks;
use crate::state::Node;

/// The path of the air stream.
pub const AIR_PATH: &str = "/federation/v1/air";
/// How often the scheduler is asked for frames.
const POLL: Duration = Duration::from_millis(100);
/// The budget of a link that states none, kbit/s.
pub const DEFAULT_AIR_KBIT_S: f64 = 1_000.0;
/// A stream silent for this long (no frame: the sender sends at every picture) is dead.
const IDLE_TIMEOUT: Duration = Duration::from_secs(45);

/// Sends the partner this node's tracks it may hold until it goes away.
pub async fn send(node: Arc<Node>, link: Arc<LinkState>, frames: mpsc::Sender<Bytes>) {
    let peer = link.config.nation;
    let accreditation = LinkAccreditation {
        nation: peer,
        ceiling: link.config.ceiling.clone(),
    };
    let kbit_s = link.config.air_kbit_s.unwrap_or(DEFAULT_AIR_KBIT_S);
    let mut scheduler = match LinkScheduler::new(LinkConfig::new(kbit_s * 1_000.0 / 8.0)) {
        Ok(scheduler) => scheduler,
        Err(err) => {
            tracing::error!(%peer, cause = %err, "air stream: link budget refused");
            return;
        }
    };
    let audit = WriteOp::Audit(AuditEntry {
        at: node.now(),
        actor: "federation".into(),
        action: "release_air".into(),
        object_id: None,
        version: None,
        partner: Some(peer),
        detail: format!(
            "air tracks the link may carry, at most {kbit_s} kbit/s (ceiling {})",
            accreditation.ceiling
        ),
    });
    if let Err(err) = node.write(vec![audit]).await {
        tracing::error!(%peer, cause = %err, "audit of the air stream failed: nothing sent");
        return;
    }
    scheduler.link_up(node.clock().unix_s());
    let mut own = node.bus().joint_air().subscribe();
    own.mark_changed();
    let mut shutdown = node.shutdown_signal();
    let mut poll = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            changed = own.changed() => {
                if changed.is_err() {
                    break;
                }
                let latest = own.borrow_and_update().clone();
                if let Some(tracks) = latest {
                    scheduler.offer(tracks.for_link(node.policy(), &accreditation));
                }
            }
            _ = poll.tick() => {
                while let Some(frame) = scheduler.poll(node.clock().unix_s()) {
                    let Ok(len) = u32::try_from(frame.len()) else { continue };
                    let mut bytes = Vec::with_capacity(4 + frame.len());
                    bytes.extend_from_slice(&len.to_be_bytes());
                    bytes.extend_from_slice(&frame);
                    link.air_bytes_sent.add(bytes.len() as u64);
                    if frames.send(Bytes::from(bytes)).await.is_err() {
                        return;
                    }
                }
            }
            _ = frames.closed() => break,
            _ = shutdown.changed() => break,
        }
    }
}

/// Opens the air stream on a connection to the partner and hands what arrives to the air
/// picture until the stream ends.
pub async fn receive(
    node: Arc<Node>,
    link: Arc<LinkState>,
    mut sender: SendRequest<ChannelBody>,
    authority: String,
) -> anyhow::Result<()> {
    let peer = link.config.nation;
    // The request body says nothing: its sender is dropped at once.
    let (_, empty) = mpsc::channel(1);
    let request = Request::post(format!("https://{authority}{AIR_PATH}"))
        .header(hyper::header::CONTENT_TYPE, "application/x-liptako-tracks")
        .body(ChannelBody::new(empty))?;
    let response = sender.send_request(request).await?;
    if !response.status().is_success() {
        anyhow::bail!("partner answered {} to the air stream", response.status());
    }
    let this_node = LinkAccreditation {
        nation: node.nation(),
        ceiling: link.config.ceiling.clone(),
    };
    let mut body = response.into_body();
    let mut reader = FrameReader::default();
    loop {
        let frame = match tokio::time::timeout(IDLE_TIMEOUT, body.frame()).await {
            Err(_) => anyhow::bail!("no air frame for {} s", IDLE_TIMEOUT.as_secs()),
            Ok(None) => return Ok(()),
            Ok(Some(frame)) => frame?,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        reader.push(&data);
        while let Some(bytes) = reader.next_frame()? {
            let decoded = match decode_frame(&bytes) {
                Ok(decoded) => decoded,
                Err(err) => {
                    link.air_refused.inc();
                    tracing::warn!(%peer, cause = %err, "air frame refused");
                    continue;
                }
            };
            let picture = node.bus().air().picture();
            let records: Vec<LinkRecord> = decoded
                .records
                .into_iter()
                .filter(|record| {
                    let keep =
                        admissible(node.policy(), &this_node, peer, &picture.markings, record);
                    if !keep {
                        link.air_refused.inc();
                    }
                    keep
                })
                .map(|record| own_contributions(peer, record))
                .collect();
            link.air_records_received.add(records.len() as u64);
            if !records.is_empty() {
                let delivered = node.bus().joint_air().deliver(PartnerTracks {
                    partner: peer,
                    records,
                });
                if !delivered {
                    link.air_refused.inc();
                }
            }
        }
    }
}

/// A partner sends only what its own sensors see: contributions it names for another nation
/// are dropped, so a partner cannot pass its tracks off as a third nation's radar's.
fn own_contributions(peer: Nation, mut record: LinkRecord) -> LinkRecord {
    if let LinkRecord::State { report, .. } = &mut record {
        report
            .contributors
            .retain(|contributor| contributor.nation.as_deref() == Some(peer.as_str()));
    }
    record
}

/// Whether this node takes a partner's record into its picture: an end always; a state only
/// if this node may hold it over the link and everyone who may see a track of this node's
/// picture, whatever its marking (`markings`: every marking its tracks may have), may see it
/// too (so the joint picture never widens a partner's marking).
fn admissible(
    policy: &Policy,
    this_node: &LinkAccreditation,
    peer: Nation,
    markings: &[Marking],
    record: &LinkRecord,
) -> bool {
    let LinkRecord::State { marking, .. } = record else {
        return true;
    };
    let Some(words) = marking else {
        return false;
    };
    let marking = Marking::new(&words.level, words.releasable_to.iter().map(String::as_str));
    let track = Labelled {
        origin: peer,
        marking: &marking,
        world: None,
    };
    if !policy.allows(Audience::link(this_node), &track) {
        return false;
    }
    markings.iter().all(|marking| {
        let picture = Labelled {
            origin: this_node.nation,
            marking,
            world: None,
        };
        policy.confederation().members().iter().all(|nation| {
            let audience = LinkAccreditation {
                nation: *nation,
                ceiling: marking.level.clone(),
            };
            !policy.allows(Audience::link(&audience), &picture)
                || policy.allows(Audience::link(&audience), &track)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Confederation, Levels};
    use liptako_track::wire::WireMarking;
    use liptako_track::{ReportAccuracy, SystemTrackReport};

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap_or_else(|_| panic!("{code}"))
    }

    fn state(level: &str, to: &[&str]) -> LinkRecord {
        LinkRecord::State {
            report: SystemTrackReport {
                track_number: 1,
                time_s: 0.0,
                lat_deg: 14.5,
                lon_deg: 0.5,
                velocity_mps: None,
                accuracy: ReportAccuracy::Unknown,
                turn_rate_deg_s: None,
                altitude_m: None,
                mode3a: None,
                mode_s: None,
                callsign: None,
                contributors: Vec::new(),
                updated_s: None,
                coasting: false,
            },
            marking: Some(WireMarking {
                level: level.into(),
                releasable_to: to.iter().map(|s| (*s).to_owned()).collect(),
            }),
        }
    }

    #[test]
    fn a_partner_names_only_its_own_sensors() {
        let mut record = state("DR", &["AES"]);
        if let LinkRecord::State { report, .. } = &mut record {
            report.contributors = vec![
                liptako_track::Contributor {
                    nation: Some("MLI".into()),
                    sensor: "GAO".into(),
                },
                liptako_track::Contributor {
                    nation: Some("NER".into()),
                    sensor: "AYOROU".into(),
                },
                liptako_track::Contributor {
                    nation: None,
                    sensor: "?".into(),
                },
            ];
        }
        let LinkRecord::State { report, .. } = own_contributions(nation("MLI"), record) else {
            unreachable!()
        };
        assert_eq!(report.contributors.len(), 1);
        assert_eq!(report.contributors[0].sensor, "GAO");
    }

    #[test]
    fn a_partner_track_joins_only_a_picture_no_wider_than_its_marking() {
        let members = ["MLI", "BFA", "NER"].map(nation).into_iter().collect();
        let policy = Policy::new(
            Confederation::new("AES", members).unwrap_or_else(|err| panic!("{err}")),
            Levels::default(),
        );
        let this_node = LinkAccreditation {
            nation: nation("NER"),
            ceiling: "C".into(),
        };
        let picture = [Marking::new("DR", ["AES"])];
        let judge =
            |record: &LinkRecord| admissible(&policy, &this_node, nation("MLI"), &picture, record);
        assert!(judge(&state("DR", &["AES"])));
        assert!(judge(&state("NP", &["AES"])));
        assert!(judge(&LinkRecord::Ended { track_number: 3 }));
        // Not for NER at all, or above the link's ceiling.
        assert!(!judge(&state("DR", &["BFA"])));
        assert!(!judge(&state("S", &["AES"])));
        // For NER, but NER's picture is seen by BFA users: fusing it would widen it.
        assert!(!judge(&state("DR", &["NER"])));
        // Higher than NER's picture: a DR-cleared user would see a C track.
        assert!(!judge(&state("C", &["AES"])));
        // No marking at all.
        let LinkRecord::State { report, .. } = state("DR", &["AES"]) else {
            unreachable!()
        };
        assert!(!judge(&LinkRecord::State {
            report,
            marking: None
        }));
        // A picture whose tracks over Niger stay with NER and MLI, the others AES: a partner's
        // track must be no narrower than either.
        let national = [
            Marking::new("DR", ["AES"]),
            Marking::new("DR", ["NER", "MLI"]),
        ];
        let judge =
            |record: &LinkRecord| admissible(&policy, &this_node, nation("MLI"), &national, record);
        assert!(judge(&state("DR", &["AES"])));
        assert!(!judge(&state("DR", &["NER", "MLI"])));
    }
}
