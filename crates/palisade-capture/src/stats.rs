//! Counters of what capture decoding saw, skipped and produced.

use std::fmt;

/// Counts of packets, connections and messages. Every packet, connection or message that
/// is skipped or cut is counted in one of these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packets read.
    pub packets: u64,
    /// Captured bytes of those packets.
    pub bytes: u64,
    /// Packets that carry no IPv4 or IPv6 (ARP, LLDP, unknown link types).
    pub non_ip_packets: u64,
    /// Packets whose headers are malformed or shorter than they declare.
    pub invalid_packets: u64,
    /// Packets cut by the capture's snap length; their missing bytes count as lost.
    pub snap_truncated_packets: u64,
    /// IP fragments received.
    pub ip_fragments: u64,
    /// Datagrams rebuilt from fragments.
    pub reassembled_datagrams: u64,
    /// Incomplete datagrams dropped by timeout or by the fragment limits.
    pub dropped_datagrams: u64,
    /// Packets unwrapped from VXLAN or GENEVE.
    pub tunnel_packets: u64,
    /// TCP segments, after reassembly of IP fragments.
    pub tcp_segments: u64,
    /// TCP connections tracked.
    pub connections: u64,
    /// Connections skipped as TLS, by port or by a TLS handshake at their start.
    pub tls_connections: u64,
    /// Connections skipped as HTTP/2 with prior knowledge (h2c), which is not decoded.
    pub http2_connections: u64,
    /// Connections skipped because their bytes are not HTTP/1.x.
    pub non_http_connections: u64,
    /// Connections that switched protocol (CONNECT tunnels, WebSocket upgrades); their
    /// later bytes are skipped.
    pub upgraded_connections: u64,
    /// Segments whose bytes were all seen before.
    pub retransmitted_segments: u64,
    /// Segments that arrived before a missing earlier one and were buffered.
    pub out_of_order_segments: u64,
    /// Holes in a stream where bytes were never captured.
    pub gaps: u64,
    /// Bytes missing in those holes.
    pub gap_bytes: u64,
    /// Connections evicted by `max_memory_bytes` or `max_connections`.
    pub evicted_connections: u64,
    /// Connections closed by `connection_timeout_secs`.
    pub timed_out_connections: u64,
    /// HTTP requests parsed.
    pub requests: u64,
    /// HTTP final responses parsed.
    pub responses: u64,
    /// Traces delivered, valid or rejected.
    pub traces: u64,
    /// Responses with no request seen before them; they are dropped.
    pub unpaired_responses: u64,
    /// Traces delivered without a response.
    pub requests_without_response: u64,
    /// Message heads that are not valid HTTP/1.x.
    pub invalid_messages: u64,
    /// Bodies cut by a limit or by lost bytes.
    pub truncated_bodies: u64,
    /// Highest number of bytes held by connections and fragments at once.
    pub peak_memory_bytes: u64,
}

impl fmt::Display for CaptureStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} packets, {} bytes, {} connections, {} traces ({} without response); skipped: {} TLS, {} HTTP/2, \
             {} not HTTP connections, {} non-IP and {} invalid packets; {} gaps ({} bytes lost), \
             {} retransmitted segments, {} evicted and {} timed-out connections, {} unpaired responses, \
             {} invalid messages",
            self.packets,
            self.bytes,
            self.connections,
            self.traces,
            self.requests_without_response,
            self.tls_connections,
            self.http2_connections,
            self.non_http_connections,
            self.non_ip_packets,
            self.invalid_packets,
            self.gaps,
            self.gap_bytes,
            self.retransmitted_segments,
            self.evicted_connections,
            self.timed_out_connections,
            self.unpaired_responses,
            self.invalid_messages,
        )
    }
}
