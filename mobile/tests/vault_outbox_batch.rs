//! The outbox a batch at a time (what the sync client uses), on a real
//! vault file: one transaction per batch, all or nothing, kept across a
//! restart; counts without decrypting.

mod vault_support;

use fieldkit_mobile::vault::{
    OutboxItem, OutboxState, Retention, Vault, VaultError, VaultSettings,
};
use fieldkit_protocols::wire::RecordEnvelope;
use fieldkit_protocols::Rule;
use uuid::Uuid;
use vault_support::*;

fn queued(vault: &mut Vault, count: usize) -> Vec<RecordEnvelope> {
    (0..count)
        .map(|i| {
            let record = envelope(&new_ref().to_string(), &format!("record {i}"));
            vault.enqueue(&record).unwrap();
            record
        })
        .collect()
}

fn state_of(vault: &Vault, id: Uuid) -> OutboxState {
    let entry = vault
        .outbox()
        .unwrap()
        .into_iter()
        .find(|e| e.record_id == id);
    entry.expect("the entry is in the outbox").state
}

#[test]
fn a_batch_of_answers_is_kept_across_a_restart_with_the_rejection_rule() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let records = queued(&mut vault, 5);
    let ids: Vec<Uuid> = records.iter().map(|r| r.record_id).collect();
    assert_eq!(vault.pending_count().unwrap(), 5);

    let sent: Vec<_> = ids[..3].iter().map(|id| (*id, OutboxState::Sent)).collect();
    vault.mark_batch(&sent).unwrap();
    assert_eq!(vault.pending_count().unwrap(), 2);
    assert_eq!(vault.unfinished_count().unwrap(), 5);

    let rejection = OutboxState::Rejected {
        reason: "question q7 asked twice".into(),
        rule: Some(Rule::R7),
    };
    vault
        .mark_batch(&[
            (ids[0], OutboxState::Acknowledged),
            (ids[1], OutboxState::Acknowledged),
            (ids[2], rejection.clone()),
        ])
        .unwrap();
    drop(vault);

    let vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(state_of(&vault, ids[0]), OutboxState::Acknowledged);
    assert_eq!(state_of(&vault, ids[1]), OutboxState::Acknowledged);
    assert_eq!(state_of(&vault, ids[2]), rejection);
    assert_eq!(state_of(&vault, ids[3]), OutboxState::Pending);
    // Kept content: the user can still see what was acknowledged.
    let kept = vault.outbox().unwrap().remove(0);
    assert_eq!(kept.item, Some(OutboxItem::Record(records[0].clone())));
    assert_eq!(vault.pending_count().unwrap(), 2);
    // The rejected entry is not finished: it waits for a person.
    assert_eq!(vault.unfinished_count().unwrap(), 3);
}

#[test]
fn an_unknown_id_fails_the_whole_batch_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let records = queued(&mut vault, 3);
    let stranger = Uuid::new_v4();
    let error = vault
        .mark_batch(&[
            (records[0].record_id, OutboxState::Acknowledged),
            (stranger, OutboxState::Acknowledged),
            (records[1].record_id, OutboxState::Acknowledged),
        ])
        .unwrap_err();
    assert!(
        matches!(error, VaultError::NotInOutbox { record_id } if record_id == stranger),
        "{error:?}"
    );
    assert!(error.to_string().contains(&stranger.to_string()));
    for record in &records {
        assert_eq!(state_of(&vault, record.record_id), OutboxState::Pending);
    }
    assert_eq!(vault.pending_count().unwrap(), 3);
}

#[test]
fn a_batch_acknowledged_under_purge_loses_its_content_but_not_its_ids() {
    let dir = tempfile::tempdir().unwrap();
    let settings = VaultSettings {
        retention: Retention::PurgeAcknowledged,
        ..settings()
    };
    let mut vault = Vault::create(dir.path(), &pass(), settings).unwrap();
    let records = queued(&mut vault, 3);
    let acks: Vec<_> = records[..2]
        .iter()
        .map(|r| (r.record_id, OutboxState::Acknowledged))
        .collect();
    vault.mark_batch(&acks).unwrap();
    let entries = vault.outbox().unwrap();
    assert_eq!(entries.len(), 3, "ids stay for a later withdrawal");
    assert_eq!(entries[0].item, None);
    assert_eq!(entries[1].item, None);
    assert_eq!(
        entries[2].item,
        Some(OutboxItem::Record(records[2].clone()))
    );
}

#[test]
fn a_locked_vault_neither_counts_nor_changes_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let records = queued(&mut vault, 1);
    vault.lock();
    assert!(matches!(vault.pending_count(), Err(VaultError::Locked)));
    assert!(matches!(
        vault.mark_batch(&[(records[0].record_id, OutboxState::Acknowledged)]),
        Err(VaultError::Locked)
    ));
    vault.unlock_again(&pass()).unwrap();
    assert_eq!(vault.pending_count().unwrap(), 1);
}

#[test]
fn a_sync_walks_pending_entries_once_and_unanswered_ones_wait() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let ids: Vec<Uuid> = queued(&mut vault, 5).iter().map(|r| r.record_id).collect();
    let page_ids = |page: &[fieldkit_mobile::vault::OutboxEntry]| {
        page.iter().map(|e| e.record_id).collect::<Vec<_>>()
    };
    let (first, cursor) = vault.pending_after(0, 2).unwrap();
    assert_eq!(page_ids(&first), ids[..2]);
    vault
        .mark_batch(&[(ids[0], OutboxState::Acknowledged)])
        .unwrap();
    let (second, cursor) = vault.pending_after(cursor, 2).unwrap();
    assert_eq!(
        page_ids(&second),
        ids[2..4],
        "no entry comes twice in one walk"
    );
    let (third, cursor) = vault.pending_after(cursor, 2).unwrap();
    assert_eq!(page_ids(&third), ids[4..]);
    let (done, end) = vault.pending_after(cursor, 2).unwrap();
    assert!(done.is_empty());
    assert_eq!(end, cursor);
    // The next sync starts over: all but the acknowledged one are pending.
    let (again, _) = vault.pending_after(0, 10).unwrap();
    assert_eq!(page_ids(&again), ids[1..]);
}
