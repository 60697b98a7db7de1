//! The inline reverse proxy: start-up, the accept loop with TLS termination, the metrics
//! listener and graceful shutdown. [`handler`] handles each request.
//!
//! Per request, in order:
//!
//! 1. framing checks against request smuggling (400);
//! 2. rules in force: under `fail_closed`, a long feed failure means 503;
//! 3. the body's start is read when a rule or inline detection needs it;
//! 4. rules are evaluated, then inline detection runs;
//! 5. a blocked request gets 403 (429 for a rate limit) and is logged and counted;
//! 6. otherwise the request is forwarded, the response streamed back, and the trace
//!    handed to the mirror when the response body ends.

mod body;
mod guard;
mod handler;
mod headers;
mod trace;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::uri::{Authority, Scheme};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use ipnet::IpNet;
use palisade_analyze::actors::ActorResolver;
use palisade_detect::Detector;
use thiserror::Error;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio_rustls::TlsAcceptor;

pub use body::ProxyBody;

use crate::config::{ConfigError, ProxyConfig, TlsConfig};
use crate::feed::{ActiveRules, FeedState, RuleHandle, RuleSource};
use crate::metrics::ProxyMetrics;
use crate::mirror::MirrorSink;
use crate::rules::{Clock, RateState, RuleError, RuleSet, SystemClock};

/// The proxy could not start.
#[derive(Debug, Error)]
pub enum ProxyError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("missing listen address: pass --listen or set proxy.listen")]
    MissingListen,
    #[error("missing upstream: pass --upstream or set proxy.upstream")]
    MissingUpstream,
    #[error("invalid upstream {url:?}: {problem}")]
    InvalidUpstream { url: String, problem: String },
    /// The reason is part of the message, not a source, so an error chain names it once.
    #[error("cannot listen on {address}: {reason}")]
    Bind { address: SocketAddr, reason: std::io::Error },
    #[error("cannot start a proxy worker thread: {reason}")]
    Worker { reason: std::io::Error },
    #[error("invalid TLS setting: {0}")]
    Tls(String),
    #[error("invalid rules: {0}")]
    Rules(#[from] RuleError),
    #[error("invalid detection setting: {0}")]
    Detection(#[from] palisade_detect::ConfigError),
    #[error("invalid proxy.actors setting: {0}")]
    Actors(String),
}

/// The upstream every request goes to.
#[derive(Debug, Clone)]
pub(crate) struct Upstream {
    pub scheme: Scheme,
    pub authority: Authority,
    /// Path prefix without a trailing slash; empty for none.
    pub base_path: String,
}

impl Upstream {
    pub fn parse(url: &str) -> Result<Self, ProxyError> {
        let invalid =
            |problem: &str| ProxyError::InvalidUpstream { url: url.to_string(), problem: problem.to_string() };
        let uri: http::Uri = url.parse().map_err(|_| invalid("expected a URL such as http://127.0.0.1:3000"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(invalid("https upstreams are not supported: give the upstream's plain HTTP address"));
            }
            _ => return Err(invalid("expected a URL starting with http://")),
        }
        let authority = uri.authority().cloned().ok_or_else(|| invalid("missing host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("credentials in the URL are not supported"));
        }
        if uri.query().is_some() {
            return Err(invalid("a query string is not allowed"));
        }
        let base_path = uri.path().trim_end_matches('/').to_string();
        Ok(Self { scheme: Scheme::HTTP, authority, base_path })
    }
}

/// Connection facts every request of a connection shares.
#[derive(Debug)]
pub(crate) struct ConnInfo {
    pub peer: SocketAddr,
    pub local: SocketAddr,
    pub tls: bool,
    /// Framing problems the connection's guard found in raw request heads.
    pub framing: Arc<guard::FramingVerdict>,
    /// The upstream pool of the worker serving the connection.
    pub client: UpstreamClient,
}

/// Client for the upstream, with a connection pool.
pub(crate) type UpstreamClient = Client<HttpConnector, ProxyBody>;

/// Everything a request handler needs, shared by every connection.
pub(crate) struct Context {
    pub config: ProxyConfig,
    pub upstream: Upstream,
    pub rules: RuleHandle,
    pub rate: Mutex<RateState>,
    pub detector: Option<Detector>,
    pub mirror: Arc<dyn MirrorSink>,
    pub metrics: Arc<ProxyMetrics>,
    pub clock: Arc<dyn Clock>,
    pub trusted: Vec<IpNet>,
    pub request_logs: LogLimiter,
}

/// A per-second budget of log lines about individual requests.
pub(crate) struct LogLimiter {
    per_sec: u32,
    second: AtomicU64,
    used: AtomicU32,
}

impl LogLimiter {
    fn new(per_sec: u32) -> Self {
        Self { per_sec, second: AtomicU64::new(0), used: AtomicU32::new(0) }
    }

    /// True when one more line fits in the budget of second `now_ms / 1000`.
    pub fn allow(&self, now_ms: i64) -> bool {
        let second = (now_ms / 1000) as u64;
        if self.second.swap(second, Ordering::Relaxed) != second {
            self.used.store(0, Ordering::Relaxed);
        }
        self.used.fetch_add(1, Ordering::Relaxed) < self.per_sec
    }
}

/// A proxy to be started: configuration, rule source, mirror sink and clock.
pub struct Proxy {
    config: ProxyConfig,
    rules: RuleSource,
    mirror: Arc<dyn MirrorSink>,
    clock: Arc<dyn Clock>,
}

/// Starts a proxy with the system clock; see [`Proxy::start`].
pub async fn run_proxy(
    config: ProxyConfig,
    rules: RuleSource,
    mirror: Arc<dyn MirrorSink>,
) -> Result<RunningProxy, ProxyError> {
    Proxy::new(config, rules, mirror).start().await
}

impl Proxy {
    pub fn new(config: ProxyConfig, rules: RuleSource, mirror: Arc<dyn MirrorSink>) -> Self {
        Self { config, rules, mirror, clock: Arc::new(SystemClock) }
    }

    /// Uses `clock` for rule expiry and rate limits.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the configuration, puts the rules in force (waiting up to
    /// `feed.startup_wait_secs` for the feed's first response), binds the listeners and
    /// serves until [`RunningProxy::shutdown`].
    pub async fn start(self) -> Result<RunningProxy, ProxyError> {
        let config = self.config;
        config.validate()?;
        let listen = config.listen.ok_or(ProxyError::MissingListen)?;
        let upstream = Upstream::parse(config.upstream.as_deref().ok_or(ProxyError::MissingUpstream)?)?;
        let trusted = parse_trusted(&config.actors.trusted_proxies)?;
        let actors = ActorResolver::new(&config.actors, Vec::new()).map_err(|e| ProxyError::Actors(e.to_string()))?;
        let detector = if config.inline_detection.enabled { Some(Detector::new(&config.detection)?) } else { None };
        let tls = config.tls.as_ref().map(tls_acceptor).transpose()?;
        let metrics = Arc::new(ProxyMetrics::default());
        let (shutdown_sender, shutdown) = watch::channel(false);

        // Rules go in force before the first connection is accepted.
        let rules = match self.rules {
            RuleSource::Static(list) => {
                let compiled = RuleSet::compile(&list, &config.rules)?;
                metrics.set_rules_loaded(compiled.len());
                RuleHandle::new(ActiveRules {
                    rules: Arc::new(compiled),
                    version: None,
                    state: FeedState::Current,
                    actors: Arc::new(actors),
                })
            }
            RuleSource::Handle(handle) => handle,
            RuleSource::Feed(client) => {
                let handle = RuleHandle::new(ActiveRules {
                    rules: Arc::new(RuleSet::empty()),
                    version: None,
                    state: FeedState::Stale,
                    actors: Arc::new(actors),
                });
                let startup_wait = Duration::from_secs(client.settings().startup_wait_secs);
                let context = crate::feed::client::FeedContext {
                    limits: config.rules.clone(),
                    actors: config.actors.clone(),
                    metrics: metrics.clone(),
                };
                let (first_sender, first_answer) = oneshot::channel();
                tokio::spawn(client.run(handle.clone(), context, first_sender, shutdown.clone()));
                if tokio::time::timeout(startup_wait, first_answer).await.is_err() {
                    tracing::warn!("rule feed did not respond at start-up; serving with the rules in force");
                }
                handle
            }
        };

        let workers = match config.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let (sockets, local_addr) = bind_sockets(listen, workers)?;
        let metrics_addr = match config.metrics_listen {
            Some(address) => {
                let metrics_listener =
                    TcpListener::bind(address).await.map_err(|reason| ProxyError::Bind { address, reason })?;
                let bound = metrics_listener.local_addr().map_err(|reason| ProxyError::Bind { address, reason })?;
                tokio::spawn(serve_metrics(
                    metrics_listener,
                    metrics.clone(),
                    self.mirror.clone(),
                    rules.clone(),
                    shutdown.clone(),
                ));
                Some(bound)
            }
            None => None,
        };

        let context = Arc::new(Context {
            rate: Mutex::new(RateState::new(config.max_rate_keys)),
            request_logs: LogLimiter::new(config.max_request_logs_per_sec),
            config,
            upstream,
            rules: rules.clone(),
            detector,
            mirror: self.mirror,
            metrics: metrics.clone(),
            clock: self.clock,
            trusted,
        });
        let permits = Arc::new(Semaphore::new(context.config.limits.max_connections));
        let mut stopped = Vec::with_capacity(sockets.len());
        for (index, socket) in sockets.into_iter().enumerate() {
            let (done, finished) = oneshot::channel();
            let worker = Worker {
                context: context.clone(),
                client: upstream_client(&context.config),
                tls: tls.clone(),
                permits: permits.clone(),
            };
            let shutdown = shutdown.clone();
            let (listening, ready) = oneshot::channel();
            std::thread::Builder::new()
                .name(format!("palisade-proxy-{index}"))
                .spawn(move || {
                    worker.run(socket, listening, shutdown);
                    let _ = done.send(());
                })
                .map_err(|reason| ProxyError::Worker { reason })?;
            // Every socket listens before start returns, so no connection is refused.
            let listened = ready.await.unwrap_or_else(|_| Err(std::io::Error::other("proxy worker stopped")));
            listened.map_err(|reason| ProxyError::Bind { address: local_addr, reason })?;
            stopped.push(finished);
        }
        tracing::info!(listen = %local_addr, upstream = %context.config.upstream.as_deref().unwrap_or(""), tls = tls.is_some(), workers, "palisade proxy started");
        let task = tokio::spawn(async move {
            for finished in stopped {
                let _ = finished.await;
            }
            tracing::info!("palisade proxy stopped");
        });
        Ok(RunningProxy { local_addr, metrics_addr, rules, metrics, shutdown: shutdown_sender, task })
    }
}

/// A proxy started by [`Proxy::start`] or [`run_proxy`].
pub struct RunningProxy {
    pub local_addr: SocketAddr,
    pub metrics_addr: Option<SocketAddr>,
    /// The rules in force; replace them through it with [`RuleSource::Handle`].
    pub rules: RuleHandle,
    pub metrics: Arc<ProxyMetrics>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningProxy {
    /// Stops accepting connections, lets running requests finish within
    /// `limits.shutdown_grace_secs`, and waits.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "proxy task failed");
        }
    }
}

fn parse_trusted(list: &[String]) -> Result<Vec<IpNet>, ProxyError> {
    list.iter()
        .map(|text| {
            text.parse::<IpNet>().or_else(|_| text.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                ProxyError::Actors(format!("invalid trusted proxy {text:?}: expected an IP address or CIDR range"))
            })
        })
        .collect()
}

fn upstream_client(config: &ProxyConfig) -> UpstreamClient {
    let limits = &config.limits;
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(Duration::from_secs(limits.upstream_connect_timeout_secs)));
    connector.set_nodelay(true);
    connector.enforce_http(true);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(limits.upstream_idle_timeout_secs))
        .pool_max_idle_per_host(limits.max_idle_upstream_connections)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(connector)
}

fn tls_acceptor(tls: &TlsConfig) -> Result<TlsAcceptor, ProxyError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(&tls.cert_path).and_then(|iter| iter.collect::<Result<Vec<_>, _>>()).map_err(
            |error| ProxyError::Tls(format!("cannot read certificates from {}: {error}", tls.cert_path.display())),
        )?;
    if certs.is_empty() {
        return Err(ProxyError::Tls(format!("no certificate in {}", tls.cert_path.display())));
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key_path).map_err(|error| {
        ProxyError::Tls(format!("cannot read a private key from {}: {error}", tls.key_path.display()))
    })?;

    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| ProxyError::Tls(error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| ProxyError::Tls(format!("certificate and key do not fit together: {error}")))?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(server)))
}

fn connection_builder(config: &ProxyConfig) -> auto::Builder<TokioExecutor> {
    let limits = &config.limits;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    let mut http1 = builder.http1();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.client_header_timeout_secs))
        .max_buf_size(limits.max_header_bytes)
        .keep_alive(true);
    // hyper keeps 100 header slots on the stack; another count costs a heap allocation
    // per request, so the default is left alone.
    if limits.max_headers != 100 {
        http1.max_headers(limits.max_headers);
    }
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_concurrent_streams)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .keep_alive_interval(Duration::from_secs(limits.client_header_timeout_secs.max(10)))
        .keep_alive_timeout(Duration::from_secs(limits.client_header_timeout_secs.max(10)));
    builder
}

/// Binds `workers` sockets to `listen` with `SO_REUSEPORT`, the first one choosing the
/// port when `listen` has port 0. Returns them with the address they share.
fn bind_sockets(listen: SocketAddr, workers: usize) -> Result<(Vec<TcpSocket>, SocketAddr), ProxyError> {
    let bind = |address: SocketAddr, reuse_port: bool| -> std::io::Result<TcpSocket> {
        let socket = if address.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        #[cfg(unix)]
        socket.set_reuseport(reuse_port)?;
        socket.bind(address)?;
        Ok(socket)
    };
    // A socket without SO_REUSEPORT binds the address first, so that another process
    // listening there makes this start fail instead of silently sharing the port.
    let local_addr = bind(listen, false)
        .and_then(|probe| probe.local_addr())
        .map_err(|reason| ProxyError::Bind { address: listen, reason })?;

    // Without SO_REUSEPORT a second socket cannot share the address, so one worker serves.
    let count = if cfg!(unix) { workers.max(1) } else { 1 };
    let sockets = (0..count)
        .map(|_| bind(local_addr, true))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|reason| ProxyError::Bind { address: local_addr, reason })?;
    Ok((sockets, local_addr))
}

/// Pending connections the kernel queues per listening socket.
const LISTEN_BACKLOG: u32 = 1024;

/// One event loop: a single-threaded runtime that accepts on its own socket and forwards
/// through its own upstream pool, so a request never wakes a task on another thread.
struct Worker {
    context: Arc<Context>,
    client: UpstreamClient,
    tls: Option<TlsAcceptor>,
    /// Client connection slots, shared by every worker.
    permits: Arc<Semaphore>,
}

impl Worker {
    /// Serves on the calling thread until `shutdown` turns true or its sender is dropped.
    /// Reports on `listening` whether the socket listens.
    fn run(self, socket: TcpSocket, listening: oneshot::Sender<std::io::Result<()>>, shutdown: watch::Receiver<bool>) {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(error) => {
                let _ = listening.send(Err(error));
                return;
            }
        };
        runtime.block_on(async move {
            match socket.listen(LISTEN_BACKLOG) {
                Ok(listener) => {
                    let _ = listening.send(Ok(()));
                    self.accept_loop(listener, shutdown).await;
                }
                Err(error) => {
                    let _ = listening.send(Err(error));
                }
            }
        });
    }

    async fn accept_loop(self, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
        let Worker { context, client, tls, permits } = self;
        let builder = Arc::new(connection_builder(&context.config));
        let graceful = GracefulShutdown::new();
        let handshake_timeout = Duration::from_secs(context.config.limits.tls_handshake_timeout_secs);

        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors or similar: pause instead of spinning.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = shutdown.changed() => break,
            };
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                context.metrics.connection_rejected();
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let local = stream.local_addr().unwrap_or(peer);
            let framing = Arc::new(guard::FramingVerdict::default());
            let info = Arc::new(ConnInfo {
                peer,
                local,
                tls: tls.is_some(),
                framing: framing.clone(),
                client: client.clone(),
            });
            let (max_head_bytes, max_headers) =
                (context.config.limits.max_header_bytes, context.config.limits.max_headers);
            let service_context = context.clone();
            let service = service_fn(move |request| handler::handle(service_context.clone(), info.clone(), request));
            let watcher = graceful.watcher();
            let builder = builder.clone();
            let tls = tls.clone();
            let metrics = context.metrics.clone();

            tokio::spawn(async move {
                let _permit = permit;
                metrics.connection_opened();
                let result = match tls {
                    None => {
                        let guarded = guard::Guarded::new(stream, framing, max_head_bytes, max_headers);
                        watcher.watch(builder.serve_connection(TokioIo::new(guarded), service).into_owned()).await
                    }
                    Some(acceptor) => match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => {
                            let guarded = guard::Guarded::new(tls_stream, framing, max_head_bytes, max_headers);
                            watcher.watch(builder.serve_connection(TokioIo::new(guarded), service).into_owned()).await
                        }
                        Ok(Err(error)) => {
                            tracing::debug!(%error, %peer, "TLS handshake failed");
                            metrics.tls_handshake_failed();
                            Ok(())
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            metrics.tls_handshake_failed();
                            Ok(())
                        }
                    },
                };
                if let Err(error) = result {
                    tracing::debug!(%error, %peer, "client connection ended with an error");
                }
                metrics.connection_closed();
            });
        }

        drop(listener);
        let grace = Duration::from_secs(context.config.limits.shutdown_grace_secs);
        tokio::select! {
            _ = graceful.shutdown() => tracing::debug!("proxy worker stopped"),
            _ = tokio::time::sleep(grace) => tracing::warn!("palisade proxy stopped with requests still running after the shutdown grace time"),
        }
    }
}

/// Serves `GET /metrics` on its own listener.
async fn serve_metrics(
    listener: TcpListener,
    metrics: Arc<ProxyMetrics>,
    mirror: Arc<dyn MirrorSink>,
    rules: RuleHandle,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let metrics = metrics.clone();
        let mirror = mirror.clone();
        let rules = rules.clone();
        let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let metrics = metrics.clone();
            let mirror = mirror.clone();
            // Rules handed in by the server change without the feed, so count them here.
            metrics.set_rules_loaded(rules.current().rules.len());
            async move {
                let response = if request.uri().path() == "/metrics" && request.method() == http::Method::GET {
                    http::Response::builder()
                        .header(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")
                        .body(body::full(metrics.render(&mirror.stats())))
                } else {
                    http::Response::builder().status(http::StatusCode::NOT_FOUND).body(body::full("not found\n"))
                };
                Ok::<_, std::convert::Infallible>(response.unwrap_or_else(|_| http::Response::new(body::full(""))))
            }
        });
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service);
            let _ = connection.await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_parse_cases() {
        let upstream = Upstream::parse("http://127.0.0.1:3000/api/").unwrap();
        assert_eq!(upstream.authority.as_str(), "127.0.0.1:3000");
        assert_eq!(upstream.base_path, "/api");
        assert_eq!(Upstream::parse("http://localhost:3000").unwrap().base_path, "");

        for (url, expected) in [
            ("https://x", "https upstreams are not supported"),
            ("ftp://x", "http://"),
            ("http://u:p@x", "credentials"),
            ("http://x/?a=1", "query string"),
            ("not a url", "expected a URL"),
        ] {
            let error = Upstream::parse(url).unwrap_err().to_string();
            assert!(error.contains(expected), "{url}: {error}");
        }
    }

    #[test]
    fn log_limiter_resets_each_second() {
        let limiter = LogLimiter::new(2);
        assert!(limiter.allow(1_000));
        assert!(limiter.allow(1_500));
        assert!(!limiter.allow(1_999));
        assert!(limiter.allow(2_000));
    }
}
