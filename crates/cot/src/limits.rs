//! Size and shape limits applied to untrusted input.
//!
//! One [`Limits`] value is shared by the single-event decoders and the stream decoder, so a
//! server configures the budget of a connection in one place.

/// Bounds on what a decoder accepts from the outside. Anything past a bound is an error value,
/// never an allocation that grows without end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest event accepted, in bytes: an XML document from its first byte to `</event>`, or
    /// a protobuf payload (without its frame header). A stream decoder never buffers more than
    /// this for one event.
    pub max_event_bytes: usize,
    /// Deepest element nesting accepted inside `<event>` (`<event>` itself is depth 1).
    pub max_depth: usize,
    /// Most attributes accepted on one element (duplicate detection is quadratic in this).
    pub max_attributes: usize,
}

/// Default for [`Limits::max_event_bytes`]: 256 KiB holds a drawing of thousands of points; an
/// ATAK position report is about 700 bytes.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 256 * 1024;
/// Default for [`Limits::max_depth`]; real details nest about five deep.
pub const DEFAULT_MAX_DEPTH: usize = 32;
/// Default for [`Limits::max_attributes`].
pub const DEFAULT_MAX_ATTRIBUTES: usize = 128;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
            max_attributes: DEFAULT_MAX_ATTRIBUTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_named_constants() {
        let limits = Limits::default();
        assert_eq!(limits.max_event_bytes, 262_144);
        assert_eq!(limits.max_depth, DEFAULT_MAX_DEPTH);
        assert_eq!(limits.max_attributes, DEFAULT_MAX_ATTRIBUTES);
    }
}
