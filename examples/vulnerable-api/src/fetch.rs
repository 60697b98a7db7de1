//! The URL fetcher behind the server-side request forgery flaw. In every mode it fetches
//! only `http://` URLs whose host is a loopback address, so the demo cannot be used to
//! reach any other machine. The flaw of vulnerable mode is that it fetches loopback URLs
//! at all.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Response bytes read from a fetched URL.
const MAX_FETCH_BYTES: usize = 64 * 1024;
/// Time one fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, PartialEq, Eq)]
pub enum FetchError {
    /// Not `http://host[:port]/path` with a loopback IP address or `localhost`.
    NotLoopback,
    Failed(String),
}

/// Parses `url` and returns the socket address and request target when the host is a
/// loopback address.
pub fn loopback_target(url: &str) -> Result<(SocketAddr, String), FetchError> {
    let rest = url.strip_prefix("http://").ok_or(FetchError::NotLoopback)?;
    let (authority, path) = match rest.find('/') {
        Some(index) => (&rest[..index], &rest[index..]),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return Err(FetchError::NotLoopback);
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            (host, port.parse::<u16>().map_err(|_| FetchError::NotLoopback)?)
        }
        _ => (authority, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::from([127, 0, 0, 1])
    } else {
        host.parse().map_err(|_| FetchError::NotLoopback)?
    };
    if !ip.is_loopback() {
        return Err(FetchError::NotLoopback);
    }
    Ok((SocketAddr::new(ip, port), path.to_string()))
}

/// Fetches a loopback URL with HTTP/1.0 and returns the status line and body.
pub async fn fetch(url: &str) -> Result<String, FetchError> {
    let (address, path) = loopback_target(url)?;
    let work = async {
        let mut stream = TcpStream::connect(address).await.map_err(|e| FetchError::Failed(e.to_string()))?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: {address}\r\nUser-Agent: vulnerable-api\r\n\r\n");
        stream.write_all(request.as_bytes()).await.map_err(|e| FetchError::Failed(e.to_string()))?;
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        while buffer.len() < MAX_FETCH_BYTES {
            let n = stream.read(&mut chunk).await.map_err(|e| FetchError::Failed(e.to_string()))?;
            if n == 0 {
                break;
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        buffer.truncate(MAX_FETCH_BYTES);
        Ok(String::from_utf8_lossy(&buffer).into_owned())
    };
    tokio::time::timeout(FETCH_TIMEOUT, work).await.map_err(|_| FetchError::Failed("timed out".into()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls() {
        let ok = [
            ("http://127.0.0.1:8080/x?y=1", "127.0.0.1:8080", "/x?y=1"),
            ("http://localhost/", "127.0.0.1:80", "/"),
            ("http://127.1.2.3:1", "127.1.2.3:1", "/"),
            ("http://[::1]:9/a", "[::1]:9", "/a"),
        ];
        for (url, address, path) in ok {
            let (a, p) = loopback_target(url).unwrap();
            assert_eq!((a.to_string().as_str(), p.as_str()), (address, path), "{url}");
        }
        let refused = [
            "http://10.0.0.1/",
            "http://example.com/",
            "https://127.0.0.1/",
            "http://127.0.0.1@example.com/",
            "http://169.254.169.254/latest/meta-data",
            "file:///etc/passwd",
            "http://0.0.0.0:80/",
        ];
        for url in refused {
            assert_eq!(loopback_target(url).unwrap_err(), FetchError::NotLoopback, "{url}");
        }
    }
}
