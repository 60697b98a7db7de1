use std::io::Write;

use palisade_core::{Limits, Trace};
use palisade_ingest::TraceDecodeError;

use super::*;

/// Drives one conversation with direction 0 as the client, as if a handshake was seen.
struct Harness {
    conversation: Conversation,
    config: CaptureConfig,
    limits: Limits,
    stats: CaptureStats,
    out: Vec<Result<Trace, TraceDecodeError>>,
    offsets: [u64; 2],
    clock_ns: i64,
}

const CLIENT: usize = 0;
const SERVER: usize = 1;

impl Harness {
    fn new() -> Self {
        Self::with_client(Some(CLIENT))
    }

    fn with_client(client: Option<usize>) -> Self {
        let mut conversation = Conversation::new(client);
        if client.is_some() {
            conversation.starts_at_syn(0);
            conversation.starts_at_syn(1);
        }
        Self {
            conversation,
            config: CaptureConfig::default(),
            limits: Limits::default(),
            stats: CaptureStats::default(),
            out: Vec::new(),
            offsets: [0, 0],
            clock_ns: 1_700_000_000_000_000_000,
        }
    }

    fn context(&mut self) -> Context<'_> {
        Context {
            config: &self.config,
            limits: &self.limits,
            stats: &mut self.stats,
            out: &mut self.out,
            endpoints: [
                Endpoint { addr: [10, 0, 0, 1].into(), port: 40000 },
                Endpoint { addr: [10, 0, 0, 2].into(), port: 8080 },
            ],
        }
    }

    fn send(&mut self, dir: usize, bytes: &[u8]) {
        self.clock_ns += 1_000_000;
        let (clock, offset) = (self.clock_ns, self.offsets[dir]);
        let mut conversation = std::mem::replace(&mut self.conversation, Conversation::new(None));
        conversation.data(dir, bytes, clock, offset, None, &mut self.context());
        self.conversation = conversation;
        self.offsets[dir] += bytes.len() as u64;
    }

    /// Sends `bytes` one byte per packet.
    fn trickle(&mut self, dir: usize, bytes: &[u8]) {
        for byte in bytes {
            self.send(dir, std::slice::from_ref(byte));
        }
    }

    fn gap(&mut self, dir: usize, len: u64) {
        let offset = self.offsets[dir];
        let mut conversation = std::mem::replace(&mut self.conversation, Conversation::new(None));
        conversation.gap(dir, len, offset, &mut self.context());
        self.conversation = conversation;
        self.offsets[dir] += len;
    }

    fn end(&mut self, dir: usize) {
        let mut conversation = std::mem::replace(&mut self.conversation, Conversation::new(None));
        conversation.end(dir, &mut self.context());
        self.conversation = conversation;
    }

    fn finish(&mut self) -> Vec<Trace> {
        let mut conversation = std::mem::replace(&mut self.conversation, Conversation::new(None));
        conversation.finish(&mut self.context());
        self.conversation = conversation;
        self.take()
    }

    fn take(&mut self) -> Vec<Trace> {
        self.out.drain(..).map(|result| result.expect("valid trace")).collect()
    }
}

fn body_text(trace: &Trace) -> String {
    String::from_utf8_lossy(&trace.response.as_ref().expect("response").body.bytes).into_owned()
}

#[test]
fn simple_exchange_builds_trace() {
    let mut harness = Harness::new();
    harness.send(CLIENT, b"GET /users/42?expand=orders&q=a+b HTTP/1.1\r\nHost: api.example.com\r\nAccept: */*\r\n\r\n");
    harness.send(SERVER, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"id\":42}");
    let traces = harness.take();
    assert_eq!(traces.len(), 1);
    let trace = &traces[0];
    assert_eq!(trace.request.method, "GET");
    assert_eq!(trace.request.host, "api.example.com");
    assert_eq!(trace.request.path, "/users/42");
    assert_eq!(trace.request.query.len(), 2);
    assert_eq!(trace.request.query[1].value, "a b");
    assert_eq!(trace.meta.start_ms, 1_700_000_000_001);
    assert_eq!(trace.meta.duration_us, Some(1000));
    assert_eq!(trace.meta.client.as_ref().unwrap().address, "10.0.0.1");
    assert_eq!(trace.meta.server.as_ref().unwrap().port, Some(8080));
    let response = trace.response.as_ref().unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    assert_eq!(body_text(trace), "{\"id\":42}");
    assert!(!response.body.truncated);
}

#[test]
fn pipelined_requests_pair_in_order() {
    let mut harness = Harness::new();
    harness.send(
        CLIENT,
        b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n",
    );
    harness.send(
        SERVER,
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb",
    );
    harness.send(SERVER, b"HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nc");
    let traces = harness.take();
    let summary: Vec<(String, u16, String)> =
        traces.iter().map(|t| (t.request.path.clone(), t.response.as_ref().unwrap().status, body_text(t))).collect();
    assert_eq!(
        summary,
        vec![("/a".into(), 200, "a".into()), ("/b".into(), 404, "b".into()), ("/c".into(), 201, "c".into())]
    );
}

#[test]
fn byte_by_byte_chunked_with_trailers() {
    let mut harness = Harness::new();
    harness.trickle(CLIENT, b"POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n");
    harness.trickle(
        SERVER,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n3\r\nabc\r\n0\r\nX-Checksum: 99\r\n\r\n",
    );
    let traces = harness.take();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].request.body.bytes, b"Wikipedia");
    assert_eq!(body_text(&traces[0]), "abc");
    let headers = &traces[0].response.as_ref().unwrap().headers;
    assert_eq!(palisade_core::trace::header_value(headers, "x-checksum"), Some("99"));
}

#[test]
fn continue_interim_response_is_skipped() {
    let mut harness = Harness::new();
    harness.send(CLIENT, b"PUT /doc HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    harness.send(SERVER, b"HTTP/1.1 100 Continue\r\n\r\n");
    harness.send(CLIENT, b"hello");
    harness.send(SERVER, b"HTTP/1.1 204 No Content\r\n\r\n");
    let traces = harness.take();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].request.body.bytes, b"hello");
    assert_eq!(traces[0].response.as_ref().unwrap().status, 204);
    assert_eq!(harness.stats.responses, 1);
}

#[test]
fn bodiless_responses_keep_framing() {
    // HEAD with Content-Length, 304 with Content-Length and 204 carry no body, so the
    // next response follows straight after each head.
    let mut harness = Harness::new();
    harness.send(
        CLIENT,
        b"HEAD /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nDELETE /c HTTP/1.1\r\nHost: h\r\n\r\nGET /d HTTP/1.1\r\nHost: h\r\n\r\n",
    );
    harness.send(
        SERVER,
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    let traces = harness.take();
    let statuses: Vec<u16> = traces.iter().map(|t| t.response.as_ref().unwrap().status).collect();
    assert_eq!(statuses, vec![200, 304, 204, 200]);
    assert_eq!(body_text(&traces[3]), "ok");
    assert!(traces[..3].iter().all(|t| t.response.as_ref().unwrap().body.is_empty()));
}

#[test]
fn body_until_close_ends_at_fin() {
    let mut harness = Harness::new();
    harness.send(CLIENT, b"GET /old HTTP/1.0\r\n\r\n");
    harness.send(SERVER, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nline one\n");
    harness.send(SERVER, b"line two\n");
    assert!(harness.take().is_empty());
    harness.end(SERVER);
    let traces = harness.take();
    assert_eq!(traces.len(), 1);
    assert_eq!(body_text(&traces[0]), "line one\nline two\n");
    assert!(!traces[0].response.as_ref().unwrap().body.truncated);
    // Without a Host header the server address names the host.
    assert_eq!(traces[0].request.host, "10.0.0.2:8080");
}

#[test]
fn gzip_body_is_decoded() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(b"{\"compressed\":true}").unwrap();
    let gzipped = encoder.finish().unwrap();
    let mut response =
        format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", gzipped.len()).into_bytes();
    response.extend_from_slice(&gzipped);

    let mut harness = Harness::new();
    harness.send(CLIENT, b"GET /z HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
    harness.send(SERVER, &response);
    let traces = harness.take();
    assert_eq!(body_text(&traces[0]), "{\"compressed\":true}");
}

#[test]
fn deflate_and_brotli_bodies_are_decoded() {
    let text = b"{\"coded\":\"yes\",\"items\":[1,2,3]}";
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(text).unwrap();
    let deflated = zlib.finish().unwrap();
    let mut brotli_bytes = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut brotli_bytes, 4096, 5, 22);
        writer.write_all(text).unwrap();
    }

    for (coding, coded) in [("deflate", deflated), ("br", brotli_bytes)] {
        let mut response =
            format!("HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: {}\r\n\r\n", coded.len())
                .into_bytes();
        response.extend_from_slice(&coded);
        let mut harness = Harness::new();
        harness.send(CLIENT, b"GET /coded HTTP/1.1\r\nHost: h\r\n\r\n");
        harness.send(SERVER, &response);
        let traces = harness.take();
        assert_eq!(traces[0].response.as_ref().unwrap().body.bytes, text, "{coding}");
    }
}

#[test]
fn cut_compressed_body_is_left_empty() {
    // The raw body is cut at 16 bytes, so the gzip stream cannot be decoded.
    let mut harness = Harness::new();
    harness.config.max_encoded_body_bytes = 16;
    harness.limits.max_body_bytes = 16;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&[b'z'; 5000]).unwrap();
    let gzipped = encoder.finish().unwrap();
    let mut response =
        format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", gzipped.len()).into_bytes();
    response.extend_from_slice(&gzipped);
    harness.send(CLIENT, b"GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
    harness.send(SERVER, &response);
    let traces = harness.take();
    let body = &traces[0].response.as_ref().unwrap().body;
    assert!(body.bytes.is_empty());
    assert!(body.truncated);
}

#[test]
fn long_body_is_cut_at_limit() {
    let mut harness = Harness::new();
    harness.limits.max_body_bytes = 10;
    harness.send(CLIENT, b"POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz");
    harness.send(SERVER, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let traces = harness.take();
    assert_eq!(traces[0].request.body.bytes, b"abcdefghij");
    assert!(traces[0].request.body.truncated);
    assert_eq!(harness.stats.truncated_bodies, 1);
}

#[test]
fn gap_inside_known_length_keeps_sync() {
    let mut harness = Harness::new();
    harness.send(CLIENT, b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    harness.send(SERVER, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123");
    harness.gap(SERVER, 3);
    harness.send(SERVER, b"789HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    let traces = harness.take();
    assert_eq!(traces.len(), 2);
    let first = &traces[0].response.as_ref().unwrap().body;
    assert_eq!(first.bytes, b"0123");
    assert!(first.truncated);
    assert_eq!(body_text(&traces[1]), "ok");
}

#[test]
fn gap_in_chunked_body_resyncs_at_next_response() {
    let mut harness = Harness::new();
    harness.send(CLIENT, b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    harness.send(SERVER, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123");
    harness.gap(SERVER, 40);
    harness.send(SERVER, b"garbage tail\r\n0\r\n\r\n");
    harness.send(CLIENT, b"GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    harness.send(SERVER, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    let traces = harness.take();
    assert_eq!(traces.len(), 2);
    assert_eq!(traces[0].request.path, "/a");
    assert!(traces[0].response.as_ref().unwrap().body.truncated);
    assert_eq!(traces[1].request.path, "/b");
    assert_eq!(body_text(&traces[1]), "ok");
}

#[test]
fn protocols_other_than_http_are_skipped() {
    let cases: [(&[u8], Skip); 4] = [
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", Skip::Tls),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Skip::Http2),
        (b"\x00\x00\x00\x08\x04\xd2\x16\x2f", Skip::NotHttp),
        (b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n", Skip::NotHttp),
    ];
    for (bytes, expected) in cases {
        let mut harness = Harness::new();
        harness.send(CLIENT, bytes);
        assert_eq!(harness.conversation.skipped(), Some(expected), "{bytes:?}");
        harness.send(SERVER, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert!(harness.finish().is_empty());
    }
}

#[test]
fn capture_started_mid_body_resyncs() {
    let mut harness = Harness::with_client(None);
    harness.send(SERVER, b"tail of an earlier body\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    harness.send(CLIENT, b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    harness.send(SERVER, b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
    let traces = harness.take();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].request.path, "/next");
    assert_eq!(body_text(&traces[0]), "next");
    assert_eq!(harness.stats.unpaired_responses, 1);
}

#[test]
fn client_found_from_request_bytes() {
    let mut harness = Harness::with_client(None);
    harness.send(SERVER, b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
    harness.send(CLIENT, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    let traces = harness.take();
    assert_eq!(traces.len(), 1);
    // Direction 1 sent the request, so its endpoint is the client.
    assert_eq!(traces[0].meta.client.as_ref().unwrap().port, Some(8080));
}

#[test]
fn websocket_upgrade_stops_parsing() {
    let mut harness = Harness::new();
    harness.send(CLIENT, b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    harness.send(SERVER, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
    harness.send(CLIENT, b"\x81\x85\x00\x00\x00\x00hello");
    let traces = harness.finish();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].response.as_ref().unwrap().status, 101);
    assert_eq!(harness.stats.upgraded_connections, 1);
    assert_eq!(harness.stats.invalid_messages, 0);
}

#[test]
fn unanswered_request_is_emitted_at_finish() {
    let mut harness = Harness::new();
    harness.send(CLIENT, b"GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
    let traces = harness.finish();
    assert_eq!(traces.len(), 1);
    assert!(traces[0].response.is_none());
    assert_eq!(traces[0].meta.duration_us, None);
    assert_eq!(harness.stats.requests_without_response, 1);
}

#[test]
fn pipeline_limit_sends_oldest_on() {
    let mut harness = Harness::new();
    harness.config.max_pipelined_requests = 2;
    harness.send(
        CLIENT,
        b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n",
    );
    let traces = harness.take();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].request.path, "/1");
    assert!(traces[0].response.is_none());
}

#[test]
fn head_split_across_packets() {
    let mut harness = Harness::new();
    harness.send(CLIENT, b"GET /split HTTP/1.1\r\nHo");
    harness.send(CLIENT, b"st: h\r\nX-A: 1\r\n");
    harness.send(CLIENT, b"\r\n");
    harness.send(SERVER, b"HTTP/1.1 200 OK\r\nContent-Le");
    harness.send(SERVER, b"ngth: 3\r\n\r\nabc");
    let traces = harness.take();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].request.headers.len(), 2);
    assert_eq!(body_text(&traces[0]), "abc");
    // The request started with its first packet and the response ended with its last.
    assert_eq!(traces[0].meta.duration_us, Some(4000));
}

#[test]
fn oversized_head_is_invalid() {
    let mut harness = Harness::new();
    harness.config.max_head_bytes = 64;
    harness.send(CLIENT, format!("GET /{} HTTP/1.1\r\n", "a".repeat(100)).as_bytes());
    assert_eq!(harness.stats.invalid_messages, 1);
    harness.send(CLIENT, b"\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n");
    harness.send(SERVER, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let traces = harness.take();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].request.path, "/ok");
}

#[test]
fn message_start_search() {
    // Bytes, the kind searched for, the expected position and kind found.
    type Case<'a> = (&'a [u8], Option<Kind>, Option<(usize, Kind)>);
    let cases: [Case; 7] = [
        (b"xx\r\nGET /a HTTP/1.1\r\n", None, Some((4, Kind::Request))),
        (b"xx\r\nHTTP/1.1 200 OK\r\n", None, Some((4, Kind::Response))),
        (b"xx\r\nHTTP/1.1 200 OK\r\n", Some(Kind::Request), None),
        (b"body mentions HTTP/1.1 here\r\n", None, None),
        (b"GET /a HTTP/1.1\r\n", Some(Kind::Request), Some((0, Kind::Request))),
        (b"HTTP/1.1 2", Some(Kind::Response), None),
        (b"\nget /a HTTP/1.1\r\n", Some(Kind::Request), None),
    ];
    for (bytes, kind, expected) in cases {
        assert_eq!(find_message_start(bytes, kind), expected, "{:?}", String::from_utf8_lossy(bytes));
    }
}

#[test]
fn chunk_size_lines() {
    let cases: [(&[u8], Option<u64>); 7] = [
        (b"1a", Some(26)),
        (b"0", Some(0)),
        (b"FF;name=value", Some(255)),
        (b"10 ; x", Some(16)),
        (b"", None),
        (b"xyz", None),
        (b"1234567890abcdef0", None),
    ];
    for (line, expected) in cases {
        assert_eq!(parse_chunk_size(line), expected, "{:?}", String::from_utf8_lossy(line));
    }
}
