//! Writing synthetic captures: TCP conversations carrying chosen bytes, wrapped in any
//! supported link layer or tunnel, written as pcap (either byte order, micro- or
//! nanosecond timestamps) or pcapng.
//!
//! Tests use it to build captures with known contents and known damage (reordering,
//! retransmission, loss, overlap, fragments), and `palisade bench capture` uses it to
//! build large captures of mixed traffic. Checksums of IPv4 headers are computed; TCP and
//! UDP checksums are left zero, as many captures taken with checksum offload show them.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

use crate::reader::LinkType;

/// TCP flags as they appear in the header.
pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// One TCP segment of a synthetic conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: Vec<u8>,
    /// Capture time in nanoseconds since the Unix epoch.
    pub timestamp_ns: i64,
}

/// A TCP connection that produces the segments of a well-behaved exchange: handshake,
/// data cut into segments of at most `mss` bytes, each acknowledged, and FIN close.
#[derive(Debug, Clone)]
pub struct Connection {
    pub client: SocketAddr,
    pub server: SocketAddr,
    client_seq: u32,
    server_seq: u32,
    /// Capture time of the next segment, advanced by `step_ns` per segment.
    pub clock_ns: i64,
    pub step_ns: i64,
    pub mss: usize,
    /// Whether data segments are followed by a pure ACK from the receiver.
    pub send_acks: bool,
}

impl Connection {
    /// Creates a connection whose initial sequence numbers are `client_isn` and
    /// `server_isn`, so tests can place them next to 2^32 to exercise wrap-around.
    pub fn new(client: SocketAddr, server: SocketAddr, client_isn: u32, server_isn: u32, start_ns: i64) -> Self {
        Self {
            client,
            server,
            client_seq: client_isn,
            server_seq: server_isn,
            clock_ns: start_ns,
            step_ns: 100_000,
            mss: 1460,
            send_acks: true,
        }
    }

    fn segment(&mut self, from_client: bool, flags: u8, payload: &[u8]) -> Segment {
        let (src, dst, seq, ack) = if from_client {
            (self.client, self.server, self.client_seq, self.server_seq)
        } else {
            (self.server, self.client, self.server_seq, self.client_seq)
        };
        let segment = Segment { src, dst, seq, ack, flags, payload: payload.to_vec(), timestamp_ns: self.clock_ns };
        self.clock_ns += self.step_ns;
        let advance = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        if from_client {
            self.client_seq = self.client_seq.wrapping_add(advance);
        } else {
            self.server_seq = self.server_seq.wrapping_add(advance);
        }
        segment
    }

    /// SYN, SYN-ACK, ACK.
    pub fn handshake(&mut self) -> Vec<Segment> {
        let syn = self.segment(true, SYN, &[]);
        let mut syn_ack = self.segment(false, SYN | ACK, &[]);
        syn_ack.ack = self.client_seq;
        let ack = self.segment(true, ACK, &[]);
        vec![syn, syn_ack, ack]
    }

    /// Data from the client, cut into segments.
    pub fn client_sends(&mut self, bytes: &[u8]) -> Vec<Segment> {
        self.sends(true, bytes)
    }

    /// Data from the server, cut into segments.
    pub fn server_sends(&mut self, bytes: &[u8]) -> Vec<Segment> {
        self.sends(false, bytes)
    }

    fn sends(&mut self, from_client: bool, bytes: &[u8]) -> Vec<Segment> {
        let mut segments = Vec::new();
        for chunk in bytes.chunks(self.mss.max(1)) {
            segments.push(self.segment(from_client, ACK | PSH, chunk));
        }
        if self.send_acks && !bytes.is_empty() {
            segments.push(self.segment(!from_client, ACK, &[]));
        }
        segments
    }

    /// FIN from the client, FIN from the server, final ACK.
    pub fn close(&mut self) -> Vec<Segment> {
        let client_fin = self.segment(true, FIN | ACK, &[]);
        let mut server_fin = self.segment(false, FIN | ACK, &[]);
        server_fin.ack = self.client_seq;
        let last_ack = self.segment(true, ACK, &[]);
        vec![client_fin, server_fin, last_ack]
    }

    /// Returns a RST from the client.
    pub fn reset(&mut self) -> Vec<Segment> {
        vec![self.segment(true, RST | ACK, &[])]
    }

    /// Returns the segments of one request and its response on an open connection.
    pub fn exchange(&mut self, request: &[u8], response: &[u8]) -> Vec<Segment> {
        let mut segments = self.client_sends(request);
        segments.extend(self.server_sends(response));
        segments
    }
}

/// Encodes a segment as an IPv4 or IPv6 packet, by its addresses.
pub fn ip_packet(segment: &Segment) -> Vec<u8> {
    let mut tcp = Vec::with_capacity(20 + segment.payload.len());
    tcp.extend_from_slice(&segment.src.port().to_be_bytes());
    tcp.extend_from_slice(&segment.dst.port().to_be_bytes());
    tcp.extend_from_slice(&segment.seq.to_be_bytes());
    tcp.extend_from_slice(&segment.ack.to_be_bytes());
    tcp.extend_from_slice(&[5 << 4, segment.flags, 0xff, 0xff, 0, 0, 0, 0]);
    tcp.extend_from_slice(&segment.payload);
    ip_wrap(segment.src.ip(), segment.dst.ip(), 6, &tcp, 0)
}

/// Wraps a transport payload in an IP header. `id` is the IPv4 identification.
pub fn ip_wrap(src: IpAddr, dst: IpAddr, protocol: u8, payload: &[u8], id: u16) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let total = (20 + payload.len()) as u16;
            let mut packet = Vec::with_capacity(usize::from(total));
            packet.extend_from_slice(&[0x45, 0]);
            packet.extend_from_slice(&total.to_be_bytes());
            packet.extend_from_slice(&id.to_be_bytes());
            packet.extend_from_slice(&[0x40, 0, 64, protocol, 0, 0]);
            packet.extend_from_slice(&src.octets());
            packet.extend_from_slice(&dst.octets());
            set_ipv4_checksum(&mut packet);
            packet.extend_from_slice(payload);
            packet
        }
        (src, dst) => {
            let src = to_v6(src);
            let dst = to_v6(dst);
            let mut packet = Vec::with_capacity(40 + payload.len());
            packet.extend_from_slice(&[0x60, 0, 0, 0]);
            packet.extend_from_slice(&(payload.len() as u16).to_be_bytes());
            packet.extend_from_slice(&[protocol, 64]);
            packet.extend_from_slice(&src);
            packet.extend_from_slice(&dst);
            packet.extend_from_slice(payload);
            packet
        }
    }
}

fn to_v6(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

fn set_ipv4_checksum(header: &mut [u8]) {
    header[10] = 0;
    header[11] = 0;
    let mut sum: u32 = 0;
    for pair in header[..20].chunks(2) {
        sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let checksum = !(sum as u16);
    header[10..12].copy_from_slice(&checksum.to_be_bytes());
}

/// Splits an IPv4 packet into fragments whose payloads hold at most `max_payload` bytes
/// (rounded down to a multiple of 8), with identification `id`.
pub fn fragment_ipv4(packet: &[u8], max_payload: usize, id: u16) -> Vec<Vec<u8>> {
    let header_len = usize::from(packet[0] & 0x0f) * 4;
    let payload = &packet[header_len..];
    let step = (max_payload / 8).max(1) * 8;
    let mut fragments = Vec::new();
    let mut offset = 0;
    while offset < payload.len() {
        let end = (offset + step).min(payload.len());
        let more = end < payload.len();
        let mut fragment = packet[..header_len].to_vec();
        let total = (header_len + end - offset) as u16;
        fragment[2..4].copy_from_slice(&total.to_be_bytes());
        fragment[4..6].copy_from_slice(&id.to_be_bytes());
        let flags_offset = ((offset / 8) as u16) | if more { 0x2000 } else { 0 };
        fragment[6..8].copy_from_slice(&flags_offset.to_be_bytes());
        set_ipv4_checksum(&mut fragment);
        fragment.extend_from_slice(&payload[offset..end]);
        fragments.push(fragment);
        offset = end;
    }
    fragments
}

/// Splits an IPv6 packet without extension headers into fragments with a Fragment
/// header, each carrying at most `max_payload` bytes (rounded down to a multiple of 8).
pub fn fragment_ipv6(packet: &[u8], max_payload: usize, id: u32) -> Vec<Vec<u8>> {
    let next_header = packet[6];
    let payload = &packet[40..];
    let step = (max_payload / 8).max(1) * 8;
    let mut fragments = Vec::new();
    let mut offset = 0;
    while offset < payload.len() {
        let end = (offset + step).min(payload.len());
        let more = end < payload.len();
        let mut fragment = packet[..40].to_vec();
        fragment[4..6].copy_from_slice(&((8 + end - offset) as u16).to_be_bytes());
        fragment[6] = 44;
        let offset_flags = ((offset / 8) as u16) << 3 | u16::from(more);
        fragment.extend_from_slice(&[next_header, 0]);
        fragment.extend_from_slice(&offset_flags.to_be_bytes());
        fragment.extend_from_slice(&id.to_be_bytes());
        fragment.extend_from_slice(&payload[offset..end]);
        fragments.push(fragment);
        offset = end;
    }
    fragments
}

/// Carrier of an IP packet to the capture point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    /// Ethernet with these VLAN IDs, outermost first: one for 802.1Q, two for QinQ
    /// (the outer tag with TPID 0x88a8).
    Vlan(Vec<u16>),
    /// An Ethernet frame inside VXLAN (UDP port 4789) inside IPv4 over Ethernet, as AWS
    /// VPC Traffic Mirroring sends it.
    Vxlan,
    /// An Ethernet frame inside GENEVE (UDP port 6081), as GCP Packet Mirroring sends it.
    Geneve,
    LinuxSll,
    LinuxSll2,
    RawIp,
    /// BSD loopback with the address family in little-endian order.
    Null,
    /// OpenBSD loopback with the address family in big-endian order.
    Loop,
}

impl Link {
    /// Returns the link type of frames built by [`Link::frame`].
    pub fn link_type(&self) -> LinkType {
        match self {
            Link::Ethernet | Link::Vlan(_) | Link::Vxlan | Link::Geneve => LinkType::ETHERNET,
            Link::LinuxSll => LinkType::LINUX_SLL,
            Link::LinuxSll2 => LinkType::LINUX_SLL2,
            Link::RawIp => LinkType::RAW,
            Link::Null => LinkType::NULL,
            Link::Loop => LinkType::LOOP,
        }
    }

    /// Wraps an IP packet in this link layer.
    pub fn frame(&self, packet: &[u8]) -> Vec<u8> {
        let ipv6 = packet.first().is_some_and(|b| b >> 4 == 6);
        let ethertype: u16 = if ipv6 { 0x86dd } else { 0x0800 };
        match self {
            Link::Ethernet => ethernet(&[], ethertype, packet),
            Link::Vlan(ids) => ethernet(ids, ethertype, packet),
            Link::Vxlan => {
                let mut tunnel = vec![0x08, 0, 0, 0, 0, 0x12, 0x34, 0];
                tunnel.extend_from_slice(&ethernet(&[], ethertype, packet));
                outer_udp(4789, &tunnel)
            }
            Link::Geneve => {
                let mut tunnel = vec![0x00, 0x00, 0x65, 0x58, 0, 0x12, 0x34, 0];
                tunnel.extend_from_slice(&ethernet(&[], ethertype, packet));
                outer_udp(6081, &tunnel)
            }
            Link::LinuxSll => {
                let mut frame = vec![0, 0, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
                frame.extend_from_slice(&ethertype.to_be_bytes());
                frame.extend_from_slice(packet);
                frame
            }
            Link::LinuxSll2 => {
                let mut frame = ethertype.to_be_bytes().to_vec();
                frame.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
                frame.extend_from_slice(packet);
                frame
            }
            Link::RawIp => packet.to_vec(),
            Link::Null | Link::Loop => {
                let family: u32 = if ipv6 { 30 } else { 2 };
                let mut frame =
                    if *self == Link::Null { family.to_le_bytes().to_vec() } else { family.to_be_bytes().to_vec() };
                frame.extend_from_slice(packet);
                frame
            }
        }
    }
}

fn ethernet(vlans: &[u16], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01];
    for (index, id) in vlans.iter().enumerate() {
        let tpid: u16 = if index == 0 && vlans.len() > 1 { 0x88a8 } else { 0x8100 };
        frame.extend_from_slice(&tpid.to_be_bytes());
        frame.extend_from_slice(&(id & 0x0fff).to_be_bytes());
    }
    frame.extend_from_slice(&ethertype.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// Builds an Ethernet frame carrying IPv4 and UDP from a mirroring source to port `port`.
fn outer_udp(port: u16, payload: &[u8]) -> Vec<u8> {
    let mut udp = Vec::with_capacity(8 + payload.len());
    udp.extend_from_slice(&49152u16.to_be_bytes());
    udp.extend_from_slice(&port.to_be_bytes());
    udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let packet = ip_wrap([10, 99, 0, 1].into(), [10, 99, 0, 2].into(), 17, &udp, 1);
    ethernet(&[], 0x0800, &packet)
}

/// File formats the writer produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Legacy pcap in the given byte order and timestamp precision.
    Pcap { big_endian: bool, nanosecond: bool },
    /// Pcapng, little-endian, one interface with nanosecond timestamps.
    PcapNg,
}

/// Writes a capture file packet by packet.
pub struct Writer<W: Write> {
    output: W,
    format: Format,
    /// Bytes of each packet kept; longer packets are cut as a snap length would.
    snap_len: u32,
}

impl<W: Write> Writer<W> {
    /// Writes the file header for packets of `link_type`.
    pub fn new(mut output: W, format: Format, link_type: LinkType, snap_len: u32) -> io::Result<Self> {
        match format {
            Format::Pcap { big_endian, nanosecond } => {
                let magic: u32 = if nanosecond { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
                let mut header = Vec::with_capacity(24);
                put32(&mut header, magic, big_endian);
                put16(&mut header, 2, big_endian);
                put16(&mut header, 4, big_endian);
                put32(&mut header, 0, big_endian);
                put32(&mut header, 0, big_endian);
                put32(&mut header, snap_len, big_endian);
                put32(&mut header, link_type.0, big_endian);
                output.write_all(&header)?;
            }
            Format::PcapNg => {
                let mut section = Vec::new();
                put32(&mut section, 0x0a0d_0d0a, false);
                put32(&mut section, 28, false);
                put32(&mut section, 0x1a2b_3c4d, false);
                put16(&mut section, 1, false);
                put16(&mut section, 0, false);
                section.extend_from_slice(&u64::MAX.to_le_bytes());
                put32(&mut section, 28, false);
                output.write_all(&section)?;

                // Interface description with if_tsresol = 9 (nanoseconds).
                let mut interface = Vec::new();
                put32(&mut interface, 1, false);
                put32(&mut interface, 32, false);
                put16(&mut interface, link_type.0 as u16, false);
                put16(&mut interface, 0, false);
                put32(&mut interface, snap_len, false);
                interface.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0]);
                interface.extend_from_slice(&[0, 0, 0, 0]);
                put32(&mut interface, 32, false);
                output.write_all(&interface)?;
            }
        }
        Ok(Self { output, format, snap_len })
    }

    /// Writes one packet, cut at the snap length.
    pub fn packet(&mut self, timestamp_ns: i64, frame: &[u8]) -> io::Result<()> {
        let captured = &frame[..frame.len().min(self.snap_len as usize)];
        let original = frame.len() as u32;
        match self.format {
            Format::Pcap { big_endian, nanosecond } => {
                let seconds = timestamp_ns.div_euclid(1_000_000_000) as u32;
                let nanos = timestamp_ns.rem_euclid(1_000_000_000) as u32;
                let fraction = if nanosecond { nanos } else { nanos / 1000 };
                let mut record = Vec::with_capacity(16);
                put32(&mut record, seconds, big_endian);
                put32(&mut record, fraction, big_endian);
                put32(&mut record, captured.len() as u32, big_endian);
                put32(&mut record, original, big_endian);
                self.output.write_all(&record)?;
                self.output.write_all(captured)?;
            }
            Format::PcapNg => {
                let padded = captured.len().div_ceil(4) * 4;
                let total = (32 + padded) as u32;
                let ticks = timestamp_ns as u64;
                let mut block = Vec::with_capacity(28);
                put32(&mut block, 6, false);
                put32(&mut block, total, false);
                put32(&mut block, 0, false);
                put32(&mut block, (ticks >> 32) as u32, false);
                put32(&mut block, ticks as u32, false);
                put32(&mut block, captured.len() as u32, false);
                put32(&mut block, original, false);
                self.output.write_all(&block)?;
                self.output.write_all(captured)?;
                self.output.write_all(&[0u8; 3][..padded - captured.len()])?;
                self.output.write_all(&total.to_le_bytes())?;
            }
        }
        Ok(())
    }

    pub fn into_inner(self) -> W {
        self.output
    }
}

fn put16(buffer: &mut Vec<u8>, value: u16, big_endian: bool) {
    buffer.extend_from_slice(&if big_endian { value.to_be_bytes() } else { value.to_le_bytes() });
}

fn put32(buffer: &mut Vec<u8>, value: u32, big_endian: bool) {
    buffer.extend_from_slice(&if big_endian { value.to_be_bytes() } else { value.to_le_bytes() });
}

/// Builds a whole capture in memory from segments.
pub fn capture(segments: &[Segment], link: &Link, format: Format) -> Vec<u8> {
    let frames: Vec<(i64, Vec<u8>)> =
        segments.iter().map(|segment| (segment.timestamp_ns, link.frame(&ip_packet(segment)))).collect();
    capture_frames(&frames, link.link_type(), format, 262_144)
}

/// Builds a capture in memory from frames already wrapped for `link_type`.
pub fn capture_frames(frames: &[(i64, Vec<u8>)], link_type: LinkType, format: Format, snap_len: u32) -> Vec<u8> {
    let mut writer = match Writer::new(Vec::new(), format, link_type, snap_len) {
        Ok(writer) => writer,
        Err(_) => return Vec::new(),
    };
    for (timestamp_ns, frame) in frames {
        // Writing to a Vec cannot fail.
        let _ = writer.packet(*timestamp_ns, frame);
    }
    writer.into_inner()
}

/// Standard pcap: little-endian with microsecond timestamps.
pub const PCAP: Format = Format::Pcap { big_endian: false, nanosecond: false };
