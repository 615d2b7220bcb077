//! `liptako asterix`: dump and replay ASTERIX captures.
//!
//! `dump FILE` prints one JSON object per record, in file order (the shape is
//! `liptako_asterix::dump`); decoding errors go to the log with their packet and offset, and
//! decoding goes on. Files are streamed a few megabytes at a time, whatever their size. `replay FILE --to ADDR` sends the capture's UDP payloads (or, for a raw
//! file, its data blocks) to a UDP address, keeping the capture's timing scaled by `--speed`.
//! Both read raw ASTERIX, classic pcap and pcapng (see `liptako_asterix::capture`).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use liptako_asterix::capture::{CaptureFormat, CaptureReader, CaptureStats, Datagram, Step};
use liptako_asterix::dump::{ItemStyle, write_record};
use liptako_asterix::{Decoder, Editions, ErrorKind};

/// ASTERIX tools.
#[derive(Debug, clap::Args)]
pub struct AsterixArgs {
    #[command(subcommand)]
    command: AsterixCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AsterixCommand {
    /// Print every record of a capture as one JSON object per line.
    Dump(DumpArgs),
    /// Send a capture's ASTERIX datagrams over UDP, keeping the capture's timing.
    Replay(ReplayArgs),
}

/// `liptako asterix dump`.
#[derive(Debug, clap::Args)]
struct DumpArgs {
    /// Raw ASTERIX, pcap or pcapng file.
    file: PathBuf,
    /// Decode a category with an older edition, e.g. `--edition CAT048=1.21` (repeatable).
    /// Default: the current edition of every category.
    #[arg(long = "edition", value_name = "CAT=VER")]
    editions: Vec<String>,
    /// Show each item's fields by name instead of its bytes in hexadecimal.
    #[arg(long)]
    fields: bool,
    /// Only UDP datagrams sent to this port (pcap and pcapng).
    #[arg(long, value_name = "PORT")]
    udp_port: Option<u16>,
}

/// `liptako asterix replay`.
#[derive(Debug, clap::Args)]
struct ReplayArgs {
    /// Raw ASTERIX, pcap or pcapng file.
    file: PathBuf,
    /// Destination, `host:port` (unicast or multicast).
    #[arg(long, value_name = "UDP_ADDR")]
    to: String,
    /// Time factor: 2 replays twice as fast, 0.5 half as fast.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Only UDP datagrams sent to this port (pcap and pcapng).
    #[arg(long, value_name = "PORT")]
    udp_port: Option<u16>,
    /// Time-to-live of multicast datagrams.
    #[arg(long, default_value_t = 1)]
    multicast_ttl: u32,
}

pub fn run(args: AsterixArgs) -> anyhow::Result<()> {
    match args.command {
        AsterixCommand::Dump(args) => {
            let editions = Editions::from_selectors(args.editions.iter().map(String::as_str))?;
            let file = open(&args.file)?;
            let style = if args.fields {
                ItemStyle::Fields
            } else {
                ItemStyle::Hex
            };
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            let summary = match dump(file, editions, style, args.udp_port, &mut out) {
                Ok(summary) => summary,
                // `liptako asterix dump big.pcap | head` is a normal way to stop.
                Err(err) if is_broken_pipe(&err) => return Ok(()),
                Err(err) => return Err(err),
            };
            match out.flush() {
                Err(err) if err.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                other => other.context("writing to stdout")?,
            }
            tracing::info!(
                file = %args.file.display(),
                records = summary.records,
                errors = summary.errors,
                skipped_blocks = summary.skipped_blocks,
                skipped_categories = ?summary.skipped_categories,
                datagrams = summary.datagrams,
                not_udp = summary.not_udp,
                "dump done"
            );
            Ok(())
        }
        AsterixCommand::Replay(args) => {
            if !(args.speed.is_finite() && args.speed > 0.0) {
                bail!("--speed must be a positive number, not {}", args.speed);
            }
            let file = open(&args.file)?;
            let to = resolve(&args.to)?;
            let socket = open_socket(to, args.multicast_ttl)?;
            let sent = replay(file, args.udp_port, args.speed, |payload| {
                socket
                    .send_to(payload, to)
                    .map(drop)
                    .with_context(|| format!("sending to {to}"))
            })?;
            tracing::info!(file = %args.file.display(), %to, datagrams = sent, "replay done");
            Ok(())
        }
    }
}

fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path).with_context(|| format!("opening {}", path.display()))
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<io::Error>()
        .is_some_and(|err| err.kind() == io::ErrorKind::BrokenPipe)
}

/// Bytes read from the capture at a time: captures of a day run to gigabytes, so the file is
/// streamed rather than read whole.
const CHUNK: u64 = 4 << 20;

/// Calls `each` with every datagram of the capture `input`, reading it a chunk at a time.
/// A capture whose framing breaks ends there with a warning (what came before is kept).
fn for_each_datagram(
    mut input: impl Read,
    mut each: impl FnMut(Datagram<'_>, CaptureFormat) -> anyhow::Result<()>,
) -> anyhow::Result<CaptureStats> {
    let mut buf: Vec<u8> = Vec::new();
    let mut at_end = fill(&mut input, &mut buf)?;
    let mut reader = CaptureReader::new(&buf);
    let format = reader.format();
    // `buf[start..]` is unread; `base` is the file offset of `buf[0]`.
    let mut start = 0usize;
    let mut base = 0usize;
    loop {
        let rest = buf.get(start..).unwrap_or_default();
        match reader.step(rest, base + start, at_end) {
            Ok(Step::Advance { consumed, datagram }) => {
                start += consumed;
                if let Some(datagram) = datagram {
                    each(datagram, format)?;
                }
            }
            Ok(Step::NeedMore) => {
                if at_end {
                    break;
                }
                buf.drain(..start);
                base += start;
                start = 0;
                at_end = fill(&mut input, &mut buf)?;
            }
            Err(err) => {
                tracing::warn!(error = %err, "capture ends early");
                break;
            }
        }
    }
    Ok(reader.stats())
}

/// Appends up to `CHUNK` bytes; true when the input is exhausted.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>) -> anyhow::Result<bool> {
    let n = input
        .by_ref()
        .take(CHUNK)
        .read_to_end(buf)
        .context("reading the capture")?;
    Ok((n as u64) < CHUNK)
}

/// What a dump saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct DumpSummary {
    records: usize,
    errors: usize,
    skipped_blocks: usize,
    skipped_categories: BTreeSet<u8>,
    datagrams: usize,
    not_udp: usize,
}

/// Writes one JSON line per record of the capture `input` to `out`; decoding errors are
/// logged with their file offset (and packet number in a pcap) and decoding goes on.
fn dump(
    input: impl Read,
    editions: Editions,
    style: ItemStyle,
    udp_port: Option<u16>,
    out: &mut impl Write,
) -> anyhow::Result<DumpSummary> {
    let decoder = Decoder::new(editions);
    let mut summary = DumpSummary::default();
    let mut line = String::with_capacity(1024);
    let stats = for_each_datagram(input, |datagram, format| {
        if !port_matches(&datagram, udp_port) {
            return Ok(());
        }
        summary.datagrams += 1;
        // A raw file's datagrams are its blocks, at their file offsets; a pcap payload whose
        // bytes sit in the file gets file offsets too (reassembled ones count from 0).
        let base = datagram.file_offset.unwrap_or(0);
        let packet = (format != CaptureFormat::Raw).then_some(datagram.packet);
        for record in decoder.records_at(&datagram.payload, base) {
            match record {
                Ok(record) => {
                    line.clear();
                    write_record(&record, style, &mut line);
                    line.push('\n');
                    out.write_all(line.as_bytes())?;
                    summary.records += 1;
                }
                Err(err) if err.kind == ErrorKind::UnknownCategory => {
                    summary.skipped_blocks += 1;
                    summary.skipped_categories.extend(err.category);
                    tracing::debug!(packet, error = %err, "block skipped");
                }
                Err(err) => {
                    summary.errors += 1;
                    tracing::warn!(packet, error = %err, "bad ASTERIX data");
                }
            }
        }
        Ok(())
    })?;
    summary.not_udp = stats.not_udp;
    Ok(summary)
}

fn port_matches(datagram: &Datagram<'_>, udp_port: Option<u16>) -> bool {
    match (udp_port, datagram.destination) {
        (None, _) => true,
        (Some(port), Some(destination)) => destination.port() == port,
        (Some(_), None) => true,
    }
}

fn resolve(to: &str) -> anyhow::Result<SocketAddr> {
    to.to_socket_addrs()
        .with_context(|| format!("--to {to:?} is not a host:port address"))?
        .next()
        .with_context(|| format!("--to {to:?} resolves to no address"))
}

fn open_socket(to: SocketAddr, multicast_ttl: u32) -> anyhow::Result<UdpSocket> {
    let bind: SocketAddr = if to.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket =
        UdpSocket::bind(bind).with_context(|| format!("binding a UDP socket on {bind}"))?;
    if to.ip().is_multicast() {
        match to {
            SocketAddr::V4(_) => socket.set_multicast_ttl_v4(multicast_ttl)?,
            SocketAddr::V6(_) => {} // hop limit: the system default
        }
    }
    Ok(socket)
}

/// When each datagram of a capture is due, relative to the first, scaled by `speed`. A pcap
/// keeps its packet times; a raw file has none, so each data block is timed by the time of
/// day of its first record (midnight roll-over handled) and blocks without one follow at once.
/// Captures are not always in time order: nothing is scheduled before the previous datagram.
struct Pacer {
    speed: f64,
    decoder: Decoder,
    first_ns: Option<f64>,
    last_tod: Option<f64>,
    day_offset_s: f64,
    last_at: Duration,
}

impl Pacer {
    fn new(speed: f64) -> Self {
        Pacer {
            speed,
            decoder: Decoder::default(),
            first_ns: None,
            last_tod: None,
            day_offset_s: 0.0,
            last_at: Duration::ZERO,
        }
    }

    fn due(&mut self, datagram: &Datagram<'_>, format: CaptureFormat) -> Duration {
        let time_ns = if format == CaptureFormat::Raw {
            self.decoder
                .records(&datagram.payload)
                .find_map(|record| record.ok()?.time_of_day_s())
                .map(|tod| {
                    if let Some(last) = self.last_tod
                        && tod + 43_200.0 < last
                    {
                        self.day_offset_s += 86_400.0;
                    }
                    self.last_tod = Some(tod);
                    (tod + self.day_offset_s) * 1e9
                })
        } else {
            datagram.timestamp_ns.map(|ns| ns as f64)
        };
        if let Some(ns) = time_ns {
            let first = *self.first_ns.get_or_insert(ns);
            let since = Duration::from_secs_f64(((ns - first) / 1e9 / self.speed).max(0.0));
            self.last_at = since.max(self.last_at);
        }
        self.last_at
    }
}

/// Sends the capture's datagrams through `send`, each at its time.
fn replay(
    input: impl Read,
    udp_port: Option<u16>,
    speed: f64,
    mut send: impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let mut pacer = Pacer::new(speed);
    let start = Instant::now();
    let mut sent = 0;
    for_each_datagram(input, |datagram, format| {
        if !port_matches(&datagram, udp_port) {
            return Ok(());
        }
        let due = pacer.due(&datagram, format);
        let elapsed = start.elapsed();
        if due > elapsed {
            std::thread::sleep(due - elapsed);
        }
        send(&datagram.payload)?;
        sent += 1;
        Ok(())
    })?;
    Ok(sent)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;

    /// asterix-decoder's `sample_data/cat048.raw`.
    const CAT048: &str = "300030fdf70219c9356d4da0c5aff1e0020005283c660c10c236d4182001c0780031bc0000400deb07b9582e410020f5";

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// A classic pcap (Ethernet, microseconds) of UDP datagrams to 127.0.0.1:`port`.
    fn pcap(packets: &[(u32, u32, &[u8])], port: u16) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&65535u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        for (sec, usec, payload) in packets {
            let udp_len = 8 + payload.len();
            let ip_len = 20 + udp_len;
            let mut frame = vec![0u8; 12];
            frame.extend_from_slice(&[0x08, 0x00]);
            frame.extend_from_slice(&[
                0x45,
                0,
                (ip_len >> 8) as u8,
                ip_len as u8,
                0,
                1,
                0,
                0,
                64,
                17,
                0,
                0,
            ]);
            frame.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
            frame.extend_from_slice(&4000u16.to_be_bytes());
            frame.extend_from_slice(&port.to_be_bytes());
            frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
            frame.extend_from_slice(&[0, 0]);
            frame.extend_from_slice(payload);
            out.extend_from_slice(&sec.to_le_bytes());
            out.extend_from_slice(&usec.to_le_bytes());
            out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            out.extend_from_slice(&frame);
        }
        out
    }

    #[test]
    fn dump_raw_prints_the_issue_shape() {
        let bytes = hex(CAT048);
        let mut out = Vec::new();
        let summary = dump(
            &bytes[..],
            Editions::current(),
            ItemStyle::Hex,
            None,
            &mut out,
        )
        .unwrap();
        assert_eq!(summary.records, 1);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(r#"{"cat":48,"sac":25,"sic":201,"time_of_day":27354.6015625,"rho_nm":197.68359375,"theta_deg":340.13671875,"mode3a":"1000","flight_level":330,"#), "{text}");
        let value: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(value["aircraft_address"], "3C660C");
        assert_eq!(value["aircraft_id"], "DLH65A");
        assert_eq!(value["track_number"], 3563);
        assert_eq!(value["items"]["I048/010"], "19C9");
        assert_eq!(value["items"]["I048/240"], "10C236D41820");
    }

    #[test]
    fn dump_fields_style_names_every_field() {
        let bytes = hex(CAT048);
        let mut out = Vec::new();
        dump(
            &bytes[..],
            Editions::current(),
            ItemStyle::Fields,
            None,
            &mut out,
        )
        .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["items"]["I048/040"]["RHO"], 197.68359375);
        assert_eq!(value["items"]["I048/070"]["MODE3A"], "1000");
        assert_eq!(value["items"]["I048/250"][0]["MCP_ALT"], 33008.0);
        assert_eq!(value["items"]["I048/250"][0]["BDS"], "40");
    }

    #[test]
    fn dump_pcap_goes_on_after_a_bad_block_and_filters_ports() {
        let good = hex(CAT048);
        let mut bad = good.clone();
        bad[5] = 0xff; // FSPEC: FRN 15..21 all set, and an FX chain into the items
        let bytes = pcap(&[(1, 0, &good), (1, 500_000, &bad), (2, 0, &good)], 8600);
        let mut out = Vec::new();
        let summary = dump(
            &bytes[..],
            Editions::current(),
            ItemStyle::Hex,
            None,
            &mut out,
        )
        .unwrap();
        assert_eq!(summary.records, 2);
        assert_eq!(summary.errors, 1);
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 2);

        let mut out = Vec::new();
        let summary = dump(
            &bytes[..],
            Editions::current(),
            ItemStyle::Hex,
            Some(9999),
            &mut out,
        )
        .unwrap();
        assert_eq!(summary.records, 0);
    }

    #[test]
    fn streaming_reads_packets_across_chunk_boundaries() {
        // More than one chunk of pcap: packets straddle the chunk boundary.
        let block = hex(CAT048);
        let packets: Vec<(u32, u32, &[u8])> = (0..(CHUNK as usize / 60 + 500))
            .map(|i| (i as u32, 0, block.as_slice()))
            .collect();
        let bytes = pcap(&packets, 8600);
        assert!(bytes.len() as u64 > CHUNK);
        let mut out = Vec::new();
        let summary = dump(
            &bytes[..],
            Editions::current(),
            ItemStyle::Hex,
            None,
            &mut out,
        )
        .unwrap();
        assert_eq!(summary.records, packets.len());
        assert_eq!(summary.errors, 0);
        // And a raw file of blocks, just as long.
        let raw: Vec<u8> = std::iter::repeat_n(block.as_slice(), CHUNK as usize / 48 + 100)
            .flatten()
            .copied()
            .collect();
        let mut out = Vec::new();
        let summary = dump(
            &raw[..],
            Editions::current(),
            ItemStyle::Hex,
            None,
            &mut out,
        )
        .unwrap();
        assert_eq!(summary.records, CHUNK as usize / 48 + 100);
    }

    #[test]
    fn a_raw_stream_with_a_len_below_3_stops_there() {
        let mut bytes = hex(CAT048);
        bytes.extend_from_slice(&[0x30, 0x00, 0x01]);
        bytes.extend(hex(CAT048));
        let mut out = Vec::new();
        let summary = dump(
            &bytes[..],
            Editions::current(),
            ItemStyle::Hex,
            None,
            &mut out,
        )
        .unwrap();
        assert_eq!(summary.records, 1);
    }

    #[test]
    fn dump_with_an_older_edition() {
        let bytes = hex(CAT048);
        let editions = Editions::from_selectors(["CAT048=1.21"]).unwrap();
        let mut out = Vec::new();
        let summary = dump(&bytes[..], editions, ItemStyle::Hex, None, &mut out).unwrap();
        assert_eq!(summary.records, 1);
        assert!(Editions::from_selectors(["CAT048=9.99"]).is_err());
    }

    /// The due times `Pacer` gives every datagram of `bytes`.
    fn schedule(bytes: &[u8], speed: f64) -> Vec<(Duration, Vec<u8>)> {
        let mut pacer = Pacer::new(speed);
        let mut plan = Vec::new();
        for_each_datagram(bytes, |datagram, format| {
            plan.push((pacer.due(&datagram, format), datagram.payload.to_vec()));
            Ok(())
        })
        .unwrap();
        plan
    }

    #[test]
    fn schedule_keeps_capture_timing_scaled_by_speed() {
        let block = hex(CAT048);
        let bytes = pcap(
            &[(10, 0, &block), (10, 250_000, &block), (11, 0, &block)],
            8600,
        );
        let plan = schedule(&bytes, 2.0);
        let at: Vec<Duration> = plan.iter().map(|s| s.0).collect();
        assert_eq!(
            at,
            [
                Duration::ZERO,
                Duration::from_millis(125),
                Duration::from_millis(500)
            ]
        );
        assert_eq!(plan[0].1, block);
    }

    #[test]
    fn schedule_of_a_raw_file_follows_time_of_day_across_midnight() {
        // Two CAT048 blocks: 23:59:59 and 00:00:01 (I048/140 = 86399 s, then 1 s).
        let mut late = hex(CAT048);
        late[8..11].copy_from_slice(&(86_399u32 * 128).to_be_bytes()[1..]);
        let mut early = hex(CAT048);
        early[8..11].copy_from_slice(&128u32.to_be_bytes()[1..]);
        let bytes = [late, early].concat();
        let plan = schedule(&bytes, 1.0);
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[1].0, Duration::from_secs(2));
    }

    #[test]
    fn replay_sends_every_datagram_in_order_over_udp() {
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let to = receiver.local_addr().unwrap();
        let block = hex(CAT048);
        // A second, different datagram: the same block followed by a second copy of it.
        let second = [block.clone(), block.clone()].concat();
        let bytes = pcap(&[(1, 0, &block), (1, 1000, &second)], 8600);
        let socket = open_socket(to, 1).unwrap();
        let sent = replay(&bytes[..], None, 1000.0, |payload| {
            socket.send_to(payload, to)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(sent, 2);
        let mut buf = [0u8; 2048];
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], block.as_slice());
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], second.as_slice());
    }
}
