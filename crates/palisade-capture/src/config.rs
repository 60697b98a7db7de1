//! Settings of packet capture decoding. Every limit that bounds memory or work is here.

use serde::{Deserialize, Serialize};

/// Settings for reading captures and reassembling their HTTP traffic, read from YAML with
/// unknown keys rejected. Body limits come from [`palisade_core::Limits`], not from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaptureConfig {
    /// Bytes held by all connections together: out-of-order segments, partial message heads
    /// and bodies waiting for their exchange to finish. When a packet takes the total past
    /// this budget, the least recently active connections are evicted and counted. Default
    /// 512 MiB.
    pub max_memory_bytes: usize,
    /// Connections tracked at once; opening one more evicts the least recently active.
    /// Default 200,000.
    pub max_connections: usize,
    /// Seconds without a packet after which a connection is closed and its pending
    /// exchanges are emitted. Measured in capture time, so file imports are reproducible.
    /// Default 120.
    pub connection_timeout_secs: u64,
    /// Out-of-order bytes buffered per connection, both directions together, while waiting
    /// for a missing segment. Past it the missing bytes are taken as lost. Default 1 MiB.
    pub max_out_of_order_bytes: usize,
    /// Largest HTTP message head (start line, headers and trailers), in bytes. A longer
    /// head is invalid and parsing resynchronises at the next message. Default 64 KiB.
    pub max_head_bytes: usize,
    /// Raw bytes kept of a body with a `Content-Encoding`, before decoding. The decoded
    /// body is then cut at `limits.max_body_bytes`. A compressed body longer than this is
    /// stored empty and marked truncated. Default 8 MiB.
    pub max_encoded_body_bytes: usize,
    /// Requests waiting for their responses on one connection (HTTP pipelining). The oldest
    /// is emitted without a response when one more arrives. Default 64.
    pub max_pipelined_requests: usize,
    /// Bytes searched for the start of an HTTP message on a connection whose beginning was
    /// not captured, before the connection is taken as not HTTP. Default 64 KiB.
    pub max_resync_scan_bytes: usize,
    /// TCP ports whose connections are counted as TLS and skipped without parsing.
    /// Connections on other ports are skipped when they start with a TLS handshake record.
    /// Default 443, 8443, 9443.
    pub tls_ports: Vec<u16>,
    /// UDP destination ports whose payload is VXLAN, decapsulated to the inner Ethernet
    /// frame (AWS VPC Traffic Mirroring sends VXLAN to 4789). Default 4789.
    pub vxlan_ports: Vec<u16>,
    /// UDP destination ports whose payload is GENEVE (GCP Packet Mirroring). Default 6081.
    pub geneve_ports: Vec<u16>,
    /// Most tunnel and VLAN headers unwrapped from one packet. Default 8.
    pub max_encapsulation_depth: usize,
    /// IP datagrams being reassembled from fragments at once. Default 4096.
    pub max_fragmented_datagrams: usize,
    /// Bytes held by all incomplete fragmented datagrams together. Default 16 MiB.
    pub max_fragment_bytes: usize,
    /// Seconds after its first fragment that an incomplete datagram is dropped. Default 30.
    pub fragment_timeout_secs: u64,
    /// Buffer of the file reader, which bounds the largest packet record read. Default
    /// 4 MiB.
    pub read_buffer_bytes: usize,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        Self {
            max_memory_bytes: 512 * 1024 * 1024,
            max_connections: 200_000,
            connection_timeout_secs: 120,
            max_out_of_order_bytes: 1024 * 1024,
            max_head_bytes: 64 * 1024,
            max_encoded_body_bytes: 8 * 1024 * 1024,
            max_pipelined_requests: 64,
            max_resync_scan_bytes: 64 * 1024,
            tls_ports: vec![443, 8443, 9443],
            vxlan_ports: vec![4789],
            geneve_ports: vec![6081],
            max_encapsulation_depth: 8,
            max_fragmented_datagrams: 4096,
            max_fragment_bytes: 16 * 1024 * 1024,
            fragment_timeout_secs: 30,
            read_buffer_bytes: 4 * 1024 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_overrides_one_setting() {
        let config: CaptureConfig = serde_saphyr::from_str("max_connections: 10\ntls_ports: [443]\n").unwrap();
        assert_eq!(config.max_connections, 10);
        assert_eq!(config.tls_ports, vec![443]);
        assert_eq!(config.max_head_bytes, CaptureConfig::default().max_head_bytes);
    }

    #[test]
    fn yaml_rejects_unknown_setting() {
        let error = serde_saphyr::from_str::<CaptureConfig>("max_conections: 10\n").unwrap_err();
        assert!(error.to_string().contains("max_conections"), "{error}");
    }
}
