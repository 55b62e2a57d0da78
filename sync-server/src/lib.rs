//! The Fieldkit sync server as a library, so tests can run it in-process.
//!
//! Stages, one module each: [`config`] (what to run with), [`store`] (where
//! things are kept), [`verify`] (replaying records through the engine),
//! [`api`] (HTTP), [`admin`] (the operator's commands), [`access`] (R22).

pub mod access;
pub mod admin;
pub mod admin_web;
pub mod api;
pub mod config;
pub mod export;
pub mod limits;
pub mod secrets;
pub mod store;
pub mod verify;
pub mod web;
pub mod xlsform;

use std::future::Future;
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

/// The API and the supervisor/analyst pages together.
pub fn app_with_pages(state: AppState) -> axum::Router {
    web::routes().with_state(state.clone()).merge(app(state))
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
                .serve(app.into_make_service())
                .await?;
        }
        _ => {
            tracing::info!(%address, tls = false, "listening");
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await?;
        }
    }
    tracing::info!("stopped");
    Ok(())
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
