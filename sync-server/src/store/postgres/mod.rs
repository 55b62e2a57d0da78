//! The PostgreSQL store, for deployments that outgrow one process on one
//! machine: several `fieldkit-server serve` processes share one database
//! and behave as one server (`docs/operators.md`).
//!
//! Driver: `tokio-postgres` with a `deadpool-postgres` pool, run on a small
//! runtime the store owns, behind the same synchronous [`Store`] trait as
//! SQLite. Why this and not the others: the blocking `postgres` crate runs
//! its own runtime inside every call and panics when called from async code
//! (tests and the CLI call the store directly), and `sqlx` brings macros and
//! far more to compile. Each method polls its future on the calling thread
//! (a `spawn_blocking` worker in the server) while the store's runtime
//! drives the sockets, so handlers do not change and futures may borrow
//! their arguments.
//!
//! Concurrency between instances: every write is one transaction; ingest
//! and withdrawals of one device take a per-device advisory lock so they
//! serialise across instances exactly as SQLite's single writer does, and
//! inserts use `ON CONFLICT` so two instances racing on one record id get
//! "stored" once and "duplicate" (or "conflict") otherwise.

mod accounts;
mod batch;
mod connect;
pub mod copy;
mod media;
mod packs;
mod review;
pub mod schema;
pub mod scratch;
mod sync;
mod web;

use std::future::Future;

use deadpool_postgres::Pool;
use uuid::Uuid;

use super::StoreError;

pub use connect::{redacted, PgOptions};

/// Rows fetched per round trip when a scan streams records (exports).
const SCAN_CHUNK: i32 = 500;

pub struct PgStore {
    pool: Pool,
    /// Where record scans read, when a replica is configured.
    replica: Option<Pool>,
    /// Drives the pool's connections; `Some` until the store is dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never printed.
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Never blocks, so a store may be dropped inside async code.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl PgStore {
    /// Connects to `options.url`, then brings the schema up to date (or
    /// refuses a database written by a newer binary).
    pub fn connect(options: &PgOptions) -> Result<PgStore, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fieldkit-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        let (pool, replica) = {
            let _entered = runtime.enter();
            let replica = options
                .replica
                .as_deref()
                .map(|url| connect::pool(url, options.pool_size))
                .transpose()?;
            (connect::pool(&options.url, options.pool_size)?, replica)
        };
        let store = PgStore {
            pool,
            replica,
            runtime: Some(runtime),
        };
        store.block(schema::migrate(&store.pool))?;
        Ok(store)
    }

    /// Runs `future` to completion on this thread, with the store's runtime
    /// driving its sockets and timers. Safe to call from async code (it
    /// blocks that thread, as a SQLite call does).
    fn block<F: Future>(&self, future: F) -> F::Output {
        let _entered = self
            .runtime
            .as_ref()
            .expect("the runtime lives until the store is dropped")
            .enter();
        // Unconstrained: called from inside an async task (a test, the CLI),
        // tokio's per-task budget would run out and keep answering
        // "pending" without ever letting this loop yield.
        block_on(tokio::task::unconstrained(future))
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }

    /// A connection for long reads: the replica's if there is one.
    async fn reader(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.replica
            .as_ref()
            .unwrap_or(&self.pool)
            .get()
            .await
            .map_err(pool_error)
    }
}

/// One consistent, read-only snapshot for a long read (a scan, a check).
async fn snapshot(
    client: &mut deadpool_postgres::Object,
) -> Result<deadpool_postgres::Transaction<'_>, StoreError> {
    Ok(client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

/// Polls `future` on this thread until it is ready, sleeping in between.
/// Unlike `futures::executor::block_on` it may nest: a scan's callback may
/// call the store again (each level waits on a wake-up flag of its own, so
/// a wake-up meant for the outer level is never lost to the inner one).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct Wakeup {
        woken: AtomicBool,
        thread: std::thread::Thread,
    }
    impl Wake for Wakeup {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.store(true, Ordering::Release);
            self.thread.unpark();
        }
    }
    let wakeup = Arc::new(Wakeup {
        woken: AtomicBool::new(false),
        thread: std::thread::current(),
    });
    let waker = Waker::from(Arc::clone(&wakeup));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        while !wakeup.woken.swap(false, Ordering::Acquire) {
            std::thread::park();
        }
    }
}

/// A PostgreSQL error with the server's own message, which the driver's
/// `Display` leaves out ("db error").
#[derive(Debug)]
struct PgError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> StoreError {
        let message = match e.as_db_error() {
            Some(db) => format!(
                "PostgreSQL {}: {} ({})",
                db.severity(),
                db.message(),
                db.code().code()
            ),
            None => match std::error::Error::source(&e) {
                Some(inner) => format!("PostgreSQL: {e}: {inner}"),
                None => format!("PostgreSQL: {e}"),
            },
        };
        StoreError::Database(Box::new(PgError {
            message,
            source: Some(Box::new(e)),
        }))
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => e.into(),
        other => StoreError::Database(Box::new(PgError {
            message: format!(
                "cannot get a PostgreSQL connection: {other}; check that the database is up and `database_pool` is large enough"
            ),
            source: None,
        })),
    }
}

/// Protocol versions are `u32` in Rust and `bigint` in PostgreSQL.
fn version_from(v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("protocol version {v}")))
}

/// The advisory-lock key that serialises one device's writes across
/// instances. A collision between two devices only makes them take turns.
fn device_lock_key(device_id: Uuid) -> i64 {
    let bytes = device_id.as_bytes();
    i64::from_le_bytes(bytes[..8].try_into().expect("a uuid has 16 bytes"))
}

/// PostgreSQL keeps microseconds: a time handed back to the caller is cut
/// to them first, so it equals what a later read returns.
fn micros(at: time::OffsetDateTime) -> time::OffsetDateTime {
    at.replace_nanosecond(at.nanosecond() / 1_000 * 1_000)
        .expect("a whole number of microseconds is a valid nanosecond")
}
