//! Delivery of new and reopened alerts to webhooks, off the pipeline's path.
//!
//! The pipeline thread hands alerts to a bounded queue and never waits: when the queue
//! is full the alert is dropped for webhooks and counted. A task posts each alert to
//! every matching webhook, retrying failed deliveries with exponential backoff.

use std::sync::Arc;
use std::time::Duration;

use palisade_core::Severity;
use palisade_core::alert::Alert;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;

use crate::api::dto::AlertDto;
use crate::metrics::Metrics;

/// Attempts per delivery, the first included.
const MAX_ATTEMPTS: u32 = 5;
/// Wait before the second attempt; it doubles after each failure.
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(1);
/// Time limit of one delivery attempt.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Body format of a webhook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// `{"event": "alert", "alert": {...}}` with the alert as the REST API shows it.
    #[default]
    Json,
    /// A Slack incoming-webhook message: `{"text": "..."}`.
    Slack,
}

/// One entry of `webhooks:` in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// `http://` or `https://` URL that alerts are posted to.
    pub url: String,
    #[serde(default)]
    pub format: WebhookFormat,
    /// Alerts below this severity are not sent.
    #[serde(default = "default_min_severity")]
    pub min_severity: Severity,
    /// Alert types to send, such as `attack_sqli`; all types when empty.
    #[serde(default)]
    pub types: Vec<String>,
}

fn default_min_severity() -> Severity {
    Severity::Medium
}

impl WebhookConfig {
    /// Checks the URL, so a typing mistake fails at start-up and not at the first alert.
    pub fn check(&self) -> Result<(), String> {
        let scheme_ok = self.url.starts_with("http://") || self.url.starts_with("https://");
        if !scheme_ok || reqwest::Url::parse(&self.url).is_err() {
            return Err(format!("invalid url {:?}: expected an http:// or https:// URL", self.url));
        }
        Ok(())
    }

    fn wants(&self, alert: &Alert) -> bool {
        alert.severity >= self.min_severity && (self.types.is_empty() || self.types.contains(&alert.kind))
    }
}

/// Installs rustls' ring provider for HTTPS requests. Installing it a second time fails
/// harmlessly, so the result is ignored.
pub fn install_crypto_provider() {
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let _ = provider.install_default();
}

/// Hands alerts to the delivery task.
#[derive(Clone)]
pub struct Webhooks {
    sender: Option<mpsc::Sender<Alert>>,
    metrics: Arc<Metrics>,
}

impl Webhooks {
    /// Starts the delivery task on the current runtime; without webhooks it does nothing.
    pub fn start(webhooks: Vec<WebhookConfig>, max_queued: usize, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        if webhooks.is_empty() {
            return Ok(Self { sender: None, metrics });
        }
        install_crypto_provider();
        let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build()?;
        let (sender, receiver) = mpsc::channel(max_queued.max(1));
        tokio::spawn(deliver_all(receiver, webhooks, client, metrics.clone()));
        Ok(Self { sender: Some(sender), metrics })
    }

    /// Queues an alert without waiting; drops and counts it when the queue is full.
    pub fn send(&self, alert: Alert) {
        let Some(sender) = &self.sender else {
            return;
        };
        if sender.try_send(alert).is_err() {
            Metrics::add(&self.metrics.webhook_dropped, 1);
        }
    }
}

async fn deliver_all(
    mut receiver: mpsc::Receiver<Alert>,
    webhooks: Vec<WebhookConfig>,
    client: reqwest::Client,
    metrics: Arc<Metrics>,
) {
    while let Some(alert) = receiver.recv().await {
        for webhook in webhooks.iter().filter(|w| w.wants(&alert)) {
            let body = body(webhook.format, &alert);
            if deliver(&client, &webhook.url, &body).await {
                Metrics::add(&metrics.webhook_delivered, 1);
            } else {
                Metrics::add(&metrics.webhook_failed, 1);
                tracing::warn!(alert_id = alert.id, attempts = MAX_ATTEMPTS, "webhook delivery failed; alert not sent");
            }
        }
    }
}

/// Posts `body`, retrying with exponential backoff; true once a 2xx response arrives.
async fn deliver(client: &reqwest::Client, url: &str, body: &serde_json::Value) -> bool {
    let mut delay = FIRST_RETRY_DELAY;
    for attempt in 1..=MAX_ATTEMPTS {
        match client.post(url).json(body).send().await {
            Ok(response) if response.status().is_success() => return true,
            Ok(response) => {
                tracing::debug!(status = response.status().as_u16(), attempt, "webhook answered with an error")
            }
            Err(error) => tracing::debug!(%error, attempt, "webhook request failed"),
        }
        if attempt < MAX_ATTEMPTS {
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
    false
}

fn body(format: WebhookFormat, alert: &Alert) -> serde_json::Value {
    match format {
        WebhookFormat::Json => json!({"event": "alert", "alert": AlertDto::from(alert)}),
        WebhookFormat::Slack => {
            let mut text =
                format!("*[{}] {}*: {}", alert.severity.as_str().to_uppercase(), alert.kind, alert.description);
            if let Some(host) = &alert.host {
                text.push_str(&format!("\nhost: {host}"));
            }
            if let Some(actor) = &alert.actor {
                text.push_str(&format!("\nactor: {actor}"));
            }
            text.push_str(&format!("\nalert id: {}", alert.id));
            json!({"text": text})
        }
    }
}
