//! The PostgreSQL figures, on the server named by `FIELDKIT_BENCH_POSTGRES`
//! (`scripts/bench` starts a throwaway cluster with PostgreSQL's durable
//! defaults): ingest with verification against an insert-only ceiling on
//! the same PostgreSQL, two `fieldkit-server` processes against one, and an
//! export of N records with its peak memory. Each figure gets a fresh
//! database of its own.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use deadpool_postgres::{Manager, ManagerConfig, Pool};
use fieldkit_protocols::wire::{RecordBatch, RecordEnvelope};
use fieldkit_protocols::Protocol;
use fieldkit_sync_server::store::postgres::scratch::ScratchDatabase;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{ingest, median, records_for, BenchServer, Figure, PER_DEVICE_RECORDS, ROUNDS};

pub const VARIABLE: &str = "FIELDKIT_BENCH_POSTGRES";

pub async fn figures(admin_url: &str, export_size: Option<usize>) -> Result<Vec<Figure>> {
    let mut figures = ingest_figures(admin_url).await?;
    figures.push(two_instances(admin_url).await?);
    if let Some(size) = export_size {
        let url = admin_url.to_owned();
        figures.extend(
            tokio::task::spawn_blocking(move || super::export::postgres_export(&url, size))
                .await??,
        );
    }
    Ok(figures)
}

/// Eight devices enrolled on `server`, with [`PER_DEVICE_RECORDS`] records each.
async fn devices_with_records(
    server: &BenchServer,
    protocol: &Arc<Protocol>,
) -> Result<Vec<(String, Vec<RecordEnvelope>)>> {
    Ok(records_for(&enrol_eight(server).await?, protocol))
}

async fn enrol_eight(server: &BenchServer) -> Result<Vec<(Uuid, String)>> {
    let mut devices = Vec::new();
    for n in 0..8 {
        devices.push(server.enrol(&format!("researcher {n}")).await?);
    }
    Ok(devices)
}

async fn ingest_figures(admin_url: &str) -> Result<Vec<Figure>> {
    let db = ScratchDatabase::create(admin_url)?;
    let server = BenchServer::start(Some(db.url.clone())).await?;
    let protocol = server.publish_child()?;
    let client = reqwest::Client::new();
    let raw_db = ScratchDatabase::create(admin_url)?;
    let raw = RawPostgres::start(&raw_db.url).await?;
    let url = server.url("/api/v1/records");
    // Fresh records each round, Fieldkit then the ceiling; medians, as for SQLite.
    let (mut verified_1, mut raw_1, mut verified_8, mut raw_8) = (vec![], vec![], vec![], vec![]);
    let enrolled = enrol_eight(&server).await?;
    for _ in 0..ROUNDS {
        let devices = records_for(&enrolled, &protocol);
        let one = vec![devices[0].clone()];
        let devices: Vec<_> = devices[1..].to_vec();
        verified_1.push(ingest(&client, &url, one.clone()).await?);
        raw_1.push(ingest(&client, &raw.url, one).await?);
        verified_8.push(ingest(&client, &url, devices.clone()).await?);
        raw_8.push(ingest(&client, &raw.url, devices).await?);
    }
    let (verified_1, raw_1) = (median(verified_1), median(raw_1));
    let (verified_8, raw_8) = (median(verified_8), median(raw_8));
    let row = |name: &str, ours: f64, ceiling: f64| Figure {
        name: name.to_owned(),
        value: format!("{ours:.0} records/s"),
        ceiling: format!("{ceiling:.0} records/s (insert-only, same PostgreSQL)"),
        ratio: Some(ours / ceiling),
        target: ">= 0.6x",
    };
    Ok(vec![
        row(
            "PostgreSQL: ingest + verification, 1 device",
            verified_1,
            raw_1,
        ),
        row(
            "PostgreSQL: ingest + verification, 7 devices",
            verified_8,
            raw_8,
        ),
    ])
}

/// Seconds of CPU the whole machine spent busy, from `/proc/stat`.
fn busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle and iowait.
    let busy: f64 = fields
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .take(6)
        .sum();
    busy / 100.0
}

/// The same eight devices' records sent to one `fieldkit-server serve`
/// process, then (fresh database) split over two processes, as a balancer
/// would; the driver, both servers and PostgreSQL share this machine.
async fn two_instances(admin_url: &str) -> Result<Figure> {
    let bin = super::export::server_binary()?;
    let mut rates = Vec::new();
    let mut cpu = Vec::new();
    for instances in [1usize, 2] {
        let db = ScratchDatabase::create(admin_url)?;
        let admin = BenchServer::start(Some(db.url.clone())).await?;
        let protocol = admin.publish_child()?;
        let devices = devices_with_records(&admin, &protocol).await?;
        let mut children = Vec::new();
        let mut urls = Vec::new();
        for _ in 0..instances {
            let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
            children.push(
                tokio::process::Command::new(&bin)
                    .args(["serve", "--listen", &port.to_string()])
                    .env("FIELDKIT_DATABASE", &db.url)
                    .env("FIELDKIT_RATE_PER_MINUTE", "1000000")
                    .env("FIELDKIT_RATE_BURST", "1000000")
                    .env("RUST_LOG", "warn")
                    .kill_on_drop(true)
                    .spawn()?,
            );
            urls.push(format!("http://{port}/api/v1/records"));
        }
        let client = reqwest::Client::new();
        for url in &urls {
            wait_for(&client, url).await?;
        }
        // Devices take turns between the instances.
        let started = Instant::now();
        let busy = busy_seconds();
        let mut runs = Vec::new();
        for (n, device) in devices.into_iter().enumerate() {
            let url = urls[n % instances].clone();
            let client = client.clone();
            runs.push(tokio::spawn(async move {
                ingest(&client, &url, vec![device]).await
            }));
        }
        let mut total = 0.0;
        for run in runs {
            // Each run's rate times its own length is its records; the
            // figure is all records over the whole wall time.
            run.await??;
            total += PER_DEVICE_RECORDS as f64;
        }
        let wall = started.elapsed().as_secs_f64();
        let machine = (busy_seconds() - busy) / wall / num_cores() as f64;
        eprintln!(
            "{instances} instance(s): {:.0} records/s, machine CPU busy {:.0} %",
            total / wall,
            machine * 100.0
        );
        rates.push(total / wall);
        cpu.push(machine);
        drop(children);
    }
    Ok(Figure {
        name: "PostgreSQL: ingest, 2 server processes vs 1 (8 devices)".to_owned(),
        value: format!(
            "{:.0} records/s (machine CPU {:.0} % busy)",
            rates[1],
            cpu[1] * 100.0
        ),
        ceiling: format!(
            "{:.0} records/s with 1 process (CPU {:.0} % busy)",
            rates[0],
            cpu[0] * 100.0
        ),
        ratio: Some(rates[1] / rates[0]),
        target: ">= 1.5x",
    })
}

fn num_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

async fn wait_for(client: &reqwest::Client, url: &str) -> Result<()> {
    let health = url.replace("/api/v1/records", "/healthz");
    for _ in 0..200 {
        if client.get(&health).send().await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bail!("{health} did not answer within 10 s")
}

/// The insert-only ceiling on PostgreSQL: the same JSON batch parsed by
/// axum and inserted in one transaction with one statement, as the store's
/// own insert does, but nothing checked. Bench-only, never shipped.
struct RawPostgres {
    url: String,
}

impl RawPostgres {
    async fn start(database: &str) -> Result<RawPostgres> {
        let config: tokio_postgres::Config = database.parse()?;
        let pool = Pool::builder(Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig::default(),
        ))
        .max_size(8)
        .build()?;
        pool.get()
            .await?
            .batch_execute(
                "CREATE TABLE records (record_id uuid PRIMARY KEY, device_id uuid NOT NULL,
                     protocol_id text NOT NULL, protocol_version bigint NOT NULL,
                     content_hash text NOT NULL, envelope text NOT NULL,
                     received_at timestamptz NOT NULL)",
            )
            .await?;
        let app = Router::new()
            .route("/raw", post(raw_insert))
            .with_state(pool);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/raw", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(RawPostgres { url })
    }
}

async fn raw_insert(
    State(pool): State<Pool>,
    Json(batch): Json<RecordBatch>,
) -> Json<serde_json::Value> {
    let records = &batch.records;
    let ids: Vec<Uuid> = records.iter().map(|r| r.record_id).collect();
    let devices: Vec<Uuid> = records.iter().map(|r| r.device_id).collect();
    let protocols: Vec<&str> = records.iter().map(|r| r.protocol_id.as_str()).collect();
    let versions: Vec<i64> = records
        .iter()
        .map(|r| i64::from(r.protocol_version))
        .collect();
    let hashes: Vec<&str> = records.iter().map(|r| r.content_hash.0.as_str()).collect();
    let envelopes: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).expect("records serialise"))
        .collect();
    let mut client = pool.get().await.expect("raw bench connection");
    let tx = client.transaction().await.expect("raw bench transaction");
    tx.execute(
        "INSERT INTO records SELECT r.*, $7::timestamptz
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[]) AS r",
        &[&ids, &devices, &protocols, &versions, &hashes, &envelopes, &OffsetDateTime::now_utc()],
    )
    .await
    .expect("raw bench insert");
    tx.commit().await.expect("raw bench commit");
    Json(json!({ "stored": records.len() }))
}

/// Fills a fresh database's records table from 64 distinct sessions with
/// one server-side statement per 50,000 rows (ids replaced, like the SQLite
/// fill), for the export figure.
pub fn fill(
    database: &str,
    protocol: &Protocol,
    templates: &[(Uuid, String)],
    size: usize,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(database, tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        client
            .batch_execute("CREATE TEMPORARY TABLE templates (n int, id text, envelope text)")
            .await?;
        for (n, (id, json)) in templates.iter().enumerate() {
            client
                .execute(
                    "INSERT INTO templates VALUES ($1, $2, $3)",
                    &[&(n as i32), &id.to_string(), json],
                )
                .await?;
        }
        let device = Uuid::new_v4();
        let mut done = 0usize;
        while done < size {
            let end = size.min(done + 50_000);
            client
                .execute(
                    "INSERT INTO records
                     SELECT g.id, $1, $2, $3, 'sha256:' || lpad(to_hex(g.i), 64, '0'),
                            replace(t.envelope, t.id, g.id::text),
                            now() - interval '30 days' + g.i * interval '1 millisecond'
                     FROM (SELECT i, gen_random_uuid() AS id FROM generate_series($4::bigint, $5::bigint - 1) AS i) g
                     JOIN templates t ON t.n = g.i % $6",
                    &[
                        &device,
                        &protocol.id,
                        &i64::from(protocol.version),
                        &(done as i64),
                        &(end as i64),
                        &(templates.len() as i64),
                    ],
                )
                .await
                .context("filling records")?;
            done = end;
        }
        client.batch_execute("VACUUM ANALYZE records").await?;
        anyhow::Ok(())
    })
}
