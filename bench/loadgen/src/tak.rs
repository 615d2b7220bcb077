//! TAK clients for the TAK server benchmark: N clients, each sending its position (an ATAK-like
//! SA event of about 700 bytes) R times a second, each receiving everyone else's (full
//! fan-out). Clients join one at a time (connect, register, wait for the server's first
//! answer), then all send, spread evenly over the period. Measured after a warm-up:
//! - deliveries per second: other clients' positions that arrived in the window, whenever they
//!   were sent (at saturation a server delivers late; this is its throughput);
//! - on time: of the positions sent in the window, the share that reached every other client
//!   before the readers stop (window end + 5 s), and their latency, from the sender's stamp to
//!   receipt on this machine (microseconds, carried in a `<lg t="..."/>` detail element; the
//!   CoT `time` attribute, in milliseconds, when a server drops that element);
//! - duplicates (a position received twice) and other events (welcome chats, echoes).
//!
//! The generator is built to stay out of the way: one thread (a current-thread runtime),
//! events are found with `memchr` and only `uid` and the timestamp are read, nothing is
//! decoded. It reports its own CPU use so a reader can tell it was not the bottleneck.
//!
//! Protocols: CoT XML over TCP (both Liptako and FreeTAKServer), or TAK protocol v1 protobuf
//! after negotiation (`--protobuf`, Liptako).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// How long readers go on after the window, so that positions sent in it can arrive (a
/// later arrival counts as lost).
const DRAIN: Duration = Duration::from_secs(5);

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server's TAK TCP listener.
    pub addr: SocketAddr,
    /// Clients.
    pub clients: usize,
    /// Positions per second per client.
    pub rate_hz: f64,
    /// Sending before measuring (servers register clients, fill caches).
    pub warmup: Duration,
    /// How long to measure.
    pub measure: Duration,
    /// Negotiate TAK protocol v1 (protobuf) before sending.
    pub protobuf: bool,
    /// A prefix for uids, so that runs do not mix.
    pub run_id: String,
}

/// What the clients saw during the measured window.
#[derive(Debug, Clone)]
pub struct Report {
    /// Clients that joined (and whose deliveries are expected).
    pub n_clients: usize,
    /// Clients the server did not take.
    pub join_failures: usize,
    /// Why the first of them failed.
    pub first_join_error: Option<String>,
    /// Positions sent in the window.
    pub sent: u64,
    /// Positions of other clients sent in the window and received.
    pub delivered: u64,
    /// Positions of other clients that arrived in the window, whenever sent (throughput: at
    /// saturation a server delivers old positions late).
    pub received: u64,
    /// Positions received more than once (not counted as delivered).
    pub duplicates: u64,
    /// Events received that were not the generator's positions (welcome chats, controls).
    pub other_events: u64,
    /// Clients whose connection ended early.
    pub disconnected: u64,
    /// The window.
    pub elapsed: Duration,
    /// Delivery latencies, microseconds, sorted.
    pub latencies_us: Vec<u64>,
    /// CPU seconds this process used in the window.
    pub cpu_s: f64,
}

impl Report {
    /// Deliveries the fan-out should have made: every position to every other client.
    pub fn expected(&self) -> u64 {
        self.sent * self.n_clients.saturating_sub(1) as u64
    }

    /// Deliveries that arrived per second in the window (throughput).
    pub fn rate(&self) -> f64 {
        self.received as f64 / self.elapsed.as_secs_f64()
    }

    /// Latency quantile `p` in milliseconds.
    pub fn latency_ms(&self, p: f64) -> f64 {
        crate::ws::quantile_ms(&self.latencies_us, p)
    }

    /// The generator's CPU use, percent of one core.
    pub fn cpu_percent(&self) -> f64 {
        100.0 * self.cpu_s / self.elapsed.as_secs_f64()
    }
}

#[derive(Default)]
struct Shared {
    sent: AtomicU64,
    delivered: AtomicU64,
    received: AtomicU64,
    duplicates: AtomicU64,
    other: AtomicU64,
    disconnected: AtomicU64,
}

fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_micros() as u64)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of a Unix time in microseconds.
fn cot_time(unix_us: u64) -> String {
    let ms = unix_us / 1_000;
    let days = (ms / 86_400_000) as i64;
    let ms_of_day = ms % 86_400_000;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let seconds = ms_of_day / 1_000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        ms_of_day % 1_000
    )
}

/// Unix milliseconds of a CoT time `YYYY-MM-DDTHH:MM:SS[.fff]Z` (UTC only; `None` otherwise).
fn parse_cot_time_ms(text: &[u8]) -> Option<u64> {
    let digits = |from: usize, len: usize| -> Option<i64> {
        let mut value = 0i64;
        for byte in text.get(from..from + len)? {
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(byte - b'0');
        }
        Some(value)
    };
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    let mut millis = 0;
    if text.get(19) == Some(&b'.') {
        let mut scale = 100;
        for byte in text
            .get(20..)?
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .take(3)
        {
            millis += i64::from(byte - b'0') * scale;
            scale /= 10;
        }
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1_000 + millis;
    u64::try_from(ms).ok()
}

/// An SA event as ATAK sends it, stamped with `now_us`.
fn sa_event(uid: &str, callsign: &str, lat: f64, lon: f64, now_us: u64) -> String {
    let time = cot_time(now_us);
    let stale = cot_time(now_us + 120_000_000);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="{uid}" type="a-f-G-U-C" how="m-g" time="{time}" start="{time}" stale="{stale}"><point lat="{lat:.6}" lon="{lon:.6}" hae="312.5" ce="9.9" le="9999999.0"/><detail><takv os="34" version="4.10.0.28" device="LOADGEN" platform="ATAK-CIV"/><contact endpoint="*:-1:stcp" callsign="{callsign}"/><uid Droid="{callsign}"/><precisionlocation altsrc="GPS" geopointsrc="GPS"/><__group role="Team Member" name="Cyan"/><status battery="88"/><track course="30.5" speed="1.2"/><lg t="{now_us}"/></detail></event>"#
    )
}

/// The value of attribute `name` (given as `name="`) in an element's bytes.
fn attribute<'a>(event: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let start = memchr::memmem::find(event, name)? + name.len();
    let rest = event.get(start..)?;
    let end = memchr::memchr(b'"', rest)?;
    rest.get(..end)
}

/// The sender's timestamp of one of our events, microseconds.
fn sent_us(event: &[u8]) -> Option<u64> {
    if let Some(start) = memchr::memmem::find(event, b"<lg t=\"") {
        let digits = event.get(start + 7..)?;
        let end = memchr::memchr(b'"', digits)?;
        return std::str::from_utf8(digits.get(..end)?).ok()?.parse().ok();
    }
    parse_cot_time_ms(attribute(event, b" time=\"")?).map(|ms| ms * 1_000)
}

/// A varint at `at` of `data`: (value, next position).
fn varint(data: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(at)?;
        at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((value, at));
        }
    }
    None
}

/// Fields of a protobuf message: (field number, wire type, value or bytes).
fn proto_field<'a>(message: &'a [u8], wanted: u64) -> Option<ProtoValue<'a>> {
    let mut at = 0;
    while at < message.len() {
        let (key, next) = varint(message, at)?;
        at = next;
        let (number, wire) = (key >> 3, key & 7);
        let value = match wire {
            0 => {
                let (value, next) = varint(message, at)?;
                at = next;
                ProtoValue::Varint(value)
            }
            1 => {
                at += 8;
                ProtoValue::Other
            }
            2 => {
                let (len, next) = varint(message, at)?;
                let end = next.checked_add(len as usize)?;
                let bytes = message.get(next..end)?;
                at = end;
                ProtoValue::Bytes(bytes)
            }
            5 => {
                at += 4;
                ProtoValue::Other
            }
            _ => return None,
        };
        if number == wanted {
            return Some(value);
        }
    }
    None
}

enum ProtoValue<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Other,
}

/// uid and send time (µs) of a protobuf `TakMessage` payload.
fn proto_event(payload: &[u8]) -> Option<(&[u8], u64)> {
    let ProtoValue::Bytes(event) = proto_field(payload, 2)? else {
        return None;
    };
    let ProtoValue::Bytes(uid) = proto_field(event, 5)? else {
        return None;
    };
    // xmlDetail (detail = 15, xmlDetail = 1) keeps our microsecond stamp; sendTime (6) is ms.
    if let Some(ProtoValue::Bytes(detail)) = proto_field(event, 15)
        && let Some(ProtoValue::Bytes(xml)) = proto_field(detail, 1)
        && let Some(us) = sent_us(xml).filter(|_| memchr::memmem::find(xml, b"<lg ").is_some())
    {
        return Some((uid, us));
    }
    let ProtoValue::Varint(ms) = proto_field(event, 6)? else {
        return None;
    };
    Some((uid, ms * 1_000))
}

/// The measured window, on this machine's monotonic clock and as Unix microseconds (what
/// senders stamp), and when readers stop.
struct Window {
    start: Instant,
    end: Instant,
    start_us: u64,
    end_us: u64,
    drain_end: Instant,
}

impl Window {
    fn contains(&self, at: Instant) -> bool {
        at >= self.start && at < self.end
    }

    fn contains_us(&self, at_us: u64) -> bool {
        at_us >= self.start_us && at_us < self.end_us
    }
}

/// Reads everything one client receives; records the other clients' positions.
async fn read_loop(
    mut reader: OwnedReadHalf,
    leftover: Vec<u8>,
    own_uid: String,
    prefix: String,
    protobuf: bool,
    shared: Arc<Shared>,
    window: Arc<Window>,
) -> Vec<u64> {
    let mut latencies = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(256 * 1024);
    buf.extend_from_slice(&leftover);
    let mut chunk = vec![0u8; 128 * 1024];
    let finder = memchr::memmem::Finder::new(b"</event>");
    // The last stamp seen from each sender: a position received twice is not two deliveries.
    let mut last_seen: std::collections::HashMap<Vec<u8>, u64> = std::collections::HashMap::new();
    // A position counts when it was sent in the window, whenever it arrives (before the
    // readers stop); other events when they arrive in the window.
    let mut record = |uid: &[u8], sent: Option<u64>, latencies: &mut Vec<u64>| {
        if !uid.starts_with(prefix.as_bytes()) || uid == own_uid.as_bytes() {
            if window.contains(Instant::now()) {
                shared.other.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        let arrived_in_window = window.contains(Instant::now());
        match sent {
            Some(sent) => {
                let last = last_seen.entry(uid.to_vec()).or_insert(0);
                if sent <= *last {
                    if arrived_in_window {
                        shared.duplicates.fetch_add(1, Ordering::Relaxed);
                    }
                    return;
                }
                *last = sent;
                if arrived_in_window {
                    shared.received.fetch_add(1, Ordering::Relaxed);
                }
                if window.contains_us(sent) {
                    shared.delivered.fetch_add(1, Ordering::Relaxed);
                    latencies.push(unix_us().saturating_sub(sent));
                }
            }
            None if arrived_in_window => {
                shared.received.fetch_add(1, Ordering::Relaxed);
                shared.delivered.fetch_add(1, Ordering::Relaxed);
            }
            None => {}
        }
    };
    loop {
        let read = tokio::time::timeout_at(window.drain_end.into(), reader.read(&mut chunk));
        let n = match read.await {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => n,
            // The window is over and everything sent in it had time to arrive.
            Err(_) => return latencies,
        };
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let mut consumed = 0;
        loop {
            let rest = buf.get(consumed..).unwrap_or_default();
            if protobuf {
                let Some(start) = rest.iter().position(|&byte| byte != b' ' && byte != b'\n')
                else {
                    consumed = buf.len();
                    break;
                };
                let Some((len, body)) = varint(rest, start + 1) else {
                    break;
                };
                let Some(payload) = rest.get(body..body + len as usize) else {
                    break;
                };
                if let Some((uid, sent)) = proto_event(payload) {
                    record(uid, Some(sent), &mut latencies);
                }
                consumed += body + len as usize;
            } else {
                let Some(end) = finder.find(rest) else { break };
                let event = rest.get(..end).unwrap_or_default();
                consumed += end + b"</event>".len();
                let Some(uid) = attribute(event, b" uid=\"") else {
                    continue;
                };
                record(uid, sent_us(event), &mut latencies);
            }
        }
        buf.drain(..consumed.min(buf.len()));
    }
    // Only an end before the window is over is a failure: writers close when it ends.
    if Instant::now() < window.end {
        shared.disconnected.fetch_add(1, Ordering::Relaxed);
    }
    latencies
}

/// One client's sending schedule.
struct Schedule {
    uid: String,
    callsign: String,
    first: Instant,
    period: Duration,
    protobuf: bool,
}

/// Sends positions at the rate, from `first` on, until the window ends.
async fn write_loop(
    mut writer: OwnedWriteHalf,
    schedule: Schedule,
    shared: Arc<Shared>,
    window: Arc<Window>,
) {
    let Schedule {
        uid,
        callsign,
        first,
        period,
        protobuf,
    } = schedule;
    tokio::time::sleep_until(first.into()).await;
    let mut ticks = tokio::time::interval_at(first.into(), period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut step = 0.0f64;
    while Instant::now() < window.end {
        ticks.tick().await;
        step += 1.0;
        let now_us = unix_us();
        let xml = sa_event(
            &uid,
            &callsign,
            14.0 + (step * 0.00001),
            1.0 + (step * 0.00001),
            now_us,
        );
        let bytes = if protobuf {
            proto_frame(&xml)
        } else {
            xml.into_bytes()
        };
        if writer.write_all(&bytes).await.is_err() {
            return;
        }
        if window.contains_us(now_us) {
            shared.sent.fetch_add(1, Ordering::Relaxed);
        }
    }
    let _ = writer.shutdown().await;
}

/// A protobuf stream frame for our SA (hand-written: only the fields the SA uses, and the
/// detail as `xmlDetail`).
fn proto_frame(xml: &str) -> Vec<u8> {
    fn put_varint(out: &mut Vec<u8>, mut value: u64) {
        while value >= 0x80 {
            out.push((value as u8) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }
    fn put_bytes(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
        put_varint(out, (number << 3) | 2);
        put_varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }
    fn put_double(out: &mut Vec<u8>, number: u64, value: f64) {
        put_varint(out, (number << 3) | 1);
        out.extend_from_slice(&value.to_le_bytes());
    }
    let get = |name: &[u8]| attribute(xml.as_bytes(), name).unwrap_or_default();
    let number = |name: &[u8]| {
        std::str::from_utf8(get(name))
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let time = |name: &[u8]| parse_cot_time_ms(get(name)).unwrap_or(0);
    let detail_start = xml.find("<detail>").map_or(0, |at| at + 8);
    let detail_end = xml.find("</detail>").unwrap_or(detail_start);
    let mut event = Vec::with_capacity(512);
    put_bytes(&mut event, 1, get(b" type=\""));
    put_bytes(&mut event, 5, get(b" uid=\""));
    for (field, value) in [
        (6u64, time(b" time=\"")),
        (7, time(b" start=\"")),
        (8, time(b" stale=\"")),
    ] {
        put_varint(&mut event, field << 3);
        put_varint(&mut event, value);
    }
    put_bytes(&mut event, 9, get(b" how=\""));
    put_double(&mut event, 10, number(b" lat=\""));
    put_double(&mut event, 11, number(b" lon=\""));
    put_double(&mut event, 12, number(b" hae=\""));
    put_double(&mut event, 13, number(b" ce=\""));
    put_double(&mut event, 14, number(b" le=\""));
    let mut detail = Vec::new();
    put_bytes(
        &mut detail,
        1,
        xml.get(detail_start..detail_end)
            .unwrap_or_default()
            .as_bytes(),
    );
    put_bytes(&mut event, 15, &detail);
    let mut message = Vec::with_capacity(event.len() + 8);
    put_bytes(&mut message, 2, &event);
    let mut frame = vec![0xbf];
    put_varint(&mut frame, message.len() as u64);
    frame.extend_from_slice(&message);
    frame
}

/// Reads until `needle` has arrived (10 s at most); returns what came after the event that
/// holds it (or everything read, for an empty needle: any answer).
async fn read_until(stream: &mut TcpStream, needle: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut chunk))
            .await
            .context("the server did not answer within 10 s")??;
        anyhow::ensure!(n > 0, "the server closed the connection");
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if needle.is_empty() {
            return Ok(buf);
        }
        if let Some(at) = memchr::memmem::find(&buf, needle)
            && let Some(end) = memchr::memmem::find(buf.get(at..).unwrap_or_default(), b"</event>")
        {
            return Ok(buf.split_off(at + end + b"</event>".len()));
        }
    }
}

/// Registers a client: negotiates protobuf when asked, sends a first position, waits for the
/// server's first answer. Returns the bytes read past what registration needed.
async fn register(
    stream: &mut TcpStream,
    uid: &str,
    callsign: &str,
    protobuf: bool,
) -> anyhow::Result<Vec<u8>> {
    let position = sa_event(uid, callsign, 14.0, 1.0, unix_us());
    if protobuf {
        read_until(stream, b"t-x-takp-v").await?;
        stream.write_all(protocol_request().as_bytes()).await?;
        let rest = read_until(stream, b"t-x-takp-r").await?;
        stream.write_all(&proto_frame(&position)).await?;
        return Ok(rest);
    }
    stream.write_all(position.as_bytes()).await?;
    read_until(stream, b"").await
}

/// The negotiation request (`t-x-takp-q`) for protocol version 1.
fn protocol_request() -> String {
    let now = cot_time(unix_us());
    let stale = cot_time(unix_us() + 60_000_000);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="protouid" type="t-x-takp-q" how="m-g" time="{now}" start="{now}" stale="{stale}"><point lat="0" lon="0" hae="0" ce="999999" le="999999"/><detail><TakControl><TakRequest version="1"/></TakControl></detail></event>"#
    )
}

/// Runs the clients and returns what they measured.
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    let shared = Arc::new(Shared::default());
    let period = Duration::from_secs_f64(1.0 / options.rate_hz.max(0.001));
    // Clients join one after the other, as phones do: each connects, registers (negotiates
    // protobuf when asked, sends a first position) and waits for the server's first answer
    // (Liptako's protocol offer, FreeTAKServer's welcome chat) before the next one comes. A
    // server that reads registrations with a fixed buffer is thereby never sent two positions
    // before it read the first.
    // A client the server does not take (refused, or no answer within 10 s) is left out and
    // counted; the run goes on with the others.
    let mut streams = Vec::with_capacity(options.clients);
    let mut join_failures = 0;
    let mut first_join_error = None;
    for idx in 0..options.clients {
        let uid = format!("{}-{idx}", options.run_id);
        let joined = async {
            let mut stream = TcpStream::connect(options.addr)
                .await
                .with_context(|| format!("cannot connect to {}", options.addr))?;
            stream.set_nodelay(true)?;
            let leftover =
                register(&mut stream, &uid, &format!("LG-{idx}"), options.protobuf).await?;
            anyhow::Ok((stream, leftover))
        };
        match joined.await {
            Ok(joined) => streams.push((idx, joined)),
            Err(err) => {
                join_failures += 1;
                first_join_error.get_or_insert_with(|| format!("client {idx}: {err:#}"));
            }
        }
    }
    anyhow::ensure!(!streams.is_empty(), "no client could join");
    let n_clients = streams.len();
    let start = Instant::now() + Duration::from_millis(200);
    let start_us = unix_us() + 200_000;
    let window = Arc::new(Window {
        start: start + options.warmup,
        end: start + options.warmup + options.measure,
        start_us: start_us + options.warmup.as_micros() as u64,
        end_us: start_us + (options.warmup + options.measure).as_micros() as u64,
        drain_end: start + options.warmup + options.measure + DRAIN,
    });
    let mut readers = Vec::with_capacity(options.clients);
    for (idx, (stream, leftover)) in streams {
        let (reader, writer) = stream.into_split();
        let uid = format!("{}-{idx}", options.run_id);
        // Spread the clients evenly over the period.
        let first = start + period.mul_f64(idx as f64 / options.clients as f64);
        readers.push(tokio::spawn(read_loop(
            reader,
            leftover,
            uid.clone(),
            format!("{}-", options.run_id),
            options.protobuf,
            shared.clone(),
            window.clone(),
        )));
        tokio::spawn(write_loop(
            writer,
            Schedule {
                uid,
                callsign: format!("LG-{idx}"),
                first,
                period,
                protobuf: options.protobuf,
            },
            shared.clone(),
            window.clone(),
        ));
    }
    tokio::time::sleep_until(window.start.into()).await;
    let cpu_before = crate::ws::process_cpu_seconds();
    tokio::time::sleep_until(window.end.into()).await;
    let cpu_s = crate::ws::process_cpu_seconds() - cpu_before;
    // The readers stop by themselves once what was sent in the window had time to arrive.
    let mut latencies_us = Vec::new();
    for reader in readers {
        if let Ok(latencies) = reader.await {
            latencies_us.extend(latencies);
        }
    }
    latencies_us.sort_unstable();
    Ok(Report {
        n_clients,
        join_failures,
        first_join_error,
        sent: shared.sent.load(Ordering::Relaxed),
        delivered: shared.delivered.load(Ordering::Relaxed),
        received: shared.received.load(Ordering::Relaxed),
        duplicates: shared.duplicates.load(Ordering::Relaxed),
        other_events: shared.other.load(Ordering::Relaxed),
        disconnected: shared.disconnected.load(Ordering::Relaxed),
        elapsed: options.measure,
        latencies_us,
        cpu_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        let us = 1_732_492_800_123_000;
        let text = cot_time(us);
        assert_eq!(text, "2024-11-25T00:00:00.123Z");
        assert_eq!(parse_cot_time_ms(text.as_bytes()), Some(us / 1_000));
        assert_eq!(
            parse_cot_time_ms(b"2024-02-29T12:30:15Z"),
            Some(1_709_209_815_000)
        );
    }

    #[test]
    fn events_are_found_without_decoding() {
        let xml = sa_event("lg-1", "LG-1", 14.0, 1.0, 1_732_492_800_123_456);
        assert_eq!(attribute(xml.as_bytes(), b" uid=\""), Some(&b"lg-1"[..]));
        assert_eq!(sent_us(xml.as_bytes()), Some(1_732_492_800_123_456));
        let without_stamp = xml.replace("<lg t=\"1732492800123456\"/>", "");
        assert_eq!(
            sent_us(without_stamp.as_bytes()),
            Some(1_732_492_800_123_000)
        );
        let frame = proto_frame(&xml);
        let (len, body) = varint(&frame, 1).unwrap();
        assert_eq!(body + len as usize, frame.len());
        let (uid, sent) = proto_event(&frame[body..]).unwrap();
        assert_eq!(uid, b"lg-1");
        assert_eq!(sent, 1_732_492_800_123_456);
    }
}
