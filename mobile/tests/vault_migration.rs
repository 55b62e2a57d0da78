//! A vault an older version of the app wrote (`fixtures/vault-v3`, made by
//! that version, see its README) opens with this one: every outbox entry
//! keeps its state and content, the integrity ledger follows the move of
//! the contents to their own table, and an edit made to the old file is
//! still reported after it.

mod vault_support;

use std::path::Path;

use fieldkit_mobile::vault::{OutboxItem, OutboxState, Vault, VaultError};
use fieldkit_protocols::refnum::RefNumber;
use fieldkit_protocols::wire::RecordEnvelope;
use fieldkit_protocols::Rule;
use uuid::Uuid;
use vault_support::*;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vault-v3");

/// A copy of the fixture (the test never writes to the original), and what
/// it holds.
fn schema_3_vault() -> (tempfile::TempDir, Vec<RecordEnvelope>, Uuid) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(FIXTURE).join("vault.sqlite"),
        dir.path().join("vault.sqlite"),
    )
    .unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(FIXTURE).join("expected.json")).unwrap())
            .unwrap();
    let records = serde_json::from_value(expected["records"].clone()).unwrap();
    let withdrawn = serde_json::from_value(expected["withdrawn"].clone()).unwrap();
    (dir, records, withdrawn)
}

fn schema_version(dir: &Path) -> u32 {
    raw(dir)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

fn count(dir: &Path, sql: &str) -> i64 {
    raw(dir).query_row(sql, [], |r| r.get(0)).unwrap()
}

fn problems(vault: &Vault) -> Vec<String> {
    let problems = vault.integrity_problems().unwrap();
    problems.iter().map(ToString::to_string).collect()
}

#[test]
fn a_schema_3_vault_keeps_every_outbox_entry_state_and_content() {
    let (dir, records, withdrawn) = schema_3_vault();
    assert_eq!(schema_version(dir.path()), 3);
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM outbox WHERE payload IS NOT NULL"
        ),
        5
    );

    let vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(problems(&vault), Vec::<String>::new());
    let entries = vault.outbox().unwrap();
    let states: Vec<&OutboxState> = entries.iter().map(|e| &e.state).collect();
    assert_eq!(
        states,
        [
            &OutboxState::Pending,
            &OutboxState::Sent,
            &OutboxState::Acknowledged,
            &OutboxState::Rejected {
                reason: "question q7 asked twice".into(),
                rule: Some(Rule::R7)
            },
            &OutboxState::Pending,
        ]
    );
    for (entry, record) in entries.iter().zip(&records) {
        assert_eq!(entry.item, Some(OutboxItem::Record(record.clone())));
        assert_eq!(
            entry.respondent.as_deref(),
            Some(record.respondent.as_str())
        );
    }
    assert!(
        matches!(&entries[4].item, Some(OutboxItem::Tombstone(t)) if t.record_id == withdrawn),
        "{:?}",
        entries[4].item
    );
    drop(vault);

    // The file is schema 4, the contents are in their own table, and the
    // ledger sealed with the move adds up at the next unlock.
    assert_eq!(schema_version(dir.path()), 4);
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM outbox WHERE payload IS NOT NULL"
        ),
        0
    );
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM outbox_payloads"), 5);
    let mut vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(problems(&vault), Vec::<String>::new());

    // A moved entry goes on like any other: answered, then withdrawn.
    vault
        .mark_batch(&[(records[0].record_id, OutboxState::Acknowledged)])
        .unwrap();
    let first = RefNumber::parse(&records[0].respondent).unwrap();
    let report = vault.withdraw(&first).unwrap();
    assert_eq!((report.records_deleted, report.tombstones_queued), (2, 2));
    drop(vault);
    let vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(problems(&vault), Vec::<String>::new());
    assert_eq!(vault.damaged_records().unwrap(), Vec::<String>::new());
    assert_eq!(
        vault.outbox().unwrap().len(),
        5,
        "3 kept, 2 tombstones more"
    );
}

#[test]
fn an_edit_to_the_older_file_is_still_reported_after_the_move() {
    let (dir, records, _) = schema_3_vault();
    // Someone with the file swaps two records' contents before the upgrade.
    let conn = raw(dir.path());
    let payload = |id: Uuid| -> Vec<u8> {
        conn.query_row(
            "SELECT payload FROM outbox WHERE record_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (first, second) = (records[0].record_id, records[1].record_id);
    let (one, two) = (payload(first), payload(second));
    for (id, sealed) in [(first, &two), (second, &one)] {
        conn.execute(
            "UPDATE outbox SET payload = ?2 WHERE record_id = ?1",
            rusqlite::params![id.to_string(), sealed],
        )
        .unwrap();
    }
    drop(conn);

    for unlock_number in 1..=2 {
        let vault = unlock(dir.path(), &pass()).unwrap();
        assert_eq!(
            problems(&vault),
            ["outbox entries: changed, replaced by older copies or swapped outside Fieldkit"],
            "unlock {unlock_number}"
        );
        let err = vault.outbox().unwrap_err();
        assert!(
            matches!(&err, VaultError::Corrupt { record } if record.contains(&first.to_string())),
            "{err}"
        );
        let mut damaged = vault.damaged_records().unwrap();
        damaged.retain(|d| d.starts_with("outbox payload"));
        assert_eq!(damaged.len(), 2, "{damaged:?}");
    }
}
