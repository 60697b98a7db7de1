//! The request path of the proxy: check, decide, forward, mirror.

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::body::{self, Capture, ClientBodyState, ForwardBody, Prefix, ProxyBody, ReadError, ResponseBody};
use super::headers::{self, FramingError};
use super::trace::{request_record, response_record, trace};
use super::{ConnInfo, Context};
use crate::feed::{ActiveRules, FeedState};
use crate::metrics::{Outcome, UpstreamError};
use crate::rules::{DecisionAction, Mode, RequestView, normalize_path};

/// Handles one request; every failure becomes a response.
pub(crate) async fn handle(
    context: Arc<Context>,
    connection: Arc<ConnInfo>,
    request: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let exchange =
        Exchange { context: &context, connection: &connection, started: Instant::now(), id: new_request_id() };
    Ok(exchange.run(request).await)
}

/// One request on its way through the proxy.
struct Exchange<'a> {
    context: &'a Arc<Context>,
    connection: &'a Arc<ConnInfo>,
    started: Instant,
    /// Request id, given to the client in error responses and written in logs.
    id: String,
}

/// Outcome of the rules and inline detection for one request.
enum Verdict {
    Forward { monitored: bool },
    Reject(Rejection),
}

/// A response made by the proxy instead of the upstream.
struct Rejection {
    status: StatusCode,
    message: &'static str,
    outcome: Outcome,
    retry_after_secs: Option<u64>,
    /// Close the connection after the response, because its framing cannot be trusted.
    close: bool,
}

impl Rejection {
    fn new(status: StatusCode, message: &'static str, outcome: Outcome) -> Self {
        Self { status, message, outcome, retry_after_secs: None, close: false }
    }
}

/// The request facts that decisions and traces read.
struct Facts<'a> {
    parts: &'a http::request::Parts,
    /// Host as sent, with the port.
    host_sent: &'a str,
    scheme: &'static str,
    client_ip: IpAddr,
    prefix: Option<&'a Prefix>,
    now_ms: i64,
}

impl Facts<'_> {
    /// Builds the request half of a trace, with the inspected body start.
    fn record(&self) -> palisade_core::Request {
        let body = match self.prefix {
            Some(prefix) => palisade_core::Body { bytes: prefix.data.to_vec(), truncated: !prefix.complete },
            None => palisade_core::Body::default(),
        };
        request_record(self.parts, self.scheme, self.host_sent, body)
    }
}

impl Exchange<'_> {
    async fn run(&self, request: Request<Incoming>) -> Response<ProxyBody> {
        let context = self.context;
        let framing = match self.connection.framing.problem() {
            Some(problem) => Err(problem),
            None => headers::check_framing(&request),
        };
        if let Err(problem) = framing {
            self.log_invalid(problem);
            let mut rejection = Rejection::new(StatusCode::BAD_REQUEST, problem.message(), Outcome::Invalid);
            rejection.close = true;
            return self.reject(rejection);
        }
        let active = context.rules.current();
        if active.state == FeedState::FailClosed {
            let mut rejection =
                Rejection::new(StatusCode::SERVICE_UNAVAILABLE, "block rules unavailable", Outcome::Unavailable);
            rejection.retry_after_secs = Some(5);
            return self.reject(rejection);
        }

        let host_sent = headers::request_host(&request).unwrap_or_default().to_string();
        let scheme = if self.connection.tls { "https" } else { "http" };
        let client_ip = headers::client_ip(self.connection.peer.ip(), request.headers(), &context.trusted);
        let (mut parts, mut incoming) = request.into_parts();

        // The body's start is read first when rules or detection look at it.
        let limits = &context.config.limits;
        let body_timeout = Duration::from_secs(limits.client_body_timeout_secs);
        let prefix = if active.rules.needs().body || context.detector.is_some() {
            match body::read_prefix(&mut incoming, limits.max_inspect_body_bytes, body_timeout).await {
                Ok(prefix) => Some(prefix),
                Err(error) => return self.reject(client_body_rejection(error)),
            }
        } else {
            None
        };

        let facts = Facts {
            parts: &parts,
            host_sent: &host_sent,
            scheme,
            client_ip,
            prefix: prefix.as_ref(),
            now_ms: context.clock.now_ms(),
        };
        let monitored = match self.decide(&active, &facts) {
            Verdict::Forward { monitored } => monitored,
            Verdict::Reject(rejection) => {
                self.mirror_rejected(&facts, rejection.status);
                return self.reject(rejection);
            }
        };
        let now_ms = facts.now_ms;

        // Forward, copying the bodies' start for the mirror.
        let mirror_request = context.mirror.enabled().then(|| {
            let record = request_record(&parts, scheme, &host_sent, palisade_core::Body::default());
            let capture = Arc::new(Mutex::new(Capture::new(context.config.mirror.max_body_bytes)));
            (record, capture)
        });
        let client_state = Arc::new(ClientBodyState::default());
        let forward_body = ForwardBody::new(
            prefix,
            incoming,
            body_timeout,
            mirror_request.as_ref().map(|(_, capture)| capture.clone()),
            client_state.clone(),
        );
        let upstream_request = match self.upstream_request(&mut parts, &host_sent, scheme, forward_body) {
            Ok(request) => request,
            Err(rejection) => return self.reject(rejection),
        };

        let response_timeout = Duration::from_secs(limits.upstream_response_timeout_secs);
        let response =
            match tokio::time::timeout(response_timeout, self.connection.client.request(upstream_request)).await {
                Err(_) => {
                    context.metrics.upstream_error(UpstreamError::Timeout);
                    self.log_upstream("upstream timed out", None);
                    return self.reject(Rejection::new(
                        StatusCode::GATEWAY_TIMEOUT,
                        "upstream timed out",
                        Outcome::UpstreamError,
                    ));
                }
                Ok(Err(error)) => return self.upstream_failure(&error, &client_state),
                Ok(Ok(response)) => response,
            };

        let (mut response_parts, upstream_body) = response.into_parts();
        headers::remove_hop_by_hop(&mut response_parts.headers);
        let on_end = mirror_request.map(|(record, capture)| {
            let mirror = context.mirror.clone();
            let status = response_parts.status.as_u16();
            let response_headers = response_parts.headers.clone();
            let started = self.started;
            let (peer, local) = (self.connection.peer, self.connection.local);
            let finish = move |response_body: palisade_core::Body| {
                let mut record = record;
                record.body = capture.lock().unwrap_or_else(|p| p.into_inner()).take();
                let response = response_record(status, &response_headers, response_body);
                let elapsed = started.elapsed().as_micros() as u64;
                mirror.offer(trace(record, Some(response), now_ms, Some(elapsed), peer, local));
            };
            (context.config.mirror.max_body_bytes, Box::new(finish) as super::body::OnBodyEnd)
        });
        let idle = Duration::from_secs(limits.upstream_body_timeout_secs);
        let response_body = ResponseBody::new(upstream_body, idle, on_end);
        let outcome = if monitored { Outcome::Monitored } else { Outcome::Allowed };
        context.metrics.request(outcome, self.started.elapsed());
        Response::from_parts(response_parts, response_body.boxed_unsync())
    }

    /// Evaluates the rules, then inline detection, logging and counting every match.
    fn decide(&self, active: &ActiveRules, facts: &Facts<'_>) -> Verdict {
        let context = self.context;
        let parts = facts.parts;
        let needs = active.rules.needs();
        let host = headers::host_name(facts.host_sent);
        let path = normalize_path(parts.uri.path());
        let method = uppercase(parts.method.as_str());

        let header_list: Vec<(&str, &[u8])> = if needs.headers {
            parts.headers.iter().map(|(name, value)| (name.as_str(), value.as_bytes())).collect()
        } else {
            Vec::new()
        };
        let query_pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = match parts.uri.query() {
            Some(query) if needs.query => form_urlencoded::parse(query.as_bytes()).collect(),
            _ => Vec::new(),
        };
        let query_list: Vec<(&str, &str)> = query_pairs.iter().map(|(n, v)| (n.as_ref(), v.as_ref())).collect();
        let actor = needs.actor.then(|| {
            let record = request_record(parts, facts.scheme, facts.host_sent, palisade_core::Body::default());
            let probe = trace(record, None, facts.now_ms, None, self.connection.peer, self.connection.local);
            active.actors.resolve(&probe).id
        });
        let session = if needs.session { headers::session_cookie(&parts.headers) } else { None };

        let view = RequestView {
            method: &method,
            host: &host,
            path: &path,
            headers: &header_list,
            query: &query_list,
            body: facts.prefix.map(|prefix| prefix.data.as_ref()),
            client_ip: Some(facts.client_ip),
            actor: actor.as_deref(),
            session,
        };
        let decision = active.rules.evaluate_shared(&view, facts.now_ms, &context.rate);

        for rule in &decision.monitored {
            context.metrics.monitored_by(rule);
            if self.may_log() {
                tracing::info!(request_id = %self.id, rule_id = %rule, client_ip = %facts.client_ip, method = %method, host = %host, path = %short(&path), "monitor rule matched");
            }
        }
        if let DecisionAction::Block(rule) = &decision.action {
            context.metrics.blocked_by(rule);
            let limited = decision.limited_until_ms.is_some();
            if self.may_log() {
                tracing::info!(request_id = %self.id, rule_id = %rule, client_ip = %facts.client_ip, method = %method, host = %host, path = %short(&path), rate_limited = limited, "request blocked");
            }
            return Verdict::Reject(match decision.limited_until_ms {
                Some(until_ms) => {
                    let mut rejection =
                        Rejection::new(StatusCode::TOO_MANY_REQUESTS, "too many requests", Outcome::RateLimited);
                    let wait_ms = (until_ms - facts.now_ms).max(0) as u64;
                    rejection.retry_after_secs = Some(wait_ms.div_ceil(1000).max(1));
                    rejection
                }
                None => Rejection::new(StatusCode::FORBIDDEN, "request blocked", Outcome::Blocked),
            });
        }
        let mut monitored = !decision.monitored.is_empty();

        if let Some(detector) = &context.detector {
            let settings = &context.config.inline_detection;
            let probe = trace(facts.record(), None, facts.now_ms, None, self.connection.peer, self.connection.local);
            let inspection = detector.inspect(&probe);
            context.metrics.detection_findings(inspection.findings.len());
            let strongest = inspection
                .findings
                .iter()
                .filter(|finding| finding.confidence >= settings.min_confidence)
                .max_by_key(|finding| finding.confidence);
            if let Some(finding) = strongest {
                let rule: Arc<str> = Arc::from(format!("detect:{}", finding.rule_id));
                let block = settings.mode == Mode::Block;
                if block {
                    context.metrics.blocked_by(&rule);
                } else {
                    context.metrics.monitored_by(&rule);
                }
                if self.may_log() {
                    tracing::info!(request_id = %self.id, rule_id = %rule, class = %finding.class, client_ip = %facts.client_ip, method = %method, host = %host, path = %short(&path), blocked = block, "inline detection matched");
                }
                if block {
                    return Verdict::Reject(Rejection::new(
                        StatusCode::FORBIDDEN,
                        "request blocked",
                        Outcome::Detected,
                    ));
                }
                monitored = true;
            }
        }
        Verdict::Forward { monitored }
    }

    /// Builds the upstream request from the client's: upstream URI, hop-by-hop headers
    /// removed, forwarding headers added, HTTP/1.1.
    fn upstream_request(
        &self,
        parts: &mut http::request::Parts,
        host_sent: &str,
        scheme: &'static str,
        body: ForwardBody,
    ) -> Result<Request<ProxyBody>, Rejection> {
        let upstream = &self.context.upstream;
        let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let target = if upstream.base_path.is_empty() {
            Cow::Borrowed(path_and_query)
        } else {
            Cow::Owned(format!("{}{path_and_query}", upstream.base_path))
        };
        let uri = Uri::builder()
            .scheme(upstream.scheme.clone())
            .authority(upstream.authority.clone())
            .path_and_query(target.as_ref())
            .build()
            .map_err(|_| Rejection::new(StatusCode::BAD_REQUEST, "invalid request target", Outcome::Invalid))?;

        let mut headers = std::mem::take(&mut parts.headers);
        headers::remove_hop_by_hop(&mut headers);
        let host_value = if self.context.config.preserve_host { host_sent } else { upstream.authority.as_str() };
        if let Ok(value) = HeaderValue::from_str(host_value)
            && !host_value.is_empty()
        {
            headers.insert(header::HOST, value);
        }
        headers::add_forwarding(
            &mut headers,
            self.connection.peer.ip(),
            scheme,
            Some(host_sent).filter(|h| !h.is_empty()),
        );

        let mut request = Request::new(body.boxed_unsync());
        *request.method_mut() = parts.method.clone();
        *request.uri_mut() = uri;
        *request.version_mut() = Version::HTTP_11;
        *request.headers_mut() = headers;
        Ok(request)
    }

    fn upstream_failure(
        &self,
        error: &hyper_util::client::legacy::Error,
        client: &ClientBodyState,
    ) -> Response<ProxyBody> {
        let metrics = &self.context.metrics;
        if client.failed() {
            return self.reject(if client.timed_out() {
                Rejection::new(StatusCode::REQUEST_TIMEOUT, "request body timed out", Outcome::ClientError)
            } else {
                Rejection::new(StatusCode::BAD_REQUEST, "request body broken off", Outcome::ClientError)
            });
        }
        let kind = if error.is_connect() { UpstreamError::Connect } else { UpstreamError::Other };
        metrics.upstream_error(kind);
        self.log_upstream("upstream request failed", Some(error));
        self.reject(Rejection::new(StatusCode::BAD_GATEWAY, "upstream unavailable", Outcome::UpstreamError))
    }

    /// Hands the trace of a rejected request to the mirror, with the proxy's status.
    fn mirror_rejected(&self, facts: &Facts<'_>, status: StatusCode) {
        let context = self.context;
        if !context.mirror.enabled() {
            return;
        }
        let mut record = facts.record();
        let max = context.config.mirror.max_body_bytes;
        if record.body.bytes.len() > max {
            record.body.bytes.truncate(max);
            record.body.truncated = true;
        }
        let response = response_record(status.as_u16(), &http::HeaderMap::new(), palisade_core::Body::default());
        let elapsed = self.started.elapsed().as_micros() as u64;
        let mirrored =
            trace(record, Some(response), facts.now_ms, Some(elapsed), self.connection.peer, self.connection.local);
        context.mirror.offer(mirrored);
    }

    /// Builds a JSON error response with the request id, counted under `rejection.outcome`.
    fn reject(&self, rejection: Rejection) -> Response<ProxyBody> {
        self.context.metrics.request(rejection.outcome, self.started.elapsed());
        let body = serde_json::json!({"error": rejection.message, "request_id": self.id});
        let mut response = Response::new(body::full(body.to_string()));
        *response.status_mut() = rejection.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = rejection.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if rejection.close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }

    fn may_log(&self) -> bool {
        let allowed = self.context.request_logs.allow(self.context.clock.now_ms());
        if !allowed {
            self.context.metrics.log_suppressed();
        }
        allowed
    }

    fn log_invalid(&self, problem: FramingError) {
        if self.may_log() {
            tracing::info!(request_id = %self.id, client_ip = %self.connection.peer.ip(), reason = problem.as_str(), "rejected a request with invalid framing");
        }
    }

    fn log_upstream(&self, message: &'static str, error: Option<&hyper_util::client::legacy::Error>) {
        if self.may_log() {
            match error {
                Some(error) => tracing::warn!(request_id = %self.id, error = %error_chain(error), "{message}"),
                None => tracing::warn!(request_id = %self.id, "{message}"),
            }
        }
    }
}

fn client_body_rejection(error: ReadError) -> Rejection {
    match error {
        ReadError::TimedOut => {
            Rejection::new(StatusCode::REQUEST_TIMEOUT, "request body timed out", Outcome::ClientError)
        }
        ReadError::Failed => Rejection::new(StatusCode::BAD_REQUEST, "request body broken off", Outcome::ClientError),
    }
}

/// Returns a new request id: 16 random hex digits.
fn new_request_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

fn uppercase(method: &str) -> Cow<'_, str> {
    if method.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(method.to_ascii_uppercase())
    } else {
        Cow::Borrowed(method)
    }
}

/// `text` cut to 64 characters for a log line.
fn short(text: &str) -> String {
    palisade_core::trace::truncate_for_message(text)
}

/// Joins the error and its sources with `: `.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
