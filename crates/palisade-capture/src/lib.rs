//! Packet capture for Palisade: reads pcap and pcapng files or live packets, reassembles
//! TCP connections and parses their HTTP/1.x exchanges into [`palisade_core::Trace`]
//! values with [`palisade_core::TraceSource::Pcap`].
//!
//! The layers, each in its own module:
//!
//! - [`reader`] reads packets from pcap and pcapng files;
//! - `packet` decodes link layers (Ethernet with VLAN tags, Linux cooked v1 and v2, raw
//!   IP, BSD loopback), VXLAN and GENEVE tunnels, and IPv4 and IPv6 with fragment
//!   reassembly, down to TCP segments;
//! - `tcp` reassembles each connection's two byte streams: sequence wrap-around,
//!   retransmissions, reordering, overlaps and lost segments;
//! - `http` parses both streams as HTTP/1.x and pairs requests with responses.
//!
//! TLS connections are counted and skipped: HTTPS traffic must be decrypted where it
//! terminates, at a proxy or load balancer, and mirrored from there. Every limit is a
//! setting of [`CaptureConfig`] or of [`palisade_core::Limits`], and every skipped or cut
//! packet, connection or message is counted in [`CaptureStats`].

mod config;
mod error;
mod http;
mod packet;
pub mod reader;
mod stats;
pub mod synth;
mod tcp;

use std::io::Read;

use palisade_core::{Limits, Trace};
use palisade_ingest::TraceDecodeError;

pub use config::CaptureConfig;
pub use error::CaptureError;
pub use packet::Endpoint;
pub use reader::{FileFormat, LinkType, Packet, read_packets, sniff_format};
pub use stats::CaptureStats;

use packet::PacketDecoder;
use tcp::{FlowTable, Shared};

/// Turns packets into traces. Feed it packets in capture order with
/// [`CaptureDecoder::push_packet`], then call [`CaptureDecoder::finish`] to flush the
/// exchanges of connections still open.
pub struct CaptureDecoder {
    config: CaptureConfig,
    limits: Limits,
    packets: PacketDecoder,
    flows: FlowTable,
    stats: CaptureStats,
    out: Vec<Result<Trace, TraceDecodeError>>,
}

impl CaptureDecoder {
    pub fn new(config: CaptureConfig, limits: Limits) -> Self {
        let packets = PacketDecoder::new(&config);
        Self { config, limits, packets, flows: FlowTable::new(), stats: CaptureStats::default(), out: Vec::new() }
    }

    /// Decodes one packet and hands every exchange it completes to `deliver`. A trace
    /// that breaks a limit or the model's rules is handed over as an error.
    pub fn push_packet(&mut self, packet: &Packet<'_>, deliver: &mut dyn FnMut(Result<Trace, TraceDecodeError>)) {
        self.stats.packets += 1;
        self.stats.bytes += packet.data.len() as u64;
        let timestamp_ns = packet.timestamp_ns;
        let (flows, out, config, limits) = (&mut self.flows, &mut self.out, &self.config, &self.limits);
        self.packets.decode(packet.link_type, timestamp_ns, packet.data, &mut self.stats, &mut |segment, stats| {
            flows.process(segment, timestamp_ns, &mut Shared { config, limits, stats, out: &mut *out });
        });
        self.after_packet(timestamp_ns, deliver);
    }

    /// Decodes a VXLAN payload (the VXLAN header and an Ethernet frame), as received on a
    /// UDP socket from a traffic mirroring session.
    pub fn push_vxlan_payload(
        &mut self,
        timestamp_ns: i64,
        payload: &[u8],
        deliver: &mut dyn FnMut(Result<Trace, TraceDecodeError>),
    ) {
        self.stats.packets += 1;
        self.stats.bytes += payload.len() as u64;
        let (flows, out, config, limits) = (&mut self.flows, &mut self.out, &self.config, &self.limits);
        self.packets.decode_vxlan_payload(timestamp_ns, payload, &mut self.stats, &mut |segment, stats| {
            flows.process(segment, timestamp_ns, &mut Shared { config, limits, stats, out: &mut *out });
        });
        self.after_packet(timestamp_ns, deliver);
    }

    /// Closes connections idle since before `now_ns` minus the timeout. A live capture
    /// calls this when no packet arrived for a while, so idle connections still end.
    pub fn expire(&mut self, now_ns: i64, deliver: &mut dyn FnMut(Result<Trace, TraceDecodeError>)) {
        let mut shared =
            Shared { config: &self.config, limits: &self.limits, stats: &mut self.stats, out: &mut self.out };
        self.flows.expire(now_ns, &mut shared);
        self.drain(deliver);
    }

    /// Ends every connection and hands over their remaining exchanges, with or without a
    /// response.
    pub fn finish(&mut self, deliver: &mut dyn FnMut(Result<Trace, TraceDecodeError>)) {
        let mut shared =
            Shared { config: &self.config, limits: &self.limits, stats: &mut self.stats, out: &mut self.out };
        self.flows.finish(&mut shared);
        self.drain(deliver);
    }

    pub fn stats(&self) -> CaptureStats {
        self.stats
    }

    /// Connections tracked now.
    pub fn open_connections(&self) -> usize {
        self.flows.len()
    }

    /// Bytes held now by connections and incomplete fragmented datagrams.
    pub fn held_bytes(&self) -> usize {
        self.flows.held_bytes() + self.packets.fragments.held_bytes()
    }

    fn after_packet(&mut self, timestamp_ns: i64, deliver: &mut dyn FnMut(Result<Trace, TraceDecodeError>)) {
        let held = self.held_bytes() as u64;
        self.stats.peak_memory_bytes = self.stats.peak_memory_bytes.max(held);
        let mut shared =
            Shared { config: &self.config, limits: &self.limits, stats: &mut self.stats, out: &mut self.out };
        self.flows.expire(timestamp_ns, &mut shared);
        self.drain(deliver);
    }

    fn drain(&mut self, deliver: &mut dyn FnMut(Result<Trace, TraceDecodeError>)) {
        for result in self.out.drain(..) {
            deliver(result);
        }
    }
}

/// Reads a whole pcap or pcapng stream and hands every trace to `deliver`, then returns
/// the counters.
///
/// When the file is cut short or corrupt, the exchanges read before the damage are still
/// delivered, connections still open are flushed, and then the error is returned.
pub fn read_capture<R: Read>(
    input: R,
    config: &CaptureConfig,
    limits: &Limits,
    mut deliver: impl FnMut(Result<Trace, TraceDecodeError>),
) -> Result<CaptureStats, CaptureError> {
    let mut decoder = CaptureDecoder::new(config.clone(), limits.clone());
    let result = read_packets(input, config.read_buffer_bytes, |packet| decoder.push_packet(&packet, &mut deliver));
    decoder.finish(&mut deliver);
    let summary = result?;
    let mut stats = decoder.stats();
    stats.invalid_packets += summary.skipped_records;
    Ok(stats)
}
