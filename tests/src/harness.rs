//! The pieces every journey needs: a real server (in-process, or the real
//! `fieldkit-server` binary as a child process), real vaults on disk with
//! cheap Argon2, and the end-state check "every record on the server
//! exactly once, every outbox empty".
//!
//! The server's store is a SQLite file in a temporary folder, or a scratch
//! PostgreSQL database when `FIELDKIT_TEST_POSTGRES` names a server
//! (`scripts/test` runs the journeys both ways).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fieldkit_mobile::sync::{self, SyncClient, SyncConfig, SyncOutcome};
use fieldkit_mobile::vault::{
    CodeOfPracticeAck, KdfParams, Passphrase, Setting, Vault, VaultSettings,
};
use fieldkit_protocols::wire::{RecordEnvelope, WireSecret};
use fieldkit_protocols::{library, Protocol};
use fieldkit_sync_server::config::DatabaseUrl;
use fieldkit_sync_server::store::postgres::scratch::ScratchDatabase;
use fieldkit_sync_server::store::{self, Store};
use fieldkit_sync_server::{admin, Config};
use time::OffsetDateTime;

pub const CHILD: &str = "child-rapid-assessment.toml";
const PASSPHRASE: &str = "a long field passphrase";

/// Sends logs to the test output when RUST_LOG is set (e.g.
/// `RUST_LOG=fieldkit_mobile=debug`), to see why a fault test is slow.
pub fn init_logs() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}

/// Where one test's server keeps its data: a temporary folder, and a
/// scratch PostgreSQL database on PostgreSQL runs. Every server started on
/// the same `Backend` shares its data, as instances behind one balancer do.
pub struct Backend {
    pub db: Option<ScratchDatabase>,
    pub dir: tempfile::TempDir,
}

impl Backend {
    pub fn new() -> Backend {
        Backend {
            db: ScratchDatabase::from_env(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A PostgreSQL backend even on SQLite runs, or `None` when no server
    /// is named (multi-instance tests need one database for several
    /// processes).
    pub fn postgres() -> Option<Backend> {
        let db = ScratchDatabase::from_env()?;
        Some(Backend {
            db: Some(db),
            dir: tempfile::tempdir().unwrap(),
        })
    }

    pub fn database_url(&self) -> Option<&str> {
        self.db.as_ref().map(|db| db.url.as_str())
    }

    /// Loose limits: fault tests make many requests on purpose.
    pub fn config(&self) -> Config {
        Config {
            data: self.dir.path().to_owned(),
            database: self.database_url().map(DatabaseUrl::new),
            rate_per_minute: 1_000_000,
            rate_burst: 1_000_000,
            ..Config::default()
        }
    }

    /// Its own handle on the data, as an operator's command would have.
    pub fn open(&self) -> Arc<dyn Store> {
        store::open(&self.config()).unwrap()
    }
}

impl Default for Backend {
    fn default() -> Self {
        Backend::new()
    }
}

/// Publishes the child protocol and returns an enrolment code for `researcher`.
pub fn prepare(store: &dyn Store, researcher: &str) -> WireSecret {
    let source = library::demo_source(CHILD);
    admin::publish_source(store, CHILD, &source, OffsetDateTime::now_utc()).unwrap();
    admin::enrol(
        store,
        researcher,
        &["en".into()],
        14,
        OffsetDateTime::now_utc(),
    )
    .unwrap()
}

/// The server library serving on 127.0.0.1:0 inside this process.
pub struct InProcessServer {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    _stop: tokio::sync::oneshot::Sender<()>,
    // Last: the scratch database is dropped after the store.
    pub backend: Backend,
}

impl InProcessServer {
    pub async fn start() -> InProcessServer {
        let backend = Backend::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(fieldkit_sync_server::serve_until(
            backend.config(),
            listener,
            async {
                let _ = stopped.await;
            },
        ));
        InProcessServer {
            addr,
            store: backend.open(),
            _stop: stop,
            backend,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn code(&self, researcher: &str) -> WireSecret {
        prepare(&*self.store, researcher)
    }
}

/// Client settings for tests: short delays, many tries, so faults are
/// ridden out quickly; a bounded number of tries and a bounded time per
/// sync all the same. Everything is on loopback, so 10 s without an answer
/// means a dead connection.
pub fn patient() -> SyncConfig {
    SyncConfig {
        batch_size: 50,
        max_attempts: 12,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(200),
        request_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
        sync_budget: Duration::from_secs(30),
    }
}

fn settings() -> VaultSettings {
    VaultSettings {
        kdf: KdfParams::INSECURE_TEST_ONLY,
        ..VaultSettings::default()
    }
}

/// A phone: its vault folder and the open vault.
pub struct Device {
    pub dir: tempfile::TempDir,
    pub vault: Vault,
}

impl Device {
    pub fn new() -> Device {
        let dir = tempfile::tempdir().unwrap();
        let mut vault =
            Vault::create(dir.path(), &Passphrase::new(PASSPHRASE), settings()).unwrap();
        // Past the first run, as a phone is when it enrols (R15).
        vault
            .set_setting(&Setting::CodeOfPracticeAcknowledged(CodeOfPracticeAck {
                language: "en".into(),
                at: OffsetDateTime::now_utc(),
            }))
            .unwrap();
        Device { dir, vault }
    }

    /// Enrols and downloads protocols; returns the pinned child protocol.
    pub async fn enrol(&mut self, url: &str, code: &WireSecret) -> Arc<Protocol> {
        sync::enrol(&mut self.vault, url, code, "field phone", &patient())
            .await
            .unwrap();
        let client = self.client(patient());
        let report = client.download_protocols(&mut self.vault).await.unwrap();
        assert!(report.refused.is_empty(), "{report:?}");
        let pinned = self.vault.pinned_protocols().unwrap();
        Arc::new(pinned[0].protocol().unwrap())
    }

    pub fn client(&self, config: SyncConfig) -> SyncClient {
        SyncClient::from_vault(&self.vault, config).unwrap()
    }

    /// Points the device at another address (a proxy, a restarted server).
    pub fn use_server(&mut self, url: &str) {
        self.vault
            .set_setting(&fieldkit_mobile::vault::Setting::ServerUrl(url.to_owned()))
            .unwrap();
    }

    /// Opens the vault folder again, as the app does after a restart.
    pub fn reopen(dir: &Path) -> Vault {
        Vault::unlock_with(dir, &Passphrase::new(PASSPHRASE), &settings()).unwrap()
    }

    /// Entries not yet acknowledged (pending, sent or rejected).
    pub fn unfinished(&self) -> usize {
        unfinished(&self.vault)
    }
}

impl Default for Device {
    fn default() -> Self {
        Device::new()
    }
}

pub fn unfinished(vault: &Vault) -> usize {
    vault.unfinished_count().unwrap()
}

/// Longest a test drives syncs for before failing: far beyond what a
/// healthy run needs, short enough that a stuck one fails instead of hanging.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(240);

/// Syncs until the outbox is drained, at most `rounds` times and for at
/// most [`DRAIN_LIMIT`]; returns the number of syncs that ended offline.
/// Each sync is itself bounded by `config.sync_budget`.
pub async fn sync_until_drained(vault: &mut Vault, config: &SyncConfig, rounds: usize) -> usize {
    let started = std::time::Instant::now();
    let mut offline = 0;
    for round in 0..rounds {
        let client = SyncClient::from_vault(vault, config.clone()).unwrap();
        match client.sync(vault, |_| {}).await.unwrap() {
            SyncOutcome::Complete(_) if unfinished(vault) == 0 => return offline,
            SyncOutcome::Complete(_) => {}
            SyncOutcome::Offline { .. } => offline += 1,
        }
        assert!(
            started.elapsed() < DRAIN_LIMIT,
            "outbox still has {} entries after {} syncs and {:?}",
            unfinished(vault),
            round + 1,
            started.elapsed()
        );
    }
    panic!(
        "outbox still has {} entries after {rounds} syncs",
        unfinished(vault)
    );
}

/// Every record is on the server exactly once with its content hash, the
/// server counts exactly these records for the device, and nothing waits.
pub fn assert_exactly_once(store: &dyn Store, vault: &Vault, records: &[RecordEnvelope]) {
    assert_eq!(unfinished(vault), 0, "the outbox is not empty");
    for record in records {
        assert_eq!(
            store.record_hash(record.record_id).unwrap().as_ref(),
            Some(&record.content_hash),
            "record {} is missing or differs on the server",
            record.record_id
        );
    }
    let device = vault.device_id().unwrap().unwrap();
    let status = store.sync_status(device).unwrap();
    assert_eq!(
        status.stored,
        records.len() as u64,
        "the server holds another number of records from this device"
    );
    assert_eq!(status.rejected, 0, "no record should have been rejected");
}

/// The real `fieldkit-server` binary, run as a child process.
pub struct BinaryServer {
    pub data: PathBuf,
    pub database: Option<String>,
    pub addr: SocketAddr,
    child: Option<tokio::process::Child>,
}

/// Where cargo put the server binary: next to this test's `deps` folder.
/// Built on first use if missing.
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_owned();
    let binary = profile_dir.join("fieldkit-server");
    if !binary.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args([
                "build",
                "-p",
                "fieldkit-sync-server",
                "--bin",
                "fieldkit-server",
            ])
            .status()
            .unwrap();
        assert!(status.success(), "building fieldkit-server failed");
    }
    assert!(binary.is_file(), "no server binary at {}", binary.display());
    binary
}

impl BinaryServer {
    /// Starts on a free loopback port over `backend`'s data and waits
    /// until it answers.
    pub async fn start(backend: &Backend) -> BinaryServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let mut server = BinaryServer {
            data: backend.dir.path().to_owned(),
            database: backend.database_url().map(str::to_owned),
            addr: port,
            child: None,
        };
        server.restart().await;
        server
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// (Re)starts the process on the same port and data folder.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "kill the server before restarting it");
        let mut command = tokio::process::Command::new(server_binary());
        match &self.database {
            Some(url) => command.env("FIELDKIT_DATABASE", url),
            None => command.env_remove("FIELDKIT_DATABASE"),
        };
        let child = command
            .arg("serve")
            .arg("--listen")
            .arg(self.addr.to_string())
            .arg("--data")
            .arg(&self.data)
            .env("FIELDKIT_RATE_PER_MINUTE", "1000000")
            .env("FIELDKIT_RATE_BURST", "1000000")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        self.child = Some(child);
        // Bounded wait until it listens.
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("fieldkit-server did not listen on {} within 5 s", self.addr);
    }

    /// SIGKILL: no graceful shutdown, requests in flight are cut.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
    }
}

/// How many records the server holds, from every enrolled device.
pub fn total_records(store: &dyn Store) -> u64 {
    store
        .devices()
        .unwrap()
        .iter()
        .map(|d| store.sync_status(d.device_id).unwrap().stored)
        .sum()
}
