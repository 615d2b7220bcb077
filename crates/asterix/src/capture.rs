//! Capture files: raw ASTERIX, classic pcap and pcapng, turned into UDP payloads with their
//! capture time. Parsing only (the caller reads the file): pcap framing by `pcap-file`,
//! link/IP/UDP headers by `etherparse`.
//!
//! Link layers: Ethernet (with VLAN tags), Linux cooked capture v1 and v2, raw IP, BSD
//! loopback. IPv4 and IPv6 fragments are reassembled (fragments older than 30 s of capture
//! time are dropped). Packets that are not UDP (TCP, ARP, ...) are counted in
//! [`CaptureStats`] and skipped; ASTERIX over TCP in a capture is not reassembled.
//!
//! A raw file is a stream of data blocks without timing: one datagram per data block, without
//! a timestamp. [`Capture`] reads a file held in memory; [`CaptureReader`] reads one a chunk at
//! a time (the binary streams multi-gigabyte captures through it).

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice, UdpSlice};
use pcap_file::DataLink;
use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::{Block as NgBlock, PcapNgParser};

/// What a capture file holds, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap.
    Pcap,
    /// pcapng.
    PcapNg,
    /// ASTERIX data blocks back to back.
    Raw,
}

impl CaptureFormat {
    /// Recognises pcap and pcapng by their magic numbers; anything else is raw ASTERIX.
    pub fn detect(bytes: &[u8]) -> Self {
        match bytes.first_chunk::<4>() {
            Some([0xd4, 0xc3, 0xb2, 0xa1] | [0xa1, 0xb2, 0xc3, 0xd4])
            | Some([0x4d, 0x3c, 0xb2, 0xa1] | [0xa1, 0xb2, 0x3c, 0x4d]) => CaptureFormat::Pcap,
            Some([0x0a, 0x0d, 0x0d, 0x0a]) => CaptureFormat::PcapNg,
            _ => CaptureFormat::Raw,
        }
    }
}

/// One UDP payload (or, for a raw file, one data block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Capture time, ns since the Unix epoch (none in raw files).
    pub timestamp_ns: Option<u64>,
    /// The payload: borrowed from the file, owned when reassembled from fragments.
    pub payload: Cow<'a, [u8]>,
    /// Sender, when the capture has IP headers.
    pub source: Option<SocketAddr>,
    /// Destination, when the capture has IP headers.
    pub destination: Option<SocketAddr>,
    /// 1-based packet number in the capture (data block number in a raw file).
    pub packet: usize,
    /// Offset of the payload's first byte in the file, when it sits there unchanged.
    pub file_offset: Option<usize>,
}

/// Packets read and skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CaptureStats {
    /// Packets (or raw data blocks) read.
    pub packets: usize,
    /// UDP payloads yielded.
    pub datagrams: usize,
    /// Packets that are not UDP over IP.
    pub not_udp: usize,
    /// Packets whose headers do not parse, or on an unsupported link layer.
    pub malformed: usize,
    /// IP fragments held for reassembly (counted in `packets`, yielded once complete).
    pub fragments: usize,
}

/// A capture that cannot be read on: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format:?} capture, byte {offset}: {reason}")]
pub struct CaptureError {
    /// Format being read.
    pub format: CaptureFormat,
    /// Offset in the file.
    pub offset: usize,
    /// What is wrong.
    pub reason: String,
}

/// What [`CaptureReader::step`] did with the bytes it was given.
#[derive(Debug)]
pub enum Step<'d> {
    /// `consumed` bytes were read (a file header, a packet, a block), and maybe yielded a
    /// datagram.
    Advance {
        /// Bytes consumed from the front of the buffer given.
        consumed: usize,
        /// The datagram they held, if any.
        datagram: Option<Datagram<'d>>,
    },
    /// The next packet (or the file header) is not complete: give more bytes.
    NeedMore,
}

/// The state of reading one capture, apart from its bytes: a file can be read a chunk at a
/// time (feed [`CaptureReader::step`] the unread bytes), or all at once through [`Capture`].
pub struct CaptureReader {
    format: CaptureFormat,
    state: State,
    stats: CaptureStats,
    defrag: etherparse::defrag::IpDefragPool<u64, ()>,
}

enum State {
    Raw,
    Header,
    Pcap(PcapParser),
    PcapNg(PcapNgParser),
}

/// Fragments older than this (capture time) are dropped, as an IP stack would.
const FRAGMENT_TIMEOUT_NS: u64 = 30_000_000_000;

impl CaptureReader {
    /// A reader for a file that starts with `first_bytes` (four are enough to tell the format).
    pub fn new(first_bytes: &[u8]) -> Self {
        let format = CaptureFormat::detect(first_bytes);
        CaptureReader {
            format,
            state: match format {
                CaptureFormat::Raw => State::Raw,
                CaptureFormat::Pcap | CaptureFormat::PcapNg => State::Header,
            },
            stats: CaptureStats::default(),
            defrag: etherparse::defrag::IpDefragPool::new(),
        }
    }

    /// The file's format.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// Counts so far.
    pub fn stats(&self) -> CaptureStats {
        self.stats
    }

    /// Reads from `bytes`, the unread part of the file, which starts at `offset` in it.
    /// `at_end` says no more bytes will come: an incomplete packet is then an error. An error
    /// ends the capture (its framing is lost).
    pub fn step<'d>(
        &mut self,
        bytes: &'d [u8],
        offset: usize,
        at_end: bool,
    ) -> Result<Step<'d>, CaptureError> {
        let error = |reason: String| CaptureError {
            format: self.format,
            offset,
            reason,
        };
        let incomplete =
            |err: &pcap_file::PcapError| matches!(err, pcap_file::PcapError::IncompleteBuffer);
        if bytes.is_empty() {
            return Ok(Step::NeedMore);
        }
        let (consumed, packet) = match &mut self.state {
            State::Header => {
                let parsed = match self.format {
                    CaptureFormat::PcapNg => PcapNgParser::new(bytes)
                        .map(|(rest, parser)| (bytes.len() - rest.len(), State::PcapNg(parser))),
                    _ => PcapParser::new(bytes)
                        .map(|(rest, parser)| (bytes.len() - rest.len(), State::Pcap(parser))),
                };
                return match parsed {
                    Ok((consumed, state)) => {
                        self.state = state;
                        Ok(Step::Advance {
                            consumed,
                            datagram: None,
                        })
                    }
                    Err(err) if incomplete(&err) && !at_end => Ok(Step::NeedMore),
                    Err(err) => Err(error(err.to_string())),
                };
            }
            State::Raw => match raw_block(bytes, at_end) {
                Ok(Some(len)) => (len, Packet::Raw),
                Ok(None) => return Ok(Step::NeedMore),
                Err(reason) => return Err(error(reason)),
            },
            State::Pcap(parser) => match next_pcap(parser, bytes) {
                Ok(step) => step,
                Err(err) if incomplete(&err) && !at_end => return Ok(Step::NeedMore),
                Err(err) => return Err(error(err.to_string())),
            },
            State::PcapNg(parser) => match next_pcapng(parser, bytes) {
                Ok(step) => step,
                Err(err) if incomplete(&err) && !at_end => return Ok(Step::NeedMore),
                Err(err) => return Err(error(err.to_string())),
            },
        };
        let datagram = match packet {
            Packet::Raw => {
                self.stats.packets += 1;
                self.stats.datagrams += 1;
                Some(Datagram {
                    timestamp_ns: None,
                    payload: Cow::Borrowed(bytes.get(..consumed).unwrap_or_default()),
                    source: None,
                    destination: None,
                    packet: self.stats.packets,
                    file_offset: Some(offset),
                })
            }
            Packet::Frame {
                link,
                timestamp_ns,
                data,
            } => {
                self.stats.packets += 1;
                let data_offset = offset_in(bytes, data).map(|inner| offset + inner);
                let datagram = self.frame(link, timestamp_ns, data, data_offset);
                if datagram.is_some() {
                    self.stats.datagrams += 1;
                }
                datagram
            }
            Packet::Other => None,
        };
        Ok(Step::Advance { consumed, datagram })
    }

    fn frame<'d>(
        &mut self,
        link: u32,
        timestamp_ns: u64,
        data: &'d [u8],
        data_offset: Option<usize>,
    ) -> Option<Datagram<'d>> {
        let sliced = match link_slice(link, data) {
            Some(Ok(sliced)) => sliced,
            Some(Err(())) | None => {
                self.stats.malformed += 1;
                return None;
            }
        };
        let (source_ip, destination_ip) = match &sliced.net {
            Some(NetSlice::Ipv4(ip)) => (
                IpAddr::V4(ip.header().source_addr()),
                IpAddr::V4(ip.header().destination_addr()),
            ),
            Some(NetSlice::Ipv6(ip)) => (
                IpAddr::V6(ip.header().source_addr()),
                IpAddr::V6(ip.header().destination_addr()),
            ),
            _ => {
                self.stats.not_udp += 1;
                return None;
            }
        };
        let packet = self.stats.packets;
        if sliced.is_ip_payload_fragmented() {
            self.stats.fragments += 1;
            self.defrag
                .retain(|&seen| timestamp_ns.saturating_sub(seen) < FRAGMENT_TIMEOUT_NS);
            let whole = match self.defrag.process_sliced_packet(&sliced, timestamp_ns, ()) {
                Ok(Some(whole)) => whole,
                Ok(None) => return None,
                Err(_) => {
                    self.stats.malformed += 1;
                    return None;
                }
            };
            if whole.ip_number != etherparse::IpNumber::UDP {
                self.stats.not_udp += 1;
                return None;
            }
            let Ok(udp) = UdpSlice::from_slice(&whole.payload) else {
                self.stats.malformed += 1;
                return None;
            };
            return Some(Datagram {
                timestamp_ns: Some(timestamp_ns),
                payload: Cow::Owned(udp.payload().to_vec()),
                source: Some(SocketAddr::new(source_ip, udp.source_port())),
                destination: Some(SocketAddr::new(destination_ip, udp.destination_port())),
                packet,
                file_offset: None,
            });
        }
        match sliced.transport {
            Some(TransportSlice::Udp(udp)) => {
                let payload = udp.payload();
                Some(Datagram {
                    timestamp_ns: Some(timestamp_ns),
                    payload: Cow::Borrowed(payload),
                    source: Some(SocketAddr::new(source_ip, udp.source_port())),
                    destination: Some(SocketAddr::new(destination_ip, udp.destination_port())),
                    packet,
                    file_offset: data_offset.and_then(|base| {
                        let inner = offset_in(data, payload)?;
                        Some(base + inner)
                    }),
                })
            }
            _ => {
                self.stats.not_udp += 1;
                None
            }
        }
    }
}

/// A capture file held in memory, as an iterator of datagrams.
pub struct Capture<'a> {
    bytes: &'a [u8],
    pos: usize,
    reader: CaptureReader,
    done: bool,
}

impl<'a> Capture<'a> {
    /// Reads the file header (if any) of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Result<Self, CaptureError> {
        let mut reader = CaptureReader::new(bytes);
        let mut pos = 0;
        if reader.format() != CaptureFormat::Raw {
            match reader.step(bytes, 0, true)? {
                Step::Advance { consumed, .. } => pos = consumed,
                Step::NeedMore => {
                    return Err(CaptureError {
                        format: reader.format(),
                        offset: 0,
                        reason: "empty file".to_owned(),
                    });
                }
            }
        }
        Ok(Capture {
            bytes,
            pos,
            reader,
            done: false,
        })
    }

    /// The file's format.
    pub fn format(&self) -> CaptureFormat {
        self.reader.format()
    }

    /// Counts so far.
    pub fn stats(&self) -> CaptureStats {
        self.reader.stats()
    }

    /// The next datagram; `None` at the end; an error ends the capture (its framing is lost).
    pub fn next_datagram(&mut self) -> Option<Result<Datagram<'a>, CaptureError>> {
        while !self.done {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            match self.reader.step(rest, self.pos, true) {
                Ok(Step::Advance { consumed, datagram }) => {
                    self.pos += consumed;
                    if let Some(datagram) = datagram {
                        return Some(Ok(datagram));
                    }
                }
                Ok(Step::NeedMore) => self.done = true,
                Err(err) => {
                    self.done = true;
                    return Some(Err(err));
                }
            }
        }
        None
    }
}

impl<'a> Iterator for Capture<'a> {
    type Item = Result<Datagram<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_datagram()
    }
}

enum Packet<'a> {
    Raw,
    Frame {
        link: u32,
        timestamp_ns: u64,
        data: &'a [u8],
    },
    Other,
}

/// Offset of `inner` within `outer`, if it is a sub-slice of it.
fn offset_in(outer: &[u8], inner: &[u8]) -> Option<usize> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (start + inner.len() <= outer.len()).then_some(start)
}

/// Length of the data block at the start of a raw stream; `Ok(None)` when it is not all there
/// yet (at the end, the rest is yielded and the decoder reports the short block). A LEN below
/// 3 leaves no way to find the next block: the stream ends there.
fn raw_block(rest: &[u8], at_end: bool) -> Result<Option<usize>, String> {
    let len = match (rest.get(1), rest.get(2)) {
        (Some(&hi), Some(&lo)) => usize::from(u16::from_be_bytes([hi, lo])),
        _ if at_end => return Ok(Some(rest.len())),
        _ => return Ok(None),
    };
    if len < 3 {
        Err(format!(
            "data block LEN {len} is below 3: the stream cannot be framed further"
        ))
    } else if len > rest.len() {
        Ok(at_end.then_some(rest.len()))
    } else {
        Ok(Some(len))
    }
}

fn next_pcap<'a>(
    parser: &PcapParser,
    rest: &'a [u8],
) -> Result<(usize, Packet<'a>), pcap_file::PcapError> {
    // The raw packet, not `next_packet`: that one refuses packets longer than the snapshot
    // length, which real captures written with a small snaplen contain.
    let (after, raw) = parser.next_raw_packet(rest)?;
    let header = parser.header();
    let frac_ns = match header.ts_resolution {
        pcap_file::TsResolution::MicroSecond => u64::from(raw.ts_frac) * 1000,
        pcap_file::TsResolution::NanoSecond => u64::from(raw.ts_frac),
    };
    let timestamp_ns = u64::from(raw.ts_sec) * 1_000_000_000 + frac_ns;
    let data: &'a [u8] = match raw.data {
        Cow::Borrowed(data) => data,
        Cow::Owned(_) => &[],
    };
    Ok((
        rest.len() - after.len(),
        Packet::Frame {
            link: u32::from(header.datalink),
            timestamp_ns,
            data,
        },
    ))
}

fn next_pcapng<'a>(
    parser: &mut PcapNgParser,
    rest: &'a [u8],
) -> Result<(usize, Packet<'a>), pcap_file::PcapError> {
    let (after, block) = parser.next_block(rest)?;
    let consumed = rest.len() - after.len();
    let packet = match block {
        NgBlock::EnhancedPacket(epb) => {
            let interface = parser.packet_interface(&epb);
            let link = interface.map_or(1, |i| u32::from(i.linktype));
            let resolution = interface
                .and_then(|i| {
                    i.options.iter().find_map(|option| match option {
                        pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption::IfTsResol(r) => Some(*r),
                        _ => None,
                    })
                })
                .unwrap_or(6);
            // pcap-file hands the raw timestamp units over as nanoseconds; scale them here.
            let ticks = epb.timestamp.as_nanos();
            let timestamp_ns = ticks_to_ns(ticks, resolution);
            match epb.data {
                Cow::Borrowed(data) => Packet::Frame {
                    link,
                    timestamp_ns,
                    data,
                },
                Cow::Owned(_) => Packet::Other,
            }
        }
        NgBlock::SimplePacket(spb) => {
            let link = parser
                .interfaces()
                .first()
                .map_or(1, |i| u32::from(i.linktype));
            match spb.data {
                Cow::Borrowed(data) => Packet::Frame {
                    link,
                    timestamp_ns: 0,
                    data,
                },
                Cow::Owned(_) => Packet::Other,
            }
        }
        _ => Packet::Other,
    };
    Ok((consumed, packet))
}

/// pcapng `if_tsresol`: high bit clear, 10^-n s per tick; set, 2^-n.
fn ticks_to_ns(ticks: u128, resolution: u8) -> u64 {
    let ns = if resolution & 0x80 == 0 {
        let exponent = u32::from(resolution);
        if exponent <= 9 {
            ticks.saturating_mul(10u128.pow(9 - exponent))
        } else {
            ticks / 10u128.pow((exponent - 9).min(38))
        }
    } else {
        let exponent = u32::from(resolution & 0x7f).min(127);
        ticks.saturating_mul(1_000_000_000) >> exponent
    };
    u64::try_from(ns).unwrap_or(u64::MAX)
}

/// Slices a frame by its link type: `None` for a link type we do not read, `Some(Err)` for
/// headers that do not parse.
fn link_slice(link: u32, data: &[u8]) -> Option<Result<SlicedPacket<'_>, ()>> {
    let result = match DataLink::from(link) {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        DataLink::LINUX_SLL2 => {
            // SLL2: protocol type (2), reserved (2), interface index (4), ARPHRD (2), packet
            // type (1), address length (1), address (8): 20 bytes.
            let (Some(proto), Some(payload)) = (data.first_chunk::<2>(), data.get(20..)) else {
                return Some(Err(()));
            };
            SlicedPacket::from_ether_type(EtherType(u16::from_be_bytes(*proto)), payload)
        }
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data),
        DataLink::NULL | DataLink::LOOP => {
            // BSD loopback: a 4-byte address family in host (NULL) or network (LOOP) order.
            let payload = data.get(4..)?;
            SlicedPacket::from_ip(payload)
        }
        _ => return None,
    };
    Some(result.map_err(|_| ()))
}
