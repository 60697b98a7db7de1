//! A watch on the raw bytes of HTTP/1.x connections, for request smuggling that the
//! parsed request no longer shows.
//!
//! When a request carries both `Transfer-Encoding` and `Content-Length`, hyper's parser
//! follows `Transfer-Encoding`, and drops a `Content-Length` that comes after it before
//! the proxy receives the headers. The guard reads each request head as it passes, follows
//! the message framing to find the next head, and marks the connection when a head has
//! both headers or conflicting `Content-Length` values. The handler answers every request
//! on a marked connection with 400 and closes it.
//!
//! The guard only watches: hyper stays the parser. When the guard loses track (a head it
//! cannot parse, an HTTP/2 preface), it stops watching that connection; hyper rejects
//! such input itself or it is not HTTP/1.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::headers::FramingError;

/// Maximum length of a chunk-size or trailer line that the guard follows, in bytes.
const MAX_LINE_BYTES: usize = 4096;
/// Header slots kept on the stack when parsing a head; more go on the heap.
const STACK_HEADERS: usize = 128;
/// A head buffer that grew beyond this many bytes is freed after use, so idle
/// keep-alive connections hold little memory.
const SHRINK_ABOVE_BYTES: usize = 16 * 1024;

/// The verdict of a connection's guard, shared with its request handlers.
#[derive(Debug, Default)]
pub(crate) struct FramingVerdict(AtomicU8);

impl FramingVerdict {
    /// Returns the problem found on the connection so far, if any.
    pub fn problem(&self) -> Option<FramingError> {
        match self.0.load(Ordering::Acquire) {
            1 => Some(FramingError::LengthAndEncoding),
            2 => Some(FramingError::ConflictingLength),
            _ => None,
        }
    }

    fn mark(&self, problem: FramingError) {
        let code = match problem {
            FramingError::LengthAndEncoding => 1,
            _ => 2,
        };
        self.0.store(code, Ordering::Release);
    }
}

/// Wraps a connection's stream and watches the bytes read from it.
pub(crate) struct Guarded<IO> {
    io: IO,
    tracker: Tracker,
}

impl<IO> Guarded<IO> {
    pub fn new(io: IO, verdict: Arc<FramingVerdict>, max_head_bytes: usize, max_headers: usize) -> Self {
        Self { io, tracker: Tracker::new(verdict, max_head_bytes, max_headers) }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Guarded<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let result = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            this.tracker.feed(&buf.filled()[before..]);
        }
        result
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Guarded<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, buffers)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Collecting a request head.
    Head,
    /// Skipping this many body bytes.
    Body(u64),
    /// Reading a chunk-size line.
    ChunkSize,
    /// Skipping this many chunk data bytes.
    ChunkData(u64),
    /// Skipping the CRLF after chunk data; the number is the bytes still expected.
    ChunkEnd(u8),
    /// Reading trailer lines until an empty one.
    Trailers,
    /// Not watching any more.
    Done,
}

/// Follows HTTP/1.x message framing over the bytes of one connection.
struct Tracker {
    state: State,
    /// The head or line being collected.
    buffer: Vec<u8>,
    verdict: Arc<FramingVerdict>,
    max_head_bytes: usize,
    max_headers: usize,
}

impl Tracker {
    fn new(verdict: Arc<FramingVerdict>, max_head_bytes: usize, max_headers: usize) -> Self {
        Self { state: State::Head, buffer: Vec::new(), verdict, max_head_bytes, max_headers }
    }

    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match self.state {
                State::Done => return,
                State::Body(remaining) => {
                    let taken = remaining.min(data.len() as u64);
                    data = &data[taken as usize..];
                    self.state = if taken == remaining { State::Head } else { State::Body(remaining - taken) };
                }
                State::ChunkData(remaining) => {
                    let taken = remaining.min(data.len() as u64);
                    data = &data[taken as usize..];
                    self.state =
                        if taken == remaining { State::ChunkEnd(2) } else { State::ChunkData(remaining - taken) };
                }
                State::ChunkEnd(expected) => {
                    let taken = usize::from(expected).min(data.len());
                    data = &data[taken..];
                    self.state = if taken == usize::from(expected) {
                        State::ChunkSize
                    } else {
                        State::ChunkEnd(expected - taken as u8)
                    };
                }
                State::Head => data = self.feed_head(data),
                State::ChunkSize | State::Trailers => data = self.feed_line(data),
            }
        }
    }

    /// Collects head bytes; on a complete head, judges it and returns the bytes after it.
    fn feed_head<'a>(&mut self, data: &'a [u8]) -> &'a [u8] {
        // Empty lines before a request line are allowed (RFC 9112, section 2.2).
        let mut data = data;
        if self.buffer.is_empty() {
            let start = data.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(data.len());
            data = &data[start..];
            if data.is_empty() {
                return data;
            }
        }
        // Only head bytes are copied: at most one byte past the limit, so an oversized
        // head is seen as such, and never the body that may follow in the same read.
        let previous = self.buffer.len();
        let room = (self.max_head_bytes + 1).saturating_sub(previous).min(data.len());
        self.buffer.extend_from_slice(&data[..room]);
        if self.buffer.starts_with(b"PRI * HTTP/2.0") {
            self.stop();
            return &[];
        }

        // Parse only once the head's blank line has arrived, so a head sent in many
        // small pieces is not parsed again for each.
        let search_from = previous.saturating_sub(3);
        let ended = self.buffer[search_from..].windows(2).any(|pair| pair == b"\n\n")
            || self.buffer[search_from..].windows(3).any(|triple| triple == b"\n\r\n");
        if !ended {
            if self.buffer.len() > self.max_head_bytes {
                self.stop();
            }
            return &[];
        }

        let mut stack_headers = [httparse::EMPTY_HEADER; STACK_HEADERS];
        let mut heap_headers = Vec::new();
        let headers: &mut [httparse::Header<'_>] = if self.max_headers <= STACK_HEADERS {
            &mut stack_headers[..self.max_headers]
        } else {
            heap_headers.resize(self.max_headers, httparse::EMPTY_HEADER);
            &mut heap_headers
        };
        let mut request = httparse::Request::new(headers);
        let head_length = match request.parse(&self.buffer) {
            Ok(httparse::Status::Complete(length)) => length,
            Ok(httparse::Status::Partial) => {
                if self.buffer.len() > self.max_head_bytes {
                    self.stop();
                }
                return &[];
            }
            Err(_) => {
                self.stop();
                return &[];
            }
        };

        let framing = judge(request.headers);
        let rest = &data[head_length - previous..];
        self.buffer.clear();
        if self.buffer.capacity() > SHRINK_ABOVE_BYTES {
            self.buffer = Vec::new();
        }
        self.state = match framing {
            Ok(Framing::None) => State::Head,
            Ok(Framing::Length(length)) => State::Body(length),
            Ok(Framing::Chunked) => State::ChunkSize,
            Err(problem) => {
                self.verdict.mark(problem);
                State::Done
            }
        };
        rest
    }

    /// Collects a chunk-size or trailer line and acts on it when complete.
    fn feed_line<'a>(&mut self, data: &'a [u8]) -> &'a [u8] {
        let Some(end) = data.iter().position(|&b| b == b'\n') else {
            self.buffer.extend_from_slice(data);
            if self.buffer.len() > MAX_LINE_BYTES {
                self.stop();
            }
            return &[];
        };
        self.buffer.extend_from_slice(&data[..end]);
        let line = std::mem::take(&mut self.buffer);
        let line = line.strip_suffix(b"\r").unwrap_or(&line);

        self.state = match self.state {
            State::ChunkSize => {
                let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
                let size = std::str::from_utf8(size_text).ok().and_then(|t| u64::from_str_radix(t.trim(), 16).ok());
                match size {
                    Some(0) => State::Trailers,
                    Some(size) => State::ChunkData(size),
                    None => State::Done,
                }
            }
            _ if line.is_empty() => State::Head,
            _ => State::Trailers,
        };
        &data[end + 1..]
    }

    fn stop(&mut self) {
        self.state = State::Done;
        self.buffer = Vec::new();
    }
}

enum Framing {
    None,
    Length(u64),
    Chunked,
}

/// Returns the body framing that a head declares, or the reason it is ambiguous.
fn judge(headers: &[httparse::Header<'_>]) -> Result<Framing, FramingError> {
    let mut length: Option<u64> = None;
    let mut encoding = false;
    let mut chunked_last = false;
    for header in headers {
        if header.name.eq_ignore_ascii_case("content-length") {
            for part in header.value.split(|&b| b == b',') {
                let text = std::str::from_utf8(part).map(str::trim).unwrap_or("x");
                let value = text
                    .parse::<u64>()
                    .ok()
                    .filter(|_| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or(FramingError::ConflictingLength)?;
                if length.is_some_and(|previous| previous != value) {
                    return Err(FramingError::ConflictingLength);
                }
                length = Some(value);
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            encoding = true;
            let last = header.value.split(|&b| b == b',').rfind(|c| !c.trim_ascii().is_empty());
            chunked_last = last.is_some_and(|c| c.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        }
    }
    match (encoding, length) {
        (true, Some(_)) => Err(FramingError::LengthAndEncoding),
        (true, None) if chunked_last => Ok(Framing::Chunked),
        // hyper rejects other codings with 400, so what follows is never read.
        (true, None) => Ok(Framing::None),
        (false, Some(length)) => Ok(Framing::Length(length)),
        (false, None) => Ok(Framing::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `pieces` one by one and returns the verdict and the final state.
    fn track(pieces: &[&[u8]]) -> (Option<FramingError>, State) {
        let verdict = Arc::new(FramingVerdict::default());
        let mut tracker = Tracker::new(verdict.clone(), 8192, 100);
        for piece in pieces {
            tracker.feed(piece);
        }
        (verdict.problem(), tracker.state)
    }

    #[test]
    fn ambiguous_heads_are_marked_in_either_order() {
        let cases: [(&[u8], Option<FramingError>); 5] = [
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n",
                Some(FramingError::LengthAndEncoding),
            ),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
                Some(FramingError::LengthAndEncoding),
            ),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n",
                Some(FramingError::ConflictingLength),
            ),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd", None),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", None),
        ];
        for (head, expected) in cases {
            assert_eq!(track(&[head]).0, expected, "{}", String::from_utf8_lossy(head));
        }
    }

    #[test]
    fn later_heads_are_found_after_bodies() {
        let second = b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n";
        // The body of the first request contains text that looks like a head; it must not
        // be judged.
        let decoy = b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
        let length_first = [
            format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n", decoy.len()).into_bytes(),
            decoy.to_vec(),
        ]
        .concat();
        assert_eq!(track(&[&length_first]), (None, State::Head));

        let chunked = [
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
            format!("{:x};ext=1\r\n", decoy.len()).into_bytes(),
            decoy.to_vec(),
            b"\r\n0\r\nX-Trailer: 1\r\n\r\n".to_vec(),
        ]
        .concat();
        assert_eq!(track(&[&chunked]), (None, State::Head));

        // Byte by byte, then the ambiguous second request.
        let all = [chunked.as_slice(), second].concat();
        let pieces: Vec<&[u8]> = all.chunks(1).collect();
        assert_eq!(track(&pieces).0, Some(FramingError::LengthAndEncoding));
    }

    #[test]
    fn guard_stops_on_http2_and_garbage() {
        assert_eq!(track(&[b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"]), (None, State::Done));
        assert_eq!(track(&[b"\x16\x03\x01 not http\r\n\r\n"]), (None, State::Done));
        assert_eq!(track(&[b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"]), (None, State::Head));
        let oversized = [b"GET / HTTP/1.1\r\nX-Big: ".as_slice(), &[b'a'; 9000]].concat();
        assert_eq!(track(&[&oversized]), (None, State::Done));
    }
}
