//! The outbox and withdrawal (R9), on a real vault file.

mod vault_support;

use fieldkit_mobile::vault::{
    OutboxItem, OutboxRecord, OutboxState, Retention, Vault, VaultError, VaultSettings,
    WithdrawalReport,
};
use fieldkit_protocols::Rule;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vault_support::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Record {
    id: Uuid,
    respondent: Option<String>,
    body: String,
}

impl OutboxRecord for Record {
    fn record_id(&self) -> Uuid {
        self.id
    }
    fn respondent(&self) -> Option<String> {
        self.respondent.clone()
    }
}

fn record(respondent: &str, body: &str) -> Record {
    Record {
        id: Uuid::new_v4(),
        respondent: Some(respondent.into()),
        body: body.into(),
    }
}

#[test]
fn records_move_through_their_states_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let records: Vec<Record> = (0..4)
        .map(|i| record("R1", &format!("record {i}")))
        .collect();
    for r in &records {
        vault.enqueue(r).unwrap();
    }
    let batch = vault.pending::<Record>(2).unwrap();
    assert_eq!(
        batch.iter().map(|e| e.record_id).collect::<Vec<_>>(),
        vec![records[0].id, records[1].id]
    );
    assert_eq!(batch[0].item, Some(OutboxItem::Record(records[0].clone())));
    vault.mark_sent(records[0].id).unwrap();
    vault.mark_sent(records[1].id).unwrap();
    vault.mark_acknowledged(records[0].id).unwrap();
    vault
        .mark_rejected(records[1].id, "question q7 asked twice", Some(Rule::R7))
        .unwrap();
    vault.mark_sent(records[2].id).unwrap();
    drop(vault);

    let mut vault = Vault::unlock(dir.path(), &pass()).unwrap();
    let states: Vec<OutboxState> = vault
        .outbox::<Record>()
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
    assert_eq!(vault.pending::<Record>(10).unwrap().len(), 1);
    assert_eq!(
        vault.requeue_unacknowledged().unwrap(),
        1,
        "the sent-but-unacknowledged one"
    );
    assert_eq!(vault.pending::<Record>(10).unwrap().len(), 2);
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
    assert_eq!(vault.outbox::<Record>().unwrap().len(), 1);
    let changed = Record {
        body: "changed".into(),
        ..r.clone()
    };
    assert!(matches!(
        vault.enqueue(&changed),
        Err(VaultError::OutboxConflict { .. })
    ));
    assert_eq!(
        vault.outbox::<Record>().unwrap()[0].item,
        Some(OutboxItem::Record(r))
    );
}

#[test]
fn acknowledged_records_are_kept_or_purged_by_the_retention_setting() {
    let dir = tempfile::tempdir().unwrap();
    let settings = VaultSettings {
        retention: Retention::PurgeAcknowledged,
        ..settings()
    };
    let mut vault = Vault::create(dir.path(), &pass(), settings).unwrap();
    let purged = record("R1", "will be purged");
    vault.enqueue(&purged).unwrap();
    vault.mark_acknowledged(purged.id).unwrap();
    let entry = vault.outbox::<Record>().unwrap().remove(0);
    assert_eq!((entry.state, entry.item), (OutboxState::Acknowledged, None));
    assert_eq!(
        entry.respondent.as_deref(),
        Some("R1"),
        "kept for a later withdrawal"
    );

    vault.set_retention(Retention::KeepAcknowledged).unwrap();
    let kept = record("R1", "will be kept");
    vault.enqueue(&kept).unwrap();
    vault.mark_acknowledged(kept.id).unwrap();
    drop(vault);
    let vault = Vault::unlock(dir.path(), &pass()).unwrap();
    assert_eq!(vault.retention(), Retention::KeepAcknowledged);
    assert_eq!(
        vault.outbox::<Record>().unwrap()[1].item,
        Some(OutboxItem::Record(kept))
    );
}

#[test]
fn withdrawal_deletes_the_respondents_data_and_queues_tombstones_for_what_the_server_has() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let leaving = session_with_answers(&mut vault, "REF-LEAVES", 3);
    let staying = session_with_answers(&mut vault, "REF-STAYS", 3);
    vault
        .put_attachment(leaving, "image/jpeg", b"photo")
        .unwrap();

    let unsent = record("REF-LEAVES", "pending");
    let rejected = record("REF-LEAVES", "rejected");
    let sent = record("REF-LEAVES", "sent");
    let acked = record("REF-LEAVES", "acknowledged");
    let other = record("REF-STAYS", "someone else");
    for r in [&unsent, &rejected, &sent, &acked, &other] {
        vault.enqueue(r).unwrap();
    }
    vault.mark_rejected(rejected.id, "bad", None).unwrap();
    vault.mark_sent(sent.id).unwrap();
    vault.mark_acknowledged(acked.id).unwrap();

    let report = vault.withdraw("REF-LEAVES").unwrap();
    assert_eq!(
        report,
        WithdrawalReport {
            sessions_deleted: 1,
            unsent_deleted: 2,
            tombstones_queued: 2
        }
    );
    drop(vault);

    let mut vault = Vault::unlock(dir.path(), &pass()).unwrap();
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
    let outbox = vault.outbox::<Record>().unwrap();
    assert_eq!(outbox.len(), 3);
    assert_eq!(outbox[0].item, Some(OutboxItem::Record(other)));
    let mut withdrawn: Vec<Uuid> = outbox[1..]
        .iter()
        .map(|e| {
            assert_eq!(e.state, OutboxState::Pending);
            assert_eq!(
                e.respondent, None,
                "a tombstone does not carry the reference number"
            );
            match e.item {
                Some(OutboxItem::Tombstone { withdraws }) => withdraws,
                ref other => panic!("expected a tombstone, got {other:?}"),
            }
        })
        .collect();
    withdrawn.sort();
    let mut expected = vec![sent.id, acked.id];
    expected.sort();
    assert_eq!(withdrawn, expected);

    // Withdrawing again changes nothing: tombstones are not withdrawn.
    assert_eq!(
        vault.withdraw("REF-LEAVES").unwrap(),
        WithdrawalReport::default()
    );
    assert_eq!(vault.outbox::<Record>().unwrap().len(), 3);
}
