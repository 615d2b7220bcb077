//! GeoChat, ATAK's chat: building a message and reading one back.
//!
//! A GeoChat message is a `b-t-f` event whose uid is `GeoChat.<sender uid>.<room id>.<message
//! id>`. Its detail has `<__chat>` (room, sender callsign, participants in `<chatgrp>`), a
//! `<link relation="p-p">` to the sender, `<remarks>` with the text, and, for a message to one
//! person, `<marti><dest callsign="..."/></marti>` naming the addressee: a server delivers a
//! directed message only there. A message to everyone uses the room `All Chat Rooms` and no
//! `<marti>`.

use crate::event::{Chat, ChatGroup, Dest, Event, Extra, Link, Marti, Point, Remarks};
use crate::time::CotTime;

/// CoT type of a GeoChat message.
pub const GEOCHAT_TYPE: &str = "b-t-f";
/// The room every client is in.
pub const ALL_CHAT_ROOMS: &str = "All Chat Rooms";

/// What a GeoChat message says.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoChat {
    /// The message's own id (ATAK uses a UUID).
    pub message_id: String,
    pub sender_uid: String,
    pub sender_callsign: String,
    /// Room id: [`ALL_CHAT_ROOMS`], a group id, or the addressee's uid.
    pub room_id: String,
    /// Room name as shown: [`ALL_CHAT_ROOMS`], a group name, or the addressee's callsign.
    pub room_name: String,
    pub text: String,
    pub time: CotTime,
    pub stale: CotTime,
    /// Where the sender was.
    pub point: Point,
    /// Callsigns to deliver to; empty for a message to the whole room.
    pub dest_callsigns: Vec<String>,
}

impl GeoChat {
    /// The `b-t-f` event ATAK would send for this message.
    pub fn to_event(&self) -> Event {
        let mut event = Event {
            uid: format!(
                "GeoChat.{}.{}.{}",
                self.sender_uid, self.room_id, self.message_id
            ),
            event_type: GEOCHAT_TYPE.to_owned(),
            how: "h-g-i-g-o".to_owned(),
            time: self.time,
            start: self.time,
            stale: self.stale,
            point: self.point,
            ..Event::default()
        };
        let detail = &mut event.detail;
        detail.chat = Some(Chat {
            parent: Some("RootContactGroup".to_owned()),
            group_owner: Some("false".to_owned()),
            message_id: Some(self.message_id.clone()),
            chatroom: Some(self.room_name.clone()),
            id: Some(self.room_id.clone()),
            sender_callsign: Some(self.sender_callsign.clone()),
            chat_group: Some(ChatGroup {
                uids: vec![self.sender_uid.clone(), self.room_id.clone()],
                id: Some(self.room_id.clone()),
                extra: Extra::default(),
            }),
            extra: Extra::default(),
        });
        detail.links.push(Link {
            uid: Some(self.sender_uid.clone()),
            link_type: Some("a-f-G-U-C".to_owned()),
            relation: Some("p-p".to_owned()),
            extra: Extra::default(),
        });
        detail.remarks = Some(Remarks {
            source: Some(format!("BAO.F.ATAK.{}", self.sender_uid)),
            to: Some(self.room_id.clone()),
            time: Some(self.time.to_string()),
            text: self.text.clone(),
            extra: Extra::default(),
        });
        if !self.dest_callsigns.is_empty() {
            detail.marti = Some(Marti {
                dests: self
                    .dest_callsigns
                    .iter()
                    .map(|callsign| Dest {
                        callsign: Some(callsign.clone()),
                        ..Dest::default()
                    })
                    .collect(),
                extra: Extra::default(),
            });
        }
        event
    }

    /// Reads a GeoChat message from a `b-t-f` event with `<__chat>`; `None` for anything else.
    /// Fields the sender left out are empty.
    pub fn from_event(event: &Event) -> Option<GeoChat> {
        if !event.is_geochat() {
            return None;
        }
        let chat = event.detail.chat.as_ref()?;
        let text_of = |value: &Option<String>| value.clone().unwrap_or_default();
        let sender_uid = chat
            .chat_group
            .as_ref()
            .and_then(|group| group.uids.first().cloned())
            .or_else(|| {
                event
                    .detail
                    .links
                    .iter()
                    .find(|link| link.relation.as_deref() == Some("p-p"))?
                    .uid
                    .clone()
            })
            .unwrap_or_default();
        Some(GeoChat {
            message_id: text_of(&chat.message_id),
            sender_uid,
            sender_callsign: text_of(&chat.sender_callsign),
            room_id: text_of(&chat.id),
            room_name: text_of(&chat.chatroom),
            text: event
                .detail
                .remarks
                .as_ref()
                .map(|remarks| remarks.text.clone())
                .unwrap_or_default(),
            time: event.time,
            stale: event.stale,
            point: event.point,
            dest_callsigns: event.dest_callsigns().map(str::to_owned).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, decode_xml, encode_xml};

    fn chat(dest_callsigns: Vec<String>) -> GeoChat {
        let time = CotTime::from_unix_ms(1_700_000_000_000).unwrap();
        GeoChat {
            message_id: "5f1c0d2e-0000-4000-8000-000000000001".into(),
            sender_uid: "ANDROID-a1".into(),
            sender_callsign: "FALCON".into(),
            room_id: "ANDROID-b2".into(),
            room_name: "HAWK".into(),
            text: "rendez-vous at <checkpoint> 3 & wait".into(),
            time,
            stale: time.plus_ms(86_400_000),
            point: Point::new(14.5, -1.25),
            dest_callsigns,
        }
    }

    #[test]
    fn directed_chat_round_trips_through_xml() {
        let message = chat(vec!["HAWK".into()]);
        let event = decode_xml(&encode_xml(&message.to_event()), &Limits::default()).unwrap();
        assert!(event.is_geochat());
        assert!(event.is_directed());
        assert_eq!(
            event.uid,
            "GeoChat.ANDROID-a1.ANDROID-b2.5f1c0d2e-0000-4000-8000-000000000001"
        );
        assert_eq!(GeoChat::from_event(&event), Some(message));
    }

    #[test]
    fn room_chat_has_no_destinations() {
        let event = chat(Vec::new()).to_event();
        assert!(!event.is_directed());
        assert!(event.detail.marti.is_none());
        let mut not_chat = event.clone();
        not_chat.event_type = "a-f-G".into();
        assert_eq!(GeoChat::from_event(&not_chat), None);
    }
}
