//! Decoding packets from the link layer down to TCP segments: Ethernet with VLAN tags,
//! Linux cooked headers, raw IP and BSD loopback, VXLAN and GENEVE tunnels, IPv4 and IPv6
//! with extension headers and fragments.
//!
//! Checksums are not verified, because captures taken on the sending host carry the
//! placeholders that checksum offload leaves.

mod fragments;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::config::CaptureConfig;
use crate::reader::LinkType;
use crate::stats::CaptureStats;

pub(crate) use fragments::FragmentTable;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
/// GENEVE's protocol type for an inner Ethernet frame ("transparent Ethernet bridging").
const ETHERTYPE_TEB: u16 = 0x6558;

const PROTOCOL_TCP: u8 = 6;
const PROTOCOL_UDP: u8 = 17;

pub(crate) const TCP_FIN: u8 = 0x01;
pub(crate) const TCP_SYN: u8 = 0x02;
pub(crate) const TCP_RST: u8 = 0x04;
pub(crate) const TCP_ACK: u8 = 0x10;

/// An IP address and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub addr: IpAddr,
    pub port: u16,
}

/// A TCP segment, with its payload borrowed from the packet or a reassembled datagram.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpSegment<'a> {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: &'a [u8],
    /// Payload bytes the IP header declares but the snap length cut off.
    pub missing: u32,
}

/// The network layer of one packet, before the transport header is read.
struct IpPacket<'a> {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    /// Transport header and payload, as captured.
    payload: &'a [u8],
    /// Bytes the IP header declares beyond what was captured.
    missing: u32,
}

/// Decodes packets into TCP segments, keeping the state that spans packets: fragments
/// waiting for the rest of their datagram.
pub(crate) struct PacketDecoder {
    vxlan_ports: Vec<u16>,
    geneve_ports: Vec<u16>,
    max_depth: usize,
    pub fragments: FragmentTable,
}

impl PacketDecoder {
    pub fn new(config: &CaptureConfig) -> Self {
        Self {
            vxlan_ports: config.vxlan_ports.clone(),
            geneve_ports: config.geneve_ports.clone(),
            max_depth: config.max_encapsulation_depth,
            fragments: FragmentTable::new(config),
        }
    }

    /// Decodes one packet and calls `on_segment` for the TCP segment it carries, if any.
    pub fn decode(
        &mut self,
        link_type: LinkType,
        timestamp_ns: i64,
        data: &[u8],
        stats: &mut CaptureStats,
        on_segment: &mut dyn FnMut(&TcpSegment<'_>, &mut CaptureStats),
    ) {
        let mut walk = Walk { decoder: self, timestamp_ns, stats, on_segment };
        walk.link(link_type, data, 0);
    }

    /// Decodes a VXLAN payload received on a UDP socket: the VXLAN header, then an
    /// Ethernet frame.
    pub fn decode_vxlan_payload(
        &mut self,
        timestamp_ns: i64,
        data: &[u8],
        stats: &mut CaptureStats,
        on_segment: &mut dyn FnMut(&TcpSegment<'_>, &mut CaptureStats),
    ) {
        let mut walk = Walk { decoder: self, timestamp_ns, stats, on_segment };
        walk.vxlan(data, 0);
    }
}

/// The decoding of one packet.
struct Walk<'d, 's, 'f> {
    decoder: &'d mut PacketDecoder,
    timestamp_ns: i64,
    stats: &'s mut CaptureStats,
    on_segment: &'f mut dyn FnMut(&TcpSegment<'_>, &mut CaptureStats),
}

impl Walk<'_, '_, '_> {
    fn link(&mut self, link_type: LinkType, data: &[u8], depth: usize) {
        match link_type {
            LinkType::ETHERNET => self.ethernet(data, depth),
            LinkType::LINUX_SLL => match data.get(14..16) {
                Some(ethertype) => self.ethertype(be16(ethertype), &data[16..], depth),
                None => self.stats.invalid_packets += 1,
            },
            LinkType::LINUX_SLL2 => match data.get(..2) {
                Some(ethertype) if data.len() >= 20 => self.ethertype(be16(ethertype), &data[20..], depth),
                _ => self.stats.invalid_packets += 1,
            },
            LinkType::RAW | LinkType::RAW_BSD_12 | LinkType::RAW_BSD_14 => self.raw_ip(data, depth),
            LinkType::IPV4 => self.ipv4(data, depth),
            LinkType::IPV6 => self.ipv6(data, depth),
            LinkType::NULL | LinkType::LOOP => self.loopback(data, depth),
            _ => self.stats.non_ip_packets += 1,
        }
    }

    fn ethernet(&mut self, data: &[u8], depth: usize) {
        match data.get(12..14) {
            Some(ethertype) => self.ethertype(be16(ethertype), &data[14..], depth),
            None => self.stats.invalid_packets += 1,
        }
    }

    /// Follows VLAN tags (802.1Q and QinQ, any number up to the depth limit) to IP.
    fn ethertype(&mut self, mut ethertype: u16, mut data: &[u8], mut depth: usize) {
        while matches!(ethertype, ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD) {
            depth += 1;
            if depth > self.decoder.max_depth {
                self.stats.invalid_packets += 1;
                return;
            }
            let Some(tag) = data.get(..4) else {
                self.stats.invalid_packets += 1;
                return;
            };
            ethertype = be16(&tag[2..4]);
            data = &data[4..];
        }
        match ethertype {
            ETHERTYPE_IPV4 => self.ipv4(data, depth),
            ETHERTYPE_IPV6 => self.ipv6(data, depth),
            _ => self.stats.non_ip_packets += 1,
        }
    }

    fn raw_ip(&mut self, data: &[u8], depth: usize) {
        match data.first().map(|b| b >> 4) {
            Some(4) => self.ipv4(data, depth),
            Some(6) => self.ipv6(data, depth),
            _ => self.stats.invalid_packets += 1,
        }
    }

    /// BSD loopback headers hold an address family: 2 for IPv4, and 24, 28 or 30 for IPv6
    /// depending on the BSD. `NULL` stores it in the capturing host's byte order, so both
    /// orders are tried.
    fn loopback(&mut self, data: &[u8], depth: usize) {
        let Some(family) = data.get(..4) else {
            self.stats.invalid_packets += 1;
            return;
        };
        let family: [u8; 4] = [family[0], family[1], family[2], family[3]];
        let little = u32::from_le_bytes(family);
        let big = u32::from_be_bytes(family);
        let payload = &data[4..];
        if little == 2 || big == 2 {
            self.ipv4(payload, depth);
        } else if [24, 28, 30].contains(&little) || [24, 28, 30].contains(&big) {
            self.ipv6(payload, depth);
        } else {
            self.stats.non_ip_packets += 1;
        }
    }

    fn ipv4(&mut self, data: &[u8], depth: usize) {
        if data.len() < 20 || data[0] >> 4 != 4 {
            self.stats.invalid_packets += 1;
            return;
        }
        let header_len = usize::from(data[0] & 0x0f) * 4;
        let total_len = usize::from(be16(&data[2..4]));
        if header_len < 20 || total_len < header_len || data.len() < header_len {
            self.stats.invalid_packets += 1;
            return;
        }
        // Ethernet pads short frames, so bytes past the total length are dropped.
        let captured = &data[..total_len.min(data.len())];
        let missing = (total_len - captured.len()) as u32;
        let src = IpAddr::V4(Ipv4Addr::new(data[12], data[13], data[14], data[15]));
        let dst = IpAddr::V4(Ipv4Addr::new(data[16], data[17], data[18], data[19]));
        let protocol = data[9];

        let flags_offset = be16(&data[6..8]);
        let more_fragments = flags_offset & 0x2000 != 0;
        let fragment_offset = usize::from(flags_offset & 0x1fff) * 8;
        let payload = &captured[header_len..];
        if more_fragments || fragment_offset > 0 {
            if missing > 0 {
                // A fragment cut by the snap length cannot complete its datagram.
                self.stats.snap_truncated_packets += 1;
                return;
            }
            let id = u32::from(be16(&data[4..6]));
            self.fragment(src, dst, protocol, id, fragment_offset, more_fragments, payload, depth);
            return;
        }
        self.transport(IpPacket { src, dst, protocol, payload, missing }, depth);
    }

    fn ipv6(&mut self, data: &[u8], depth: usize) {
        if data.len() < 40 || data[0] >> 4 != 6 {
            self.stats.invalid_packets += 1;
            return;
        }
        let payload_len = usize::from(be16(&data[4..6]));
        let total_len = 40 + payload_len;
        let captured = &data[..total_len.min(data.len())];
        let missing = (total_len - captured.len()) as u32;
        let src = IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&data[8..24]).unwrap_or_default()));
        let dst = IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&data[24..40]).unwrap_or_default()));

        // Walks the extension headers to the transport header.
        let mut next_header = data[6];
        let mut rest = &captured[40..];
        loop {
            match next_header {
                // Hop-by-hop, routing and destination options: length in 8-byte units,
                // not counting the first 8 bytes.
                0 | 43 | 60 => {
                    let Some(&[next, length, ..]) = rest.get(..2) else {
                        self.stats.invalid_packets += 1;
                        return;
                    };
                    let length = (usize::from(length) + 1) * 8;
                    let Some(after) = rest.get(length..) else {
                        self.stats.invalid_packets += 1;
                        return;
                    };
                    next_header = next;
                    rest = after;
                }
                // Authentication header: length in 4-byte units, minus 2.
                51 => {
                    let Some(&[next, length, ..]) = rest.get(..2) else {
                        self.stats.invalid_packets += 1;
                        return;
                    };
                    let length = (usize::from(length) + 2) * 4;
                    let Some(after) = rest.get(length..) else {
                        self.stats.invalid_packets += 1;
                        return;
                    };
                    next_header = next;
                    rest = after;
                }
                44 => {
                    let Some(header) = rest.get(..8) else {
                        self.stats.invalid_packets += 1;
                        return;
                    };
                    if missing > 0 {
                        self.stats.snap_truncated_packets += 1;
                        return;
                    }
                    let offset_flags = be16(&header[2..4]);
                    let offset = usize::from(offset_flags >> 3) * 8;
                    let more_fragments = offset_flags & 1 != 0;
                    let id = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
                    if offset == 0 && !more_fragments {
                        // An atomic fragment (RFC 6946) is a whole datagram.
                        next_header = header[0];
                        rest = &rest[8..];
                        continue;
                    }
                    self.fragment(src, dst, header[0], id, offset, more_fragments, &rest[8..], depth);
                    return;
                }
                protocol => {
                    self.transport(IpPacket { src, dst, protocol, payload: rest, missing }, depth);
                    return;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn fragment(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        protocol: u8,
        id: u32,
        offset: usize,
        more_fragments: bool,
        payload: &[u8],
        depth: usize,
    ) {
        self.stats.ip_fragments += 1;
        let key = fragments::FragmentKey { src, dst, id, protocol };
        let datagram =
            self.decoder.fragments.insert(key, offset, more_fragments, payload, self.timestamp_ns, self.stats);
        if let Some(datagram) = datagram {
            self.stats.reassembled_datagrams += 1;
            self.transport(IpPacket { src, dst, protocol, payload: &datagram, missing: 0 }, depth);
        }
    }

    fn transport(&mut self, ip: IpPacket<'_>, depth: usize) {
        match ip.protocol {
            PROTOCOL_TCP => self.tcp(ip),
            PROTOCOL_UDP => self.udp(ip, depth),
            _ => {}
        }
    }

    fn tcp(&mut self, ip: IpPacket<'_>) {
        let data = ip.payload;
        if data.len() < 20 {
            self.count_short(ip.missing);
            return;
        }
        let header_len = usize::from(data[12] >> 4) * 4;
        if header_len < 20 {
            self.stats.invalid_packets += 1;
            return;
        }
        if data.len() < header_len {
            self.count_short(ip.missing);
            return;
        }
        if ip.missing > 0 {
            self.stats.snap_truncated_packets += 1;
        }
        let segment = TcpSegment {
            src: Endpoint { addr: ip.src, port: be16(&data[0..2]) },
            dst: Endpoint { addr: ip.dst, port: be16(&data[2..4]) },
            seq: be32(&data[4..8]),
            ack: be32(&data[8..12]),
            flags: data[13],
            payload: &data[header_len..],
            missing: ip.missing,
        };
        self.stats.tcp_segments += 1;
        (self.on_segment)(&segment, self.stats);
    }

    /// Counts a transport header cut short: a snap-length cut when the IP header declares
    /// more bytes, and a malformed packet otherwise.
    fn count_short(&mut self, missing: u32) {
        if missing > 0 {
            self.stats.snap_truncated_packets += 1;
        } else {
            self.stats.invalid_packets += 1;
        }
    }

    fn udp(&mut self, ip: IpPacket<'_>, depth: usize) {
        let Some(header) = ip.payload.get(..8) else {
            return;
        };
        if ip.missing > 0 {
            // A tunnel packet cut by the snap length loses the end of its inner packet,
            // which the inner IP header then reports.
            self.stats.snap_truncated_packets += 1;
        }
        let dst_port = be16(&header[2..4]);
        let payload = &ip.payload[8..];
        if self.decoder.vxlan_ports.contains(&dst_port) {
            self.vxlan(payload, depth);
        } else if self.decoder.geneve_ports.contains(&dst_port) {
            self.geneve(payload, depth);
        }
    }

    /// VXLAN (RFC 7348): an 8-byte header whose flags have the I bit set, then an
    /// Ethernet frame.
    fn vxlan(&mut self, data: &[u8], depth: usize) {
        if depth + 1 > self.decoder.max_depth {
            self.stats.invalid_packets += 1;
            return;
        }
        match data.get(..8) {
            Some(header) if header[0] & 0x08 != 0 => {
                self.stats.tunnel_packets += 1;
                self.ethernet(&data[8..], depth + 1);
            }
            _ => self.stats.invalid_packets += 1,
        }
    }

    /// GENEVE (RFC 8926): an 8-byte header plus options, then a frame of the protocol
    /// type it names.
    fn geneve(&mut self, data: &[u8], depth: usize) {
        if depth + 1 > self.decoder.max_depth {
            self.stats.invalid_packets += 1;
            return;
        }
        let Some(header) = data.get(..8) else {
            self.stats.invalid_packets += 1;
            return;
        };
        let version = header[0] >> 6;
        let options_len = usize::from(header[0] & 0x3f) * 4;
        let protocol = be16(&header[2..4]);
        let Some(inner) = data.get(8 + options_len..) else {
            self.stats.invalid_packets += 1;
            return;
        };
        if version != 0 {
            self.stats.invalid_packets += 1;
            return;
        }
        self.stats.tunnel_packets += 1;
        match protocol {
            ETHERTYPE_TEB => self.ethernet(inner, depth + 1),
            other => self.ethertype(other, inner, depth + 1),
        }
    }
}

fn be16(bytes: &[u8]) -> u16 {
    u16::from_be_bytes([bytes[0], bytes[1]])
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}
