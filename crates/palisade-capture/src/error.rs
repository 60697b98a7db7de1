//! Errors that stop reading a capture file. Problems inside the traffic (a malformed
//! packet, a lost segment, an invalid HTTP head) never stop reading: they are counted in
//! [`crate::CaptureStats`].

use thiserror::Error;

/// A capture file that cannot be read further. Traces decoded before the failure have
/// already been delivered.
#[derive(Debug, Error)]
pub enum CaptureError {
    /// The first bytes are not a pcap or pcapng magic number.
    #[error(
        "not a pcap or pcapng file: the first 4 bytes are {magic:02x?}, expected a1b2c3d4, a1b23c4d, \
         their byte swaps, or 0a0d0d0a"
    )]
    NotCapture { magic: Vec<u8> },

    /// The file header cannot be parsed.
    #[error("invalid {format} file header: {reason}")]
    InvalidHeader { format: &'static str, reason: String },

    /// A record or block cannot be parsed.
    #[error("invalid record at byte {offset} after {packets} {}: {reason}", if *packets == 1 { "packet" } else { "packets" })]
    InvalidRecord { offset: u64, packets: u64, reason: String },

    /// A record longer than the read buffer, usually a corrupt length field.
    #[error(
        "record at byte {offset} is larger than the read buffer of {max} bytes (read_buffer_bytes): \
         the length field is corrupt or the buffer is too small"
    )]
    RecordTooLarge { offset: u64, max: usize },

    /// The file ends inside a record.
    #[error(
        "capture ends inside a record at byte {offset} after {packets} {}: the file is truncated",
        if *packets == 1 { "packet" } else { "packets" }
    )]
    Truncated { offset: u64, packets: u64 },

    #[error("failed to read capture at byte {offset}")]
    Read { offset: u64 },

    #[error("failed to read capture: {0}")]
    Io(#[from] std::io::Error),
}
