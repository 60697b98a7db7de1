//! HTTP/1.x over one TCP connection: both byte streams are parsed into messages, requests
//! are paired with responses in order (which covers keep-alive and pipelining), and each
//! finished exchange becomes a trace.
//!
//! After bytes are lost, the current message ends with its body marked truncated and
//! parsing resynchronises at the next line that starts a message. TLS, HTTP/2 with prior
//! knowledge and other protocols are recognised by their first bytes and skipped.

mod head;
mod trace;

use std::collections::VecDeque;

use palisade_core::{Header, Limits, Trace};
use palisade_ingest::TraceDecodeError;

use crate::config::CaptureConfig;
use crate::packet::Endpoint;
use crate::stats::CaptureStats;
use head::{Framing, Parsed};
use trace::{Message, body_limit, build_trace};

/// Maximum length of a chunk-size line, extensions included.
const MAX_CHUNK_LINE_BYTES: usize = 1024;
/// Maximum bytes buffered from the start of a stream before its protocol is decided. The
/// longest method token this parser recognises and a space fit.
const MAX_SNIFF_BYTES: usize = 24;

/// Everything a conversation needs from its connection and the decoder.
pub(crate) struct Context<'a> {
    pub config: &'a CaptureConfig,
    pub limits: &'a Limits,
    pub stats: &'a mut CaptureStats,
    pub out: &'a mut Vec<Result<Trace, TraceDecodeError>>,
    /// Sender of each direction: `endpoints[0]` sends direction 0.
    pub endpoints: [Endpoint; 2],
}

/// Reason a connection's bytes are not parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    Tls,
    Http2,
    NotHttp,
    Upgraded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    Response,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading a chunk-size line.
    Size,
    Data {
        remaining: u64,
    },
    /// Reading the line break after a chunk's data.
    DataEnd,
    /// Reading trailer lines up to the empty line.
    Trailers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the first bytes to tell the protocol.
    Sniff,
    Head,
    Length {
        remaining: u64,
    },
    Chunked(Chunk),
    UntilClose,
    /// Searching for the start of the next message.
    Resync,
    Closed,
}

/// Destination of the body bytes of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    None,
    /// A response without a request: parsed to find its end, then dropped.
    Discard,
    Exchange(u64),
}

#[derive(Debug)]
struct Side {
    state: State,
    /// Bytes of a head, chunk line or trailer split across packets, or sniffed bytes.
    buffer: Vec<u8>,
    /// Capture time of the first byte in `buffer`.
    buffer_first_ns: i64,
    target: Target,
    /// Trailer fields of the chunked body being read.
    trailers: Vec<Header>,
    trailer_bytes: usize,
    /// Messages parsed in this direction.
    messages: u64,
    /// Bytes searched while resynchronising without having parsed a message.
    scanned: usize,
    /// True while the direction's first byte is the first byte of the connection, so that a
    /// non-HTTP start is known not to be the middle of an HTTP message.
    at_start: bool,
}

impl Side {
    fn new() -> Self {
        Self {
            state: State::Sniff,
            buffer: Vec::new(),
            buffer_first_ns: 0,
            target: Target::None,
            trailers: Vec::new(),
            trailer_bytes: 0,
            messages: 0,
            scanned: 0,
            at_start: false,
        }
    }
}

#[derive(Debug)]
struct Exchange {
    id: u64,
    request: Message,
    request_done: bool,
    /// Stream offset of the request's first byte in the client's direction.
    request_offset: u64,
    response: Option<Message>,
    response_done: bool,
}

/// The HTTP state of one TCP connection.
#[derive(Debug)]
pub(crate) struct Conversation {
    /// Direction index (0 or 1) of the client, once known.
    client: Option<usize>,
    sides: [Side; 2],
    exchanges: VecDeque<Exchange>,
    next_id: u64,
    skipped: Option<Skip>,
    /// Client stream offset of the last gap in the client's direction that may have
    /// swallowed whole requests. Responses are checked against it before pairing.
    request_gap_offset: Option<u64>,
    /// True after a gap in the server's direction that may have swallowed whole responses.
    response_gap: bool,
    /// Acknowledgement of the packet being parsed, as an offset in the other direction.
    peer_acked: Option<u64>,
}

impl Conversation {
    /// Starts a conversation. `client` is the direction of the SYN sender when the
    /// handshake was captured.
    pub fn new(client: Option<usize>) -> Self {
        Self {
            client,
            sides: [Side::new(), Side::new()],
            exchanges: VecDeque::new(),
            next_id: 0,
            skipped: None,
            request_gap_offset: None,
            response_gap: false,
            peer_acked: None,
        }
    }

    pub fn skipped(&self) -> Option<Skip> {
        self.skipped
    }

    /// Sets the client's direction unless the bytes already decided it.
    pub fn set_client(&mut self, client: usize) {
        self.client.get_or_insert(client);
    }

    /// Marks the connection as skipped and counts it once.
    pub fn skip(&mut self, reason: Skip, stats: &mut CaptureStats) {
        if self.skipped.is_some() {
            return;
        }
        self.skipped = Some(reason);
        match reason {
            Skip::Tls => stats.tls_connections += 1,
            Skip::Http2 => stats.http2_connections += 1,
            Skip::NotHttp => stats.non_http_connections += 1,
            Skip::Upgraded => stats.upgraded_connections += 1,
        }
        for side in &mut self.sides {
            side.buffer = Vec::new();
        }
    }

    /// Tells the conversation that direction `dir` began with a SYN, so its first byte is
    /// the start of the protocol.
    pub fn starts_at_syn(&mut self, dir: usize) {
        self.sides[dir].at_start = true;
    }

    /// Bytes held for the memory budget.
    pub fn held_bytes(&self) -> usize {
        let buffers: usize = self.sides.iter().map(|side| side.buffer.capacity()).sum();
        let messages: usize = self
            .exchanges
            .iter()
            .map(|e| e.request.held_bytes() + e.response.as_ref().map_or(0, Message::held_bytes))
            .sum();
        buffers + messages
    }

    /// Takes contiguous bytes of direction `dir` that start at stream `offset`.
    /// `peer_acked` is the offset in the other direction's stream up to which the packet
    /// acknowledges, when known.
    pub fn data(
        &mut self,
        dir: usize,
        bytes: &[u8],
        timestamp_ns: i64,
        offset: u64,
        peer_acked: Option<u64>,
        context: &mut Context<'_>,
    ) {
        if self.skipped.is_some() || bytes.is_empty() {
            return;
        }
        self.peer_acked = peer_acked;
        if self.sides[dir].state == State::Sniff {
            let side = &mut self.sides[dir];
            let first_ns = if side.buffer.is_empty() { timestamp_ns } else { side.buffer_first_ns };
            let mut joined = std::mem::take(&mut side.buffer);
            joined.extend_from_slice(bytes);
            let start_offset = offset - (joined.len() - bytes.len()) as u64;
            match self.sniff(dir, &joined, context) {
                Sniffed::NeedMore => {
                    let side = &mut self.sides[dir];
                    side.buffer = joined;
                    side.buffer_first_ns = first_ns;
                }
                Sniffed::Decided => {
                    if self.skipped.is_none() {
                        self.feed(dir, &joined, first_ns, timestamp_ns, start_offset, context);
                    }
                }
            }
            return;
        }
        self.feed(dir, bytes, timestamp_ns, timestamp_ns, offset, context);
    }

    /// Decides from the first bytes of direction `dir` what the connection carries.
    fn sniff(&mut self, dir: usize, bytes: &[u8], context: &mut Context<'_>) -> Sniffed {
        let start = classify(bytes);
        let at_start = self.sides[dir].at_start;
        let kind = match start {
            Start::Short if bytes.len() < MAX_SNIFF_BYTES => return Sniffed::NeedMore,
            Start::Tls => {
                self.skip(Skip::Tls, context.stats);
                return Sniffed::Decided;
            }
            Start::Http2 => {
                self.skip(Skip::Http2, context.stats);
                return Sniffed::Decided;
            }
            Start::Request => Some(Kind::Request),
            Start::Response => Some(Kind::Response),
            Start::Short | Start::Other => None,
        };

        let expected = self.client.map(|client| if client == dir { Kind::Request } else { Kind::Response });
        match (kind, expected) {
            (Some(kind), None) => {
                self.client = Some(if kind == Kind::Request { dir } else { 1 - dir });
                self.sides[dir].state = State::Head;
            }
            (Some(kind), Some(expected)) if kind == expected => self.sides[dir].state = State::Head,
            _ if at_start => self.skip(Skip::NotHttp, context.stats),
            // The capture began inside the connection: look for the next message.
            _ => self.sides[dir].state = State::Resync,
        }
        Sniffed::Decided
    }

    fn kind(&self, dir: usize) -> Option<Kind> {
        self.client.map(|client| if client == dir { Kind::Request } else { Kind::Response })
    }

    /// Runs the parser of direction `dir` over `bytes`. `first_ns` is the capture time of
    /// the first byte and `timestamp_ns` that of the last.
    fn feed(
        &mut self,
        dir: usize,
        mut bytes: &[u8],
        first_ns: i64,
        timestamp_ns: i64,
        mut offset: u64,
        context: &mut Context<'_>,
    ) {
        let mut first_ns = first_ns;
        while !bytes.is_empty() && self.skipped.is_none() {
            let consumed = match self.sides[dir].state {
                State::Sniff | State::Closed => return,
                State::Head => self.read_head(dir, bytes, first_ns, timestamp_ns, offset, context),
                State::Length { remaining } => {
                    let take = remaining.min(bytes.len() as u64) as usize;
                    self.append_body(dir, &bytes[..take], timestamp_ns);
                    let remaining = remaining - take as u64;
                    self.sides[dir].state = State::Length { remaining };
                    if remaining == 0 {
                        self.finish_message(dir, timestamp_ns, context);
                    }
                    take
                }
                State::Chunked(chunk) => self.read_chunked(dir, chunk, bytes, timestamp_ns, context),
                State::UntilClose => {
                    self.append_body(dir, bytes, timestamp_ns);
                    bytes.len()
                }
                State::Resync => self.resync(dir, bytes, context),
            };
            bytes = &bytes[consumed..];
            offset += consumed as u64;
            // Only the first message in a packet can have started in an earlier packet.
            first_ns = timestamp_ns;
        }
    }

    /// Reads a message head. Returns the bytes of `bytes` consumed.
    fn read_head(
        &mut self,
        dir: usize,
        bytes: &[u8],
        first_ns: i64,
        timestamp_ns: i64,
        offset: u64,
        context: &mut Context<'_>,
    ) -> usize {
        let max_head = context.config.max_head_bytes;
        let Some(kind) = self.kind(dir) else {
            self.sides[dir].state = State::Resync;
            return 0;
        };
        let side = &mut self.sides[dir];
        let buffered = side.buffer.len();
        let parsed = if buffered == 0 {
            parse_head(kind, &bytes[..bytes.len().min(max_head)], context.limits.max_headers)
        } else {
            let room = max_head.saturating_sub(buffered);
            side.buffer.extend_from_slice(&bytes[..bytes.len().min(room)]);
            parse_head(kind, &side.buffer, context.limits.max_headers)
        };
        let head_first_ns = if buffered == 0 { first_ns } else { side.buffer_first_ns };
        let head_offset = offset - buffered as u64;

        match parsed {
            Parsed::Complete(head) => {
                let consumed = head.len - buffered;
                side.buffer.clear();
                side.messages += 1;
                let times = (head_first_ns, timestamp_ns);
                match kind {
                    Kind::Request => self.start_request(dir, head, times, head_offset, context),
                    Kind::Response => self.start_response(dir, head, times, context),
                }
                consumed
            }
            Parsed::Partial => {
                let length = if buffered == 0 { bytes.len() } else { side.buffer.len() };
                if length >= max_head {
                    self.invalid_head(dir, context);
                    return bytes.len();
                }
                if buffered == 0 {
                    side.buffer.extend_from_slice(bytes);
                    side.buffer_first_ns = first_ns;
                }
                bytes.len()
            }
            Parsed::Invalid(_) => {
                // NOTE: the reason is not reported per message, because after lost bytes
                // invalid heads are expected and would flood the output.
                self.invalid_head(dir, context);
                bytes.len().min(1)
            }
        }
    }

    fn invalid_head(&mut self, dir: usize, context: &mut Context<'_>) {
        context.stats.invalid_messages += 1;
        let side = &mut self.sides[dir];
        side.buffer.clear();
        side.state = State::Resync;
    }

    /// Starts a request whose head spans packets captured at `times` (first, last).
    fn start_request(
        &mut self,
        dir: usize,
        head: head::Head,
        times: (i64, i64),
        offset: u64,
        context: &mut Context<'_>,
    ) {
        let (first_ns, last_ns) = times;
        context.stats.requests += 1;
        let framing = match head::request_framing(&head.headers) {
            Ok(framing) => framing,
            Err(_) => {
                self.invalid_head(dir, context);
                return;
            }
        };

        // A full pipeline sends its oldest request on without a response.
        if self.exchanges.len() >= context.config.max_pipelined_requests.max(1)
            && let Some(oldest) = self.exchanges.pop_front()
        {
            self.emit(oldest, context);
        }

        let limit = body_limit(&head, context.limits, context.config.max_encoded_body_bytes);
        let id = self.next_id;
        self.next_id += 1;
        let request = Message::new(head, first_ns, limit);
        self.exchanges.push_back(Exchange {
            id,
            request,
            request_done: false,
            request_offset: offset,
            response: None,
            response_done: false,
        });
        self.sides[dir].target = Target::Exchange(id);
        self.begin_body(dir, framing, last_ns, context);
    }

    fn start_response(&mut self, dir: usize, head: head::Head, times: (i64, i64), context: &mut Context<'_>) {
        let (first_ns, last_ns) = times;
        let status = head.status;
        if (100..200).contains(&status) && status != 101 {
            // Interim responses such as 100 Continue precede the final response.
            self.sides[dir].state = State::Head;
            return;
        }
        context.stats.responses += 1;

        let target = self.response_target(context);
        let method = match target {
            Some(index) => self.exchanges[index].request.head.method.clone(),
            None => String::new(),
        };
        let framing = match head::response_framing(&method, status, &head.headers) {
            Ok(framing) => framing,
            Err(_) => {
                self.invalid_head(dir, context);
                return;
            }
        };
        let switches = status == 101 || (method.eq_ignore_ascii_case("CONNECT") && (200..300).contains(&status));

        let Some(index) = target else {
            context.stats.unpaired_responses += 1;
            self.sides[dir].target = Target::Discard;
            if switches {
                self.skip(Skip::Upgraded, context.stats);
            } else {
                self.begin_body(dir, framing, last_ns, context);
            }
            return;
        };

        let limit = body_limit(&head, context.limits, context.config.max_encoded_body_bytes);
        let exchange = &mut self.exchanges[index];
        let mut response = Message::new(head, first_ns, limit);
        response.last_ns = last_ns;
        exchange.response = Some(response);
        self.sides[dir].target = Target::Exchange(exchange.id);
        if switches {
            // The bytes after a protocol switch are not HTTP/1.x: the exchange is complete
            // and the rest of the connection is skipped.
            exchange.response_done = true;
            exchange.request_done = true;
            self.emit_ready(context);
            self.skip(Skip::Upgraded, context.stats);
            return;
        }
        self.begin_body(dir, framing, last_ns, context);
    }

    /// Chooses the exchange a new response belongs to: the oldest without a response. After
    /// lost bytes the choice is checked against the TCP acknowledgement of the response's
    /// first packet, which tells how much of the client's stream the server had received
    /// when it answered.
    ///
    /// NOTE: with pipelining, a gap that swallows whole requests or responses can still
    /// pair a response with the wrong request, because one acknowledgement cannot tell
    /// which of several outstanding requests the server is answering.
    fn response_target(&mut self, context: &mut Context<'_>) -> Option<usize> {
        let index = self.exchanges.iter().position(|exchange| exchange.response.is_none())?;
        let acked = self.peer_acked;

        if let Some(gap_offset) = self.request_gap_offset {
            let request_offset = self.exchanges[index].request_offset;
            if request_offset > gap_offset {
                // The server responded before this request arrived, so the response
                // belongs to a request lost in the gap.
                if acked.is_some_and(|acked| acked <= request_offset) {
                    return None;
                }
                self.request_gap_offset = None;
            }
        }

        if self.response_gap {
            self.response_gap = false;
            // Responses to older requests may have been lost. When the server had already
            // received a later request, the older one is sent on without its response.
            let mut index = index;
            while let Some(acked) = acked
                && self.exchanges.get(index + 1).is_some_and(|next| next.request_done && next.request_offset < acked)
            {
                let Some(stale) = self.exchanges.remove(index) else {
                    break;
                };
                self.emit(stale, context);
                index = self.exchanges.iter().position(|exchange| exchange.response.is_none())?;
            }
            return Some(index);
        }
        Some(index)
    }

    fn begin_body(&mut self, dir: usize, framing: Framing, timestamp_ns: i64, context: &mut Context<'_>) {
        if let Framing::Length(length) = framing
            && let Some(message) = self.target_message(dir)
        {
            // The whole body is coming, so its buffer is sized once.
            message.reserve_body(length);
        }
        let side = &mut self.sides[dir];
        side.state = match framing {
            Framing::Empty => State::Head,
            Framing::Length(length) => State::Length { remaining: length },
            Framing::Chunked => State::Chunked(Chunk::Size),
            Framing::UntilClose => State::UntilClose,
        };
        if framing == Framing::Empty {
            self.finish_message(dir, timestamp_ns, context);
        }
    }

    fn append_body(&mut self, dir: usize, bytes: &[u8], timestamp_ns: i64) {
        if let Some(message) = self.target_message(dir) {
            message.append(bytes, timestamp_ns);
        }
    }

    fn target_message(&mut self, dir: usize) -> Option<&mut Message> {
        let Target::Exchange(id) = self.sides[dir].target else {
            return None;
        };
        let request_side = self.kind(dir) == Some(Kind::Request);
        let exchange = self.exchanges.iter_mut().rev().find(|exchange| exchange.id == id)?;
        if request_side { Some(&mut exchange.request) } else { exchange.response.as_mut() }
    }

    /// Ends the message being read in direction `dir` and goes back to reading heads.
    fn finish_message(&mut self, dir: usize, timestamp_ns: i64, context: &mut Context<'_>) {
        let target = std::mem::replace(&mut self.sides[dir].target, Target::None);
        self.sides[dir].state = State::Head;
        let Target::Exchange(id) = target else {
            return;
        };
        let request_side = self.kind(dir) == Some(Kind::Request);
        let trailers = std::mem::take(&mut self.sides[dir].trailers);
        self.sides[dir].trailer_bytes = 0;
        if let Some(exchange) = self.exchanges.iter_mut().find(|exchange| exchange.id == id) {
            let message = if request_side { Some(&mut exchange.request) } else { exchange.response.as_mut() };
            if let Some(message) = message {
                message.last_ns = message.last_ns.max(timestamp_ns);
                message.head.headers.extend(trailers);
            }
            if request_side {
                exchange.request_done = true;
            } else {
                exchange.response_done = true;
            }
        }
        self.emit_ready(context);
    }

    /// Reads chunked body framing (RFC 9112 section 7.1). Returns the bytes consumed.
    fn read_chunked(
        &mut self,
        dir: usize,
        chunk: Chunk,
        bytes: &[u8],
        timestamp_ns: i64,
        context: &mut Context<'_>,
    ) -> usize {
        match chunk {
            Chunk::Data { remaining } => {
                let take = remaining.min(bytes.len() as u64) as usize;
                self.append_body(dir, &bytes[..take], timestamp_ns);
                let remaining = remaining - take as u64;
                self.sides[dir].state =
                    State::Chunked(if remaining == 0 { Chunk::DataEnd } else { Chunk::Data { remaining } });
                take
            }
            Chunk::Size | Chunk::DataEnd | Chunk::Trailers => {
                let max_line =
                    if chunk == Chunk::Trailers { context.config.max_head_bytes } else { MAX_CHUNK_LINE_BYTES };
                let side = &mut self.sides[dir];
                let (line, consumed) = match take_line(&mut side.buffer, bytes, max_line) {
                    Line::Complete { line, consumed } => (line, consumed),
                    Line::Partial => return bytes.len(),
                    Line::TooLong => {
                        self.abandon_message(dir, context);
                        return bytes.len();
                    }
                };
                match chunk {
                    Chunk::Size => match parse_chunk_size(&line) {
                        Some(0) => side.state = State::Chunked(Chunk::Trailers),
                        Some(size) => side.state = State::Chunked(Chunk::Data { remaining: size }),
                        None => self.abandon_message(dir, context),
                    },
                    // Some senders omit the CRLF after chunk data: a non-empty line is taken
                    // as the next chunk-size line.
                    Chunk::DataEnd if line.is_empty() => side.state = State::Chunked(Chunk::Size),
                    Chunk::DataEnd => match parse_chunk_size(&line) {
                        Some(0) => side.state = State::Chunked(Chunk::Trailers),
                        Some(size) => side.state = State::Chunked(Chunk::Data { remaining: size }),
                        None => self.abandon_message(dir, context),
                    },
                    Chunk::Trailers if line.is_empty() => self.finish_message(dir, timestamp_ns, context),
                    Chunk::Trailers => {
                        side.trailer_bytes += line.len();
                        if let Some((name, value)) = split_field(&line) {
                            side.trailers.push(Header::new(name, value));
                        }
                        if side.trailer_bytes > context.config.max_head_bytes {
                            self.abandon_message(dir, context);
                        }
                    }
                    Chunk::Data { .. } => {}
                }
                if let Some(message) = self.target_message(dir) {
                    message.last_ns = timestamp_ns;
                }
                consumed
            }
        }
    }

    /// Ends a message whose framing broke: it keeps what was read, marked truncated, and
    /// the direction resynchronises.
    fn abandon_message(&mut self, dir: usize, context: &mut Context<'_>) {
        context.stats.invalid_messages += 1;
        if let Some(message) = self.target_message(dir) {
            message.lose_bytes();
        }
        let timestamp_ns = self.target_message(dir).map_or(0, |message| message.last_ns);
        self.finish_message(dir, timestamp_ns, context);
        let side = &mut self.sides[dir];
        side.buffer.clear();
        side.state = State::Resync;
    }

    /// Searches for the next message start. Returns the bytes consumed: all of them when
    /// none is found, else those before the message.
    fn resync(&mut self, dir: usize, bytes: &[u8], context: &mut Context<'_>) -> usize {
        let kind = self.kind(dir);
        match find_message_start(bytes, kind) {
            Some((position, found)) => {
                if self.client.is_none() {
                    self.client = Some(if found == Kind::Request { dir } else { 1 - dir });
                }
                let side = &mut self.sides[dir];
                side.state = State::Head;
                side.buffer.clear();
                side.scanned = 0;
                position
            }
            None => {
                let side = &mut self.sides[dir];
                if side.messages == 0 {
                    side.scanned += bytes.len();
                    let other_parsed = self.sides[1 - dir].messages > 0;
                    if self.sides[dir].scanned > context.config.max_resync_scan_bytes && !other_parsed {
                        self.skip(Skip::NotHttp, context.stats);
                    }
                }
                bytes.len()
            }
        }
    }

    /// Takes a gap of `len` lost bytes in direction `dir`, at stream `offset`.
    pub fn gap(&mut self, dir: usize, len: u64, offset: u64, context: &mut Context<'_>) {
        if self.skipped.is_some() {
            return;
        }
        match self.kind(dir) {
            Some(Kind::Request) => self.request_gap_offset = Some(offset),
            Some(Kind::Response) => self.response_gap = true,
            None => {}
        }
        let side = &mut self.sides[dir];
        match side.state {
            State::Length { remaining } if len < remaining => {
                side.state = State::Length { remaining: remaining - len };
                if let Some(message) = self.target_message(dir) {
                    message.lose_bytes();
                }
            }
            State::Length { .. } | State::Chunked(_) | State::UntilClose => {
                if let Some(message) = self.target_message(dir) {
                    message.lose_bytes();
                }
                let timestamp_ns = self.target_message(dir).map_or(0, |message| message.last_ns);
                self.finish_message(dir, timestamp_ns, context);
                self.sides[dir].state = State::Resync;
            }
            State::Head | State::Sniff => {
                side.buffer.clear();
                side.state = State::Resync;
            }
            State::Resync | State::Closed => {}
        }
    }

    /// Takes the end of direction `dir` (its FIN). A body read until close ends here.
    pub fn end(&mut self, dir: usize, context: &mut Context<'_>) {
        if self.skipped.is_some() {
            return;
        }
        self.close_side(dir, context);
    }

    fn close_side(&mut self, dir: usize, context: &mut Context<'_>) {
        match self.sides[dir].state {
            State::UntilClose => {
                let timestamp_ns = self.target_message(dir).map_or(0, |message| message.last_ns);
                self.finish_message(dir, timestamp_ns, context);
            }
            State::Length { .. } | State::Chunked(_) => {
                if let Some(message) = self.target_message(dir) {
                    message.body_cut = true;
                }
                let timestamp_ns = self.target_message(dir).map_or(0, |message| message.last_ns);
                self.finish_message(dir, timestamp_ns, context);
            }
            _ => {}
        }
        let side = &mut self.sides[dir];
        side.state = State::Closed;
        side.buffer = Vec::new();
    }

    /// Ends the conversation: messages still being read are ended as they are, and every
    /// queued exchange becomes a trace, with or without a response.
    pub fn finish(&mut self, context: &mut Context<'_>) {
        if self.skipped.is_none() {
            for dir in 0..2 {
                self.close_side(dir, context);
            }
        }
        while let Some(exchange) = self.exchanges.pop_front() {
            self.emit(exchange, context);
        }
    }

    /// Emits the exchanges at the front of the queue that are complete.
    fn emit_ready(&mut self, context: &mut Context<'_>) {
        while self.exchanges.front().is_some_and(|front| front.request_done && front.response_done) {
            if let Some(exchange) = self.exchanges.pop_front() {
                self.emit(exchange, context);
            }
        }
    }

    fn emit(&mut self, exchange: Exchange, context: &mut Context<'_>) {
        let Some(client) = self.client else {
            return;
        };
        let client_endpoint = context.endpoints[client];
        let server_endpoint = context.endpoints[1 - client];
        let mut response = exchange.response;
        if !exchange.response_done
            && let Some(response) = response.as_mut()
        {
            // A response still being read when the connection ended is cut short.
            response.body_cut = true;
        }
        let mut request = exchange.request;
        if !exchange.request_done {
            request.body_cut = true;
        }

        context.stats.traces += 1;
        if response.is_none() {
            context.stats.requests_without_response += 1;
        }
        let cut = usize::from(request.body_cut) + response.as_ref().map_or(0, |r| usize::from(r.body_cut));
        context.stats.truncated_bodies += cut as u64;
        let index = (context.stats.traces - 1) as usize;
        let trace = build_trace(request, response, client_endpoint, server_endpoint, context.limits, index);
        context.out.push(trace);
    }
}

enum Sniffed {
    NeedMore,
    Decided,
}

/// Protocol that the first bytes of a direction show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    Request,
    Response,
    Tls,
    Http2,
    Other,
    /// Too few bytes to tell.
    Short,
}

fn classify(bytes: &[u8]) -> Start {
    // A TLS handshake record: content type 22, then a 3.x protocol version.
    if let [0x16, 0x03, minor, ..] = bytes
        && *minor <= 0x04
    {
        return Start::Tls;
    }
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n";
    if bytes.starts_with(PREFACE) {
        return Start::Http2;
    }
    if PREFACE.starts_with(bytes) {
        return Start::Short;
    }
    if bytes.starts_with(b"HTTP/1.") {
        return Start::Response;
    }
    if b"HTTP/1.".starts_with(bytes) {
        return Start::Short;
    }
    match request_line_start(bytes) {
        Some(true) => Start::Request,
        Some(false) => Start::Other,
        None => Start::Short,
    }
}

/// `Some(true)` when `bytes` start with a method token, a space and a request target,
/// `None` when they are a prefix of such a start.
fn request_line_start(bytes: &[u8]) -> Option<bool> {
    let token_len = bytes.iter().take_while(|&&b| b.is_ascii_uppercase() || b == b'-' || b == b'_').count();
    if token_len == bytes.len() {
        return if token_len < 20 { None } else { Some(false) };
    }
    if token_len == 0 || token_len > 20 || bytes[token_len] != b' ' {
        return Some(false);
    }
    match bytes.get(token_len + 1) {
        None => None,
        Some(b'/' | b'*' | b'h' | b'H') => Some(true),
        // Authority form, as CONNECT sends.
        Some(b) if b.is_ascii_alphanumeric() && &bytes[..token_len] == b"CONNECT" => Some(true),
        Some(_) => Some(false),
    }
}

/// Finds the first line in `bytes` that starts a message of `kind` (either kind when it is
/// unknown): a request line such as `GET /x HTTP/1.1` or a status line such as
/// `HTTP/1.1 200 OK`. A message start split across packets is missed, and the next one
/// is found.
fn find_message_start(bytes: &[u8], kind: Option<Kind>) -> Option<(usize, Kind)> {
    const VERSION: &[u8] = b"HTTP/1.";
    let mut from = 0;
    while let Some(found) = find(&bytes[from..], VERSION) {
        let at = from + found;
        from = at + 1;
        let line_start = bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |newline| newline + 1);

        let wants_response = kind != Some(Kind::Request);
        if wants_response && line_start == at && is_status_line(&bytes[at..]) {
            return Some((at, Kind::Response));
        }
        let wants_request = kind != Some(Kind::Response);
        if wants_request && at > line_start && bytes[at - 1] == b' ' {
            let line = &bytes[line_start..at];
            if request_line_start(line) == Some(true) && !line.contains(&b'\r') {
                return Some((line_start, Kind::Request));
            }
        }
    }
    None
}

fn is_status_line(bytes: &[u8]) -> bool {
    match bytes.get(7..13) {
        Some([minor, b' ', a, b, c, ..]) => {
            minor.is_ascii_digit() && a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit()
        }
        _ => false,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut start = 0;
    while let Some(position) = haystack[start..].iter().position(|&b| b == first) {
        let at = start + position;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        start = at + 1;
    }
    None
}

enum Line {
    /// A whole line without its line break, and the bytes of the input it used.
    Complete {
        line: Vec<u8>,
        consumed: usize,
    },
    Partial,
    TooLong,
}

/// Reads one line ending in LF (with or without CR), continuing `buffer` from an earlier
/// packet.
fn take_line(buffer: &mut Vec<u8>, bytes: &[u8], max: usize) -> Line {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(newline) => {
            let mut line = std::mem::take(buffer);
            line.extend_from_slice(&bytes[..newline]);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.len() > max {
                return Line::TooLong;
            }
            Line::Complete { line, consumed: newline + 1 }
        }
        None => {
            if buffer.len() + bytes.len() > max {
                buffer.clear();
                return Line::TooLong;
            }
            buffer.extend_from_slice(bytes);
            Line::Partial
        }
    }
}

/// Parses the hex size at the start of a chunk-size line, before any extension.
fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let digits: &[u8] = {
        let end = line.iter().position(|&b| !b.is_ascii_hexdigit()).unwrap_or(line.len());
        &line[..end]
    };
    let rest = &line[digits.len()..];
    let rest_ok = rest.iter().all(|&b| b == b' ' || b == b'\t')
        || matches!(rest.iter().find(|&&b| b != b' ' && b != b'\t'), Some(b';'));
    if digits.is_empty() || digits.len() > 15 || !rest_ok {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

fn split_field(line: &[u8]) -> Option<(String, String)> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = std::str::from_utf8(&line[..colon]).ok()?.trim();
    if name.is_empty() {
        return None;
    }
    let value = String::from_utf8_lossy(&line[colon + 1..]).trim().to_string();
    Some((name.to_string(), value))
}

fn parse_head(kind: Kind, bytes: &[u8], max_headers: usize) -> Parsed {
    match kind {
        Kind::Request => head::parse_request(bytes, max_headers),
        Kind::Response => head::parse_response(bytes, max_headers),
    }
}

#[cfg(test)]
mod tests;
