//! Vault figures beside their raw ceilings, in one run:
//! - writing one session event (seal + one synced transaction) against a
//!   plain SQLite insert of bytes of the same size, same pragmas;
//! - sealing and opening 1 KiB with XChaCha20-Poly1305 alone;
//! - unlocking with the default Argon2id cost;
//! - reading and decrypting a whole session.
//!
//! Run with `scripts/bench`; figures land in target/criterion and are
//! tabulated by `fieldkit-bench report`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use criterion::{criterion_group, criterion_main, Criterion};
use fieldkit_mobile::vault::{KdfParams, Passphrase, Vault, VaultSettings};
use fieldkit_protocols::engine::{Event, EventKind, SessionKind, SessionStart};
use fieldkit_protocols::Value;
use rand::RngCore;
use rusqlite::{params, Connection};
use time::macros::datetime;
use uuid::Uuid;

/// About the size of a free-text answer with its event framing.
const ANSWER_BYTES: usize = 1024;
/// Events in the session read back by `vault/read_session`.
const SESSION_EVENTS: u64 = 200;

fn start_event(session_id: Uuid) -> Event {
    Event {
        seq: 0,
        at: datetime!(2026-03-06 10:00 UTC),
        kind: EventKind::SessionStarted(SessionStart {
            session_id,
            protocol_id: "child-rapid-assessment".to_owned(),
            protocol_version: 1,
            protocol_hash: fieldkit_protocols::ContentHash::of(&"bench"),
            language: "en".to_owned(),
            interviewer_languages: vec!["en".to_owned()],
            kind: SessionKind::Full,
            respondent: "7K2M-Q".to_owned(),
            respondent_age: Some(12),
            linked_child: None,
            site_type: None,
            weekday: None,
            findings_pack: None,
        }),
    }
}

fn answer_event(seq: u64) -> Event {
    Event {
        seq,
        at: datetime!(2026-03-06 10:00 UTC) + time::Duration::seconds(seq as i64),
        kind: EventKind::Answered {
            question_id: format!("q{}", seq % 40),
            value: Value::Text("x".repeat(ANSWER_BYTES)),
        },
    }
}

/// A vault with a cheap KDF: these figures are about writes, not unlocks.
fn cheap_vault(dir: &Path) -> Vault {
    let settings = VaultSettings {
        kdf: KdfParams::INSECURE_TEST_ONLY,
        ..VaultSettings::default()
    };
    Vault::create(dir, &Passphrase::new("bench passphrase"), settings).unwrap()
}

/// The same pragmas as the vault (WAL, synchronous FULL, temp in memory,
/// secure delete) and the same table shape.
fn raw_sqlite(dir: &Path) -> Connection {
    let conn = Connection::open(dir.join("raw.sqlite")).unwrap();
    let _: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;
         CREATE TABLE events (session_id TEXT NOT NULL, seq INTEGER NOT NULL,
             format INTEGER NOT NULL, sealed BLOB NOT NULL,
             PRIMARY KEY (session_id, seq)) WITHOUT ROWID;",
    )
    .unwrap();
    conn
}

fn sealed_size_of(event: &Event) -> usize {
    // nonce (24) + JSON + tag (16): what the vault stores for this event.
    24 + serde_json::to_vec(event).unwrap().len() + 16
}

fn write_event(c: &mut Criterion) {
    let mut group = c.benchmark_group("vault");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));

    let dir = tempfile::tempdir().unwrap();
    let mut vault = cheap_vault(dir.path());
    let session = Uuid::new_v4();
    vault.append_event(session, &start_event(session)).unwrap();
    let mut seq = 1;
    group.bench_function("append_event", |b| {
        b.iter(|| {
            vault.append_event(session, &answer_event(seq)).unwrap();
            seq += 1;
        });
    });

    let conn = raw_sqlite(dir.path());
    let mut bytes = vec![0u8; sealed_size_of(&answer_event(1))];
    rand::thread_rng().fill_bytes(&mut bytes);
    let raw_session = session.to_string();
    let mut raw_seq: i64 = 0;
    group.bench_function("raw_sqlite_insert", |b| {
        b.iter(|| {
            // One transaction per row, as the vault commits each event alone.
            conn.execute(
                "INSERT INTO events (session_id, seq, format, sealed) VALUES (?1, ?2, 1, ?3)",
                params![raw_session, raw_seq, bytes],
            )
            .unwrap();
            raw_seq += 1;
        });
    });
    group.finish();
}

fn aead(c: &mut Criterion) {
    let mut group = c.benchmark_group("vault");
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_secs(1));
    let cipher = XChaCha20Poly1305::new(&[7u8; 32].into());
    let plaintext = vec![0x42u8; 1024];
    let aad = b"fieldkit-record-v1\0event\0bench#1\0";
    group.bench_function("aead_roundtrip_1k", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 24];
            rand::thread_rng().fill_bytes(&mut nonce);
            let nonce = XNonce::from_slice(&nonce);
            let sealed = cipher
                .encrypt(
                    nonce,
                    Payload {
                        msg: &plaintext,
                        aad,
                    },
                )
                .unwrap();
            let opened = cipher
                .decrypt(nonce, Payload { msg: &sealed, aad })
                .unwrap();
            black_box(opened)
        });
    });
    group.finish();
}

fn unlock(c: &mut Criterion) {
    let mut group = c.benchmark_group("vault");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1));
    let dir = tempfile::tempdir().unwrap();
    let passphrase = Passphrase::new("bench passphrase");
    // The shipped default cost (64 MiB, 3 passes): what a researcher waits for.
    drop(Vault::create(dir.path(), &passphrase, VaultSettings::default()).unwrap());
    group.bench_function("unlock_default_kdf", |b| {
        b.iter(|| black_box(Vault::unlock(dir.path(), &passphrase).unwrap()));
    });
    group.finish();
}

fn read_session(c: &mut Criterion) {
    let mut group = c.benchmark_group("vault");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    let dir = tempfile::tempdir().unwrap();
    let mut vault = cheap_vault(dir.path());
    let session = Uuid::new_v4();
    vault.append_event(session, &start_event(session)).unwrap();
    for seq in 1..SESSION_EVENTS {
        vault.append_event(session, &answer_event(seq)).unwrap();
    }
    group.bench_function("read_session_200", |b| {
        b.iter(|| {
            let events = vault.session_events(session).unwrap();
            assert_eq!(events.len() as u64, SESSION_EVENTS);
            black_box(events)
        });
    });
    let conn = Connection::open(dir.path().join("vault.sqlite")).unwrap();
    group.bench_function("raw_read_session_200", |b| {
        b.iter(|| {
            let mut stmt = conn
                .prepare_cached("SELECT sealed FROM events WHERE session_id = ?1 ORDER BY seq")
                .unwrap();
            let rows: Vec<Vec<u8>> = stmt
                .query_map([session.to_string()], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            black_box(rows)
        });
    });
    group.finish();
}

criterion_group!(benches, aead, write_event, read_session, unlock);
criterion_main!(benches);
