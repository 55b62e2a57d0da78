//! A real fieldkit-sync-server on 127.0.0.1:0 with the demo project (every
//! shipped protocol published, one enrolment code), running on its own tokio
//! runtime so the synchronous screen tests can talk to it.

use fieldkit_protocols::wire::WireSecret;
use fieldkit_sync_server::store::SqliteStore;
use fieldkit_sync_server::{admin, Config};
use time::OffsetDateTime;

pub struct DemoServer {
    pub url: String,
    pub code: WireSecret,
    pub store: SqliteStore,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl DemoServer {
    pub fn start() -> DemoServer {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        let report = admin::demo(&store, 7, OffsetDateTime::now_utc()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let config = Config {
            data: dir.path().to_owned(),
            ..Config::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(fieldkit_sync_server::serve_until(config, listener, async {
            let _ = stopped.await;
        }));
        DemoServer {
            url,
            code: report.code,
            store,
            _dir: dir,
            stop: Some(stop),
            runtime: Some(runtime),
        }
    }

    /// An address nothing listens on, for the offline case.
    pub fn unreachable_url() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        url
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(std::time::Duration::from_secs(5));
        }
    }
}
