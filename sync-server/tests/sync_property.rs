//! Property: however records are resent, in whatever order and mixed with
//! changed copies, each id is stored once with its first content; resends of
//! it are duplicates, other contents are conflicts, and nothing else changes.

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use fieldkit_protocols::engine::{Event, EventKind};
use fieldkit_protocols::wire::{RecordEnvelope, RecordStatus};
use fieldkit_sync_server::admin;
use fieldkit_sync_server::verify::{verify_and_store, ProtocolCache};
use proptest::prelude::*;
use support::*;
use time::OffsetDateTime;
use uuid::Uuid;

/// Variant 0 is the original log; variant `n` adds `n` notes before the end.
fn variant(base: &RecordEnvelope, n: usize) -> RecordEnvelope {
    let mut events = base.events.clone();
    let end = events.pop().unwrap();
    for _ in 0..n {
        events.push(Event {
            kind: EventKind::NoteAdded {
                text: "note".into(),
            },
            ..end.clone()
        });
    }
    events.push(end);
    reseal(RecordEnvelope {
        events: renumber(events),
        ..base.clone()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn resends_are_idempotent_and_changes_conflict(
        sends in proptest::collection::vec((0usize..3, 0usize..3), 1..12)
    ) {
        let store = TestStore::new();
        let now = OffsetDateTime::now_utc();
        let source = fieldkit_protocols::library::demo_source(CHILD_FILE);
        let (protocol, _) = admin::publish_source(&*store, CHILD_FILE, &source, now).unwrap();
        let protocol = Arc::new(protocol);
        let code = admin::enrol(&*store, "Amina", &["en".into()], 1, now).unwrap();
        let code_hash = fieldkit_sync_server::secrets::hash_secret(
            &fieldkit_sync_server::secrets::normalise_code(code.expose()));
        let device = store.redeem_enrolment(&code_hash, Uuid::new_v4(), "token-hash", &accepted(), now).unwrap().unwrap();
        let bases: Vec<RecordEnvelope> = (0..3)
            .map(|_| seal(device.device_id, &protocol, child_session(&protocol)))
            .collect();
        let cache = ProtocolCache::default();

        let mut first_variant: HashMap<usize, usize> = HashMap::new();
        for (record, n) in sends {
            let envelope = variant(&bases[record], n);
            let status = verify_and_store(&*store, &cache, &device, &envelope, now).unwrap();
            let expected = match first_variant.get(&record) {
                None => { first_variant.insert(record, n); "stored" }
                Some(first) if *first == n => "duplicate",
                Some(_) => "conflict",
            };
            let got = match status {
                RecordStatus::Stored => "stored",
                RecordStatus::Duplicate => "duplicate",
                RecordStatus::Conflict { .. } => "conflict",
                RecordStatus::Rejected { reason, .. } => panic!("rejected: {reason}"),
            };
            prop_assert_eq!(got, expected);
        }
        prop_assert_eq!(store.sync_status(device.device_id).unwrap().stored, first_variant.len() as u64);
        for (record, n) in first_variant {
            prop_assert_eq!(store.record_hash(bases[record].record_id).unwrap(),
                Some(variant(&bases[record], n).content_hash));
        }
    }
}
