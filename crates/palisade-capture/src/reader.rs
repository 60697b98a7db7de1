//! Reading packets from pcap and pcapng files with `pcap-parser`.
//!
//! Legacy pcap files may be in either byte order, with microsecond (`a1b2c3d4`) or
//! nanosecond (`a1b23c4d`) timestamps. Pcapng files may hold several sections, each in its
//! own byte order, with interfaces of different link types and timestamp resolutions.

use std::io::{self, Read};

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};

use crate::error::CaptureError;

/// A data link type from the tcpdump.org registry, such as 1 for Ethernet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the byte order of the capturing host.
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP as some BSDs number it.
    pub const RAW_BSD_12: LinkType = LinkType(12);
    /// Raw IP as OpenBSD numbers it.
    pub const RAW_BSD_14: LinkType = LinkType(14);
    /// Raw IPv4 or IPv6, distinguished by the version nibble.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: like [`LinkType::NULL`] but in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10).
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2 (`tcpdump -i any` with libpcap 1.10 or newer).
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// One captured packet, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Capture time in nanoseconds since the Unix epoch.
    pub timestamp_ns: i64,
    pub link_type: LinkType,
    /// Captured bytes, starting at the link-layer header.
    pub data: &'a [u8],
    /// Length of the packet on the wire, longer than `data` when the snap length cut it.
    pub original_len: u32,
}

/// Counts from reading a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadSummary {
    /// Packets handed to the callback.
    pub packets: u64,
    /// Packet records skipped because they name an interface that the file never
    /// described, or one with an invalid timestamp resolution.
    pub skipped_records: u64,
}

/// File formats that [`read_packets`] reads, distinguished by their first four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Pcap,
    PcapNg,
}

/// Returns the format whose magic number starts `head`, if any.
pub fn sniff_format(head: &[u8]) -> Option<FileFormat> {
    let magic: [u8; 4] = head.get(..4)?.try_into().ok()?;
    match magic {
        [0x0a, 0x0d, 0x0d, 0x0a] => Some(FileFormat::PcapNg),
        // Microsecond, nanosecond and Kuznetzov's modified format, in both byte orders.
        [0xa1, 0xb2, 0xc3, 0xd4]
        | [0xd4, 0xc3, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0x3c, 0x4d]
        | [0x4d, 0x3c, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0xcd, 0x34]
        | [0x34, 0xcd, 0xb2, 0xa1] => Some(FileFormat::Pcap),
        _ => None,
    }
}

/// Reads every packet of a pcap or pcapng stream and hands it to `on_packet`, in file
/// order. `buffer_bytes` bounds the largest record.
///
/// Returns an error when the input is not a capture, or at the first record that cannot be
/// read. The packets before that record have been handed over by then.
pub fn read_packets<R: Read>(
    mut input: R,
    buffer_bytes: usize,
    mut on_packet: impl FnMut(Packet<'_>),
) -> Result<ReadSummary, CaptureError> {
    let mut head = [0u8; 4];
    let filled = read_up_to(&mut input, &mut head)?;
    let Some(format) = sniff_format(&head[..filled]) else {
        return Err(CaptureError::NotCapture { magic: head[..filled].to_vec() });
    };

    // The magic number goes back in front of the rest, so the parsers see the whole file.
    let input = Prefixed { head, head_len: filled, position: 0, inner: input };
    // Below 64 KiB a normal Ethernet jumbo frame would not fit.
    let capacity = buffer_bytes.max(64 * 1024);
    match format {
        FileFormat::Pcap => read_legacy(input, capacity, &mut on_packet),
        FileFormat::PcapNg => read_pcapng(input, capacity, &mut on_packet),
    }
}

fn read_up_to(input: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// A reader that returns `head` before the bytes of `inner`. The parsers read the file
/// header with a single `read` call, so the first call also fills the rest of the buffer
/// from `inner` up to a few KiB.
struct Prefixed<R> {
    head: [u8; 4],
    head_len: usize,
    position: usize,
    inner: R,
}

impl<R: Read> Read for Prefixed<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.head_len {
            return self.inner.read(buffer);
        }
        let count = (self.head_len - self.position).min(buffer.len());
        buffer[..count].copy_from_slice(&self.head[self.position..self.position + count]);
        self.position += count;
        let wanted = buffer.len().min(8192);
        let mut filled = count;
        while filled < wanted {
            match self.inner.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(read) => filled += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(filled)
    }
}

/// Action after one call to the parser, decided while its borrow of the buffer is alive.
enum Step {
    Consume(usize),
    Refill,
    Done,
}

fn read_legacy<R: Read>(
    input: R,
    capacity: usize,
    on_packet: &mut impl FnMut(Packet<'_>),
) -> Result<ReadSummary, CaptureError> {
    let mut reader = LegacyPcapReader::new(capacity, input).map_err(|error| header_error("pcap", &error))?;
    let mut summary = ReadSummary::default();
    let mut nanosecond = false;
    let mut link_type = LinkType::ETHERNET;

    loop {
        let consumed = reader.consumed() as u64;
        let step = match reader.next() {
            Ok((offset, PcapBlockOwned::LegacyHeader(header))) => {
                nanosecond = header.is_nanosecond_precision();
                link_type = LinkType(u32::from(header.network.0 as u16));
                Step::Consume(offset)
            }
            Ok((offset, PcapBlockOwned::Legacy(record))) => {
                let fraction_ns = if nanosecond { i64::from(record.ts_usec) } else { i64::from(record.ts_usec) * 1000 };
                let timestamp_ns = i64::from(record.ts_sec) * 1_000_000_000 + fraction_ns;
                on_packet(Packet { timestamp_ns, link_type, data: record.data, original_len: record.origlen });
                summary.packets += 1;
                Step::Consume(offset)
            }
            Ok((offset, PcapBlockOwned::NG(_))) => Step::Consume(offset),
            Err(PcapError::Eof) => Step::Done,
            Err(PcapError::Incomplete(_)) => Step::Refill,
            Err(error) => return Err(record_error(&error, consumed, summary.packets, capacity)),
        };
        match step {
            Step::Consume(offset) => reader.consume(offset),
            Step::Refill => {
                let offset = reader.consumed() as u64;
                reader.refill().map_err(|_| CaptureError::Read { offset })?;
            }
            Step::Done => return Ok(summary),
        }
    }
}

/// An interface described in the current pcapng section.
struct Interface {
    link_type: LinkType,
    /// Timestamp units per second, or `None` when the file gives an invalid resolution.
    units_per_second: Option<u64>,
    /// Seconds added to every timestamp (`if_tsoffset`).
    offset_secs: i64,
}

fn read_pcapng<R: Read>(
    input: R,
    capacity: usize,
    on_packet: &mut impl FnMut(Packet<'_>),
) -> Result<ReadSummary, CaptureError> {
    let mut reader = PcapNGReader::new(capacity, input).map_err(|error| header_error("pcapng", &error))?;
    let mut summary = ReadSummary::default();
    let mut interfaces: Vec<Interface> = Vec::new();
    // Simple packet blocks carry no timestamp, so they take the previous packet's.
    let mut last_timestamp_ns = 0i64;

    loop {
        let consumed = reader.consumed() as u64;
        let step = match reader.next() {
            Ok((offset, PcapBlockOwned::NG(block))) => {
                match block {
                    // Interface numbers start again in every section.
                    Block::SectionHeader(_) => interfaces.clear(),
                    Block::InterfaceDescription(description) => interfaces.push(Interface {
                        link_type: LinkType(u32::from(description.linktype.0 as u16)),
                        units_per_second: description.ts_resolution().filter(|&units| units > 0),
                        offset_secs: description.ts_offset(),
                    }),
                    Block::EnhancedPacket(packet) => {
                        let interface = interfaces.get(packet.if_id as usize);
                        match interface.and_then(|i| i.units_per_second.map(|units| (i, units))) {
                            Some((interface, units)) => {
                                let ticks = u64::from(packet.ts_high) << 32 | u64::from(packet.ts_low);
                                let timestamp_ns = ticks_to_ns(ticks, units, interface.offset_secs);
                                last_timestamp_ns = timestamp_ns;
                                on_packet(Packet {
                                    timestamp_ns,
                                    link_type: interface.link_type,
                                    data: packet.data,
                                    original_len: packet.origlen,
                                });
                                summary.packets += 1;
                            }
                            None => summary.skipped_records += 1,
                        }
                    }
                    Block::SimplePacket(packet) => match interfaces.first() {
                        Some(interface) => {
                            on_packet(Packet {
                                timestamp_ns: last_timestamp_ns,
                                link_type: interface.link_type,
                                data: packet.data,
                                original_len: packet.origlen,
                            });
                            summary.packets += 1;
                        }
                        None => summary.skipped_records += 1,
                    },
                    _ => {}
                }
                Step::Consume(offset)
            }
            Ok((offset, _)) => Step::Consume(offset),
            Err(PcapError::Eof) => Step::Done,
            Err(PcapError::Incomplete(_)) => Step::Refill,
            Err(error) => return Err(record_error(&error, consumed, summary.packets, capacity)),
        };
        match step {
            Step::Consume(offset) => reader.consume(offset),
            Step::Refill => {
                let offset = reader.consumed() as u64;
                reader.refill().map_err(|_| CaptureError::Read { offset })?;
            }
            Step::Done => return Ok(summary),
        }
    }
}

/// Converts a pcapng timestamp in `units_per_second` to nanoseconds since the epoch,
/// saturating instead of overflowing on absurd values.
fn ticks_to_ns(ticks: u64, units_per_second: u64, offset_secs: i64) -> i64 {
    let nanos = u128::from(ticks) * 1_000_000_000 / u128::from(units_per_second);
    let nanos = i64::try_from(nanos).unwrap_or(i64::MAX);
    nanos.saturating_add(offset_secs.saturating_mul(1_000_000_000))
}

fn header_error<I: std::fmt::Debug>(format: &'static str, error: &PcapError<I>) -> CaptureError {
    let reason = match error {
        PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::Eof => "the file ends inside it".to_string(),
        PcapError::HeaderNotRecognized => "unknown magic number".to_string(),
        PcapError::ReadError => "read failed".to_string(),
        other => describe(other),
    };
    CaptureError::InvalidHeader { format, reason }
}

fn record_error<I: std::fmt::Debug>(error: &PcapError<I>, offset: u64, packets: u64, capacity: usize) -> CaptureError {
    match error {
        PcapError::UnexpectedEof => CaptureError::Truncated { offset, packets },
        PcapError::BufferTooSmall => CaptureError::RecordTooLarge { offset, max: capacity },
        PcapError::ReadError => CaptureError::Read { offset },
        other => CaptureError::InvalidRecord { offset, packets, reason: describe(other) },
    }
}

/// Describes a parser error without its input bytes, which may be megabytes long.
fn describe<I>(error: &PcapError<I>) -> String {
    match error {
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("malformed block ({})", kind.description())
        }
        PcapError::HeaderNotRecognized => "unknown block or header".to_string(),
        _ => "unreadable record".to_string(),
    }
}
