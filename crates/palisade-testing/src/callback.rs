//! A listener on 127.0.0.1 that records requests reaching it, for server-side request
//! forgery tests. A test sends the API a URL on this listener and then requests the
//! listener's count of hits to learn whether the API fetched it.
//!
//! `GET /__palisade/hits/TOKEN` returns `{"hits": N}`, the number of requests received
//! so far whose path starts with `/ssrf/TOKEN`; every other request is counted and
//! answered with `200 ok`. Tests read the base URL from the `CALLBACK_URL` variable.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Largest request head read, in bytes.
const MAX_HEAD_BYTES: usize = 8 * 1024;
/// Time a connection may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A running callback listener; it stops when dropped.
pub struct CallbackListener {
    address: SocketAddr,
    hits: Arc<Mutex<HashMap<String, u64>>>,
    task: tokio::task::JoinHandle<()>,
}

impl CallbackListener {
    /// Starts listening on an unused port of 127.0.0.1.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let hits: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
        let task_hits = hits.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let hits = task_hits.clone();
                tokio::spawn(async move {
                    if let Err(error) = serve(stream, hits).await {
                        tracing::debug!(%error, "callback connection ended with an error");
                    }
                });
            }
        });
        Ok(Self { address, hits, task })
    }

    /// Returns the base URL, such as `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Requests received for `token`.
    pub fn hits(&self, token: &str) -> u64 {
        self.hits.lock().map(|h| h.get(token).copied().unwrap_or(0)).unwrap_or(0)
    }
}

impl Drop for CallbackListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, hits: Arc<Mutex<HashMap<String, u64>>>) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD_BYTES {
            let n = stream.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..n]);
        }
        Ok::<(), std::io::Error>(())
    };
    tokio::time::timeout(READ_TIMEOUT, read).await.map_err(|_| std::io::ErrorKind::TimedOut)??;

    let text = String::from_utf8_lossy(&head);
    let target = text.lines().next().and_then(|line| line.split_whitespace().nth(1)).unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/");

    let body = if let Some(token) = path.strip_prefix("/__palisade/hits/") {
        let count = hits.lock().map(|h| h.get(token).copied().unwrap_or(0)).unwrap_or(0);
        format!("{{\"hits\":{count}}}")
    } else {
        if let Some(rest) = path.strip_prefix("/ssrf/") {
            let token = rest.split('/').next().unwrap_or("").to_string();
            if let Ok(mut map) = hits.lock() {
                *map.entry(token).or_insert(0) += 1;
            }
        }
        String::from("{\"ok\":true}")
    };
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(url: &str) -> String {
        let url = url::Url::parse(url).unwrap();
        let mut stream = TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).await.unwrap();
        let request = format!("GET {} HTTP/1.1\r\nhost: x\r\n\r\n", url.path());
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).await.unwrap();
        out.split("\r\n\r\n").nth(1).unwrap_or("").to_string()
    }

    #[tokio::test]
    async fn counts_hits_per_token() {
        let listener = CallbackListener::start().await.unwrap();
        let base = listener.url();
        assert_eq!(get(&format!("{base}/__palisade/hits/abc")).await, "{\"hits\":0}");
        get(&format!("{base}/ssrf/abc/x")).await;
        get(&format!("{base}/ssrf/abc")).await;
        get(&format!("{base}/ssrf/other")).await;
        assert_eq!(get(&format!("{base}/__palisade/hits/abc")).await, "{\"hits\":2}");
        assert_eq!(listener.hits("other"), 1);
    }
}
