//! Any bytes as a capture file: the reader, the link and IP decoders, reassembly and the
//! HTTP parser must return an error or counters, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_capture::{CaptureConfig, read_capture};
use palisade_core::Limits;

fuzz_target!(|data: &[u8]| {
    let config = CaptureConfig { read_buffer_bytes: 64 * 1024, ..CaptureConfig::default() };
    let _ = read_capture(data, &config, &Limits::default(), |_| {});
});
