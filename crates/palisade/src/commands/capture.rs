//! `palisade capture`: a live agent that captures HTTP traffic from a network interface
//! with libpcap, or receives mirrored traffic as VXLAN on a UDP socket, and sends the
//! traces to a Palisade server in batches (or prints them as JSON Lines).
//!
//! Capture never waits for the network: traces go through a bounded queue to a sender
//! thread, and traces that do not fit, or whose batch the server keeps rejecting, are
//! dropped and counted.

use std::io::Write;
use std::net::{IpAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::Args;
use palisade_capture::{CaptureConfig, CaptureDecoder, CaptureStats};
use palisade_core::Trace;
use palisade_ingest::TraceDecodeError;

use super::load_config;
use crate::EXIT_OK;
use crate::cli::Cli;
use crate::output::count;

/// Attempts to send one batch before it is dropped; capture cannot wait longer.
const MAX_SEND_ATTEMPTS: u32 = 3;
/// How long a read waits for a packet before the loop checks timers and the stop flag.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Pause of the libpcap loop when no packet is waiting.
#[cfg(feature = "live-capture")]
const IDLE_SLEEP: Duration = Duration::from_millis(10);

#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Network interface to capture on with libpcap, such as eth0 or lo.
    #[arg(long, short = 'i', required_unless_present = "vxlan_port", conflicts_with = "vxlan_port")]
    pub interface: Option<String>,

    /// BPF filter applied by libpcap, such as "tcp port 80 or tcp port 8080".
    #[arg(long, requires = "interface")]
    pub filter: Option<String>,

    /// Receive mirrored traffic as VXLAN on this UDP port instead of capturing, without
    /// libpcap (AWS VPC Traffic Mirroring sends to port 4789).
    #[arg(long)]
    pub vxlan_port: Option<u16>,

    /// Address the VXLAN socket listens on.
    #[arg(long, default_value = "0.0.0.0", requires = "vxlan_port")]
    pub vxlan_listen: IpAddr,

    /// Palisade server to send traces to, such as http://127.0.0.1:7480. Without it, traces
    /// are written to standard output as JSON Lines.
    #[arg(long, env = "PALISADE_SERVER", requires = "key")]
    pub server: Option<String>,

    /// Ingest key for --server, sent as `Authorization: Bearer KEY`.
    #[arg(long, env = "PALISADE_KEY")]
    pub key: Option<String>,

    /// Traces per request to the server.
    #[arg(long, default_value_t = 200)]
    pub batch_size: usize,

    /// Seconds a trace waits at most before its batch is sent.
    #[arg(long, default_value_t = 2)]
    pub flush_interval_secs: u64,

    /// Traces waiting to be sent; traces beyond it are dropped and counted.
    #[arg(long, default_value_t = 10_000)]
    pub queue_size: usize,

    /// Seconds between counter lines on standard error (0: only at exit).
    #[arg(long, default_value_t = 10)]
    pub stats_interval_secs: u64,

    /// Stop after this many seconds instead of running until interrupted.
    #[arg(long)]
    pub duration_secs: Option<u64>,

    /// Bytes of each packet captured by libpcap.
    #[arg(long, default_value_t = 262_144)]
    pub snap_len: i32,

    /// Capture settings as YAML (memory budget, timeouts, TLS and tunnel ports), see
    /// docs/capture.md; defaults apply to settings left out.
    #[arg(long)]
    pub capture_config: Option<PathBuf>,
}

/// Counts shared between the capture loop and the sender thread.
#[derive(Default)]
struct SendCounters {
    sent: AtomicU64,
    dropped_queue_full: AtomicU64,
    dropped_send_failed: AtomicU64,
    rejected: AtomicU64,
}

pub fn run(cli: &Cli, args: &CaptureArgs) -> Result<u8> {
    let config = load_config(cli)?;
    let capture_config = load_capture_config(args.capture_config.as_ref())?;
    let stop = Arc::new(AtomicBool::new(false));
    watch_interrupt(Arc::clone(&stop));

    let counters = Arc::new(SendCounters::default());
    let mut output = Output::start(args, Arc::clone(&counters))?;
    let mut decoder = CaptureDecoder::new(capture_config, config.limits.clone());
    let mut deliver = |result: Result<Trace, TraceDecodeError>| match result {
        Ok(trace) => output.push(trace),
        Err(error) => {
            counters.rejected.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%error, "captured trace rejected");
        }
    };

    let mut ticker = Ticker::new(args);
    let outcome = match (&args.interface, args.vxlan_port) {
        (Some(interface), _) => run_libpcap(interface, args, &mut decoder, &mut deliver, &stop, &mut ticker, &counters),
        (None, Some(port)) => {
            run_vxlan(args.vxlan_listen, port, &mut decoder, &mut deliver, &stop, &mut ticker, &counters)
        }
        (None, None) => bail!("pass --interface or --vxlan-port"),
    };

    decoder.finish(&mut deliver);
    output.finish();
    eprintln!("{}", counter_line(&decoder.stats(), &counters, None));
    outcome?;
    Ok(EXIT_OK)
}

fn load_capture_config(path: Option<&PathBuf>) -> Result<CaptureConfig> {
    let Some(path) = path else {
        return Ok(CaptureConfig::default());
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_saphyr::from_str(&text).with_context(|| format!("invalid capture settings in {}", path.display()))
}

/// Sets `stop` on Ctrl-C or SIGTERM.
fn watch_interrupt(stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return;
        };
        runtime.block_on(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut terminate) = signal(SignalKind::terminate()) else {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
        });
        stop.store(true, Ordering::Relaxed);
    });
}

/// Timers of the capture loop: the periodic counter line and the optional deadline.
struct Ticker {
    started: Instant,
    deadline: Option<Instant>,
    stats_every: Option<Duration>,
    next_stats: Instant,
}

impl Ticker {
    fn new(args: &CaptureArgs) -> Self {
        let started = Instant::now();
        let stats_every = (args.stats_interval_secs > 0).then(|| Duration::from_secs(args.stats_interval_secs));
        Self {
            started,
            deadline: args.duration_secs.map(|secs| started + Duration::from_secs(secs)),
            stats_every,
            next_stats: started + stats_every.unwrap_or(Duration::MAX / 4),
        }
    }

    /// True when the loop should stop.
    fn done(&self, stop: &AtomicBool) -> bool {
        stop.load(Ordering::Relaxed) || self.deadline.is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Prints the counter line when it is due.
    fn report(&mut self, stats: &CaptureStats, counters: &SendCounters, kernel: Option<(u32, u32)>) {
        let Some(every) = self.stats_every else {
            return;
        };
        if Instant::now() < self.next_stats {
            return;
        }
        self.next_stats += every;
        let elapsed = self.started.elapsed().as_secs();
        eprintln!("[{elapsed}s] {}", counter_line(stats, counters, kernel));
    }
}

fn counter_line(stats: &CaptureStats, counters: &SendCounters, kernel: Option<(u32, u32)>) -> String {
    let mut line = format!(
        "packets {}, bytes {}, connections {}, traces {}, sent {}; dropped: {} queue full, {} send failed, {} rejected",
        stats.packets,
        stats.bytes,
        stats.connections,
        stats.traces,
        counters.sent.load(Ordering::Relaxed),
        counters.dropped_queue_full.load(Ordering::Relaxed),
        counters.dropped_send_failed.load(Ordering::Relaxed),
        counters.rejected.load(Ordering::Relaxed),
    );
    if let Some((dropped, interface_dropped)) = kernel {
        line.push_str(&format!(", {dropped} by the kernel, {interface_dropped} by the interface"));
    }
    line.push_str(&format!(
        "; skipped connections: {} TLS, {} not HTTP; {}, {}",
        stats.tls_connections,
        stats.non_http_connections,
        count(stats.gaps, "gap"),
        count(stats.evicted_connections, "evicted connection")
    ));
    line
}

fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
}

type Deliver<'a> = dyn FnMut(Result<Trace, TraceDecodeError>) + 'a;

#[cfg(feature = "live-capture")]
fn run_libpcap(
    interface: &str,
    args: &CaptureArgs,
    decoder: &mut CaptureDecoder,
    deliver: &mut Deliver<'_>,
    stop: &AtomicBool,
    ticker: &mut Ticker,
    counters: &SendCounters,
) -> Result<()> {
    use palisade_capture::{LinkType, Packet};

    let device = pcap::Capture::from_device(interface).with_context(|| format!("unknown interface {interface:?}"))?;
    let mut capture = device
        .promisc(true)
        .snaplen(args.snap_len)
        .timeout(POLL_INTERVAL.as_millis() as i32)
        .immediate_mode(true)
        .buffer_size(32 * 1024 * 1024)
        .open()
        .with_context(|| format!("cannot capture on {interface:?}: run as root or grant CAP_NET_RAW"))?
        // In immediate mode a blocking read may wait for a packet past its timeout, so the
        // loop polls and sleeps briefly when nothing is waiting.
        .setnonblock()
        .context("cannot switch the capture to non-blocking mode")?;
    if let Some(filter) = &args.filter {
        capture.filter(filter, true).with_context(|| format!("invalid BPF filter {filter:?}"))?;
    }
    let link_type = LinkType(capture.get_datalink().0 as u32);
    tracing::info!(interface, link_type = link_type.0, "capture started");

    while !ticker.done(stop) {
        match capture.next_packet() {
            Ok(packet) => {
                let timestamp_ns = packet.header.ts.tv_sec * 1_000_000_000 + packet.header.ts.tv_usec * 1000;
                let packet = Packet { timestamp_ns, link_type, data: packet.data, original_len: packet.header.len };
                decoder.push_packet(&packet, deliver);
            }
            Err(pcap::Error::TimeoutExpired) => {
                std::thread::sleep(IDLE_SLEEP);
                decoder.expire(now_ns(), deliver);
            }
            Err(error) => return Err(error).context("capture failed"),
        }
        let kernel = capture.stats().ok().map(|s| (s.dropped, s.if_dropped));
        ticker.report(&decoder.stats(), counters, kernel);
    }
    tracing::info!(interface, "capture stopped");
    Ok(())
}

#[cfg(not(feature = "live-capture"))]
fn run_libpcap(
    _interface: &str,
    _args: &CaptureArgs,
    _decoder: &mut CaptureDecoder,
    _deliver: &mut Deliver<'_>,
    _stop: &AtomicBool,
    _ticker: &mut Ticker,
    _counters: &SendCounters,
) -> Result<()> {
    bail!("this build has no libpcap support (feature live-capture): use --vxlan-port, or rebuild with the feature")
}

fn run_vxlan(
    listen: IpAddr,
    port: u16,
    decoder: &mut CaptureDecoder,
    deliver: &mut Deliver<'_>,
    stop: &AtomicBool,
    ticker: &mut Ticker,
    counters: &SendCounters,
) -> Result<()> {
    let socket = UdpSocket::bind((listen, port)).with_context(|| format!("cannot listen on UDP {listen}:{port}"))?;
    socket.set_read_timeout(Some(POLL_INTERVAL))?;
    tracing::info!(%listen, port, "VXLAN receiver started");
    // The largest UDP payload.
    let mut buffer = vec![0u8; 65_535];
    while !ticker.done(stop) {
        match socket.recv(&mut buffer) {
            Ok(length) => decoder.push_vxlan_payload(now_ns(), &buffer[..length], deliver),
            Err(error) if matches!(error.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                decoder.expire(now_ns(), deliver);
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error).context("VXLAN receive failed"),
        }
        ticker.report(&decoder.stats(), counters, None);
    }
    tracing::info!(%listen, port, "VXLAN receiver stopped");
    Ok(())
}

/// Destination of traces: a sender thread for --server, else standard output.
enum Output {
    Server { queue: Option<SyncSender<Trace>>, thread: Option<JoinHandle<()>>, counters: Arc<SendCounters> },
    Stdout(std::io::LineWriter<std::io::Stdout>),
}

impl Output {
    fn start(args: &CaptureArgs, counters: Arc<SendCounters>) -> Result<Self> {
        let Some(server) = &args.server else {
            return Ok(Output::Stdout(std::io::LineWriter::new(std::io::stdout())));
        };
        let base = server.trim_end_matches('/');
        if !base.starts_with("http://") {
            bail!("invalid --server {server:?}: expected an http:// URL such as http://127.0.0.1:7480");
        }
        let sender = Sender {
            url: format!("{base}/api/v1/traces"),
            key: args.key.clone().unwrap_or_default(),
            batch_size: args.batch_size.max(1),
            flush_interval: Duration::from_secs(args.flush_interval_secs.max(1)),
            counters: Arc::clone(&counters),
        };
        let (queue, receiver) = mpsc::sync_channel(args.queue_size.max(1));
        let thread = std::thread::Builder::new()
            .name("trace-sender".into())
            .spawn(move || sender.run(receiver))
            .context("cannot start the sender thread")?;
        Ok(Output::Server { queue: Some(queue), thread: Some(thread), counters })
    }

    fn push(&mut self, trace: Trace) {
        match self {
            Output::Server { queue: Some(queue), counters, .. } => match queue.try_send(trace) {
                Ok(()) => {}
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                    counters.dropped_queue_full.fetch_add(1, Ordering::Relaxed);
                }
            },
            Output::Server { queue: None, .. } => {}
            Output::Stdout(writer) => {
                let line = palisade_ingest::native::encode(&trace).to_string();
                // A closed standard output (a pipe whose reader exited) stops nothing else.
                let _ = writeln!(writer, "{line}");
            }
        }
    }

    /// Sends what is queued and waits for the sender thread.
    fn finish(&mut self) {
        match self {
            Output::Server { queue, thread, .. } => {
                drop(queue.take());
                if let Some(thread) = thread.take() {
                    let _ = thread.join();
                }
            }
            Output::Stdout(writer) => {
                let _ = writer.flush();
            }
        }
    }
}

/// Batches traces and posts them to `POST /api/v1/traces` in the native JSON format.
struct Sender {
    url: String,
    key: String,
    batch_size: usize,
    flush_interval: Duration,
    counters: Arc<SendCounters>,
}

impl Sender {
    fn run(self, receiver: Receiver<Trace>) {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(error) => {
                tracing::error!(%error, "cannot start the sender runtime");
                return;
            }
        };
        // The client and its requests need the runtime's reactor and timer.
        let _context = runtime.enter();
        let client = match reqwest::Client::builder().timeout(Duration::from_secs(30)).build() {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "cannot build the HTTP client");
                return;
            }
        };

        let mut batch: Vec<serde_json::Value> = Vec::new();
        let mut oldest: Option<Instant> = None;
        loop {
            let wait = match oldest {
                Some(oldest) => self.flush_interval.saturating_sub(oldest.elapsed()),
                None => self.flush_interval,
            };
            match receiver.recv_timeout(wait) {
                Ok(trace) => {
                    batch.push(palisade_ingest::native::encode(&trace));
                    oldest.get_or_insert_with(Instant::now);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.send(&runtime, &client, &mut batch);
                    return;
                }
            }
            let due = oldest.is_some_and(|oldest| oldest.elapsed() >= self.flush_interval);
            if batch.len() >= self.batch_size || due {
                self.send(&runtime, &client, &mut batch);
                oldest = None;
            }
        }
    }

    fn send(&self, runtime: &tokio::runtime::Runtime, client: &reqwest::Client, batch: &mut Vec<serde_json::Value>) {
        if batch.is_empty() {
            return;
        }
        let count = batch.len() as u64;
        let body = match serde_json::to_vec(&*batch) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, "cannot encode traces");
                batch.clear();
                return;
            }
        };
        batch.clear();

        for attempt in 1..=MAX_SEND_ATTEMPTS {
            let request = client
                .post(&self.url)
                .header("authorization", format!("Bearer {}", self.key))
                .header("content-type", "application/json")
                .body(body.clone());
            let wait = match runtime.block_on(async { request.send().await }) {
                Ok(response) if response.status().is_success() => {
                    self.counters.sent.fetch_add(count, Ordering::Relaxed);
                    return;
                }
                Ok(response) if response.status().as_u16() == 429 => {
                    let seconds = response
                        .headers()
                        .get("retry-after")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.parse::<u64>().ok())
                        .unwrap_or(1);
                    tracing::warn!(url = %self.url, attempt, seconds, "server is overloaded, retrying");
                    Duration::from_secs(seconds.min(10))
                }
                Ok(response) => {
                    tracing::warn!(url = %self.url, status = %response.status(), count, "server rejected a batch");
                    break;
                }
                Err(error) => {
                    // The alternate form adds the causes, such as "Connection refused".
                    let error = format!("{:#}", anyhow::Error::new(error));
                    tracing::warn!(url = %self.url, %error, attempt, "cannot send traces, retrying");
                    Duration::from_secs(1)
                }
            };
            if attempt < MAX_SEND_ATTEMPTS {
                std::thread::sleep(wait);
            }
        }
        self.counters.dropped_send_failed.fetch_add(count, Ordering::Relaxed);
    }
}
