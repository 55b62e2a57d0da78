//! Withdrawal in the store (R9), on SQLite and on PostgreSQL: ownership and
//! finality at the store boundary, and a database from before the
//! `withdrawals` table keeps every old tombstone final when it is opened
//! (nothing withdrawn comes back).

mod support;

use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::wire::{Tombstone, TombstoneStatus};
use fieldkit_sync_server::store::{BatchEntry, Store, StoreOutcome, VerifiedRecord};
use support::TestStore;
use time::OffsetDateTime;
use uuid::Uuid;

fn record(record_id: Uuid, device_id: Uuid) -> VerifiedRecord {
    VerifiedRecord {
        record_id,
        device_id,
        protocol_id: "child-rapid-assessment".into(),
        protocol_version: 1,
        content_hash: ContentHash(format!("sha256:{device_id}")),
        envelope_json: "{}".into(),
        findings: Vec::new(),
    }
}

fn store_one(store: &dyn Store, rec: VerifiedRecord) -> Option<StoreOutcome> {
    let device = rec.device_id;
    store
        .store_batch(
            device,
            &[BatchEntry::Verified(rec)],
            OffsetDateTime::now_utc(),
        )
        .unwrap()
        .remove(0)
}

fn withdraw(store: &dyn Store, record_id: Uuid, device_id: Uuid) -> TombstoneStatus {
    let today = OffsetDateTime::now_utc().date();
    store
        .apply_tombstone(
            &Tombstone::new(Uuid::new_v4(), record_id, device_id, today),
            OffsetDateTime::now_utc(),
        )
        .unwrap()
}

#[test]
fn a_tombstone_acts_only_for_its_owner_and_a_withdrawal_is_final() {
    let store = TestStore::new();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let x = Uuid::new_v4();
    assert_eq!(store_one(&*store, record(x, a)), Some(StoreOutcome::Stored));
    assert_eq!(withdraw(&*store, x, b), TombstoneStatus::Unknown);
    assert!(
        store.record_hash(x).unwrap().is_some(),
        "B deleted A's record"
    );
    assert_eq!(withdraw(&*store, x, a), TombstoneStatus::Deleted);
    assert_eq!(withdraw(&*store, x, a), TombstoneStatus::AlreadyDeleted);
    assert_eq!(
        store_one(&*store, record(x, b)),
        Some(StoreOutcome::Withdrawn)
    );

    // Pre-empted by B: A's record is stored anyway.
    let y = Uuid::new_v4();
    assert_eq!(withdraw(&*store, y, b), TombstoneStatus::Unknown);
    assert_eq!(store_one(&*store, record(y, a)), Some(StoreOutcome::Stored));
    // Withdrawn by A before it arrived: refused to A, then to anyone.
    let z = Uuid::new_v4();
    assert_eq!(withdraw(&*store, z, a), TombstoneStatus::Unknown);
    assert_eq!(
        store_one(&*store, record(z, a)),
        Some(StoreOutcome::Withdrawn)
    );
    assert_eq!(withdraw(&*store, z, a), TombstoneStatus::AlreadyDeleted);
    assert_eq!(
        store_one(&*store, record(z, b)),
        Some(StoreOutcome::Withdrawn)
    );
}

#[test]
fn tombstones_from_before_the_withdrawals_table_stay_final() {
    let test = TestStore::new();
    let (a, x) = (Uuid::new_v4(), Uuid::new_v4());
    // The database as an older server left it: on PostgreSQL, schema
    // version 1 (migrations 2 to 5 undone); on SQLite, no `withdrawals` table.
    test.execute_sql(if test.db.is_some() {
        "DROP TABLE findings_packs;
         DROP TABLE media;
         DROP TABLE review_states, review_notes, review_history;
         DROP INDEX compliance_findings_rule;
         DROP TABLE withdrawals;
         DROP INDEX audit_target;
         ALTER TABLE audit_log DROP COLUMN source;
         ALTER TABLE web_users DROP COLUMN disabled_at;
         DELETE FROM fieldkit_schema WHERE version >= 2;"
    } else {
        "DROP TABLE withdrawals"
    });
    test.execute_sql(&format!(
        "INSERT INTO tombstones VALUES ('{}', '{x}', '{a}', '2026-03-07', '2026-03-07T10:00:00Z')",
        Uuid::new_v4()
    ));
    let store = test.reopen();
    let other = Uuid::new_v4();
    assert_eq!(
        store_one(&*store, record(x, other)),
        Some(StoreOutcome::Withdrawn),
        "{}",
        test.backend()
    );
    // Opening again does not repeat the migration or fail.
    drop(store);
    let store = test.reopen();
    assert_eq!(withdraw(&*store, x, a), TombstoneStatus::AlreadyDeleted);
}
