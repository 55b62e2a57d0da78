//! The export figures: a store filled directly with realistic records (real
//! engine-made sessions, 5 KB of JSON each), then `fieldkit-server export`
//! run as a child process, timed, its peak resident memory read from
//! `/proc/<pid>/status` (VmHWM) while it runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use fieldkit_protocols::{library, Protocol};
use fieldkit_sync_server::config::DatabaseUrl;
use fieldkit_sync_server::store::postgres::scratch::ScratchDatabase;
use fieldkit_sync_server::store::{SqliteStore, Store};
use fieldkit_sync_server::{admin, Config};
use rusqlite::{params, Connection};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{completed_session_with, seal, Figure, CHILD_FILE};

/// Distinct sessions the records are copied from (ages, languages, answers
/// and sizes vary across them; only the ids differ between copies).
const TEMPLATES: usize = 64;
const TX_ROWS: usize = 20_000;

/// `fieldkit-server` built beside this driver (`scripts/bench` builds both).
pub fn server_binary() -> Result<PathBuf> {
    let bin = std::env::current_exe()?.with_file_name("fieldkit-server");
    if !bin.exists() {
        bail!(
            "{} is missing: run `cargo build --release -p fieldkit-sync-server --bin fieldkit-server` (scripts/bench does)",
            bin.display()
        );
    }
    Ok(bin)
}

pub fn export_figures(sizes: &[usize]) -> Result<Vec<Figure>> {
    if sizes.is_empty() {
        return Ok(Vec::new());
    }
    let bin = server_binary()?;
    let mut figures = Vec::new();
    for &size in sizes {
        let dir = tempfile::tempdir_in(std::env::temp_dir())?;
        let protocol = fill(dir.path(), size)?;
        let formats: &[&str] = if size <= 100_000 {
            &["csv-wide", "csv-long", "json"]
        } else {
            &["csv-wide"]
        };
        for format in formats {
            let run = run_export(&bin, dir.path(), None, &protocol.id, format)?;
            let (seconds, peak_kib) = (run.seconds, run.peak_kib);
            eprintln!(
                "export {format} of {size} records: {seconds:.2} s wall, {:.2} s CPU, peak RSS {} MB, {} MB written",
                run.cpu_seconds,
                peak_kib / 1024,
                run.bytes / 1_000_000
            );
            let per_million = seconds * 1e6 / size as f64;
            figures.push(Figure {
                name: format!("export {format}, {size} records (time; peak RSS)"),
                value: format!(
                    "{seconds:.2} s (CPU {:.2} s); {:.0} MB",
                    run.cpu_seconds,
                    peak_kib as f64 / 1024.0
                ),
                ceiling: "1M in 30 s; 100 MB (target)".to_owned(),
                ratio: Some(30.0 / per_million),
                target: "1M < 30 s, < 100 MB",
            });
        }
    }
    Ok(figures)
}

/// The export of `size` records from a fresh PostgreSQL database on the
/// server `admin_url` names, measured as the SQLite one is.
pub fn postgres_export(admin_url: &str, size: usize) -> Result<Vec<Figure>> {
    let bin = server_binary()?;
    let db = ScratchDatabase::create(admin_url)?;
    let dir = tempfile::tempdir()?;
    let config = Config {
        data: dir.path().to_owned(),
        database: Some(DatabaseUrl::new(db.url.clone())),
        ..Config::default()
    };
    let protocol = publish(&*fieldkit_sync_server::store::open(&config)?)?;
    let started = Instant::now();
    super::postgres::fill(&db.url, &protocol, &templates(&protocol)?, size)?;
    eprintln!(
        "filled PostgreSQL with {size} records in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let run = run_export(&bin, dir.path(), Some(&db.url), &protocol.id, "csv-wide")?;
    eprintln!(
        "PostgreSQL export csv-wide of {size} records: {:.2} s wall, {:.2} s CPU, peak RSS {} MB",
        run.seconds,
        run.cpu_seconds,
        run.peak_kib / 1024
    );
    Ok(vec![Figure {
        name: format!("PostgreSQL: export csv-wide, {size} records (time; peak RSS)"),
        value: format!(
            "{:.2} s (CPU {:.2} s); {:.0} MB",
            run.seconds,
            run.cpu_seconds,
            run.peak_kib as f64 / 1024.0
        ),
        ceiling: "1M in 60 s; 100 MB (target)".to_owned(),
        ratio: Some(60.0 / (run.seconds * 1e6 / size as f64)),
        target: "1M < 60 s, < 100 MB",
    }])
}

fn publish(store: &dyn Store) -> Result<Arc<Protocol>> {
    let source = library::demo_source(CHILD_FILE);
    let (protocol, _) =
        admin::publish_source(store, CHILD_FILE, &source, OffsetDateTime::now_utc())?;
    Ok(Arc::new(protocol))
}

/// [`TEMPLATES`] distinct sessions (ages vary), as ids and JSON.
fn templates(protocol: &Arc<Protocol>) -> Result<Vec<(Uuid, String)>> {
    let device = Uuid::new_v4();
    (0..TEMPLATES)
        .map(|n| {
            let age = 8 + (n % 10) as u8;
            let envelope = seal(device, protocol, &completed_session_with(protocol, age));
            Ok((envelope.record_id, serde_json::to_string(&envelope)?))
        })
        .collect()
}

/// Publishes the child protocol and inserts `size` records straight into
/// the store's SQLite file, in large transactions (not over HTTP: the
/// figure is the export's).
fn fill(dir: &Path, size: usize) -> Result<Arc<Protocol>> {
    let protocol = publish(&SqliteStore::open_dir(dir)?)?;
    let device = Uuid::new_v4();
    let templates = templates(&protocol)?;
    let started = Instant::now();
    let mut conn = Connection::open(dir.join("fieldkit.sqlite3"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let base = OffsetDateTime::now_utc() - time::Duration::days(30);
    let mut done = 0;
    while done < size {
        let tx = conn.transaction()?;
        {
            let mut insert =
                tx.prepare("INSERT INTO records VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
            for i in done..size.min(done + TX_ROWS) {
                let (template_id, json) = &templates[i % TEMPLATES];
                let id = Uuid::new_v4().to_string();
                let json = json.replace(&template_id.to_string(), &id);
                let received = (base + time::Duration::milliseconds(i as i64)).format(&Rfc3339)?;
                insert.execute(params![
                    id,
                    device.to_string(),
                    protocol.id,
                    protocol.version,
                    format!("sha256:{:064x}", i),
                    json,
                    received
                ])?;
            }
        }
        tx.commit()?;
        done = size.min(done + TX_ROWS);
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    eprintln!(
        "filled {size} records in {:.1} s ({} KB of JSON each, {TEMPLATES} distinct sessions)",
        started.elapsed().as_secs_f64(),
        templates[0].1.len() / 1000
    );
    Ok(protocol)
}

struct ExportRun {
    seconds: f64,
    /// User + system time of the export process: less sensitive than wall
    /// time to other work sharing the cores.
    cpu_seconds: f64,
    peak_kib: u64,
    bytes: u64,
}

/// Runs one export to a file and measures it: from the SQLite file in
/// `data`, or from the PostgreSQL `database`.
fn run_export(
    bin: &Path,
    data: &Path,
    database: Option<&str>,
    protocol: &str,
    format: &str,
) -> Result<ExportRun> {
    let out = data.join(format!("export-{format}.out"));
    let started = Instant::now();
    let mut command = Command::new(bin);
    match database {
        Some(url) => command.env("FIELDKIT_DATABASE", url),
        None => command.env_remove("FIELDKIT_DATABASE"),
    };
    let mut child = command
        .args(["export", "--data"])
        .arg(data)
        .args(["--protocol", protocol, "--format", format, "-o"])
        .arg(&out)
        .env_remove("FIELDKIT_DATA")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let status_file = format!("/proc/{}/status", child.id());
    let stat_file = format!("/proc/{}/stat", child.id());
    let mut peak_kib = 0;
    let mut cpu_ticks = 0;
    let status = loop {
        // VmHWM only grows, so the last reading is the peak up to ~5 ms
        // before exit; an exited (zombie) process no longer reports it.
        if let Some(kib) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| vm_hwm_kib(&s))
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(ticks) = std::fs::read_to_string(&stat_file)
            .ok()
            .and_then(|s| cpu_ticks_of(&s))
        {
            cpu_ticks = cpu_ticks.max(ticks);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            std::io::Read::read_to_string(&mut e, &mut err)?;
        }
        bail!("export {format} failed: {err}");
    }
    let bytes = std::fs::metadata(&out)?.len();
    std::fs::remove_file(&out)?;
    Ok(ExportRun {
        seconds,
        // Linux reports CPU time in clock ticks of 1/100 s.
        cpu_seconds: cpu_ticks as f64 / 100.0,
        peak_kib,
        bytes,
    })
}

/// utime + stime from `/proc/<pid>/stat` (fields 14 and 15, after the
/// parenthesised command name).
fn cpu_ticks_of(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
