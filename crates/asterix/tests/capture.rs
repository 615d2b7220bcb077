//! Reading captures: pcap and pcapng, the link layers radar feeds are captured on, IP
//! reassembly, timing, and what happens to packets that are not ASTERIX over UDP.

use liptako_asterix::capture::{Capture, CaptureFormat};

use crate::common::hex;

const BLOCK: &str = "300030fdf70219c9356d4da0c5aff1e0020005283c660c10c236d4182001c0780031bc0000400deb07b9582e410020f5";

fn ipv4(payload: &[u8], protocol: u8, id: u16, flags_offset: u16) -> Vec<u8> {
    let total = 20 + payload.len();
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&(total as u16).to_be_bytes());
    ip.extend_from_slice(&id.to_be_bytes());
    ip.extend_from_slice(&flags_offset.to_be_bytes());
    ip.extend_from_slice(&[64, protocol, 0, 0, 10, 0, 0, 1, 239, 1, 2, 3]);
    ip.extend_from_slice(payload);
    ip
}

fn udp(payload: &[u8], dport: u16) -> Vec<u8> {
    let mut udp = Vec::new();
    udp.extend_from_slice(&4000u16.to_be_bytes());
    udp.extend_from_slice(&dport.to_be_bytes());
    udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    udp
}

/// A bare TCP header (20 octets, data offset 5).
fn tcp_header() -> Vec<u8> {
    let mut tcp = vec![0u8; 20];
    tcp[12] = 0x50;
    tcp
}

fn ethernet(ip: &[u8]) -> Vec<u8> {
    let mut frame = vec![0xff; 6];
    frame.extend_from_slice(&[2, 0, 0, 0, 0, 1]);
    frame.extend_from_slice(&[0x08, 0x00]);
    frame.extend_from_slice(ip);
    frame
}

fn ethernet_vlan(ip: &[u8]) -> Vec<u8> {
    let mut frame = vec![0xff; 6];
    frame.extend_from_slice(&[2, 0, 0, 0, 0, 1]);
    frame.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a, 0x08, 0x00]);
    frame.extend_from_slice(ip);
    frame
}

fn linux_sll(ip: &[u8]) -> Vec<u8> {
    let mut frame = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    frame.extend_from_slice(ip);
    frame
}

fn linux_sll2(ip: &[u8]) -> Vec<u8> {
    let mut frame = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    frame.extend_from_slice(ip);
    frame
}

/// Classic pcap, little-endian, microsecond or nanosecond timestamps.
fn pcap(linktype: u32, nanos: bool, packets: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    out.extend_from_slice(&magic.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&linktype.to_le_bytes());
    for (ts_ns, frame) in packets {
        let frac = if nanos {
            ts_ns % 1_000_000_000
        } else {
            ts_ns % 1_000_000_000 / 1000
        };
        out.extend_from_slice(&((ts_ns / 1_000_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(frac as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(frame);
    }
    out
}

fn pcapng_block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let len = 12 + body.len();
    let mut out = Vec::new();
    out.extend_from_slice(&block_type.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out
}

/// pcapng with one interface; `tsresol` is the if_tsresol option (default 10^-6 s).
fn pcapng(linktype: u16, tsresol: Option<u8>, packets: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut out = pcapng_block(0x0a0d_0d0a, &shb);
    let mut idb = Vec::new();
    idb.extend_from_slice(&linktype.to_le_bytes());
    idb.extend_from_slice(&0u16.to_le_bytes());
    idb.extend_from_slice(&65535u32.to_le_bytes());
    if let Some(resolution) = tsresol {
        idb.extend_from_slice(&9u16.to_le_bytes());
        idb.extend_from_slice(&1u16.to_le_bytes());
        idb.extend_from_slice(&[resolution, 0, 0, 0]);
        idb.extend_from_slice(&[0, 0, 0, 0]);
    }
    out.extend(pcapng_block(1, &idb));
    for (ticks, frame) in packets {
        let mut epb = Vec::new();
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(*ticks as u32).to_le_bytes());
        epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        epb.extend_from_slice(frame);
        while epb.len() % 4 != 0 {
            epb.push(0);
        }
        out.extend(pcapng_block(6, &epb));
    }
    out
}

fn payloads(bytes: &[u8]) -> Vec<(Option<u64>, Vec<u8>)> {
    Capture::new(bytes)
        .unwrap()
        .map(|d| {
            let d = d.unwrap();
            (d.timestamp_ns, d.payload.into_owned())
        })
        .collect()
}

#[test]
fn formats_are_recognised_by_their_magic() {
    assert_eq!(
        CaptureFormat::detect(&pcap(1, false, &[])),
        CaptureFormat::Pcap
    );
    assert_eq!(
        CaptureFormat::detect(&pcap(1, true, &[])),
        CaptureFormat::Pcap
    );
    assert_eq!(
        CaptureFormat::detect(&pcapng(1, None, &[])),
        CaptureFormat::PcapNg
    );
    assert_eq!(CaptureFormat::detect(&hex(BLOCK)), CaptureFormat::Raw);
}

#[test]
fn pcap_on_every_link_layer_yields_the_udp_payload_and_time() {
    let block = hex(BLOCK);
    let ip = ipv4(&udp(&block, 8600), 17, 1, 0);
    for (linktype, frame) in [
        (1, ethernet(&ip)),
        (1, ethernet_vlan(&ip)),
        (113, linux_sll(&ip)),
        (276, linux_sll2(&ip)),
        (101, ip.clone()),
        (228, ip.clone()),
    ] {
        for nanos in [false, true] {
            let bytes = pcap(
                linktype,
                nanos,
                &[(1_700_000_000_123_456_000, frame.clone())],
            );
            let got = payloads(&bytes);
            assert_eq!(
                got,
                vec![(Some(1_700_000_000_123_456_000), block.clone())],
                "link type {linktype}"
            );
        }
    }
}

#[test]
fn datagram_carries_addresses_and_file_offset() {
    let block = hex(BLOCK);
    let bytes = pcap(
        1,
        false,
        &[(0, ethernet(&ipv4(&udp(&block, 8600), 17, 1, 0)))],
    );
    let datagram = Capture::new(&bytes).unwrap().next().unwrap().unwrap();
    assert_eq!(datagram.destination.unwrap().to_string(), "239.1.2.3:8600");
    assert_eq!(datagram.source.unwrap().to_string(), "10.0.0.1:4000");
    let offset = datagram.file_offset.unwrap();
    assert_eq!(&bytes[offset..offset + block.len()], block.as_slice());
    assert_eq!(datagram.packet, 1);
}

#[test]
fn pcapng_timestamps_follow_if_tsresol() {
    let block = hex(BLOCK);
    let frame = ethernet(&ipv4(&udp(&block, 8600), 17, 1, 0));
    // Default resolution: microseconds.
    let got = payloads(&pcapng(1, None, &[(1_000_500, frame.clone())]));
    assert_eq!(got[0].0, Some(1_000_500_000));
    // Nanoseconds.
    let got = payloads(&pcapng(1, Some(9), &[(1_000_500, frame.clone())]));
    assert_eq!(got[0].0, Some(1_000_500));
    // Binary: 2^-10 s per tick.
    let got = payloads(&pcapng(1, Some(0x80 | 10), &[(2048, frame)]));
    assert_eq!(got[0].0, Some(2_000_000_000));
    assert_eq!(got[0].1, block);
}

#[test]
fn fragmented_datagrams_are_reassembled() {
    // A 400-byte payload of ASTERIX blocks, split into IP fragments of 200 and the rest.
    let mut blocks = Vec::new();
    while blocks.len() < 400 {
        blocks.extend(hex(BLOCK));
    }
    let datagram = udp(&blocks, 8600);
    let (first, second) = datagram.split_at(200);
    let bytes = pcap(
        1,
        false,
        &[
            (1_000, ethernet(&ipv4(first, 17, 77, 0x2000))),
            (2_000, ethernet(&ipv4(second, 17, 77, 200 / 8))),
        ],
    );
    let mut capture = Capture::new(&bytes).unwrap();
    let got: Vec<_> = capture
        .by_ref()
        .map(|d| d.unwrap().payload.into_owned())
        .collect();
    assert_eq!(got, vec![blocks]);
    assert_eq!(capture.stats().fragments, 2);
}

#[test]
fn packets_that_are_not_udp_are_counted_and_skipped() {
    let block = hex(BLOCK);
    let bytes = pcap(
        1,
        false,
        &[
            (0, ethernet(&ipv4(&tcp_header(), 6, 1, 0))), // TCP
            (1, ethernet(&ipv4(&udp(&block, 8600), 17, 2, 0))),
            (2, vec![0xff; 10]), // runt frame
        ],
    );
    let mut capture = Capture::new(&bytes).unwrap();
    let got: Vec<_> = capture
        .by_ref()
        .map(|d| d.unwrap().payload.into_owned())
        .collect();
    assert_eq!(got, vec![block]);
    let stats = capture.stats();
    assert_eq!(
        (
            stats.packets,
            stats.datagrams,
            stats.not_udp,
            stats.malformed
        ),
        (3, 1, 1, 1)
    );
}

#[test]
fn a_truncated_capture_ends_with_an_error_after_its_good_packets() {
    let block = hex(BLOCK);
    let frame = ethernet(&ipv4(&udp(&block, 8600), 17, 1, 0));
    let mut bytes = pcap(1, false, &[(0, frame.clone()), (1, frame)]);
    bytes.truncate(bytes.len() - 10);
    let results: Vec<_> = Capture::new(&bytes).unwrap().collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    let err = results[1].as_ref().unwrap_err();
    assert!(err.to_string().starts_with("Pcap capture, byte "), "{err}");
}

#[test]
fn a_raw_file_yields_one_datagram_per_block() {
    let mut bytes = hex(BLOCK);
    bytes.extend(hex(BLOCK));
    let got = payloads(&bytes);
    assert_eq!(got.len(), 2);
    assert_eq!(got[1], (None, hex(BLOCK)));
}

/// Feeds `bytes` to a `CaptureReader` `chunk` bytes at a time, as a file reader would.
fn chunked(bytes: &[u8], chunk: usize) -> Vec<(Option<u64>, Vec<u8>, Option<usize>)> {
    use liptako_asterix::capture::{CaptureReader, Step};
    let mut reader = CaptureReader::new(bytes);
    let mut available = chunk.min(bytes.len());
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        let at_end = available == bytes.len();
        match reader.step(&bytes[pos..available], pos, at_end).unwrap() {
            Step::Advance { consumed, datagram } => {
                pos += consumed;
                if let Some(d) = datagram {
                    out.push((d.timestamp_ns, d.payload.into_owned(), d.file_offset));
                }
            }
            Step::NeedMore if at_end => return out,
            Step::NeedMore => available = (available + chunk).min(bytes.len()),
        }
    }
}

#[test]
fn reading_a_chunk_at_a_time_gives_the_same_datagrams() {
    let block = hex(BLOCK);
    let frame = ethernet(&ipv4(&udp(&block, 8600), 17, 1, 0));
    let captures = [
        pcap(
            1,
            false,
            &[
                (1_000, frame.clone()),
                (2_000, frame.clone()),
                (3_000, frame.clone()),
            ],
        ),
        pcapng(
            1,
            Some(9),
            &[(1_000, frame.clone()), (2_000, frame.clone())],
        ),
        [hex(BLOCK), hex(BLOCK), hex(BLOCK)].concat(),
    ];
    for bytes in &captures {
        let whole: Vec<_> = Capture::new(bytes)
            .unwrap()
            .map(|d| {
                let d = d.unwrap();
                (d.timestamp_ns, d.payload.into_owned(), d.file_offset)
            })
            .collect();
        assert!(!whole.is_empty());
        for chunk in [1, 7, 64, 1000] {
            assert_eq!(chunked(bytes, chunk), whole, "chunks of {chunk}");
        }
    }
}
