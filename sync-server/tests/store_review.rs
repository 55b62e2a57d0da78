//! Supervisor review at the store boundary: states, notes and history per
//! record, the queue's order and filters, counts, who may do what (R22),
//! feedback only to the device that owns the record, idempotent
//! acknowledgements, and a withdrawn record's review deleted with it (R9).
//! Each test runs on SQLite, and on PostgreSQL when `FIELDKIT_TEST_POSTGRES`
//! names a server (`scripts/test`'s second pass).

mod support;

use fieldkit_protocols::feedback::{AckStatus, FeedbackAck, NoteText, ReviewDecision, ReviewState};
use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::rules::Rule;
use fieldkit_protocols::wire::Tombstone;
use fieldkit_sync_server::access::{Principal, Role};
use fieldkit_sync_server::store::{
    BatchEntry, ComplianceFinding, ReviewFilter, Store, StoreError, VerifiedRecord,
};
use support::TestStore;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn who(role: Role, id: &str) -> Principal {
    Principal {
        role,
        id: id.into(),
    }
}

fn supervisor() -> Principal {
    who(Role::Supervisor, "sam")
}

fn device(id: Uuid) -> Principal {
    who(Role::Device, &id.to_string())
}

/// Stores one record from `device_id` with the given finding rules, at `at`.
fn store_record(store: &dyn Store, device_id: Uuid, rules: &[Rule], at: OffsetDateTime) -> Uuid {
    let record_id = Uuid::new_v4();
    let findings = rules
        .iter()
        .map(|&rule| ComplianceFinding {
            record_id,
            rule,
            message: format!("{rule} happened"),
            researcher: "Amina".into(),
            protocol_id: "child-rapid-assessment".into(),
            protocol_version: 1,
        })
        .collect();
    let rec = VerifiedRecord {
        record_id,
        device_id,
        protocol_id: "child-rapid-assessment".into(),
        protocol_version: 1,
        content_hash: ContentHash(format!("sha256:{record_id}")),
        envelope_json: r#"{"respondent":"K7QM-2XHD-P"}"#.into(),
        findings,
    };
    store
        .store_batch(device_id, &[BatchEntry::Verified(rec)], at)
        .unwrap();
    record_id
}

fn note(text: &str) -> NoteText {
    NoteText::scrubbed(text).unwrap().0
}

fn reject_r6() -> ReviewDecision {
    ReviewDecision::new(
        Some(ReviewState::Rejected),
        Some((
            Some(Rule::R6),
            note("The sensitive questions came before rapport."),
        )),
    )
    .unwrap()
}

fn review_states_notes_history_and_audit(store: &dyn Store) {
    let now = OffsetDateTime::now_utc();
    let phone = Uuid::new_v4();
    let clean = store_record(store, phone, &[], now);
    let flagged = store_record(
        store,
        phone,
        &[Rule::R8, Rule::R6, Rule::R8],
        now - Duration::days(1),
    );

    // Records with findings first, whatever their age; each rule once.
    let queue = store
        .review_queue(&supervisor(), &ReviewFilter::default())
        .unwrap();
    assert_eq!(
        queue.iter().map(|i| i.record_id).collect::<Vec<_>>(),
        [flagged, clean]
    );
    assert_eq!(queue[0].rules, [Rule::R6, Rule::R8]);
    assert_eq!(queue[0].reference, "K7QM-2XHD-P");
    assert!(queue.iter().all(|i| i.state == ReviewState::Received));

    let approve = ReviewDecision::new(Some(ReviewState::Approved), None).unwrap();
    let missing = Uuid::new_v4();
    let changed = store
        .review_records(&supervisor(), &[clean, missing], &approve, now)
        .unwrap();
    assert_eq!(changed, [clean], "an id not stored is skipped");
    store
        .review_records(&supervisor(), &[flagged], &reject_r6(), now)
        .unwrap();

    let counts = store.review_counts(&supervisor()).unwrap();
    assert_eq!(counts[&ReviewState::Approved], 1);
    assert_eq!(counts[&ReviewState::Rejected], 1);
    assert_eq!(counts[&ReviewState::Received], 0);
    assert_eq!(counts[&ReviewState::HasIssues], 0);

    let review = store
        .record_review(&supervisor(), flagged)
        .unwrap()
        .unwrap();
    assert_eq!(review.item.state, ReviewState::Rejected);
    assert_eq!(review.notes.len(), 1);
    assert_eq!(review.notes[0].rule, Some(Rule::R6));
    assert_eq!(review.notes[0].author, "Supervisor:sam");
    let changes: Vec<&str> = review.history.iter().map(|h| h.change.as_str()).collect();
    assert_eq!(
        changes,
        ["state received \u{2192} rejected", "note written (R6)"]
    );
    assert!(review.history.iter().all(|h| h.actor == "Supervisor:sam"));

    let audit = store.audit_log(&who(Role::Admin, "root")).unwrap();
    let reviewed: Vec<(&str, &str)> = audit
        .iter()
        .filter(|e| e.action.starts_with("review_"))
        .map(|e| (e.action.as_str(), e.target.as_str()))
        .collect();
    let (clean_s, flagged_s) = (clean.to_string(), flagged.to_string());
    assert_eq!(
        reviewed,
        [
            ("review_state", clean_s.as_str()),
            ("review_state", flagged_s.as_str()),
            ("review_note", flagged_s.as_str())
        ]
    );
}

fn queue_filters(store: &dyn Store) {
    let now = OffsetDateTime::now_utc();
    let phone = Uuid::new_v4();
    let old = store_record(store, phone, &[Rule::R14], now - Duration::days(10));
    let new = store_record(store, phone, &[], now);
    let ids = |filter: ReviewFilter| -> Vec<Uuid> {
        store
            .review_queue(&supervisor(), &filter)
            .unwrap()
            .into_iter()
            .map(|i| i.record_id)
            .collect()
    };
    assert_eq!(
        ids(ReviewFilter {
            rule: Some(Rule::R14),
            ..Default::default()
        }),
        [old]
    );
    assert_eq!(
        ids(ReviewFilter {
            rule: Some(Rule::R6),
            ..Default::default()
        }),
        Vec::<Uuid>::new()
    );
    assert_eq!(
        ids(ReviewFilter {
            from: Some(now.date() - Duration::days(1)),
            ..Default::default()
        }),
        [new]
    );
    assert_eq!(
        ids(ReviewFilter {
            to: Some((now - Duration::days(10)).date()),
            ..Default::default()
        }),
        [old]
    );
    assert_eq!(
        ids(ReviewFilter {
            protocol: Some("other".into()),
            ..Default::default()
        }),
        Vec::<Uuid>::new()
    );
    let flag = ReviewDecision::new(
        Some(ReviewState::HasIssues),
        Some((None, note("Language recorded differs from the child's."))),
    )
    .unwrap();
    store
        .review_records(&supervisor(), &[old], &flag, now)
        .unwrap();
    assert_eq!(
        ids(ReviewFilter {
            state: Some(ReviewState::HasIssues),
            ..Default::default()
        }),
        [old]
    );
    assert_eq!(
        ids(ReviewFilter {
            state: Some(ReviewState::Received),
            ..Default::default()
        }),
        [new]
    );
}

fn only_supervisors_review(store: &dyn Store) {
    let now = OffsetDateTime::now_utc();
    let record = store_record(store, Uuid::new_v4(), &[], now);
    for role in [Role::Analyst, Role::Admin, Role::Device] {
        let err = store
            .review_records(&who(role, "x"), &[record], &reject_r6(), now)
            .unwrap_err();
        assert!(matches!(err, StoreError::Forbidden(_)), "{role:?}: {err}");
        assert!(store
            .review_queue(&who(role, "x"), &ReviewFilter::default())
            .is_err());
    }
    let err = store
        .device_feedback(&supervisor(), Uuid::new_v4())
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)));
}

fn feedback_goes_to_its_own_device_and_acks_are_idempotent(store: &dyn Store) {
    let now = OffsetDateTime::now_utc();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let mine = store_record(store, a, &[Rule::R6], now);
    let theirs = store_record(store, b, &[], now);
    store
        .review_records(&supervisor(), &[mine, theirs], &reject_r6(), now)
        .unwrap();

    let notes = store.device_feedback(&device(a), a).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].record_id, mine);
    assert_eq!(notes[0].rule, Some(Rule::R6));
    assert_eq!(notes[0].state, ReviewState::Rejected);
    assert_eq!(notes[0].reference, "K7QM-2XHD-P");
    let their_note = store.device_feedback(&device(b), b).unwrap()[0].note_id;

    let ack = |note_id| FeedbackAck {
        note_id,
        acknowledged_at: now,
    };
    let statuses = store
        .acknowledge_feedback(
            &device(a),
            a,
            &[ack(notes[0].note_id), ack(their_note)],
            now,
        )
        .unwrap();
    assert_eq!(statuses, [AckStatus::Acknowledged, AckStatus::Unknown]);
    let again = store
        .acknowledge_feedback(&device(a), a, &[ack(notes[0].note_id)], now)
        .unwrap();
    assert_eq!(again, [AckStatus::AlreadyAcknowledged]);
    assert!(store.device_feedback(&device(a), a).unwrap().is_empty());
    assert_eq!(
        store.device_feedback(&device(b), b).unwrap().len(),
        1,
        "A acknowledged B's note"
    );

    let review = store.record_review(&supervisor(), mine).unwrap().unwrap();
    assert!(review.notes[0].acknowledged_at.is_some());
    assert_eq!(review.item.acknowledged, 1);
    assert_eq!(
        review
            .history
            .last()
            .map(|h| (h.actor.clone(), h.change.as_str())),
        Some((format!("Device:{a}"), "note acknowledged on the phone"))
    );
}

fn a_withdrawn_record_takes_its_review_with_it(store: &dyn Store) {
    let now = OffsetDateTime::now_utc();
    let phone = Uuid::new_v4();
    let record = store_record(store, phone, &[Rule::R6], now);
    store
        .review_records(&supervisor(), &[record], &reject_r6(), now)
        .unwrap();
    let tombstone = Tombstone::new(Uuid::new_v4(), record, phone, now.date());
    store.apply_tombstone(&tombstone, now).unwrap();
    assert!(store
        .record_review(&supervisor(), record)
        .unwrap()
        .is_none());
    assert!(store
        .device_feedback(&device(phone), phone)
        .unwrap()
        .is_empty());
    let queue = store
        .review_queue(&supervisor(), &ReviewFilter::default())
        .unwrap();
    assert!(queue.iter().all(|i| i.record_id != record));
}

#[test]
fn review_states_notes_history_and_audit_are_kept() {
    review_states_notes_history_and_audit(&*TestStore::new());
}

#[test]
fn the_queue_filters() {
    queue_filters(&*TestStore::new());
}

#[test]
fn only_supervisors_may_review() {
    only_supervisors_review(&*TestStore::new());
}

#[test]
fn feedback_goes_to_its_own_device_and_acks_are_recorded_once() {
    feedback_goes_to_its_own_device_and_acks_are_idempotent(&*TestStore::new());
}

#[test]
fn a_withdrawn_record_takes_its_whole_review_with_it() {
    let store = TestStore::new();
    a_withdrawn_record_takes_its_review_with_it(&*store);
    // Nothing of the review is left in the tables, not only hidden by a join.
    for table in ["review_states", "review_notes", "review_history"] {
        assert_eq!(
            store.count(&format!("SELECT COUNT(*) FROM {table}")),
            0,
            "{table} kept rows of a withdrawn record on {}",
            store.backend()
        );
    }
}
