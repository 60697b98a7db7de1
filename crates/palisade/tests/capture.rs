//! `palisade ingest` on capture files and `palisade capture` receiving VXLAN or capturing
//! on the loopback interface. Every packet and request goes to 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use palisade_capture::synth::{self, Connection, Link};
use serde_json::Value;

fn capture_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../palisade-capture/tests/fixtures")
}

fn palisade(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_palisade"));
    command.arg("--data-dir").arg(data_dir).env_remove("PALISADE_CONFIG").env_remove("PALISADE_SERVER");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("palisade runs")
}

#[test]
fn ingest_reads_pcap_and_pcapng() {
    let data_dir = tempfile::tempdir().unwrap();
    for name in ["lo-ethernet.pcap", "lo-dumpcap.pcapng"] {
        let output = run(palisade(data_dir.path()).arg("ingest").arg("--quiet").arg(capture_fixtures().join(name)));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{name}: {stderr}");
        assert!(stdout.contains("Imported 9 traces from 1 file"), "{name}: {stdout}");
        assert!(stderr.contains("9 traces (0 without response)"), "{name}: {stderr}");
    }
}

#[test]
fn ingest_reports_truncated_capture() {
    let data_dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(capture_fixtures().join("lo-ethernet.pcap")).unwrap();
    let cut = data_dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 30]).unwrap();
    let output = run(palisade(data_dir.path()).arg("ingest").arg("--quiet").arg(&cut));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the file is truncated"), "{stderr}");
    // The cut falls in the last packet, a closing ACK, so every exchange was read before
    // the error.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Imported 9 traces"), "{stdout}");
}

/// Builds the VXLAN payloads of one keep-alive connection with two exchanges.
fn vxlan_payloads() -> Vec<Vec<u8>> {
    let client: SocketAddr = "10.0.0.1:40000".parse().unwrap();
    let server: SocketAddr = "10.0.0.2:8080".parse().unwrap();
    let mut connection = Connection::new(client, server, 1, 2, 1_700_000_000_000_000_000);
    let mut segments = connection.handshake();
    segments.extend(connection.exchange(
        b"GET /api/mirror/1?x=2 HTTP/1.1\r\nHost: mirror.test\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"a\":1}\n",
    ));
    segments.extend(connection.exchange(
        b"POST /api/mirror HTTP/1.1\r\nHost: mirror.test\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
    ));
    segments.extend(connection.close());
    segments
        .iter()
        .map(|segment| {
            // A VXLAN frame is an outer Ethernet, IPv4 and UDP header, then the VXLAN
            // header: the UDP payload starts 14 + 20 + 8 bytes in.
            let frame = Link::Vxlan.frame(&synth::ip_packet(segment));
            frame[42..].to_vec()
        })
        .collect()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn_vxlan_capture(port: u16, extra: &[&str]) -> (Child, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().unwrap();
    let child = palisade(data_dir.path())
        .args(["capture", "--vxlan-port", &port.to_string(), "--vxlan-listen", "127.0.0.1"])
        .args(["--duration-secs", "3", "--stats-interval-secs", "0", "--flush-interval-secs", "1"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, data_dir)
}

fn send_vxlan(port: u16) {
    // Gives the receiver time to bind its socket.
    std::thread::sleep(Duration::from_millis(800));
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    for payload in vxlan_payloads() {
        socket.send_to(&payload, ("127.0.0.1", port)).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn capture_vxlan_writes_json_lines() {
    let port = free_udp_port();
    let (child, _data_dir) = spawn_vxlan_capture(port, &[]);
    send_vxlan(port);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let traces: Vec<Value> =
        String::from_utf8_lossy(&output.stdout).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(traces.len(), 2, "{stderr}");
    assert_eq!(traces[0]["request"]["url"], "http://mirror.test/api/mirror/1?x=2");
    assert_eq!(traces[0]["response"]["status"], 200);
    assert_eq!(traces[1]["request"]["method"], "POST");
    assert_eq!(traces[1]["meta"]["client"]["address"], "10.0.0.1");
    assert!(stderr.contains("traces 2"), "{stderr}");
}

/// Starts a one-request HTTP server that hands back the request's head and body.
fn one_shot_server() -> (SocketAddr, mpsc::Receiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            head.push_str(&line);
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let length = head
            .lines()
            .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
            .and_then(|value| value.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).unwrap();
        let mut stream = reader.into_inner();
        stream.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}").unwrap();
        sender.send((head, body)).unwrap();
    });
    (address, receiver)
}

#[test]
fn capture_vxlan_sends_batches_to_server() {
    let (server, received) = one_shot_server();
    let port = free_udp_port();
    let url = format!("http://{server}");
    let (child, _data_dir) = spawn_vxlan_capture(port, &["--server", &url, "--key", "ingest-secret"]);
    send_vxlan(port);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let Ok((head, body)) = received.recv_timeout(Duration::from_secs(5)) else {
        panic!("no batch arrived: {stderr}");
    };
    assert!(head.starts_with("POST /api/v1/traces HTTP/1.1\r\n"), "{head}");
    assert!(head.to_ascii_lowercase().contains("authorization: bearer ingest-secret\r\n"), "{head}");
    let batch: Value = serde_json::from_slice(&body).unwrap();
    let batch = batch.as_array().unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(batch[1]["request"]["url"], "http://mirror.test/api/mirror");
    assert!(stderr.contains("sent 2"), "{stderr}");
}

#[cfg(feature = "live-capture")]
#[test]
fn capture_on_loopback_with_libpcap() {
    let is_root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    if !is_root {
        eprintln!("skipping: capturing on lo needs root");
        return;
    }

    // A small HTTP server that responds to one request.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buffer = [0u8; 1024];
        let _ = stream.read(&mut buffer).unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello").unwrap();
    });

    let data_dir = tempfile::tempdir().unwrap();
    let filter = format!("tcp port {port}");
    let child = palisade(data_dir.path())
        .args(["capture", "--interface", "lo", "--filter", &filter, "--duration-secs", "4"])
        .args(["--stats-interval-secs", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));

    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client.write_all(b"GET /live/check?on=lo HTTP/1.1\r\nHost: loopback.test\r\n\r\n").unwrap();
    let mut response = Vec::new();
    let mut buffer = [0u8; 1024];
    while !response.ends_with(b"hello") {
        let read = client.read(&mut buffer).unwrap();
        if read == 0 {
            break;
        }
        response.extend_from_slice(&buffer[..read]);
    }
    drop(client);

    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let trace: Value = serde_json::from_str(stdout.lines().next().expect("one trace")).unwrap();
    assert_eq!(trace["request"]["url"], "http://loopback.test/live/check?on=lo");
    assert_eq!(trace["response"]["body"], "hello");
}
