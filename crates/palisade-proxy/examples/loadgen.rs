//! An open-loop HTTP/1.1 load generator for `scripts/bench-proxy.sh`: sends GET requests
//! at a fixed total rate over keep-alive connections and prints latency percentiles as
//! JSON. Unlike wrk, the rate does not fall when responses slow down, so latency is
//! measured at a chosen load.
//!
//! Usage: `loadgen URL RATE_PER_SEC DURATION_SECS CONNECTIONS`, with URL such as
//! `http://127.0.0.1:8080/users/42`. Only 127.0.0.1 targets are meant.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: loadgen URL RATE_PER_SEC DURATION_SECS CONNECTIONS");
        std::process::exit(2);
    }
    let uri: http::Uri = args[1].parse().expect("URL");
    let rate: f64 = args[2].parse().expect("RATE_PER_SEC");
    let duration = Duration::from_secs(args[3].parse().expect("DURATION_SECS"));
    let connections: usize = args[4].parse().expect("CONNECTIONS");
    let authority = uri.authority().expect("URL with host and port").to_string();

    // Each connection sends every `interval`, offset so the total rate is even.
    let interval = Duration::from_secs_f64(connections as f64 / rate);
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let mut tasks = Vec::new();
    for index in 0..connections {
        let uri = uri.clone();
        let authority = authority.clone();
        let first = start + interval.mul_f64(index as f64 / connections as f64);
        tasks.push(tokio::spawn(async move { run_connection(uri, authority, first, interval, duration).await }));
    }

    let mut latencies_us: Vec<u64> = Vec::new();
    let mut errors = 0u64;
    for task in tasks {
        let (latencies, failed) = task.await.expect("connection task");
        latencies_us.extend(latencies);
        errors += failed;
    }
    latencies_us.sort_unstable();
    let percentile = |p: f64| -> u64 {
        if latencies_us.is_empty() {
            return 0;
        }
        let rank = ((p / 100.0) * latencies_us.len() as f64).ceil() as usize;
        latencies_us[rank.clamp(1, latencies_us.len()) - 1]
    };
    let report = serde_json::json!({
        "target_rps": rate,
        "achieved_rps": latencies_us.len() as f64 / duration.as_secs_f64(),
        "requests": latencies_us.len(),
        "errors": errors,
        "p50_us": percentile(50.0),
        "p90_us": percentile(90.0),
        "p99_us": percentile(99.0),
        "max_us": latencies_us.last().copied().unwrap_or(0),
    });
    println!("{report}");
}

/// Sends on one keep-alive connection until `duration` has passed; returns the latency
/// of each answered request in microseconds and the count of failures.
async fn run_connection(
    uri: http::Uri,
    authority: String,
    first: tokio::time::Instant,
    interval: Duration,
    duration: Duration,
) -> (Vec<u64>, u64) {
    let end = first + duration;
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut sender = None;
    let mut next = first;
    while next < end {
        tokio::time::sleep_until(next).await;
        next += interval;
        if sender.is_none() {
            sender = connect(&authority).await;
        }
        let Some(open) = sender.as_mut() else {
            errors += 1;
            continue;
        };
        let request = http::Request::builder()
            .uri(uri.path_and_query().map_or("/", |pq| pq.as_str()))
            .header(http::header::HOST, authority.as_str())
            .header(http::header::USER_AGENT, "palisade-loadgen")
            .body(Empty::<Bytes>::new())
            .expect("request");
        let sent = Instant::now();
        let answered = match open.send_request(request).await {
            Ok(response) => response.into_body().collect().await.is_ok(),
            Err(_) => false,
        };
        if answered {
            latencies.push(sent.elapsed().as_micros() as u64);
        } else {
            errors += 1;
            sender = None;
        }
    }
    (latencies, errors)
}

async fn connect(authority: &str) -> Option<hyper::client::conn::http1::SendRequest<Empty<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(authority).await.ok()?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.ok()?;
    tokio::spawn(connection);
    Some(sender)
}
