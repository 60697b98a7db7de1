//! Body wrappers of the proxy: the forwarded request body (an inspected prefix followed
//! by the rest of the stream), the response body, idle timeouts on both, and the copies
//! kept for mirroring.

use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use tokio::time::{Instant, Sleep};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body type of every request and response the proxy sends.
pub type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

/// Builds a body of fixed bytes.
pub(crate) fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    http_body_util::Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

/// Error of a body that stopped early.
#[derive(Debug)]
pub(crate) struct BodyTimeout;

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("body timed out: no data within the idle timeout")
    }
}

impl std::error::Error for BodyTimeout {}

/// End state of the client's request body, shared with the handler so it can tell a client
/// failure from an upstream one.
#[derive(Debug, Default)]
pub(crate) struct ClientBodyState(AtomicU8);

impl ClientBodyState {
    const FINE: u8 = 0;
    const TIMED_OUT: u8 = 1;
    const FAILED: u8 = 2;

    pub fn timed_out(&self) -> bool {
        self.0.load(Ordering::Relaxed) == Self::TIMED_OUT
    }

    pub fn failed(&self) -> bool {
        self.0.load(Ordering::Relaxed) != Self::FINE
    }

    fn set(&self, value: u8) {
        self.0.store(value, Ordering::Relaxed);
    }
}

/// The first bytes of a body, kept for a mirrored trace.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    pub bytes: Vec<u8>,
    pub truncated: bool,
    max: usize,
}

impl Capture {
    pub fn new(max: usize) -> Self {
        Self { bytes: Vec::new(), truncated: false, max }
    }

    fn add(&mut self, data: &[u8]) {
        let room = self.max.saturating_sub(self.bytes.len());
        if data.len() > room {
            self.truncated = true;
        }
        self.bytes.extend_from_slice(&data[..data.len().min(room)]);
    }

    pub fn take(&mut self) -> palisade_core::Body {
        palisade_core::Body { bytes: std::mem::take(&mut self.bytes), truncated: self.truncated }
    }
}

pub(crate) type SharedCapture = Arc<Mutex<Capture>>;

/// The start of a request body, read before forwarding.
pub(crate) struct Prefix {
    pub data: Bytes,
    pub trailers: Option<HeaderMap>,
    /// True when the whole body was read.
    pub complete: bool,
}

/// Reads `body` until `max` bytes or its end, with `idle` as the longest pause between
/// pieces.
pub(crate) async fn read_prefix(body: &mut Incoming, max: usize, idle: Duration) -> Result<Prefix, ReadError> {
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut length = 0;
    let mut trailers = None;
    let mut complete = body.is_end_stream();
    while !complete && length < max {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(ReadError::TimedOut),
            Ok(None) => {
                complete = true;
                break;
            }
            Ok(Some(Err(_))) => return Err(ReadError::Failed),
            Ok(Some(Ok(frame))) => frame,
        };
        match frame.into_data() {
            Ok(data) => {
                length += data.len();
                chunks.push(data);
            }
            Err(frame) => {
                if let Ok(map) = frame.into_trailers() {
                    trailers = Some(map);
                }
                complete = true;
            }
        }
        complete = complete || body.is_end_stream();
    }

    let data = if chunks.len() == 1 {
        chunks.pop().unwrap_or_default()
    } else {
        let mut joined = Vec::with_capacity(length);
        for chunk in &chunks {
            joined.extend_from_slice(chunk);
        }
        Bytes::from(joined)
    };
    Ok(Prefix { data, trailers, complete })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadError {
    TimedOut,
    Failed,
}

/// The request body sent upstream: an already read prefix, then the rest of the client's
/// stream with an idle timeout, copying the first bytes for mirroring.
pub(crate) struct ForwardBody {
    prefix: Option<Bytes>,
    trailers: Option<HeaderMap>,
    rest: Option<Incoming>,
    idle: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    capture: Option<SharedCapture>,
    state: Arc<ClientBodyState>,
}

impl ForwardBody {
    pub fn new(
        prefix: Option<Prefix>,
        rest: Incoming,
        idle: Duration,
        capture: Option<SharedCapture>,
        state: Arc<ClientBodyState>,
    ) -> Self {
        let (data, trailers, rest) = match prefix {
            Some(prefix) => {
                let rest = (!prefix.complete).then_some(rest);
                (Some(prefix.data).filter(|d| !d.is_empty()), prefix.trailers, rest)
            }
            None => (None, None, Some(rest).filter(|r| !r.is_end_stream())),
        };
        Self { prefix: data, trailers, rest, idle, sleep: None, capture, state }
    }

    fn record(&self, data: &Bytes) {
        if let Some(capture) = &self.capture {
            capture.lock().unwrap_or_else(|p| p.into_inner()).add(data);
        }
    }
}

impl Body for ForwardBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Some(data) = this.prefix.take() {
            this.record(&data);
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        let Some(rest) = this.rest.as_mut() else {
            return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
        };

        match Pin::new(rest).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.sleep = None;
                if let Some(data) = frame.data_ref() {
                    this.record(data);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                this.state.set(ClientBodyState::FAILED);
                this.rest = None;
                Poll::Ready(Some(Err(Box::new(error))))
            }
            Poll::Ready(None) => {
                this.rest = None;
                Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))))
            }
            Poll::Pending => {
                let idle = this.idle;
                let sleep = this.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                if sleep.as_mut().poll(cx).is_ready() {
                    this.state.set(ClientBodyState::TIMED_OUT);
                    this.rest = None;
                    return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_none() && self.trailers.is_none() && self.rest.as_ref().is_none_or(|r| r.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let prefix = self.prefix.as_ref().map_or(0, |p| p.len() as u64);
        let rest = self.rest.as_ref().map_or_else(|| SizeHint::with_exact(0), Body::size_hint);
        let mut hint = SizeHint::new();
        hint.set_lower(prefix + rest.lower());
        if let Some(upper) = rest.upper() {
            hint.set_upper(prefix + upper);
        }
        hint
    }
}

/// The response body sent to the client: the upstream's stream with an idle timeout,
/// copying the first bytes for mirroring. `on_end` runs once, when the body ends or is
/// dropped, with the copy.
pub(crate) struct ResponseBody {
    inner: Incoming,
    idle: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    capture: Option<Capture>,
    on_end: Option<OnBodyEnd>,
}

/// Receives the captured response body when the stream ends.
pub type OnBodyEnd = Box<dyn FnOnce(palisade_core::Body) + Send>;

impl ResponseBody {
    pub fn new(inner: Incoming, idle: Duration, mirror: Option<(usize, OnBodyEnd)>) -> Self {
        let (capture, on_end) = match mirror {
            Some((max, on_end)) => (Some(Capture::new(max)), Some(on_end)),
            None => (None, None),
        };
        Self { inner, idle, sleep: None, capture, on_end }
    }

    fn finish(&mut self) {
        if let Some(on_end) = self.on_end.take() {
            let body = self.capture.as_mut().map(Capture::take).unwrap_or_default();
            on_end(body);
        }
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.sleep = None;
                if let (Some(capture), Some(data)) = (this.capture.as_mut(), frame.data_ref()) {
                    capture.add(data);
                }
                if this.inner.is_end_stream() {
                    this.finish();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                this.finish();
                Poll::Ready(Some(Err(Box::new(error))))
            }
            Poll::Ready(None) => {
                this.finish();
                Poll::Ready(None)
            }
            Poll::Pending => {
                let deadline = Instant::now() + this.idle;
                let sleep = this.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.as_mut().poll(cx).is_ready() {
                    this.finish();
                    return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_the_start() {
        let mut capture = Capture::new(5);
        capture.add(b"abc");
        capture.add(b"defg");
        let body = capture.take();
        assert_eq!(body.bytes, b"abcde");
        assert!(body.truncated);
    }
}
