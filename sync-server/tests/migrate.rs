//! `fieldkit-server migrate`: a SQLite data folder filled through the real
//! API (records with findings, a conflict, a rejection, a withdrawal, web
//! users and sessions, audited exports, a supervisor's review with a note
//! the phone acknowledged, a bundle's pictures and sounds) is copied into a
//! PostgreSQL database; the copy reads back the same through the store, exports the
//! same bytes, and a server on it knows the phone's token. Running it again
//! copies nothing and passes; a withdrawal on the SQLite side afterwards
//! makes the check fail instead of leaving the record in PostgreSQL.
//!
//! Needs a PostgreSQL server (`FIELDKIT_TEST_POSTGRES`, set by the second
//! pass of `scripts/test`); on the SQLite pass it says so and returns.

mod support;

use fieldkit_protocols::feedback::{FeedbackAck, NoteText, ReviewDecision, ReviewState};
use fieldkit_protocols::rules::Rule;
use fieldkit_protocols::wire::Tombstone;
use fieldkit_sync_server::access::{Principal, Role};
use fieldkit_sync_server::export::{write_export, AgeGroups, Format};
use fieldkit_sync_server::store::postgres::scratch::ScratchDatabase;
use fieldkit_sync_server::store::{AuditEntry, ReviewFilter, Store, WebUser};
use serde_json::json;
use support::*;
use time::OffsetDateTime;
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_fieldkit-server");

fn migrate(from: &std::path::Path, to: &str) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(["migrate", "--from"])
        .arg(from)
        .args(["--to", to])
        .env_remove("FIELDKIT_DATABASE")
        .output()
        .unwrap()
}

fn export(store: &dyn Store, format: Format) -> String {
    let analyst = Principal {
        role: Role::Analyst,
        id: "ana".to_owned(),
    };
    let mut out = Vec::new();
    write_export(
        store,
        &analyst,
        "child-rapid-assessment",
        format,
        &AgeGroups::default(),
        &mut out,
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_folder_moves_to_postgresql_whole_and_a_rerun_changes_nothing() {
    let Some(target) = ScratchDatabase::from_env() else {
        eprintln!(
            "skipped: migrate needs PostgreSQL; scripts/test runs this on its PostgreSQL pass"
        );
        return;
    };
    // The source: SQLite, whatever this run's backend.
    let source = TestServer::start_with(|c| c.database = None).await;
    assert_eq!(source.store.backend(), "sqlite");
    let protocol = source.publish_shipped(CHILD_FILE);
    // A bundle: its cards and sounds must move byte for byte (R4).
    let focus = source.publish_shipped("focus-group-visualisation.toml");
    assert!(!focus.media.is_empty());
    let (device, token) = source.enrol("Amina").await;
    let mut records: Vec<_> = [9, 12, 15, 16]
        .into_iter()
        .map(|age| {
            seal(
                device,
                &protocol,
                completed_session(&protocol, start(&protocol, Some(age))),
            )
        })
        .collect();
    // One refused (edited after sealing) for a rejection row.
    let mut edited = records[0].clone();
    edited.respondent = "OTHER-1".to_owned();
    let edited = reseal(edited);
    let mut batch = records.clone();
    batch.push(edited);
    let results = source.submit(&token, &batch).await;
    assert_eq!(results[4]["status"], "rejected", "{}", results[4]);
    // A changed copy of a stored record: a conflict, kept apart.
    let mut conflicting = records[1].clone();
    let end = conflicting.events.pop().unwrap();
    conflicting.events.push(fieldkit_protocols::engine::Event {
        kind: fieldkit_protocols::engine::EventKind::NoteAdded {
            text: "note".into(),
        },
        ..end.clone()
    });
    conflicting.events.push(end);
    conflicting.events = renumber(conflicting.events);
    let conflicting = reseal(conflicting);
    let results = source.submit(&token, &[conflicting]).await;
    assert_eq!(results[0]["status"], "conflict", "{}", results[0]);
    // A withdrawal (R9).
    let withdrawn = records.pop().unwrap();
    let tombstone = Tombstone::new(
        Uuid::new_v4(),
        withdrawn.record_id,
        device,
        OffsetDateTime::now_utc().date(),
    );
    let (status, body) = source
        .post(
            "/api/v1/tombstones",
            &token,
            &json!({ "wire_version": "v1", "tombstones": [tombstone] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // A web user, a session, and an audited export.
    let now = OffsetDateTime::now_utc();
    source
        .store
        .add_web_user(
            &WebUser {
                login: "ana".into(),
                role: Role::Analyst,
                password_hash: "$argon2id$x".into(),
                disabled: false,
            },
            now,
        )
        .unwrap();
    // A disabled user and a failed login with its source address (the
    // columns added after the first schema).
    source
        .store
        .add_web_user(
            &WebUser {
                login: "sam".into(),
                role: Role::Supervisor,
                password_hash: "$argon2id$y".into(),
                disabled: false,
            },
            now,
        )
        .unwrap();
    assert!(source
        .store
        .set_web_user_disabled("sam", Some(now))
        .unwrap());
    source
        .store
        .write_audit(&AuditEntry {
            actor: "web".into(),
            action: "login_failed".into(),
            target: "sam".into(),
            at: now,
            source: Some("192.0.2.7".into()),
        })
        .unwrap();
    source
        .store
        .start_web_session(
            "session-hash",
            "ana",
            "csrf",
            now + time::Duration::hours(1),
        )
        .unwrap();
    // A review: one record rejected with a note the phone acknowledged,
    // another approved (three tables added after the first schemas).
    let supervisor = Principal {
        role: Role::Supervisor,
        id: "sam".into(),
    };
    let reject = ReviewDecision::new(
        Some(ReviewState::Rejected),
        Some((
            Some(Rule::R6),
            NoteText::scrubbed("Rapport came after the sensitive questions.")
                .unwrap()
                .0,
        )),
    )
    .unwrap();
    let approve = ReviewDecision::new(Some(ReviewState::Approved), None).unwrap();
    for (record, decision) in [(&records[0], &reject), (&records[1], &approve)] {
        source
            .store
            .review_records(&supervisor, &[record.record_id], decision, now)
            .unwrap();
    }
    let phone = Principal {
        role: Role::Device,
        id: device.to_string(),
    };
    let notes = source.store.device_feedback(&phone, device).unwrap();
    assert_eq!(notes.len(), 1);
    let ack = FeedbackAck {
        note_id: notes[0].note_id,
        acknowledged_at: now,
    };
    source
        .store
        .acknowledge_feedback(&phone, device, &[ack], now)
        .unwrap();
    let csv = export(&*source.store, Format::CsvWide);

    let output = migrate(source.dir(), &target.url);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        text.matches("same content").count(),
        18,
        "one line per table:\n{text}"
    );
    assert!(text.contains("Copied and checked"), "{text}");

    // A rerun copies nothing and still checks out.
    let again = migrate(source.dir(), &target.url);
    let text = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        again.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(
        text.lines()
            .filter(|l| l.contains("rows in SQLite"))
            .all(|l| l.contains("         0 copied now")),
        "{text}"
    );
    let copy = TestStore::with(|c| {
        c.database = Some(fieldkit_sync_server::config::DatabaseUrl::new(
            target.url.clone(),
        ));
    });
    // PostgreSQL keeps times to the microsecond; everything else is equal.
    let micros = |t: OffsetDateTime| t.replace_nanosecond(t.nanosecond() / 1000 * 1000).unwrap();
    let published = |store: &dyn Store| -> Vec<_> {
        store
            .protocols()
            .unwrap()
            .into_iter()
            .map(|p| {
                (
                    p.protocol_id,
                    p.version,
                    p.content_hash,
                    p.source_toml,
                    micros(p.published_at),
                )
            })
            .collect()
    };
    assert!(
        published(&*copy) == published(&*source.store),
        "published protocols differ"
    );
    for (path, entry) in &focus.media {
        let moved = copy.media_blob(&entry.sha256).unwrap();
        assert!(
            moved.is_some() && moved == source.store.media_blob(&entry.sha256).unwrap(),
            "{path} did not move whole"
        );
    }
    assert_eq!(copy.devices().unwrap().len(), 1);
    let (moved, kept) = (
        copy.sync_status(device).unwrap(),
        source.store.sync_status(device).unwrap(),
    );
    assert_eq!(
        (
            moved.stored,
            moved.rejected,
            moved.tombstones,
            moved.last_received
        ),
        (
            kept.stored,
            kept.rejected,
            kept.tombstones,
            kept.last_received.map(micros)
        )
    );
    assert_eq!((kept.stored, kept.rejected, kept.tombstones), (3, 1, 1));
    let admin = Principal {
        role: Role::Admin,
        id: "root".into(),
    };
    assert_eq!(
        copy.compliance_findings(&admin).unwrap(),
        source.store.compliance_findings(&admin).unwrap()
    );
    for record in &records {
        assert_eq!(
            copy.record_hash(record.record_id).unwrap(),
            Some(record.content_hash.clone())
        );
    }
    assert_eq!(
        copy.record_hash(withdrawn.record_id).unwrap(),
        None,
        "a withdrawn record came back"
    );
    assert_eq!(
        copy.web_session("session-hash", now).unwrap().unwrap().csrf,
        "csrf"
    );
    let entries = |store: &dyn Store| -> Vec<_> {
        store
            .audit_log(&admin)
            .unwrap()
            .into_iter()
            .map(|e| (e.actor, e.action, e.target, micros(e.at), e.source))
            .collect()
    };
    assert_eq!(entries(&*copy), entries(&*source.store));
    let users = |store: &dyn Store| -> Vec<_> {
        store
            .web_users()
            .unwrap()
            .into_iter()
            .map(|u| (u.login, u.role, u.disabled_at.map(micros)))
            .collect()
    };
    assert_eq!(users(&*copy), users(&*source.store));
    let reviews = |store: &dyn Store| -> Vec<_> {
        let queue = store
            .review_queue(&supervisor, &ReviewFilter::default())
            .unwrap();
        queue
            .iter()
            .map(|item| {
                let review = store
                    .record_review(&supervisor, item.record_id)
                    .unwrap()
                    .unwrap();
                let notes: Vec<_> = review
                    .notes
                    .into_iter()
                    .map(|n| {
                        (
                            n.note_id,
                            n.rule,
                            n.text,
                            n.author,
                            micros(n.written_at),
                            n.acknowledged_at.map(micros),
                        )
                    })
                    .collect();
                let history: Vec<_> = review
                    .history
                    .into_iter()
                    .map(|h| (h.actor, h.change, micros(h.at)))
                    .collect();
                let item = review.item;
                (
                    item.record_id,
                    item.state,
                    item.rules,
                    item.reference,
                    item.notes,
                    item.acknowledged,
                    notes,
                    history,
                )
            })
            .collect()
    };
    let moved_reviews = reviews(&*copy);
    assert_eq!(moved_reviews, reviews(&*source.store));
    // Found by id: two records received in the same second may list in
    // either order.
    let rejected = moved_reviews
        .iter()
        .find(|r| r.0 == records[0].record_id)
        .expect("the rejected record's review moved");
    assert_eq!(rejected.5, 1, "the acknowledgement moved");
    assert_eq!(
        copy.review_counts(&supervisor).unwrap(),
        source.store.review_counts(&supervisor).unwrap()
    );
    assert!(copy.device_feedback(&phone, device).unwrap().is_empty());
    // The same export, review states included, before the copy changes.
    assert_eq!(
        export(&*copy, Format::CsvWide),
        csv,
        "the export differs after the move"
    );
    // History ids go on after the copied ones.
    copy.review_records(&supervisor, &[records[2].record_id], &approve, now)
        .unwrap();
    assert!(users(&*copy)[1].2.is_some(), "sam stays disabled");
    // The withdrawal stays final in the copy: nobody may store the id again.
    let again = fieldkit_sync_server::store::VerifiedRecord {
        record_id: withdrawn.record_id,
        device_id: Uuid::new_v4(),
        protocol_id: withdrawn.protocol_id.clone(),
        protocol_version: withdrawn.protocol_version,
        content_hash: withdrawn.content_hash.clone(),
        envelope_json: "{}".into(),
        findings: Vec::new(),
    };
    assert_eq!(
        copy.store_record(&again, now).unwrap(),
        fieldkit_sync_server::store::StoreOutcome::Withdrawn
    );

    // New audit rows after the copy go on after the copied ids.
    copy.audit(&admin, "after-the-move", "x", now).unwrap();
    assert_eq!(
        copy.audit_log(&admin).unwrap().last().unwrap().action,
        "after-the-move"
    );

    // A withdrawal on the SQLite side after the copy: the check fails and
    // says where, instead of passing with the record still in PostgreSQL.
    let late = Tombstone::new(
        Uuid::new_v4(),
        records[0].record_id,
        device,
        OffsetDateTime::now_utc().date(),
    );
    source
        .store
        .apply_tombstone(&late, OffsetDateTime::now_utc())
        .unwrap();
    let refused = migrate(source.dir(), &target.url);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("records") && stderr.contains("fresh, empty database"),
        "{stderr}"
    );
}
