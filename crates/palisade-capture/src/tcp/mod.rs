//! The table of TCP connections: finds each segment's connection, reassembles both
//! directions and hands their bytes to the HTTP conversation.
//!
//! Connections end at a RST, when both FINs have been reached, after
//! `connection_timeout_secs` of capture time without a packet, or by eviction when the
//! memory budget or the connection limit is reached. Eviction takes the least recently
//! active connection, found with a second-chance queue so that a packet costs no queue
//! work.

mod stream;

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use palisade_core::{Limits, Trace};
use palisade_ingest::TraceDecodeError;

use crate::config::CaptureConfig;
use crate::http::{Context, Conversation, Skip};
use crate::packet::{Endpoint, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TcpSegment};
use crate::stats::CaptureStats;
use stream::{Stream, StreamEvent};

/// A connection's endpoints, the lower one first, so both directions find the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FlowKey {
    low: Endpoint,
    high: Endpoint,
}

impl Hash for FlowKey {
    /// Hashes the key as one byte string. The map keeps the standard randomly keyed
    /// hasher, because the keys come from the traffic, and one write of 36 bytes costs far
    /// less than the many small writes of the derived implementation.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut bytes = [0u8; 36];
        for (index, endpoint) in [self.low, self.high].into_iter().enumerate() {
            let at = index * 18;
            let octets = match endpoint.addr {
                IpAddr::V4(addr) => addr.to_ipv6_mapped().octets(),
                IpAddr::V6(addr) => addr.octets(),
            };
            bytes[at..at + 16].copy_from_slice(&octets);
            bytes[at + 16..at + 18].copy_from_slice(&endpoint.port.to_be_bytes());
        }
        state.write(&bytes);
    }
}

impl FlowKey {
    /// Returns the key of a segment from `src` to `dst`, and the segment's direction:
    /// 0 when it is sent by `low`.
    fn of(src: Endpoint, dst: Endpoint) -> (Self, usize) {
        if src <= dst { (FlowKey { low: src, high: dst }, 0) } else { (FlowKey { low: dst, high: src }, 1) }
    }

    fn endpoints(&self) -> [Endpoint; 2] {
        [self.low, self.high]
    }
}

struct Connection {
    id: u64,
    /// Direction 0 is sent by the key's `low` endpoint.
    streams: [Stream; 2],
    /// Sequence number of each direction's SYN, to tell a reused port from a retransmitted
    /// SYN.
    syn_seq: [Option<u32>; 2],
    conversation: Conversation,
    last_seen_ns: i64,
    /// Value of the table's packet counter at the last packet.
    touched: u64,
    /// Bytes this connection counts against the memory budget.
    held: usize,
}

/// Fixed cost of a connection for the memory budget: the connection, its key in the map
/// and in the eviction queue, and the map's own overhead (an estimate).
const CONNECTION_OVERHEAD: usize =
    std::mem::size_of::<Connection>() + 2 * std::mem::size_of::<FlowKey>() + std::mem::size_of::<QueueEntry>() + 32;

/// A connection's place in the eviction queue, as of when it was queued.
struct QueueEntry {
    key: FlowKey,
    id: u64,
    touched: u64,
    last_seen_ns: i64,
}

/// Reason a connection ends, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Close {
    Finished,
    TimedOut,
    Evicted,
}

pub(crate) struct FlowTable {
    connections: HashMap<FlowKey, Connection>,
    queue: VecDeque<QueueEntry>,
    /// Bytes counted against `max_memory_bytes` by all connections.
    held_bytes: usize,
    packets: u64,
    next_id: u64,
    next_sweep_ns: i64,
}

/// State the table borrows from the decoder for one call.
pub(crate) struct Shared<'a> {
    pub config: &'a CaptureConfig,
    pub limits: &'a Limits,
    pub stats: &'a mut CaptureStats,
    pub out: &'a mut Vec<Result<Trace, TraceDecodeError>>,
}

impl FlowTable {
    pub fn new() -> Self {
        Self {
            connections: HashMap::new(),
            queue: VecDeque::new(),
            held_bytes: 0,
            packets: 0,
            next_id: 0,
            next_sweep_ns: i64::MIN,
        }
    }

    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    pub fn len(&self) -> usize {
        self.connections.len()
    }

    /// Processes one TCP segment captured at `timestamp_ns`.
    pub fn process(&mut self, segment: &TcpSegment<'_>, timestamp_ns: i64, shared: &mut Shared<'_>) {
        self.packets += 1;
        let (key, dir) = FlowKey::of(segment.src, segment.dst);
        let syn = segment.flags & TCP_SYN != 0;
        let ack = segment.flags & TCP_ACK != 0;
        let fin = segment.flags & TCP_FIN != 0;
        let rst = segment.flags & TCP_RST != 0;

        // A new SYN on a port pair whose earlier connection saw its own SYN is a new
        // connection reusing the ports.
        if syn
            && let Some(connection) = self.connections.get(&key)
            && connection.syn_seq[dir].is_some_and(|seq| seq != segment.seq)
        {
            self.close(key, Close::Finished, shared);
        }

        if !self.connections.contains_key(&key) {
            // Pure ACKs, FINs and RSTs of unknown connections carry nothing to parse, and
            // opening connections for them would let stray packets fill the table.
            let opens = syn || !segment.payload.is_empty() || segment.missing > 0;
            if rst || !opens {
                return;
            }
            self.open(key, segment, timestamp_ns, shared);
        }

        let packets = self.packets;
        let Some(connection) = self.connections.get_mut(&key) else {
            return;
        };
        connection.last_seen_ns = timestamp_ns;
        connection.touched = packets;

        let Connection { streams, syn_seq, conversation, .. } = connection;
        let mut context = Context {
            config: shared.config,
            limits: shared.limits,
            stats: &mut *shared.stats,
            out: &mut *shared.out,
            endpoints: key.endpoints(),
        };

        if syn {
            syn_seq[dir] = Some(segment.seq);
            streams[dir].start_at_syn(segment.seq);
            // The SYN without ACK comes from the client, the SYN-ACK from the server.
            conversation.set_client(if ack { 1 - dir } else { dir });
            conversation.starts_at_syn(dir);
        }

        let skipped = conversation.skipped().is_some();
        let other = 1 - dir;
        let mut peer_acked = None;
        if ack && !skipped {
            let other_stream = &mut streams[other];
            other_stream.acknowledged(segment.ack, &mut |event| deliver(conversation, other, event, &mut context));
            peer_acked = other_stream.offset_of(segment.ack);
        }

        let payload_seq = if syn { segment.seq.wrapping_add(1) } else { segment.seq };
        let (payload, missing) = if skipped { (&[][..], 0) } else { (segment.payload, segment.missing) };
        let max_pending = shared.config.max_out_of_order_bytes;
        let accepted =
            streams[dir].accept(payload_seq, payload, missing, fin, timestamp_ns, max_pending, &mut |event| {
                if let StreamEvent::Data { bytes, timestamp_ns, offset } = event {
                    conversation.data(dir, bytes, timestamp_ns, offset, peer_acked, &mut context);
                } else {
                    deliver(conversation, dir, event, &mut context);
                }
            });
        if accepted.retransmitted {
            context.stats.retransmitted_segments += 1;
        }
        if accepted.out_of_order {
            context.stats.out_of_order_segments += 1;
        }
        if accepted.out_of_window {
            context.stats.invalid_packets += 1;
        }

        let both_ended = streams[0].ended() && streams[1].ended();
        if rst || both_ended {
            self.close(key, Close::Finished, shared);
            return;
        }
        self.update_held(key);
        self.enforce_budget(shared);
    }

    fn open(&mut self, key: FlowKey, segment: &TcpSegment<'_>, timestamp_ns: i64, shared: &mut Shared<'_>) {
        while self.connections.len() >= shared.config.max_connections.max(1) {
            if !self.evict_one(shared) {
                break;
            }
        }
        shared.stats.connections += 1;
        let id = self.next_id;
        self.next_id += 1;
        let mut conversation = Conversation::new(None);
        let tls_port =
            shared.config.tls_ports.contains(&segment.src.port) || shared.config.tls_ports.contains(&segment.dst.port);
        if tls_port {
            conversation.skip(Skip::Tls, shared.stats);
        }
        self.connections.insert(
            key,
            Connection {
                id,
                streams: [Stream::default(), Stream::default()],
                syn_seq: [None, None],
                conversation,
                last_seen_ns: timestamp_ns,
                touched: self.packets,
                held: CONNECTION_OVERHEAD,
            },
        );
        self.held_bytes += CONNECTION_OVERHEAD;
        self.queue.push_back(QueueEntry { key, id, touched: self.packets, last_seen_ns: timestamp_ns });
        self.compact_queue();
    }

    fn update_held(&mut self, key: FlowKey) {
        let Some(connection) = self.connections.get_mut(&key) else {
            return;
        };
        let held = CONNECTION_OVERHEAD
            + connection.streams[0].pending_bytes()
            + connection.streams[1].pending_bytes()
            + connection.conversation.held_bytes();
        self.held_bytes = self.held_bytes + held - connection.held;
        connection.held = held;
    }

    fn enforce_budget(&mut self, shared: &mut Shared<'_>) {
        while self.held_bytes > shared.config.max_memory_bytes && !self.connections.is_empty() {
            if !self.evict_one(shared) {
                break;
            }
        }
    }

    /// Evicts the least recently active connection. Returns false when there is none.
    fn evict_one(&mut self, shared: &mut Shared<'_>) -> bool {
        while let Some(entry) = self.queue.pop_front() {
            let Some(connection) = self.connections.get(&entry.key) else {
                continue;
            };
            if connection.id != entry.id {
                continue;
            }
            if connection.touched != entry.touched {
                // Active since it was queued: it goes to the back with a second chance.
                self.queue.push_back(QueueEntry {
                    key: entry.key,
                    id: entry.id,
                    touched: connection.touched,
                    last_seen_ns: connection.last_seen_ns,
                });
                continue;
            }
            self.close(entry.key, Close::Evicted, shared);
            return true;
        }
        false
    }

    /// Closes connections idle for longer than the timeout, at most once per second of
    /// capture time.
    pub fn expire(&mut self, now_ns: i64, shared: &mut Shared<'_>) {
        if now_ns < self.next_sweep_ns {
            return;
        }
        self.next_sweep_ns = now_ns.saturating_add(1_000_000_000);
        let timeout_ns =
            i64::try_from(shared.config.connection_timeout_secs.saturating_mul(1_000_000_000)).unwrap_or(i64::MAX);
        let deadline = now_ns.saturating_sub(timeout_ns);

        let mut budget = self.queue.len();
        while budget > 0 {
            budget -= 1;
            let Some(front) = self.queue.front() else {
                break;
            };
            if front.last_seen_ns >= deadline {
                break;
            }
            let Some(entry) = self.queue.pop_front() else {
                break;
            };
            let Some(connection) = self.connections.get(&entry.key) else {
                continue;
            };
            if connection.id != entry.id {
                continue;
            }
            if connection.last_seen_ns < deadline {
                self.close(entry.key, Close::TimedOut, shared);
            } else {
                self.queue.push_back(QueueEntry {
                    key: entry.key,
                    id: entry.id,
                    touched: connection.touched,
                    last_seen_ns: connection.last_seen_ns,
                });
            }
        }
    }

    /// Closes every connection, as at the end of a capture file.
    pub fn finish(&mut self, shared: &mut Shared<'_>) {
        // Oldest first, so that traces come out roughly in capture order.
        let mut keys: Vec<(u64, FlowKey)> = self.connections.iter().map(|(key, c)| (c.id, *key)).collect();
        keys.sort_unstable_by_key(|(id, _)| *id);
        for (_, key) in keys {
            self.close(key, Close::Finished, shared);
        }
        self.queue.clear();
    }

    fn close(&mut self, key: FlowKey, reason: Close, shared: &mut Shared<'_>) {
        let Some(mut connection) = self.connections.remove(&key) else {
            return;
        };
        self.held_bytes -= connection.held;
        match reason {
            Close::Finished => {}
            Close::TimedOut => shared.stats.timed_out_connections += 1,
            Close::Evicted => shared.stats.evicted_connections += 1,
        }

        let Connection { streams, conversation, .. } = &mut connection;
        let mut context = Context {
            config: shared.config,
            limits: shared.limits,
            stats: &mut *shared.stats,
            out: &mut *shared.out,
            endpoints: key.endpoints(),
        };
        if conversation.skipped().is_none() {
            for (dir, stream) in streams.iter_mut().enumerate() {
                stream.flush(&mut |event| deliver(conversation, dir, event, &mut context));
            }
        }
        conversation.finish(&mut context);
    }

    /// Drops queue entries of closed connections once they outnumber live ones.
    fn compact_queue(&mut self) {
        if self.queue.len() <= 2 * self.connections.len() + 1024 {
            return;
        }
        let connections = &self.connections;
        self.queue.retain(|entry| connections.get(&entry.key).is_some_and(|c| c.id == entry.id));
    }
}

/// Hands one stream event of direction `dir` to the conversation.
fn deliver(conversation: &mut Conversation, dir: usize, event: StreamEvent<'_>, context: &mut Context<'_>) {
    match event {
        StreamEvent::Data { bytes, timestamp_ns, offset } => {
            conversation.data(dir, bytes, timestamp_ns, offset, None, context);
        }
        StreamEvent::Gap { len, offset } => {
            context.stats.gaps += 1;
            context.stats.gap_bytes += len;
            conversation.gap(dir, len, offset, context);
        }
        StreamEvent::End => conversation.end(dir, context),
    }
}

impl Default for FlowTable {
    fn default() -> Self {
        Self::new()
    }
}
