//! One direction of a TCP connection: turns segments in capture order into the byte
//! stream in sequence order.
//!
//! Positions are kept as 64-bit offsets from the start of the stream, so sequence numbers
//! that wrap past 2^32 need no special case after the first comparison. A segment's
//! position is found from the signed 32-bit distance between its sequence number and the
//! next expected one.

use std::collections::BTreeMap;

/// Segments further than this from the next expected byte are taken as garbage rather
/// than as data: no TCP window reaches 1 GiB.
const MAX_SEQUENCE_DISTANCE: i64 = 1 << 30;

/// Output of the stream, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StreamEvent<'a> {
    /// Bytes starting at stream `offset`, from a packet captured at `timestamp_ns`.
    Data { bytes: &'a [u8], timestamp_ns: i64, offset: u64 },
    /// `len` bytes from stream `offset` on that were sent but never captured.
    Gap { len: u64, offset: u64 },
    /// The sender's FIN, after every byte before it.
    End,
}

/// The result of one segment, for the connection's counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub retransmitted: bool,
    pub out_of_order: bool,
    pub out_of_window: bool,
}

#[derive(Debug, Default)]
struct Buffered {
    bytes: Vec<u8>,
    /// Bytes after `bytes` that the snap length cut off.
    missing: u32,
    timestamp_ns: i64,
}

#[derive(Debug, Default)]
pub(crate) struct Stream {
    started: bool,
    /// Sequence number of the byte at `next_offset`.
    next_seq: u32,
    /// Offset of the next byte to hand on.
    next_offset: u64,
    /// Segments after a hole, by offset.
    pending: BTreeMap<u64, Buffered>,
    pending_bytes: usize,
    /// Offset just past the last byte, once the FIN arrived.
    fin_offset: Option<u64>,
    ended: bool,
}

impl Stream {
    /// Bytes buffered out of order.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Starts the stream at a SYN. The first data byte follows the SYN's sequence number.
    pub fn start_at_syn(&mut self, seq: u32) {
        if !self.started {
            self.started = true;
            self.next_seq = seq.wrapping_add(1);
        }
    }

    /// Converts a sequence number of this stream (as an ACK from the peer carries it) to a
    /// stream offset, or `None` when the stream has not started or it is out of range.
    pub fn offset_of(&self, seq: u32) -> Option<u64> {
        if !self.started {
            return None;
        }
        let distance = i64::from(seq.wrapping_sub(self.next_seq) as i32);
        if distance.abs() > MAX_SEQUENCE_DISTANCE {
            return None;
        }
        u64::try_from(self.next_offset as i64 + distance).ok()
    }

    /// Takes one segment's payload, `missing` more bytes that the snap length cut, and its
    /// FIN flag. Hands on whatever became contiguous. A stream without a SYN starts at its
    /// first segment with data.
    #[allow(clippy::too_many_arguments)]
    pub fn accept(
        &mut self,
        seq: u32,
        payload: &[u8],
        missing: u32,
        fin: bool,
        timestamp_ns: i64,
        max_pending_bytes: usize,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Accepted {
        let mut accepted = Accepted::default();
        let length = payload.len() as u64 + u64::from(missing);
        if !self.started {
            if length == 0 {
                return accepted;
            }
            self.started = true;
            self.next_seq = seq;
        }

        let distance = i64::from(seq.wrapping_sub(self.next_seq) as i32);
        if distance.abs() > MAX_SEQUENCE_DISTANCE {
            accepted.out_of_window = true;
            return accepted;
        }
        let start = self.next_offset as i64 + distance;
        if start < 0 {
            // Data from before the stream's first captured byte.
            accepted.retransmitted = true;
            return accepted;
        }
        let start = start as u64;
        let end = start + length;
        if fin && self.fin_offset.is_none() {
            self.fin_offset = Some(end);
        }

        if length > 0 {
            if end <= self.next_offset {
                accepted.retransmitted = true;
            } else if start <= self.next_offset {
                let skip = (self.next_offset - start) as usize;
                self.hand_on(payload, missing, skip, timestamp_ns, emit);
                self.drain(emit);
            } else {
                accepted.out_of_order = true;
                self.buffer(start, payload, missing, timestamp_ns);
                if self.pending_bytes > max_pending_bytes {
                    self.skip_first_hole(emit);
                }
            }
        }
        self.end_if_complete(emit);
        accepted
    }

    /// Takes the peer's acknowledgement. When the peer acknowledged bytes that were never
    /// captured while later bytes wait in the buffer, the missing bytes were delivered
    /// but lost from the capture, so they become a gap instead of being waited for.
    pub fn acknowledged(&mut self, ack: u32, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if self.pending.is_empty() {
            return;
        }
        let Some(acked) = self.offset_of(ack) else {
            return;
        };
        if acked <= self.next_offset {
            return;
        }
        let first_pending = self.pending.keys().next().copied().unwrap_or(acked);
        let gap_end = acked.min(first_pending);
        self.gap_to(gap_end, emit);
        self.drain(emit);
        self.end_if_complete(emit);
    }

    /// Hands on everything still buffered, turning each hole into a gap, and ends the
    /// stream. Used when the connection closes or is evicted.
    pub fn flush(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        while !self.pending.is_empty() {
            self.skip_first_hole(emit);
        }
        if let Some(fin_offset) = self.fin_offset {
            self.gap_to(fin_offset, emit);
        }
        self.end_if_complete(emit);
    }

    fn hand_on(
        &mut self,
        payload: &[u8],
        missing: u32,
        skip: usize,
        timestamp_ns: i64,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        if skip < payload.len() {
            emit(StreamEvent::Data { bytes: &payload[skip..], timestamp_ns, offset: self.next_offset });
            self.advance((payload.len() - skip) as u64);
        }
        let missing_left = (payload.len() as u64 + u64::from(missing)).saturating_sub(skip.max(payload.len()) as u64);
        if missing_left > 0 {
            emit(StreamEvent::Gap { len: missing_left, offset: self.next_offset });
            self.advance(missing_left);
        }
    }

    fn advance(&mut self, length: u64) {
        self.next_offset += length;
        self.next_seq = self.next_seq.wrapping_add(length as u32);
    }

    fn buffer(&mut self, start: u64, payload: &[u8], missing: u32, timestamp_ns: i64) {
        // The first copy of a position wins, as the receiver would keep it.
        if let Some(existing) = self.pending.get(&start)
            && existing.bytes.len() + existing.missing as usize >= payload.len() + missing as usize
        {
            return;
        }
        let previous = self.pending.insert(start, Buffered { bytes: payload.to_vec(), missing, timestamp_ns });
        self.pending_bytes += payload.len();
        if let Some(previous) = previous {
            self.pending_bytes -= previous.bytes.len();
        }
    }

    /// Hands on buffered segments that now start at or before the next offset.
    fn drain(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        while let Some(entry) = self.pending.first_entry() {
            let start = *entry.key();
            if start > self.next_offset {
                break;
            }
            let segment = entry.remove();
            self.pending_bytes -= segment.bytes.len();
            let end = start + segment.bytes.len() as u64 + u64::from(segment.missing);
            if end > self.next_offset {
                let skip = (self.next_offset - start) as usize;
                self.hand_on(&segment.bytes, segment.missing, skip, segment.timestamp_ns, emit);
            }
        }
    }

    fn skip_first_hole(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if let Some(&first) = self.pending.keys().next() {
            self.gap_to(first, emit);
            self.drain(emit);
        }
    }

    fn gap_to(&mut self, offset: u64, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if offset > self.next_offset {
            let len = offset - self.next_offset;
            emit(StreamEvent::Gap { len, offset: self.next_offset });
            self.advance(len);
        }
    }

    fn end_if_complete(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if !self.ended && self.fin_offset.is_some_and(|fin| fin <= self.next_offset) {
            self.ended = true;
            emit(StreamEvent::End);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects events as text: data as its bytes, gaps as `<gap N>`, the end as `<end>`.
    fn run(stream: &mut Stream, segments: &[(u32, &[u8], bool)]) -> String {
        let mut log = String::new();
        for &(seq, payload, fin) in segments {
            stream.accept(seq, payload, 0, fin, 0, 1 << 20, &mut |event| describe(&mut log, event));
        }
        log
    }

    fn describe(log: &mut String, event: StreamEvent<'_>) {
        match event {
            StreamEvent::Data { bytes, .. } => log.push_str(std::str::from_utf8(bytes).unwrap()),
            StreamEvent::Gap { len, .. } => log.push_str(&format!("<gap {len}>")),
            StreamEvent::End => log.push_str("<end>"),
        }
    }

    #[test]
    fn in_order_after_syn() {
        let mut stream = Stream::default();
        stream.start_at_syn(99);
        assert_eq!(run(&mut stream, &[(100, b"abc", false), (103, b"def", true)]), "abcdef<end>");
    }

    #[test]
    fn reordered_segments_are_put_back_in_order() {
        let mut stream = Stream::default();
        stream.start_at_syn(0);
        assert_eq!(run(&mut stream, &[(1, b"ab", false), (5, b"ef", false), (3, b"cd", false)]), "abcdef");
        assert_eq!(stream.pending_bytes(), 0);
    }

    #[test]
    fn retransmission_is_dropped() {
        let mut stream = Stream::default();
        stream.start_at_syn(0);
        let mut log = String::new();
        stream.accept(1, b"abcd", 0, false, 0, 1024, &mut |e| describe(&mut log, e));
        let accepted = stream.accept(1, b"abcd", 0, false, 0, 1024, &mut |e| describe(&mut log, e));
        assert!(accepted.retransmitted);
        assert_eq!(log, "abcd");
    }

    #[test]
    fn overlapping_segment_hands_on_only_new_bytes() {
        let mut stream = Stream::default();
        stream.start_at_syn(0);
        assert_eq!(run(&mut stream, &[(1, b"abcd", false), (3, b"cdef", false)]), "abcdef");
    }

    #[test]
    fn sequence_wraps_past_zero() {
        let mut stream = Stream::default();
        stream.start_at_syn(u32::MAX - 2);
        let segments: [(u32, &[u8], bool); 3] = [(u32::MAX - 1, b"ab", false), (2, b"ef", true), (0, b"cd", false)];
        assert_eq!(run(&mut stream, &segments), "abcdef<end>");
    }

    #[test]
    fn buffer_limit_turns_hole_into_gap() {
        let mut stream = Stream::default();
        stream.start_at_syn(0);
        let mut log = String::new();
        stream.accept(1, b"ab", 0, false, 0, 4, &mut |e| describe(&mut log, e));
        stream.accept(10, b"xyz", 0, false, 0, 4, &mut |e| describe(&mut log, e));
        stream.accept(13, b"uv", 0, false, 0, 4, &mut |e| describe(&mut log, e));
        assert_eq!(log, "ab<gap 7>xyzuv");
    }

    #[test]
    fn acknowledged_hole_becomes_gap() {
        let mut stream = Stream::default();
        stream.start_at_syn(0);
        let mut log = String::new();
        stream.accept(1, b"ab", 0, false, 0, 1024, &mut |e| describe(&mut log, e));
        stream.accept(6, b"fg", 0, false, 0, 1024, &mut |e| describe(&mut log, e));
        stream.acknowledged(8, &mut |e| describe(&mut log, e));
        assert_eq!(log, "ab<gap 3>fg");
    }

    #[test]
    fn flush_reports_lost_tail_before_fin() {
        let mut stream = Stream::default();
        stream.start_at_syn(0);
        let mut log = String::new();
        stream.accept(1, b"ab", 0, false, 0, 1024, &mut |e| describe(&mut log, e));
        stream.accept(8, b"", 0, true, 0, 1024, &mut |e| describe(&mut log, e));
        stream.flush(&mut |e| describe(&mut log, e));
        assert_eq!(log, "ab<gap 5><end>");
    }

    #[test]
    fn snap_cut_bytes_become_gap() {
        let mut stream = Stream::default();
        stream.start_at_syn(0);
        let mut log = String::new();
        stream.accept(1, b"ab", 3, false, 0, 1024, &mut |e| describe(&mut log, e));
        stream.accept(6, b"fg", 0, false, 0, 1024, &mut |e| describe(&mut log, e));
        assert_eq!(log, "ab<gap 3>fg");
    }

    #[test]
    fn far_sequence_number_is_out_of_window() {
        let mut stream = Stream::default();
        stream.start_at_syn(0);
        let accepted = stream.accept(1 << 31, b"x", 0, false, 0, 1024, &mut |_| {});
        assert!(accepted.out_of_window);
    }
}
