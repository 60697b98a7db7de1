//! Throughput measurement for capture decoding, driven by `scripts/bench-capture.sh`.
//!
//! `capture_bench generate FILE MEGABYTES` writes a capture of mixed HTTP/1.1 traffic:
//! many interleaved keep-alive connections with small and large JSON bodies, chunked and
//! gzip-coded responses, pipelined requests, retransmitted and reordered segments.
//! `capture_bench decode FILE` decodes it into traces and prints the throughput, the
//! counters and the process's peak resident memory, with a read-only pass as baseline.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::time::Instant;

use palisade_capture::synth::{self, Connection, Format, Link, Segment, Writer};
use palisade_capture::{CaptureConfig, LinkType, read_capture, read_packets};
use palisade_core::Limits;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("generate") if args.len() == 4 => generate(&args[2], args[3].parse().unwrap_or(300)),
        Some("decode") if args.len() == 3 => decode(&args[2]),
        _ => {
            eprintln!("usage: capture_bench generate FILE MEGABYTES | capture_bench decode FILE");
            std::process::exit(2);
        }
    };
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

/// A small pseudo-random generator (xorshift64), so every run writes the same file.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

fn json_items(count: usize, seed: u64) -> Vec<u8> {
    let mut text = String::from("{\"items\":[");
    for index in 0..count {
        if index > 0 {
            text.push(',');
        }
        let id = seed.wrapping_mul(31).wrapping_add(index as u64) % 1_000_000;
        text.push_str(&format!(
            "{{\"id\":{id},\"email\":\"user{id}@example.com\",\"name\":\"User {id}\",\"active\":true,\"score\":{}}}",
            id % 97
        ));
    }
    text.push_str("]}");
    text.into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Prebuilt responses, so generation spends its time on packets.
struct Responses {
    small: Vec<u8>,
    medium: Vec<u8>,
    large: Vec<u8>,
    chunked: Vec<u8>,
    gzipped: Vec<u8>,
    created: Vec<u8>,
    empty: Vec<u8>,
}

fn response_with(body: &[u8], extra: &str) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nServer: bench\r\n{extra}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    response
}

impl Responses {
    fn new() -> Self {
        let chunk_body = json_items(40, 7);
        let mut chunked =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for piece in chunk_body.chunks(1000) {
            chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            chunked.extend_from_slice(piece);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        Self {
            small: response_with(&json_items(2, 1), ""),
            medium: response_with(&json_items(60, 2), ""),
            large: response_with(&json_items(2000, 3), ""),
            chunked,
            gzipped: response_with(&gzip(&json_items(300, 4)), "Content-Encoding: gzip\r\n"),
            created: response_with(b"{\"id\":12345,\"status\":\"created\"}", ""),
            empty: b"HTTP/1.1 204 No Content\r\nServer: bench\r\n\r\n".to_vec(),
        }
    }
}

/// Chooses one exchange at random and returns its request and response bytes.
fn exchange(random: &mut Random, responses: &Responses) -> (Vec<u8>, Vec<u8>) {
    let id = random.below(100_000);
    let roll = random.below(100);
    let (request, response) = if roll < 40 {
        (format!("GET /api/v1/users/{id}?fields=name,email HTTP/1.1\r\n"), &responses.small)
    } else if roll < 60 {
        (format!("GET /api/v1/orders?customer={id}&page=2 HTTP/1.1\r\n"), &responses.medium)
    } else if roll < 70 {
        (format!("GET /api/v1/reports/{id} HTTP/1.1\r\nAccept-Encoding: gzip\r\n"), &responses.gzipped)
    } else if roll < 78 {
        (format!("GET /api/v1/feed/{id} HTTP/1.1\r\n"), &responses.chunked)
    } else if roll < 82 {
        (format!("GET /api/v1/export/{id} HTTP/1.1\r\n"), &responses.large)
    } else if roll < 90 {
        (format!("DELETE /api/v1/sessions/{id} HTTP/1.1\r\n"), &responses.empty)
    } else {
        let body = format!("{{\"sku\":\"SKU-{id}\",\"quantity\":{},\"email\":\"buyer{id}@example.com\"}}", id % 9 + 1);
        let head = format!(
            "POST /api/v1/orders HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        let mut request = head.into_bytes();
        request.extend_from_slice(b"Host: shop.example\r\nUser-Agent: bench/1.0\r\nAccept: application/json\r\n\r\n");
        request.extend_from_slice(body.as_bytes());
        return (request, responses.created.clone());
    };
    let mut request = request.into_bytes();
    request.extend_from_slice(b"Host: shop.example\r\nUser-Agent: bench/1.0\r\nAccept: application/json\r\n\r\n");
    (request, response.clone())
}

/// A connection in progress with its remaining exchanges.
struct Active {
    connection: Connection,
    remaining: u32,
}

fn generate(path: &str, megabytes: u64) -> Result<(), Box<dyn std::error::Error>> {
    let target = megabytes * 1024 * 1024;
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut writer =
        Writer::new(file, Format::Pcap { big_endian: false, nanosecond: false }, LinkType::ETHERNET, 65_535)?;
    let mut random = Random(0x5eed_1234_abcd_ef01);
    let responses = Responses::new();
    let server: SocketAddr = "10.20.0.5:8080".parse()?;
    let mut clock_ns = 1_717_171_717_000_000_000i64;
    let mut written = 24u64;
    let mut active: Vec<Active> = Vec::new();
    let mut next_port = 0u32;

    while written < target {
        // About 64 connections are open at once, each carrying 1 to 12 exchanges.
        while active.len() < 64 {
            next_port += 1;
            let client = SocketAddr::from((
                [10, 1, (next_port >> 16) as u8, (next_port >> 8) as u8],
                1024 + (next_port % 60_000) as u16,
            ));
            let mut connection = Connection::new(client, server, random.next() as u32, random.next() as u32, clock_ns);
            connection.step_ns = 20_000;
            let segments = connection.handshake();
            written += emit(&mut writer, &segments, &mut random)?;
            active.push(Active { connection, remaining: 1 + random.below(12) as u32 });
        }
        let index = random.below(active.len() as u64) as usize;
        let slot = &mut active[index];
        slot.connection.clock_ns = slot.connection.clock_ns.max(clock_ns);
        let segments = if random.below(20) == 0 && slot.remaining >= 2 {
            // Two pipelined requests, then both responses.
            let (first_request, first_response) = exchange(&mut random, &responses);
            let (second_request, second_response) = exchange(&mut random, &responses);
            slot.remaining -= 1;
            let mut requests = first_request;
            requests.extend_from_slice(&second_request);
            let mut responses_bytes = first_response;
            responses_bytes.extend_from_slice(&second_response);
            let mut segments = slot.connection.client_sends(&requests);
            segments.extend(slot.connection.server_sends(&responses_bytes));
            segments
        } else {
            let (request, response) = exchange(&mut random, &responses);
            slot.connection.exchange(&request, &response)
        };
        written += emit(&mut writer, &segments, &mut random)?;
        clock_ns = slot.connection.clock_ns;
        slot.remaining -= 1;
        if slot.remaining == 0 {
            let mut done = active.swap_remove(index);
            let segments = done.connection.close();
            written += emit(&mut writer, &segments, &mut random)?;
        }
    }
    writer.into_inner().flush()?;
    println!("wrote {path}: {:.1} MB", written as f64 / 1e6);
    Ok(())
}

/// Writes segments, retransmitting about 1 in 200 data segments and swapping about 1 in
/// 200 neighbouring pairs. Returns the bytes written.
fn emit(writer: &mut Writer<BufWriter<File>>, segments: &[Segment], random: &mut Random) -> std::io::Result<u64> {
    let mut order: Vec<&Segment> = segments.iter().collect();
    if order.len() > 2 && random.below(200) == 0 {
        let at = random.below(order.len() as u64 - 1) as usize;
        order.swap(at, at + 1);
    }
    let mut written = 0;
    for segment in order {
        let frame = Link::Ethernet.frame(&synth::ip_packet(segment));
        writer.packet(segment.timestamp_ns, &frame)?;
        written += 16 + frame.len() as u64;
        if !segment.payload.is_empty() && random.below(200) == 0 {
            writer.packet(segment.timestamp_ns + 1000, &frame)?;
            written += 16 + frame.len() as u64;
        }
    }
    Ok(written)
}

fn decode(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let size = std::fs::metadata(path)?.len();
    let megabytes = size as f64 / 1e6;

    // Baseline: reading packets without decoding them.
    let started = Instant::now();
    let cpu_started = thread_cpu_secs();
    let mut packets = 0u64;
    read_packets(File::open(path)?, 4 << 20, |_| packets += 1)?;
    let read_secs = started.elapsed().as_secs_f64();
    let read_cpu = thread_cpu_secs() - cpu_started;

    let started = Instant::now();
    let cpu_started = thread_cpu_secs();
    let mut traces = 0u64;
    let mut body_bytes = 0u64;
    let stats = read_capture(File::open(path)?, &CaptureConfig::default(), &Limits::default(), |result| {
        if let Ok(trace) = result {
            traces += 1;
            body_bytes += trace.response.map_or(0, |r| r.body.bytes.len() as u64);
        }
    })?;
    let decode_secs = started.elapsed().as_secs_f64();
    let decode_cpu = thread_cpu_secs() - cpu_started;

    // Throughput per core divides by the CPU time of this single thread, so other load on
    // the machine does not lower it. Wall-clock figures are printed beside it.
    println!("file: {path} ({megabytes:.1} MB, {packets} packets)");
    println!(
        "read only: {read_cpu:.2} s CPU ({read_secs:.2} s wall), {:.0} MB/s per core",
        megabytes / read_cpu.max(1e-9)
    );
    println!(
        "decode:    {decode_cpu:.2} s CPU ({decode_secs:.2} s wall), {:.0} MB/s per core",
        megabytes / decode_cpu.max(1e-9)
    );
    println!("traces: {traces} ({:.1} MB of response bodies)", body_bytes as f64 / 1e6);
    println!("counters: {stats}");
    println!("peak memory of the decoder's state: {:.1} MB", stats.peak_memory_bytes as f64 / 1e6);
    if let Some(peak_kb) = peak_resident_kb() {
        println!("peak resident memory of the process: {:.1} MB", peak_kb as f64 / 1024.0);
    }
    Ok(())
}

/// CPU time of the calling thread in seconds, from /proc/thread-self/schedstat (Linux
/// only; 0 elsewhere).
fn thread_cpu_secs() -> f64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos: u64 = text.split_whitespace().next().and_then(|field| field.parse().ok()).unwrap_or(0);
    nanos as f64 / 1e9
}

/// VmHWM from /proc/self/status, in KiB (Linux only).
fn peak_resident_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
