//! Delivery of new and reopened alerts to webhooks, off the pipeline's path.
//!
//! The pipeline thread hands alerts to one bounded queue per webhook and never waits:
//! when a queue is full the alert is dropped for that webhook and counted. One task per
//! webhook posts its alerts in order, retrying a failed delivery with exponential backoff
//! (5 attempts, 1, 2, 4 and 8 s apart). A delivery that still fails is logged and
//! counted; the alert itself stays stored either way.

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

/// How often and how far apart a delivery is attempted.
#[derive(Debug, Clone, Copy)]
struct RetryPolicy {
    attempts: u32,
    first_delay: Duration,
}

const RETRY_POLICY: RetryPolicy = RetryPolicy { attempts: MAX_ATTEMPTS, first_delay: FIRST_RETRY_DELAY };

/// Hands alerts to the delivery tasks, one per webhook, so that a webhook that is down
/// delays only its own alerts.
#[derive(Clone)]
pub struct Webhooks {
    targets: Vec<Target>,
    metrics: Arc<Metrics>,
}

#[derive(Clone)]
struct Target {
    config: WebhookConfig,
    sender: mpsc::Sender<Alert>,
}

impl Webhooks {
    /// Starts one delivery task per webhook on the current runtime, each with a queue of
    /// `max_queued` alerts. Without webhooks it does nothing.
    pub fn start(webhooks: Vec<WebhookConfig>, max_queued: usize, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        Self::start_with(webhooks, max_queued, metrics, RETRY_POLICY)
    }

    fn start_with(
        webhooks: Vec<WebhookConfig>,
        max_queued: usize,
        metrics: Arc<Metrics>,
        policy: RetryPolicy,
    ) -> anyhow::Result<Self> {
        if webhooks.is_empty() {
            return Ok(Self { targets: Vec::new(), metrics });
        }
        install_crypto_provider();
        let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build()?;
        let mut targets = Vec::with_capacity(webhooks.len());
        for (index, config) in webhooks.into_iter().enumerate() {
            let (sender, receiver) = mpsc::channel(max_queued.max(1));
            let delivery = Delivery { number: index + 1, config: config.clone(), client: client.clone(), policy };
            tokio::spawn(delivery.run(receiver, metrics.clone()));
            targets.push(Target { config, sender });
        }
        Ok(Self { targets, metrics })
    }

    /// Queues an alert for every webhook that wants it, without waiting. A webhook whose
    /// queue is full drops the alert, and the drop is counted.
    pub fn send(&self, alert: Alert) {
        for target in self.targets.iter().filter(|t| t.config.wants(&alert)) {
            if target.sender.try_send(alert.clone()).is_err() {
                Metrics::add(&self.metrics.webhook_dropped, 1);
            }
        }
    }
}

/// The delivery task of one webhook: posts its alerts in order.
struct Delivery {
    /// Position in `webhooks:`, from 1, for log lines, because the URL itself may contain
    /// a secret.
    number: usize,
    config: WebhookConfig,
    client: reqwest::Client,
    policy: RetryPolicy,
}

impl Delivery {
    async fn run(self, mut receiver: mpsc::Receiver<Alert>, metrics: Arc<Metrics>) {
        let host = reqwest::Url::parse(&self.config.url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_string))
            .unwrap_or_default();
        while let Some(alert) = receiver.recv().await {
            let body = body(self.config.format, &alert);
            match self.deliver(&body).await {
                Ok(()) => Metrics::add(&metrics.webhook_delivered, 1),
                Err(cause) => {
                    Metrics::add(&metrics.webhook_failed, 1);
                    tracing::warn!(
                        alert_id = alert.id,
                        webhook = self.number,
                        host = %host,
                        attempts = self.policy.attempts,
                        last_error = %cause,
                        "webhook delivery failed; alert not sent (it stays in the alert list)"
                    );
                }
            }
        }
    }

    /// Posts `body`, retrying with exponential backoff, until a 2xx response arrives. The
    /// error is the last attempt's.
    async fn deliver(&self, body: &serde_json::Value) -> Result<(), String> {
        let mut delay = self.policy.first_delay;
        let mut cause = String::new();
        for attempt in 1..=self.policy.attempts {
            match self.client.post(&self.config.url).json(body).send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => cause = format!("answered {}", response.status()),
                Err(error) => cause = request_error(&error),
            }
            tracing::debug!(webhook = self.number, attempt, cause = %cause, "webhook attempt failed");
            if attempt < self.policy.attempts {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
        Err(cause)
    }
}

/// Describes a request error by its kind and causes, without the URL, which may contain a
/// secret.
fn request_error(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        format!("timed out after {} s", REQUEST_TIMEOUT.as_secs())
    } else if error.is_connect() {
        "cannot connect".to_string()
    } else {
        "request failed".to_string()
    };
    match std::error::Error::source(error) {
        Some(_) => format!("{kind}: {}", palisade_core::error::error_sources(error)),
        None => kind,
    }
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::Ordering;
    use std::time::Instant;

    use axum::Json;
    use axum::extract::State;
    use axum::http::StatusCode;
    use palisade_core::alert::AlertStatus;

    use super::*;

    /// Request bodies a receiver accepted, and how many requests it still fails.
    #[derive(Default)]
    struct Received {
        bodies: Mutex<Vec<serde_json::Value>>,
        failures_left: Mutex<u32>,
    }

    async fn receive(State(received): State<Arc<Received>>, Json(body): Json<serde_json::Value>) -> StatusCode {
        let mut failures_left = received.failures_left.lock().unwrap();
        if *failures_left > 0 {
            *failures_left -= 1;
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
        received.bodies.lock().unwrap().push(body);
        StatusCode::NO_CONTENT
    }

    /// Starts a receiver on 127.0.0.1 that fails its first `failures` requests.
    async fn receiver(failures: u32) -> (String, Arc<Received>) {
        let received = Arc::new(Received { failures_left: Mutex::new(failures), ..Received::default() });
        let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, received)
    }

    /// Returns a URL on 127.0.0.1 where nothing listens.
    async fn closed_url() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        drop(listener);
        url
    }

    fn webhook(url: &str, format: WebhookFormat) -> WebhookConfig {
        WebhookConfig { url: url.to_string(), format, min_severity: Severity::Low, types: Vec::new() }
    }

    fn alert(id: i64, severity: Severity) -> Alert {
        Alert {
            id,
            kind: "attack_sqli".to_string(),
            severity,
            status: AlertStatus::Open,
            endpoint_id: None,
            host: Some("api.example.com".to_string()),
            location: Some("query id".to_string()),
            data_class: None,
            actor: Some("ip:192.0.2.7".to_string()),
            description: "SQL injection in query id".to_string(),
            count: 1,
            first_seen_ms: 0,
            last_seen_ms: 0,
            updated_ms: 0,
        }
    }

    const FAST: RetryPolicy = RetryPolicy { attempts: 3, first_delay: Duration::from_millis(50) };

    async fn wait_for(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn json_webhook_retries_until_delivered() {
        let (url, received) = receiver(2).await;
        let metrics = Arc::new(Metrics::default());
        let webhooks =
            Webhooks::start_with(vec![webhook(&url, WebhookFormat::Json)], 10, metrics.clone(), FAST).unwrap();

        webhooks.send(alert(41, Severity::High));
        wait_for("the delivery", || metrics.webhook_delivered.load(Ordering::Relaxed) == 1).await;

        let bodies = received.bodies.lock().unwrap().clone();
        assert_eq!(bodies.len(), 1);
        assert_eq!(bodies[0]["event"], "alert");
        assert_eq!(bodies[0]["alert"]["id"], 41);
        assert_eq!(bodies[0]["alert"]["type"], "attack_sqli");
        assert_eq!(metrics.webhook_failed.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn slack_webhook_gets_a_text_message() {
        let (url, received) = receiver(0).await;
        let metrics = Arc::new(Metrics::default());
        let webhooks =
            Webhooks::start_with(vec![webhook(&url, WebhookFormat::Slack)], 10, metrics.clone(), FAST).unwrap();

        webhooks.send(alert(7, Severity::Medium));
        wait_for("the delivery", || metrics.webhook_delivered.load(Ordering::Relaxed) == 1).await;

        let text = received.bodies.lock().unwrap()[0]["text"].as_str().unwrap().to_string();
        assert!(text.starts_with("*[MEDIUM] attack_sqli*: SQL injection in query id"), "{text}");
        assert!(text.contains("\nactor: ip:192.0.2.7"), "{text}");
        assert!(text.ends_with("\nalert id: 7"), "{text}");
    }

    #[tokio::test]
    async fn dead_webhook_does_not_delay_others() {
        let (url, received) = receiver(0).await;
        let metrics = Arc::new(Metrics::default());
        // Retries from 5 s apart, doubling, keep the dead webhook busy for about 40
        // minutes. A single delivery task would hold back the live webhook's alerts as long.
        let slow = RetryPolicy { attempts: 10, first_delay: Duration::from_secs(5) };
        let hooks = vec![webhook(&closed_url().await, WebhookFormat::Json), webhook(&url, WebhookFormat::Json)];
        let webhooks = Webhooks::start_with(hooks, 10, metrics.clone(), slow).unwrap();

        let started = Instant::now();
        for id in 1..=3 {
            webhooks.send(alert(id, Severity::High));
        }
        wait_for("the live webhook", || received.bodies.lock().unwrap().len() == 3).await;
        assert!(started.elapsed() < slow.first_delay, "took {:?}", started.elapsed());
        assert_eq!(metrics.webhook_failed.load(Ordering::Relaxed), 0);

        let dead =
            Webhooks::start_with(vec![webhook(&closed_url().await, WebhookFormat::Json)], 10, metrics.clone(), FAST)
                .unwrap();
        dead.send(alert(4, Severity::High));
        wait_for("the failure", || metrics.webhook_failed.load(Ordering::Relaxed) == 1).await;
    }

    #[tokio::test]
    async fn filters_and_full_queue_hold_alerts() {
        let (url, received) = receiver(0).await;
        let metrics = Arc::new(Metrics::default());
        let mut high_sqli = webhook(&url, WebhookFormat::Json);
        high_sqli.min_severity = Severity::High;
        high_sqli.types = vec!["attack_sqli".to_string()];
        let webhooks = Webhooks::start_with(vec![high_sqli], 10, metrics.clone(), FAST).unwrap();

        webhooks.send(alert(1, Severity::Medium));
        let mut other_type = alert(2, Severity::Critical);
        other_type.kind = "attack_xss".to_string();
        webhooks.send(other_type);
        webhooks.send(alert(3, Severity::High));
        wait_for("the delivery", || metrics.webhook_delivered.load(Ordering::Relaxed) == 1).await;
        assert_eq!(received.bodies.lock().unwrap()[0]["alert"]["id"], 3);

        // A queue of one behind a webhook that is down: the third alert finds it full.
        let dead =
            Webhooks::start_with(vec![webhook(&closed_url().await, WebhookFormat::Json)], 1, metrics.clone(), FAST)
                .unwrap();
        for id in 10..13 {
            dead.send(alert(id, Severity::High));
        }
        assert!(metrics.webhook_dropped.load(Ordering::Relaxed) >= 1);
    }
}
