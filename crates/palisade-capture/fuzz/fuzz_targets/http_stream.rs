//! Any bytes as the two directions of one HTTP connection. The first byte picks where the
//! input splits into client and server bytes, the second how the streams are cut into
//! segments, so the parser sees messages split at every kind of boundary.

#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_capture::synth::{self, Connection, Link};
use palisade_capture::{CaptureConfig, read_capture};
use palisade_core::Limits;

fuzz_target!(|data: &[u8]| {
    let [split, mss, rest @ ..] = data else {
        return;
    };
    let split = usize::from(*split) * rest.len() / 256;
    let (client_bytes, server_bytes) = rest.split_at(split);

    let client = "192.0.2.1:40000".parse().unwrap();
    let server = "192.0.2.2:80".parse().unwrap();
    let mut connection = Connection::new(client, server, u32::MAX - 100, 7, 1_700_000_000_000_000_000);
    connection.mss = usize::from(*mss).max(1);
    let mut segments = connection.handshake();
    // Requests and responses interleave in four rounds, as on a keep-alive connection.
    let rounds = 4;
    for round in 0..rounds {
        let client_part = &client_bytes[client_bytes.len() * round / rounds..client_bytes.len() * (round + 1) / rounds];
        let server_part = &server_bytes[server_bytes.len() * round / rounds..server_bytes.len() * (round + 1) / rounds];
        segments.extend(connection.exchange(client_part, server_part));
    }
    segments.extend(connection.close());

    let capture = synth::capture(&segments, &Link::Ethernet, synth::PCAP);
    let mut traces = 0;
    let result = read_capture(capture.as_slice(), &CaptureConfig::default(), &Limits::default(), |_| traces += 1);
    assert!(result.is_ok(), "a generated capture is always readable");
});
