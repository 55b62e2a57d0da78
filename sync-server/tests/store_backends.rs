//! The store itself, on whichever backend this run uses (SQLite, or the
//! PostgreSQL named by `FIELDKIT_TEST_POSTGRES`): schema versions, and two
//! handles on one database (two server instances, or the CLI beside a
//! server) writing at the same moment.

mod support;

use std::sync::{Arc, Barrier};

use fieldkit_protocols::wire::{RecordEnvelope, RecordStatus, Tombstone, TombstoneStatus};
use fieldkit_sync_server::access::{Principal, Role};
use fieldkit_sync_server::admin;
use fieldkit_sync_server::secrets::{hash_secret, normalise_code};
use fieldkit_sync_server::store::{Device, Store, StoreError};
use fieldkit_sync_server::verify::{verify_and_store_batch, ProtocolCache};
use support::*;
use time::OffsetDateTime;
use uuid::Uuid;

/// An enrolled device on `store`, as the enrol API makes it.
fn device(store: &dyn Store, researcher: &str) -> Device {
    let now = OffsetDateTime::now_utc();
    let code = admin::enrol(store, researcher, &["en".into()], 1, now).unwrap();
    store
        .redeem_enrolment(
            &hash_secret(&normalise_code(code.expose())),
            Uuid::new_v4(),
            &format!("token of {researcher}"),
            &accepted(),
            now,
        )
        .unwrap()
        .unwrap()
}

/// Runs `work` on two threads released at the same moment.
fn at_once<T: Send>(work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(2);
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..2)
            .map(|i| {
                let (barrier, work) = (&barrier, &work);
                scope.spawn(move || {
                    barrier.wait();
                    work(i)
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

#[test]
fn a_database_written_by_a_newer_binary_is_refused_and_left_as_it_is() {
    let store = TestStore::new();
    store.publish_shipped(CHILD_FILE);
    match store.backend() {
        "postgres" => store.execute_sql(
            "INSERT INTO fieldkit_schema (version, description) VALUES (999, 'from a newer binary')",
        ),
        _ => store.execute_sql("PRAGMA user_version = 999"),
    }
    let refused = fieldkit_sync_server::store::open(&store.config)
        .err()
        .unwrap();
    assert!(
        matches!(refused, StoreError::TooNew { found: 999, .. }),
        "{refused:?}"
    );
    let message = refused.to_string();
    assert!(
        message.contains("newer fieldkit-server") && message.contains("backup"),
        "{message}"
    );
    // Nothing was changed: the data is still there for the newer binary.
    assert_eq!(store.protocols().unwrap().len(), 1);
}

#[test]
fn opening_again_keeps_everything_and_migrates_nothing_twice() {
    let store = TestStore::new();
    let protocol = store.publish_shipped(CHILD_FILE);
    let amina = device(&*store, "Amina");
    for _ in 0..3 {
        let again = store.reopen();
        assert_eq!(again.protocols().unwrap()[0].protocol_id, protocol.id);
        assert_eq!(again.devices().unwrap(), vec![amina.clone()]);
    }
}

/// Two instances given the same batch at once (a phone retrying through a
/// balancer): every record is stored once, the other copy is a duplicate.
#[test]
fn the_same_batch_on_two_instances_at_once_is_stored_exactly_once() {
    let store = TestStore::new();
    let protocol = store.publish_shipped(CHILD_FILE);
    let amina = device(&*store, "Amina");
    let batch: Vec<RecordEnvelope> = (0..20)
        .map(|_| seal(amina.device_id, &protocol, child_session(&protocol)))
        .collect();
    let instances = [store.reopen(), store.reopen()];
    let caches = [ProtocolCache::default(), ProtocolCache::default()];
    let now = OffsetDateTime::now_utc();
    let results = at_once(|i| {
        verify_and_store_batch(&*instances[i], &caches[i], &amina, &batch, now).unwrap()
    });
    for (n, record) in batch.iter().enumerate() {
        let outcomes = [&results[0][n], &results[1][n]];
        let stored = outcomes
            .iter()
            .filter(|s| ***s == RecordStatus::Stored)
            .count();
        assert_eq!(stored, 1, "record {n}: {outcomes:?}");
        assert!(outcomes.contains(&&RecordStatus::Duplicate), "{outcomes:?}");
        assert_eq!(
            store.record_hash(record.record_id).unwrap(),
            Some(record.content_hash.clone())
        );
    }
    let status = store.sync_status(amina.device_id).unwrap();
    assert_eq!((status.stored, status.rejected), (20, 0));
}

/// A resent batch is answered from one lookup of the stored hashes: the
/// ids stored come back with their hashes, the others not at all.
#[test]
fn stored_hashes_are_looked_up_for_a_whole_batch_at_once() {
    let store = TestStore::new();
    let protocol = store.publish_shipped(CHILD_FILE);
    let amina = device(&*store, "Amina");
    let batch: Vec<RecordEnvelope> = (0..3)
        .map(|_| seal(amina.device_id, &protocol, child_session(&protocol)))
        .collect();
    let now = OffsetDateTime::now_utc();
    let cache = ProtocolCache::default();
    verify_and_store_batch(&*store, &cache, &amina, &batch[..2], now).unwrap();
    let ids: Vec<_> = batch.iter().map(|r| r.record_id).collect();
    let found = store.record_hashes(&ids).unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    for record in &batch[..2] {
        assert_eq!(found.get(&record.record_id), Some(&record.content_hash));
    }
    assert!(!found.contains_key(&batch[2].record_id));
    assert!(store.record_hashes(&[]).unwrap().is_empty());
    let again = verify_and_store_batch(&*store, &cache, &amina, &batch, now).unwrap();
    assert_eq!(
        again,
        [
            RecordStatus::Duplicate,
            RecordStatus::Duplicate,
            RecordStatus::Stored
        ]
    );
}

/// A batch large enough to be replayed on several threads answers each
/// record as if it came alone, in the order sent: new ones stored, resent
/// ones duplicates, a tampered one or another device's refused.
#[test]
fn a_large_batch_is_answered_record_by_record_in_order() {
    let store = TestStore::new();
    let protocol = store.publish_shipped(CHILD_FILE);
    let amina = device(&*store, "Amina");
    let bilal = device(&*store, "Bilal");
    let mut batch: Vec<RecordEnvelope> = (0..100)
        .map(|_| seal(amina.device_id, &protocol, child_session(&protocol)))
        .collect();
    let now = OffsetDateTime::now_utc();
    let cache = ProtocolCache::default();
    let resent: Vec<usize> = (0..100).filter(|n| n % 7 == 3).collect();
    let earlier: Vec<RecordEnvelope> = resent.iter().map(|&n| batch[n].clone()).collect();
    verify_and_store_batch(&*store, &cache, &amina, &earlier, now).unwrap();
    batch[40].content_hash = batch[41].content_hash.clone();
    batch[77] = seal(bilal.device_id, &protocol, child_session(&protocol));
    let answers = verify_and_store_batch(&*store, &cache, &amina, &batch, now).unwrap();
    assert_eq!(answers.len(), 100);
    for (n, answer) in answers.iter().enumerate() {
        match n {
            40 | 77 => assert!(
                matches!(answer, RecordStatus::Rejected { .. }),
                "{n}: {answer:?}"
            ),
            n if resent.contains(&n) => assert_eq!(answer, &RecordStatus::Duplicate, "{n}"),
            n => assert_eq!(answer, &RecordStatus::Stored, "{n}"),
        }
    }
    assert_eq!(store.record_hash(batch[40].record_id).unwrap(), None);
    assert_eq!(store.record_hash(batch[77].record_id).unwrap(), None);
    let status = store.sync_status(amina.device_id).unwrap();
    assert_eq!((status.stored, status.rejected), (98, 2));
}

/// A record and its withdrawal reaching two instances at the same moment:
/// whichever lands first, the record ends up withdrawn, never kept (R9).
#[test]
fn a_record_and_its_tombstone_on_two_instances_at_once_leave_it_withdrawn() {
    let store = TestStore::new();
    let protocol = store.publish_shipped(CHILD_FILE);
    let amina = device(&*store, "Amina");
    let instances = [store.reopen(), store.reopen()];
    let cache = ProtocolCache::default();
    for _ in 0..15 {
        let record = seal(amina.device_id, &protocol, child_session(&protocol));
        let tombstone = Tombstone::new(
            Uuid::new_v4(),
            record.record_id,
            amina.device_id,
            OffsetDateTime::now_utc().date(),
        );
        let now = OffsetDateTime::now_utc();
        at_once(|i| match i {
            0 => {
                let status = verify_and_store_batch(
                    &*instances[0],
                    &cache,
                    &amina,
                    std::slice::from_ref(&record),
                    now,
                )
                .unwrap();
                assert!(
                    matches!(
                        status[0],
                        RecordStatus::Stored | RecordStatus::Rejected { .. }
                    ),
                    "{status:?}"
                );
            }
            _ => {
                let status = instances[1].apply_tombstone(&tombstone, now).unwrap();
                assert_ne!(status, TombstoneStatus::AlreadyDeleted);
            }
        });
        assert_eq!(store.record_hash(record.record_id).unwrap(), None);
    }
    assert_eq!(store.sync_status(amina.device_id).unwrap().stored, 0);
}

/// One enrolment code typed into two phones that reach two instances at
/// once: one phone is enrolled, the other is refused.
#[test]
fn an_enrolment_code_is_redeemed_once_under_concurrency() {
    let store = TestStore::new();
    let now = OffsetDateTime::now_utc();
    let code = admin::enrol(&*store, "Amina", &["en".into()], 1, now).unwrap();
    let hash = hash_secret(&normalise_code(code.expose()));
    let instances = [store.reopen(), store.reopen()];
    let redeemed = at_once(|i| {
        instances[i]
            .redeem_enrolment(
                &hash,
                Uuid::new_v4(),
                &format!("token {i}"),
                &accepted(),
                now,
            )
            .unwrap()
    });
    assert_eq!(redeemed.iter().flatten().count(), 1, "{redeemed:?}");
    assert_eq!(store.devices().unwrap().len(), 1);
}

/// A browser logged in through one instance is logged in on every other
/// (sessions and their CSRF tokens live in the database), and logging out
/// anywhere ends it everywhere.
#[test]
fn a_web_session_started_on_one_instance_holds_on_another() {
    let store = TestStore::new();
    let now = OffsetDateTime::now_utc();
    let user = fieldkit_sync_server::store::WebUser {
        login: "sam".to_owned(),
        role: Role::Supervisor,
        password_hash: "$argon2id$placeholder".to_owned(),
        disabled: false,
    };
    let [one, two] = [store.reopen(), store.reopen()];
    assert!(one.add_web_user(&user, now).unwrap());
    assert!(!two.add_web_user(&user, now).unwrap(), "added twice");
    one.start_web_session(
        "token-hash",
        "sam",
        "csrf-token",
        now + time::Duration::hours(1),
    )
    .unwrap();
    let session = two.web_session("token-hash", now).unwrap().unwrap();
    assert_eq!(
        session.principal,
        Principal {
            role: Role::Supervisor,
            id: "sam".to_owned()
        }
    );
    assert_eq!(session.csrf, "csrf-token");
    assert_eq!(
        two.web_session("token-hash", now + time::Duration::hours(2))
            .unwrap(),
        None,
        "an expired session still counts"
    );
    two.end_web_session("token-hash").unwrap();
    assert_eq!(one.web_session("token-hash", now).unwrap(), None);

    // An admin disabling sam on one instance ends a session held on another.
    one.start_web_session("again", "sam", "csrf", now + time::Duration::hours(1))
        .unwrap();
    assert!(two.set_web_user_disabled("sam", Some(now)).unwrap());
    assert_eq!(one.web_session("again", now).unwrap(), None);
    assert!(one.web_user("sam").unwrap().unwrap().disabled);
}

/// Login throttling counts failed logins in the database: what one
/// instance saw, every other instance counts too, per login and per source.
#[test]
fn failed_logins_count_on_every_instance() {
    let store = TestStore::new();
    let now = OffsetDateTime::now_utc();
    let instances: Vec<Arc<dyn Store>> = vec![store.reopen(), store.reopen()];
    for (n, instance) in instances.iter().enumerate() {
        instance
            .write_audit(&fieldkit_sync_server::store::AuditEntry {
                actor: "web".to_owned(),
                action: "login_failed".to_owned(),
                target: "sam".to_owned(),
                at: now + time::Duration::seconds(n as i64),
                source: Some("192.0.2.7".to_owned()),
            })
            .unwrap();
    }
    for instance in &instances {
        let failures = instance.login_failures("sam", "192.0.2.7", 10).unwrap();
        assert_eq!(failures.by_login.len(), 2, "{}", store.backend());
        assert_eq!(failures.by_source.len(), 2);
        assert!(
            failures.by_login[0].at > failures.by_login[1].at,
            "newest first"
        );
    }
}

/// What one instance writes to the audit log, any other reads (R22).
#[test]
fn the_audit_log_is_one_log_for_every_instance() {
    let store = TestStore::new();
    let now = OffsetDateTime::now_utc();
    let analyst = Principal {
        role: Role::Analyst,
        id: "ana".to_owned(),
    };
    let admin = Principal {
        role: Role::Admin,
        id: "root".to_owned(),
    };
    let instances: Vec<Arc<dyn Store>> = vec![store.reopen(), store.reopen()];
    instances[0]
        .audit(&analyst, "export:csv-wide", "child-rapid-assessment", now)
        .unwrap();
    instances[1]
        .read_record(&analyst, Uuid::new_v4(), now)
        .unwrap();
    let log = instances[0].audit_log(&admin).unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["export:csv-wide", "read_record"]);
    assert!(log.iter().all(|e| e.actor == "Analyst:ana"), "{log:?}");
}
