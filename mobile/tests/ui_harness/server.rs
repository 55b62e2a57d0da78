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

    /// This server behind a slow link: answers trickle at `bytes_per_second`,
    /// so a screen test sees a download while it is under way.
    pub fn slow_url(&self, bytes_per_second: u32) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::{TcpListener, TcpStream};

        let runtime = self.runtime.as_ref().expect("running");
        let upstream: std::net::SocketAddr =
            self.url.trim_start_matches("http://").parse().unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut from_client, mut to_client) = client.into_split();
                    let (mut from_server, mut to_server) = server.into_split();
                    let up = tokio::io::copy(&mut from_client, &mut to_server);
                    let down = async {
                        let mut buf = vec![0u8; 1024];
                        while let Ok(n @ 1..) = from_server.read(&mut buf).await {
                            if to_client.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                            let pause = n as f64 / f64::from(bytes_per_second);
                            tokio::time::sleep(std::time::Duration::from_secs_f64(pause)).await;
                        }
                        let _ = to_client.shutdown().await;
                    };
                    tokio::select! {
                        _ = up => {}
                        _ = down => {}
                    }
                });
            }
        });
        url
    }

    /// A phone at `dir`, enrolled for real with this server in `lang`, whose
    /// signal went right after enrolment: every protocol pinned, none of
    /// their pictures and sounds. Its next syncs go over a link of
    /// `bytes_per_second`. Returns the bytes of media it is missing.
    pub fn phone_waiting_for_media(
        &self,
        dir: &std::path::Path,
        passphrase: &str,
        settings: fieldkit_mobile::vault::VaultSettings,
        lang: &str,
        bytes_per_second: u32,
    ) -> u64 {
        use fieldkit_mobile::sync::{self, SyncConfig};
        use fieldkit_mobile::vault::{CodeOfPracticeAck, Passphrase, Setting, Vault};

        let mut vault = Vault::create(dir, &Passphrase::new(passphrase), settings).unwrap();
        vault
            .set_setting(&Setting::CodeOfPracticeAcknowledged(CodeOfPracticeAck {
                language: lang.into(),
                at: OffsetDateTime::now_utc(),
            }))
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime
            .block_on(sync::enrol(
                &mut vault,
                &self.url,
                &self.code,
                "field phone",
                &SyncConfig::default(),
            ))
            .unwrap();
        let media_bytes = super::enrolment::pin_without_media(&mut vault);
        vault
            .set_setting(&Setting::ServerUrl(self.slow_url(bytes_per_second)))
            .unwrap();
        media_bytes
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
