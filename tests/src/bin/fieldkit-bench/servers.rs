//! The servers the HTTP figures post to: Fieldkit's own, in this process,
//! and the insert-only ceiling beside it; and the client that posts a
//! device's batches to either.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use fieldkit_protocols::wire::{RecordBatch, RecordEnvelope};
use fieldkit_protocols::{library, Protocol};
use fieldkit_sync_server::config::DatabaseUrl;
use fieldkit_sync_server::store::Store;
use fieldkit_sync_server::{admin, Config};
use rusqlite::{params, Connection};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{BATCH, CHILD_FILE};

/// Posts every device's records in batches of [`BATCH`], devices in
/// parallel; returns records per second over the whole run.
pub(crate) async fn ingest(
    client: &reqwest::Client,
    url: &str,
    devices: Vec<(String, Vec<RecordEnvelope>)>,
) -> Result<f64> {
    let total: usize = devices.iter().map(|(_, r)| r.len()).sum();
    // Serialise up front: the figure is the server's, not the client's JSON encoder.
    let bodies: Vec<(String, Vec<Vec<u8>>)> = devices
        .into_iter()
        .map(|(token, records)| {
            let bodies = records
                .chunks(BATCH)
                .map(|chunk| serde_json::to_vec(&RecordBatch::new(chunk.to_vec())))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((token, bodies))
        })
        .collect::<Result<_>>()?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (token, bodies) in bodies {
        let client = client.clone();
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            for body in bodies {
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                let status = response.status();
                let text = response.text().await?;
                if !status.is_success()
                    || text.contains("\"rejected\"")
                    || text.contains("\"conflict\"")
                {
                    bail!("{url} answered {status}: {}", &text[..text.len().min(300)]);
                }
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

pub(crate) struct BenchServer {
    _dir: tempfile::TempDir,
    pub(crate) base: String,
    pub(crate) store: Arc<dyn Store>,
    client: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl BenchServer {
    /// The server in this process, over a temporary SQLite file or the
    /// PostgreSQL `database`.
    pub(crate) async fn start(database: Option<String>) -> Result<BenchServer> {
        let dir = tempfile::tempdir()?;
        let config = Config {
            data: dir.path().to_owned(),
            database: database.map(DatabaseUrl::new),
            // The bench measures throughput, not the abuse limits.
            rate_per_minute: 1_000_000,
            rate_burst: 1_000_000,
            max_batch: BATCH,
            ..Config::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let store = fieldkit_sync_server::store::open(&config)?;
        tokio::spawn(fieldkit_sync_server::serve_until(
            config,
            listener,
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(BenchServer {
            _dir: dir,
            base,
            store,
            client: reqwest::Client::new(),
            _stop: stop,
        })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn publish_child(&self) -> Result<Arc<Protocol>> {
        let source = library::demo_source(CHILD_FILE);
        let (protocol, _) =
            admin::publish_source(&*self.store, CHILD_FILE, &source, OffsetDateTime::now_utc())?;
        Ok(Arc::new(protocol))
    }

    pub(crate) async fn enrol(&self, researcher: &str) -> Result<(Uuid, String)> {
        let code = admin::enrol(
            &*self.store,
            researcher,
            &["en".to_owned()],
            14,
            OffsetDateTime::now_utc(),
        )?;
        let body: serde_json::Value = self
            .client
            .post(self.url("/api/v1/enrol"))
            .json(&json!({
                "code": code.expose(),
                "device_name": "bench phone",
                "code_of_practice": { "language": "en", "accepted_at": "2026-01-05T09:00:00Z" },
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let device = body["device_id"]
            .as_str()
            .context("enrol answer has device_id")?
            .parse()?;
        let token = body["token"]
            .as_str()
            .context("enrol answer has token")?
            .to_owned();
        Ok((device, token))
    }
}

/// The insert-only ceiling: the same JSON batch parsed by axum and stored
/// the way the server stores a batch (one transaction per request, WAL,
/// synchronous NORMAL), but nothing checked. Bench-only, never shipped.
pub(crate) struct RawServer {
    pub(crate) url: String,
    _dir: tempfile::TempDir,
}

impl RawServer {
    pub(crate) async fn start() -> Result<RawServer> {
        let dir = tempfile::tempdir()?;
        let conn = Connection::open(dir.path().join("raw.sqlite3"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE records (record_id TEXT PRIMARY KEY, device_id TEXT NOT NULL,
                 protocol_id TEXT NOT NULL, protocol_version INTEGER NOT NULL,
                 content_hash TEXT NOT NULL, envelope TEXT NOT NULL, received TEXT NOT NULL);",
        )?;
        let app = Router::new()
            .route("/raw", post(raw_insert))
            .with_state(Arc::new(Mutex::new(conn)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/raw", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(RawServer { url, _dir: dir })
    }
}

async fn raw_insert(
    State(conn): State<Arc<Mutex<Connection>>>,
    Json(batch): Json<RecordBatch>,
) -> Json<serde_json::Value> {
    let stored = tokio::task::spawn_blocking(move || {
        let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
        let now = OffsetDateTime::now_utc().to_string();
        let tx = conn.transaction().expect("raw bench transaction");
        for record in &batch.records {
            tx.execute(
                "INSERT INTO records VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    record.record_id.to_string(),
                    record.device_id.to_string(),
                    record.protocol_id,
                    record.protocol_version,
                    record.content_hash.0,
                    serde_json::to_string(record).expect("records serialise"),
                    now
                ],
            )
            .expect("raw bench insert");
        }
        tx.commit().expect("raw bench commit");
        batch.records.len()
    })
    .await
    .unwrap_or(0);
    Json(json!({ "stored": stored }))
}
