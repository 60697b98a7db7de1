//! Start-up, routing and graceful shutdown of `palisade serve`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{delete, get, patch, post, put};
use palisade_analyze::Pipeline;
use palisade_core::Limits;
use palisade_core::access::{ApiKey, Role};
use palisade_store::{Journal, SqliteStore, Store};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_http::timeout::TimeoutLayer;

use crate::api::{self, access};
use crate::auth::LoginLimiter;
use crate::collector::{self, queue::TraceQueue};
use crate::config::Config;
use crate::dashboard;
use crate::data_dir::DataDir;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::rules::{self, RuleBook};
use crate::webhooks::Webhooks;
use crate::worker::{Worker, WorkerSettings};

/// Shared state of every request handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub queue: TraceQueue,
    pub metrics: Arc<Metrics>,
    pub limits: Limits,
    pub config: Arc<Config>,
    pub login_limiter: Arc<LoginLimiter>,
    pub rules: RuleBook,
    /// Stored OpenAPI descriptions, imported.
    pub specs: Arc<crate::specs::SpecRegistry>,
}

/// Builds the router: `/healthz` open, collector routes for any key, everything else for
/// API tokens.
pub fn router(state: AppState) -> Router {
    let settings = &state.config.server;
    let collector = Router::new()
        .route("/api/v1/log-request/single", post(collector::metlo_v1_single))
        .route("/api/v1/log-request/batch", post(collector::metlo_v1_batch))
        .route("/api/v2/log-request/single", post(collector::metlo_v2_single))
        .route("/api/v2/log-request/batch", post(collector::metlo_v2_batch))
        .route("/api/v1/traces", post(collector::native))
        .route("/api/v1", get(collector::agent_ok))
        .route("/api/v1/verify", get(collector::agent_ok))
        .route("/api/v2/verify", get(collector::agent_ok))
        .route("/api/v1/agent-config", get(collector::agent_config))
        .route("/api/v1/test-runs", post(api::test_runs::submit))
        .route_layer(middleware::from_fn_with_state(state.clone(), api::require_ingest));

    let read_api = Router::new()
        .route("/api/v1/hosts", get(api::hosts))
        .route("/api/v1/endpoints", get(api::endpoints))
        .route("/api/v1/endpoints/lookup", get(api::lookup))
        .route("/api/v1/endpoints/{id}", get(api::endpoint))
        .route("/api/v1/endpoints/{id}/samples", get(api::samples))
        .route("/api/v1/endpoints/{id}/openapi", get(api::specs::endpoint_fragment))
        .route("/api/v1/alerts", get(api::alerts))
        .route("/api/v1/alerts/{id}", get(api::alert))
        .route("/api/v1/findings", get(api::findings))
        .route("/api/v1/actors", get(api::actors))
        .route("/api/v1/actors/{id}", get(api::actor))
        .route("/api/v1/test-runs", get(api::test_runs::list))
        .route("/api/v1/test-runs/{id}", get(api::test_runs::show))
        .route("/metrics", get(api::metrics))
        .route_layer(middleware::from_fn_with_state(state.clone(), api::require_viewer));

    // Sign-in needs no credential; the session routes accept any.
    let session = Router::new()
        .route("/api/v1/session", get(access::current).delete(access::logout))
        .route_layer(middleware::from_fn_with_state(state.clone(), api::require_ingest))
        .route("/api/v1/session", post(access::login));

    let admin_api = Router::new()
        .route("/api/v1/users", get(access::users).post(access::create_user))
        .route("/api/v1/users/{name}", patch(access::update_user).delete(access::delete_user))
        .route("/api/v1/keys", get(access::keys).post(access::create_key))
        .route("/api/v1/keys/{id}", delete(access::revoke_key))
        .route_layer(middleware::from_fn_with_state(state.clone(), api::require_admin));

    let triage_api = Router::new()
        .route("/api/v1/alerts/{id}", patch(api::update_alert))
        .route("/api/v1/endpoints/{id}/false-positives", put(api::mark_false_positive))
        .route_layer(middleware::from_fn_with_state(state.clone(), api::require_analyst));

    // Block rules: read by viewers, changed by analysts, and fed to any key holder.
    let rules_api = Router::new()
        .route("/api/v1/rules", get(api::rules::list))
        .route("/api/v1/rules/{id}", get(api::rules::show))
        .route_layer(middleware::from_fn_with_state(state.clone(), api::require_viewer))
        .merge(
            Router::new()
                .route("/api/v1/rules", post(api::rules::create))
                .route("/api/v1/rules/{id}", put(api::rules::replace).delete(api::rules::delete))
                .route_layer(middleware::from_fn_with_state(state.clone(), api::rules::require_rule_editor)),
        )
        .merge(
            Router::new()
                .route(palisade_proxy::feed::FEED_PATH, get(rules::feed::rules))
                .route_layer(middleware::from_fn_with_state(state.clone(), api::require_ingest)),
        );

    // OpenAPI descriptions: read by viewers, stored and deleted by analysts.
    let specs_api = Router::new()
        .route("/api/v1/specs", get(api::specs::list))
        .route("/api/v1/specs/{key}", get(api::specs::show))
        .route("/api/v1/specs/{key}/reconcile", get(api::specs::reconcile))
        .route_layer(middleware::from_fn_with_state(state.clone(), api::require_viewer))
        .merge(
            Router::new()
                .route("/api/v1/specs", post(api::specs::create))
                .route("/api/v1/specs/{key}", delete(api::specs::delete))
                .route_layer(middleware::from_fn_with_state(state.clone(), api::require_spec_editor)),
        );

    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(collector)
        .merge(read_api)
        .merge(triage_api)
        .merge(session)
        .merge(admin_api)
        .merge(rules_api)
        .merge(specs_api)
        .merge(dashboard::routes())
        .fallback(|| async { ApiError::NotFound("route".to_string()) })
        .layer(DefaultBodyLimit::max(settings.max_request_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(settings.request_timeout_secs),
        ))
        .with_state(state)
}

/// A server started by [`start`].
pub struct RunningServer {
    pub local_addr: SocketAddr,
    /// Keys created because the data directory had none; their secrets are shown once.
    pub first_run_keys: Vec<(ApiKey, String)>,
    /// Password of the `admin` user created because the data directory had no users;
    /// shown once.
    pub first_run_password: Option<String>,
    /// The block rules the server stores and feeds.
    pub rules: RuleBook,
    /// The queue that accepted traces go through, for sources inside the process.
    pub queue: TraceQueue,
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl RunningServer {
    /// Stops accepting requests, lets the pipeline apply what was accepted, and waits.
    /// Clones of `queue` held elsewhere (an in-process proxy's mirror) must be dropped
    /// first, because the journal writer stops only when the last one is gone.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let RunningServer { shutdown, task, queue, .. } = self;
        drop(queue);
        let _ = shutdown.send(());
        task.await.context("server task failed")?
    }
}

/// Binds `listen`, starts the pipeline, creates the first-start credentials when the data
/// directory has none, and serves.
pub async fn start(config: Config, data_dir: DataDir) -> anyhow::Result<RunningServer> {
    let listener = bind_listener(config.server.listen).await?;
    let mut server = prepare(config, data_dir, listener).await?;
    server.create_first_run_credentials()?;
    Ok(server.serve())
}

/// Binds the API listener. Callers bind it before [`prepare`], so a busy port fails the
/// start before the store is opened or any credential is created.
pub async fn bind_listener(listen: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))
}

/// A server whose listener is bound and whose pipeline runs, but which accepts no request
/// until [`PreparedServer::serve`].
///
/// `palisade serve` starts the in-process proxy at this point and creates the first-start
/// credentials after it. Their secrets are printed only once, so every step that can fail
/// on a flag, a setting or a busy port has to come before them.
pub struct PreparedServer {
    pub local_addr: SocketAddr,
    first_run_keys: Vec<(ApiKey, String)>,
    first_run_password: Option<String>,
    listener: TcpListener,
    state: AppState,
    store: Arc<SqliteStore>,
    data_dir: DataDir,
    writer: std::thread::JoinHandle<()>,
    worker: Worker,
}

/// Opens the data directory's store and journal and starts the journal writer and the
/// pipeline worker. Creates no credentials and serves nothing on `listener` yet.
pub async fn prepare(config: Config, data_dir: DataDir, listener: TcpListener) -> anyhow::Result<PreparedServer> {
    crate::webhooks::install_crypto_provider();
    let local_addr = listener.local_addr()?;
    let pipeline_config = config.pipeline(&data_dir.actor_key())?;
    let mut store = data_dir.open_store()?;
    store.set_class_decay_days(config.server.class_decay_days);
    store.set_max_findings(config.server.max_findings);
    let store = Arc::new(store);
    let rule_book = RuleBook::open(store.clone(), &config.blocking, &data_dir.actor_key())?;
    let specs = Arc::new(
        crate::specs::SpecRegistry::load(store.as_ref(), &config.openapi)
            .context("cannot load the stored OpenAPI descriptions")?,
    );

    let (inventory, position) = store.load_inventory().context("cannot load the inventory")?;
    let pipeline = Pipeline::restore(pipeline_config, inventory);
    let metrics = Arc::new(Metrics::default());
    let journal_path = data_dir.journal_path();
    let (_, waiting) = Journal::open(&journal_path)?.pending(position)?;
    metrics.queued_traces.store(waiting, std::sync::atomic::Ordering::Relaxed);
    if waiting > 0 {
        tracing::info!(traces = waiting, "applying traces accepted before the last stop");
    }

    let webhooks = Webhooks::start(config.webhooks.clone(), config.server.max_queued_webhooks, metrics.clone())?;
    let (wake_sender, wake_receiver) = std::sync::mpsc::channel();
    let (queue, writer) =
        TraceQueue::start(&journal_path, metrics.clone(), config.server.max_queued_traces, wake_sender)?;
    let settings = WorkerSettings {
        journal_path,
        position,
        max_traces_per_commit: config.server.max_traces_per_commit,
        commit_interval: Duration::from_millis(config.server.commit_interval_ms),
        rules: Some(rule_book.clone()),
        drift: Some(crate::specs::drift::DriftCheck::new(specs.clone(), &config.openapi)),
    };
    let worker = Worker::start(settings, store.clone(), pipeline, metrics.clone(), webhooks, wake_receiver)?;

    let login_limiter = Arc::new(LoginLimiter::new(config.server.max_login_failures_per_minute));
    let state = AppState {
        store: store.clone(),
        queue,
        metrics,
        limits: config.limits.clone(),
        config: Arc::new(config),
        login_limiter,
        rules: rule_book,
        specs,
    };
    Ok(PreparedServer {
        local_addr,
        first_run_keys: Vec::new(),
        first_run_password: None,
        listener,
        state,
        store,
        data_dir,
        writer,
        worker,
    })
}

impl PreparedServer {
    /// Returns the block rules the server stores and feeds.
    pub fn rules(&self) -> &RuleBook {
        &self.state.rules
    }

    /// Returns the queue that accepted traces go through, for sources inside the process.
    pub fn queue(&self) -> &TraceQueue {
        &self.state.queue
    }

    /// Creates an admin token, an ingest key and the `admin` user when the data directory
    /// has none. The [`RunningServer`] that [`PreparedServer::serve`] returns carries
    /// their secrets.
    pub fn create_first_run_credentials(&mut self) -> anyhow::Result<()> {
        self.first_run_keys = create_first_run_keys(&self.store)?;
        self.first_run_password = create_first_run_admin(&self.store)?;
        Ok(())
    }

    /// Starts serving requests on the bound listener.
    pub fn serve(self) -> RunningServer {
        let PreparedServer {
            local_addr,
            first_run_keys,
            first_run_password,
            listener,
            state,
            store: _,
            data_dir,
            writer,
            worker,
        } = self;
        let rule_book = state.rules.clone();
        let queue = state.queue.clone();
        let reload = match state.config.blocking.reload_interval_secs {
            0 => None,
            secs => Some(rule_book.spawn_reload(Duration::from_secs(secs))),
        };
        let app = router(state);

        tracing::info!(listen = %local_addr, data_dir = %data_dir.path().display(), "palisade serve started");
        let (shutdown, shutdown_signal) = oneshot::channel::<()>();
        let closing_rules = rule_book.clone();
        let task = tokio::spawn(async move {
            // The data directory, and with it its lock, lives until the server has stopped.
            let _data_dir = data_dir;
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    let _ = shutdown_signal.await;
                    // Long polls of the rule feed get their response now instead of holding up shutdown.
                    closing_rules.close();
                    if let Some(reload) = reload {
                        reload.abort();
                    }
                })
                .await
                .context("server failed")?;
            // The router held the last queue handle, so the writer finishes its jobs and
            // exits; the worker then applies everything in the journal and stops.
            stop_pipeline(writer, worker).await?;
            tracing::info!("server stopped");
            Ok(())
        });
        RunningServer { local_addr, first_run_keys, first_run_password, rules: rule_book, queue, shutdown, task }
    }

    /// Stops a server that has not served. The worker applies what is in the journal
    /// before the data directory's lock is released. Queue handles held elsewhere, such as
    /// an in-process proxy's mirror, must be dropped first, because the journal writer
    /// stops only when the last one is gone.
    pub async fn stop(self) -> anyhow::Result<()> {
        let PreparedServer { state, data_dir, writer, worker, .. } = self;
        // Dropping the state drops this server's queue handle, so the writer can exit.
        drop(state);
        stop_pipeline(writer, worker).await?;
        drop(data_dir);
        Ok(())
    }
}

/// Waits for the journal writer to exit, which it does once every queue handle is dropped,
/// and then for the worker to apply the rest of the journal and stop.
async fn stop_pipeline(writer: std::thread::JoinHandle<()>, worker: Worker) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || {
        if writer.join().is_err() {
            tracing::error!("journal writer thread panicked");
        }
        worker.stop();
    })
    .await
    .context("shutdown task failed")
}

/// Creates an admin token and an ingest key when the data directory has no keys yet.
fn create_first_run_keys(store: &SqliteStore) -> anyhow::Result<Vec<(ApiKey, String)>> {
    if !store.list_keys()?.is_empty() {
        return Ok(Vec::new());
    }
    let admin = store.create_key("admin (created on first start)", Role::Admin)?;
    let ingest = store.create_key("ingest (created on first start)", Role::Ingest)?;
    Ok(vec![admin, ingest])
}

/// Creates the `admin` user with a generated password when the data directory has no
/// users yet.
fn create_first_run_admin(store: &SqliteStore) -> anyhow::Result<Option<String>> {
    if !store.list_users()?.is_empty() {
        return Ok(None);
    }
    let password = crate::auth::generate_password()?;
    store.create_user("admin", Role::Admin, &crate::auth::hash_password(&password)?)?;
    Ok(Some(password))
}
