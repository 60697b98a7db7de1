//! A real `palisade serve` on 127.0.0.1 with a temporary data directory, and a small
//! HTTP client for it.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use palisade_server::{Config, DataDir, RunningServer};
use reqwest::{Client, Response};
use serde_json::Value;

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub base: String,
    pub admin: String,
    pub ingest: String,
    /// Password of the first-run `admin` user.
    pub admin_password: String,
    pub client: Client,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(Config::default()).await
    }

    pub async fn start_with(mut config: Config) -> Self {
        palisade_server::webhooks::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        config.server.listen = "127.0.0.1:0".parse().unwrap();
        let data_dir = DataDir::open(dir.path(), true).unwrap();
        let server = palisade_server::start(config, data_dir).await.unwrap();
        let admin = server.first_run_keys.iter().find(|(k, _)| k.role.as_str() == "admin").unwrap().1.clone();
        let ingest = server.first_run_keys.iter().find(|(k, _)| k.role.as_str() == "ingest").unwrap().1.clone();
        let admin_password = server.first_run_password.clone().unwrap();
        let base = format!("http://{}", server.local_addr);
        Self { server: Some(server), base, admin, ingest, admin_password, client: Client::new(), dir }
    }

    /// Restarts on the same data directory, keeping the keys.
    pub async fn restart(&mut self, mut config: Config) {
        self.stop().await;
        config.server.listen = "127.0.0.1:0".parse().unwrap();
        let data_dir = DataDir::open(self.dir.path(), true).unwrap();
        let server = palisade_server::start(config, data_dir).await.unwrap();
        assert!(server.first_run_keys.is_empty(), "keys are created only on the first start");
        self.base = format!("http://{}", server.local_addr);
        self.server = Some(server);
    }

    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.unwrap();
        }
    }

    pub async fn post(&self, path: &str, key: &str, body: impl Into<reqwest::Body>) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("authorization", key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        request.send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path, Some(&self.admin)).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// Waits until the pipeline has applied every accepted trace.
    pub async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let metrics = self.get("/metrics", Some(&self.admin)).await.text().await.unwrap();
            if metrics.lines().any(|line| line == "palisade_queued_traces 0") {
                return;
            }
            assert!(Instant::now() < deadline, "pipeline did not catch up:\n{metrics}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn templates(&self) -> Vec<String> {
        let page = self.get_json("/api/v1/endpoints?limit=1000").await;
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{} {} {}",
                    e["method"].as_str().unwrap(),
                    e["host"].as_str().unwrap(),
                    e["template"].as_str().unwrap()
                )
            })
            .collect()
    }

    pub async fn metric(&self, line_prefix: &str) -> u64 {
        let metrics = self.get("/metrics", Some(&self.admin)).await.text().await.unwrap();
        metrics
            .lines()
            .find(|line| line.starts_with(line_prefix))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("metric {line_prefix} missing:\n{metrics}"))
    }
}

/// Builds a Metlo v1 trace as agents send it.
pub fn metlo_v1(path: &str, status: u16, response_body: &str) -> Value {
    serde_json::json!({
        "request": {
            "url": {"host": "shop.example.com", "path": path, "parameters": [{"name": "page", "value": "2"}]},
            "headers": [{"name": "Content-Type", "value": "application/json"}, {"name": "Authorization", "value": "Bearer s3cr3t"}],
            "body": "",
            "method": "GET"
        },
        "response": {
            "status": status,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "body": response_body
        },
        "meta": {
            "incoming": true,
            "source": "10.0.0.7",
            "sourcePort": 51514,
            "destination": "10.0.0.2",
            "destinationPort": 443,
            "environment": "production",
            "metloSource": "python/flask"
        }
    })
}
