//! The Fieldkit sync server as a library, so tests can run it in-process.
//!
//! Stages, one module each: [`config`] (what to run with), [`store`] (where
//! things are kept), [`verify`] (replaying records through the engine),
//! [`api`] (HTTP), [`admin`] (the operator's commands), [`access`] (R22).

pub mod access;
pub mod admin;
pub mod admin_users;
pub mod admin_web;
pub mod api;
pub mod bundle_read;
pub mod config;
pub mod export;
pub mod limits;
pub mod packs;
pub mod secrets;
pub mod store;
pub mod timing;
pub mod verify;
pub mod web;
pub mod xlsform;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use api::{app, openapi_document, AppState};
pub use config::Config;

use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot load the TLS certificate or key ({cert} / {key}): {source}")]
    Tls {
        cert: String,
        key: String,
        source: std::io::Error,
    },
    #[error("server stopped with an error: {0}")]
    Io(#[from] std::io::Error),
}

/// The API and the supervisor/analyst pages together, every response with
/// the security headers and every request in the log.
pub fn app_with_pages(state: AppState) -> axum::Router {
    let tls = state.config.tls_cert.is_some() && state.config.tls_key.is_some();
    web::routes()
        .with_state(state.clone())
        .merge(app(state))
        .layer(axum::middleware::from_fn_with_state(
            tls,
            web::headers::security_headers,
        ))
        .layer(axum::middleware::from_fn(web::request_log::log_request))
}

/// Runs the server on `listener` until Ctrl-C or SIGTERM, then finishes the
/// requests in flight.
pub async fn serve(config: Config, listener: tokio::net::TcpListener) -> Result<(), ServeError> {
    serve_until(config, listener, shutdown_signal()).await
}

/// Like [`serve`], stopping gracefully when `shutdown` completes.
pub async fn serve_until(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    // Opening PostgreSQL connects and migrates: blocking work, off the workers.
    let opening = config.clone();
    let store = tokio::task::spawn_blocking(move || store::open(&opening))
        .await
        .map_err(|e| ServeError::Io(std::io::Error::other(e)))??;
    let state = AppState::new(store, config.clone());
    let retention = tokio::spawn(apply_retention_daily(state.clone()));
    let app = app_with_pages(state);
    let address = listener.local_addr()?;
    match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            // Only ring is compiled in; installing it is a no-op if done already.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|source| ServeError::Tls {
                    cert: cert.display().to_string(),
                    key: key.display().to_string(),
                    source,
                })?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                stopper.graceful_shutdown(Some(Duration::from_secs(30)));
            });
            tracing::info!(%address, tls = true, "listening");
            axum_server::from_tcp_rustls(listener.into_std()?, tls)?
                .handle(handle)
                .serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .await?;
        }
        _ => {
            tracing::info!(%address, tls = false, "listening");
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown)
            .await?;
        }
    }
    retention.abort();
    tracing::info!("stopped");
    Ok(())
}

/// The audit log's retention (`audit_retention_days`), applied at start
/// and once a day.
async fn apply_retention_daily(state: AppState) {
    let mut daily = tokio::time::interval(Duration::from_secs(24 * 3600));
    loop {
        daily.tick().await;
        let days = state.config.audit_retention_days;
        let store = Arc::clone(&state.store);
        let pruned = tokio::task::spawn_blocking(move || {
            admin_users::prune_audit(store.as_ref(), days, time::OffsetDateTime::now_utc())
        })
        .await;
        match pruned {
            Ok(Ok(dropped)) => tracing::info!(dropped, days, "audit retention applied"),
            Ok(Err(e)) => tracing::error!(error = %e, "audit retention failed"),
            Err(e) => tracing::error!(error = %e, "audit retention stopped"),
        }
    }
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
