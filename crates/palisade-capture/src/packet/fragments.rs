//! Reassembly of fragmented IPv4 and IPv6 datagrams, bounded in count, bytes and time.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::config::CaptureConfig;
use crate::stats::CaptureStats;

/// Largest reassembled payload: the 16-bit length fields of IPv4 and of IPv6 without jumbo
/// options bound every datagram to 65,535 bytes.
const MAX_DATAGRAM_BYTES: usize = 65_535;

/// Fragments of one datagram share addresses, identification and protocol (RFC 791,
/// RFC 8200 section 4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FragmentKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    pub protocol: u8,
}

struct Datagram {
    first_seen_ns: i64,
    /// Fragments as (offset, bytes), in arrival order.
    pieces: Vec<(usize, Vec<u8>)>,
    /// Payload length, known once the last fragment (without "more fragments") arrived.
    total_len: Option<usize>,
    bytes: usize,
}

pub(crate) struct FragmentTable {
    datagrams: HashMap<FragmentKey, Datagram>,
    held_bytes: usize,
    max_datagrams: usize,
    max_bytes: usize,
    timeout_ns: i64,
    next_expiry_check_ns: i64,
}

impl FragmentTable {
    pub fn new(config: &CaptureConfig) -> Self {
        Self {
            datagrams: HashMap::new(),
            held_bytes: 0,
            max_datagrams: config.max_fragmented_datagrams,
            max_bytes: config.max_fragment_bytes,
            timeout_ns: i64::try_from(config.fragment_timeout_secs).unwrap_or(i64::MAX / 2_000_000_000) * 1_000_000_000,
            next_expiry_check_ns: i64::MIN,
        }
    }

    /// Bytes held by incomplete datagrams.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Adds a fragment and returns the whole payload when it completes its datagram.
    pub fn insert(
        &mut self,
        key: FragmentKey,
        offset: usize,
        more_fragments: bool,
        payload: &[u8],
        now_ns: i64,
        stats: &mut CaptureStats,
    ) -> Option<Vec<u8>> {
        self.expire(now_ns, stats);
        let end = offset + payload.len();
        if end > MAX_DATAGRAM_BYTES || (more_fragments && payload.is_empty()) {
            stats.invalid_packets += 1;
            return None;
        }

        if !self.datagrams.contains_key(&key) {
            while self.datagrams.len() >= self.max_datagrams.max(1) {
                self.drop_oldest(stats);
            }
        }
        while self.held_bytes + payload.len() > self.max_bytes && !self.datagrams.is_empty() {
            self.drop_oldest(stats);
        }
        if payload.len() > self.max_bytes {
            stats.dropped_datagrams += 1;
            return None;
        }

        let datagram = self.datagrams.entry(key).or_insert_with(|| Datagram {
            first_seen_ns: now_ns,
            pieces: Vec::new(),
            total_len: None,
            bytes: 0,
        });
        if !more_fragments {
            match datagram.total_len {
                Some(total) if total != end => {
                    // Two different last fragments: the datagram cannot be rebuilt.
                    let removed = self.datagrams.remove(&key).map_or(0, |d| d.bytes);
                    self.held_bytes -= removed;
                    stats.dropped_datagrams += 1;
                    return None;
                }
                _ => datagram.total_len = Some(end),
            }
        }
        datagram.pieces.push((offset, payload.to_vec()));
        datagram.bytes += payload.len();
        self.held_bytes += payload.len();

        let total = datagram.total_len?;
        let whole = assemble(&datagram.pieces, total)?;
        let removed = self.datagrams.remove(&key).map_or(0, |d| d.bytes);
        self.held_bytes -= removed;
        Some(whole)
    }

    fn drop_oldest(&mut self, stats: &mut CaptureStats) {
        let oldest = self.datagrams.iter().min_by_key(|(_, datagram)| datagram.first_seen_ns).map(|(key, _)| *key);
        if let Some(key) = oldest {
            let removed = self.datagrams.remove(&key).map_or(0, |d| d.bytes);
            self.held_bytes -= removed;
            stats.dropped_datagrams += 1;
        }
    }

    /// Drops datagrams older than the timeout, at most once per second of capture time.
    fn expire(&mut self, now_ns: i64, stats: &mut CaptureStats) {
        if now_ns < self.next_expiry_check_ns || self.datagrams.is_empty() {
            return;
        }
        self.next_expiry_check_ns = now_ns.saturating_add(1_000_000_000);
        let deadline = now_ns.saturating_sub(self.timeout_ns);
        let before = self.datagrams.len();
        let mut freed = 0;
        self.datagrams.retain(|_, datagram| {
            let keep = datagram.first_seen_ns >= deadline;
            if !keep {
                freed += datagram.bytes;
            }
            keep
        });
        self.held_bytes -= freed;
        stats.dropped_datagrams += (before - self.datagrams.len()) as u64;
    }
}

/// Joins the pieces when they cover `0..total` without a hole. Where pieces overlap, the
/// bytes that arrived first are kept.
fn assemble(pieces: &[(usize, Vec<u8>)], total: usize) -> Option<Vec<u8>> {
    let mut order: Vec<usize> = (0..pieces.len()).collect();
    order.sort_by_key(|&index| pieces[index].0);
    let mut covered = 0;
    for &index in &order {
        let (offset, bytes) = &pieces[index];
        if *offset > covered {
            return None;
        }
        covered = covered.max(offset + bytes.len());
    }
    if covered < total {
        return None;
    }

    let mut whole = vec![0u8; total];
    let mut written = vec![false; total];
    for (offset, bytes) in pieces {
        for (position, &byte) in bytes.iter().enumerate() {
            let at = offset + position;
            if at < total && !written[at] {
                whole[at] = byte;
                written[at] = true;
            }
        }
    }
    Some(whole)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn key() -> FragmentKey {
        FragmentKey {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            id: 7,
            protocol: 6,
        }
    }

    #[test]
    fn fragments_in_any_order_complete() {
        let mut table = FragmentTable::new(&CaptureConfig::default());
        let mut stats = CaptureStats::default();
        assert_eq!(table.insert(key(), 8, false, b"world!!!", 0, &mut stats), None);
        assert_eq!(table.held_bytes(), 8);
        let whole = table.insert(key(), 0, true, b"hello, w", 1, &mut stats);
        assert_eq!(whole.as_deref(), Some(&b"hello, wworld!!!"[..]));
        assert_eq!(table.held_bytes(), 0);
    }

    #[test]
    fn overlap_keeps_first_bytes() {
        let mut table = FragmentTable::new(&CaptureConfig::default());
        let mut stats = CaptureStats::default();
        assert_eq!(table.insert(key(), 0, true, b"AAAAAAAAAAAAAAAA", 0, &mut stats), None);
        let whole = table.insert(key(), 8, false, b"BBBBBBBBBBBBBBBBCC", 0, &mut stats).unwrap();
        assert_eq!(whole, b"AAAAAAAAAAAAAAAABBBBBBBBCC");
    }

    #[test]
    fn datagram_limit_drops_oldest() {
        let config = CaptureConfig { max_fragmented_datagrams: 2, ..CaptureConfig::default() };
        let mut table = FragmentTable::new(&config);
        let mut stats = CaptureStats::default();
        for id in 0..5 {
            let key = FragmentKey { id, ..key() };
            table.insert(key, 0, true, b"12345678", i64::from(id), &mut stats);
        }
        assert_eq!(stats.dropped_datagrams, 3);
        assert_eq!(table.held_bytes(), 16);
    }

    #[test]
    fn timeout_drops_incomplete_datagram() {
        let mut table = FragmentTable::new(&CaptureConfig::default());
        let mut stats = CaptureStats::default();
        table.insert(key(), 0, true, b"12345678", 0, &mut stats);
        let other = FragmentKey { id: 99, ..key() };
        table.insert(other, 0, true, b"12345678", 31_000_000_000, &mut stats);
        assert_eq!(stats.dropped_datagrams, 1);
        assert_eq!(table.held_bytes(), 8);
    }

    #[test]
    fn oversized_datagram_is_invalid() {
        let mut table = FragmentTable::new(&CaptureConfig::default());
        let mut stats = CaptureStats::default();
        assert_eq!(table.insert(key(), 65_528, false, b"123456789", 0, &mut stats), None);
        assert_eq!(stats.invalid_packets, 1);
    }
}
