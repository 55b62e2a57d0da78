//! The outbox and withdrawal (R9), on a real vault file.

mod vault_support;

use fieldkit_mobile::vault::{
    IdentityDeletion, OutboxItem, OutboxState, Retention, Vault, VaultError, VaultSettings,
    WithdrawalReport,
};
use fieldkit_protocols::wire::RecordEnvelope;
use fieldkit_protocols::Rule;
use uuid::Uuid;
use vault_support::*;

fn record(respondent: &str, body: &str) -> RecordEnvelope {
    envelope(respondent, body)
}

#[test]
fn records_move_through_their_states_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let records: Vec<RecordEnvelope> = (0..4)
        .map(|i| record("R1", &format!("record {i}")))
        .collect();
    for r in &records {
        vault.enqueue(r).unwrap();
    }
    let batch = vault.pending(2).unwrap();
    assert_eq!(
        batch.iter().map(|e| e.record_id).collect::<Vec<_>>(),
        vec![records[0].record_id, records[1].record_id]
    );
    assert_eq!(batch[0].item, Some(OutboxItem::Record(records[0].clone())));
    vault.mark_sent(records[0].record_id).unwrap();
    vault.mark_sent(records[1].record_id).unwrap();
    vault.mark_acknowledged(records[0].record_id).unwrap();
    vault
        .mark_rejected(
            records[1].record_id,
            "question q7 asked twice",
            Some(Rule::R7),
        )
        .unwrap();
    vault.mark_sent(records[2].record_id).unwrap();
    drop(vault);

    let mut vault = unlock(dir.path(), &pass()).unwrap();
    let states: Vec<OutboxState> = vault
        .outbox()
        .unwrap()
        .into_iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(
        states,
        vec![
            OutboxState::Acknowledged,
            OutboxState::Rejected {
                reason: "question q7 asked twice".into(),
                rule: Some(Rule::R7)
            },
            OutboxState::Sent,
            OutboxState::Pending,
        ]
    );
    assert_eq!(vault.pending(10).unwrap().len(), 1);
    assert_eq!(
        vault.requeue_unacknowledged().unwrap(),
        1,
        "the sent-but-unacknowledged one"
    );
    assert_eq!(vault.pending(10).unwrap().len(), 2);
    let missing = Uuid::new_v4();
    assert!(
        matches!(vault.mark_sent(missing), Err(VaultError::NotInOutbox { record_id }) if record_id == missing)
    );
}

#[test]
fn enqueueing_is_idempotent_and_a_different_content_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let r = record("R1", "original");
    vault.enqueue(&r).unwrap();
    vault.enqueue(&r).unwrap();
    assert_eq!(vault.outbox().unwrap().len(), 1);
    let mut changed = r.clone();
    changed.events[1] = answer(1, "changed");
    assert!(matches!(
        vault.enqueue(&changed),
        Err(VaultError::OutboxConflict { .. })
    ));
    assert_eq!(vault.outbox().unwrap()[0].item, Some(OutboxItem::Record(r)));
}

#[test]
fn acknowledged_records_are_kept_or_purged_by_the_retention_setting() {
    let dir = tempfile::tempdir().unwrap();
    let settings = VaultSettings {
        retention: Retention::PurgeAcknowledged,
        ..settings()
    };
    let mut vault = Vault::create(dir.path(), &pass(), settings).unwrap();
    let child = new_ref();
    let purged = record(&child.to_string(), "will be purged");
    vault.enqueue(&purged).unwrap();
    vault.mark_acknowledged(purged.record_id).unwrap();
    let entry = vault.outbox().unwrap().remove(0);
    assert_eq!((entry.state, entry.item), (OutboxState::Acknowledged, None));
    assert_eq!(entry.respondent, Some(child.to_string()));

    vault.set_retention(Retention::KeepAcknowledged).unwrap();
    let kept = record("R1", "will be kept");
    vault.enqueue(&kept).unwrap();
    vault.mark_acknowledged(kept.record_id).unwrap();
    drop(vault);
    let vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(vault.retention(), Retention::KeepAcknowledged);
    assert_eq!(
        vault.outbox().unwrap()[1].item,
        Some(OutboxItem::Record(kept))
    );

    // The purged record's id was kept, so a withdrawal can still reach it.
    let mut vault = vault;
    let report = vault.withdraw(&child).unwrap();
    assert_eq!(report.tombstones_queued, 1);
    let outbox = vault.outbox().unwrap();
    match &outbox.last().unwrap().item {
        Some(OutboxItem::Tombstone(t)) => {
            assert_eq!(
                (t.record_id, t.device_id),
                (purged.record_id, purged.device_id)
            );
        }
        other => panic!("expected a tombstone, got {other:?}"),
    }
}

#[test]
fn withdrawal_deletes_the_respondents_data_and_queues_a_tombstone_for_every_record_whatever_its_state(
) {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let (leaves, stays) = (new_ref(), new_ref());
    // Typed in lower case on this phone: the same code all the same.
    let leaving = session_with_answers(&mut vault, &leaves.to_string().to_lowercase(), 3);
    let staying = session_with_answers(&mut vault, &stays.to_string(), 3);
    vault
        .put_attachment(leaving, "image/jpeg", b"photo")
        .unwrap();

    let unsent = record(&leaves.to_string(), "pending");
    let rejected = record(&leaves.to_string(), "rejected");
    let sent = record(&leaves.to_string(), "sent");
    let acked = record(&leaves.to_string(), "acknowledged");
    let other = record(&stays.to_string(), "someone else");
    for r in [&unsent, &rejected, &sent, &acked, &other] {
        vault.enqueue(r).unwrap();
    }
    vault
        .mark_rejected(rejected.record_id, "bad", None)
        .unwrap();
    vault.mark_sent(sent.record_id).unwrap();
    vault.mark_acknowledged(acked.record_id).unwrap();

    let report = vault.withdraw(&leaves).unwrap();
    assert_eq!(
        report,
        WithdrawalReport {
            sessions_deleted: 1,
            records_deleted: 4,
            // A state is a column in a file someone may have edited: the
            // server gets a tombstone for every record, sent or not.
            tombstones_queued: 4,
            notes_deleted: 0,
            identity: IdentityDeletion::NoStore,
        }
    );
    drop(vault);

    let mut vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(
        vault
            .sessions()
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        vec![staying]
    );
    assert!(vault.session_events(leaving).unwrap().is_empty());
    assert!(vault.attachments(leaving).unwrap().is_empty());
    let outbox = vault.outbox().unwrap();
    assert_eq!(outbox.len(), 5);
    assert_eq!(outbox[0].item, Some(OutboxItem::Record(other)));
    let mut withdrawn: Vec<Uuid> = outbox[1..]
        .iter()
        .map(|e| {
            assert_eq!(e.state, OutboxState::Pending);
            assert_eq!(
                e.respondent, None,
                "a tombstone does not carry the reference number"
            );
            match &e.item {
                Some(OutboxItem::Tombstone(tombstone)) => {
                    assert_eq!(tombstone.tombstone_id, e.record_id);
                    assert_eq!(tombstone.device_id, sent.device_id);
                    tombstone.record_id
                }
                ref other => panic!("expected a tombstone, got {other:?}"),
            }
        })
        .collect();
    withdrawn.sort();
    let mut expected = vec![
        unsent.record_id,
        rejected.record_id,
        sent.record_id,
        acked.record_id,
    ];
    expected.sort();
    assert_eq!(withdrawn, expected);

    // Withdrawing again changes nothing: tombstones are not withdrawn.
    assert_eq!(
        vault.withdraw(&leaves).unwrap(),
        WithdrawalReport::default()
    );
    assert_eq!(vault.outbox().unwrap().len(), 5);
}
