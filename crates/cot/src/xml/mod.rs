//! The CoT XML codec: [`decode_xml`] for one document, [`encode_xml`] / [`write_xml`] back.

mod read;
mod write;

pub use read::{AuthMessage, decode_auth, decode_xml};
pub(crate) use read::{decode_detail_fragment, first_illegal_char};
pub(crate) use write::{SentAsMessages, write_detail_children};
pub use write::{XML_DECLARATION, encode_xml, write_event, write_xml};
