//! Damage and tampering: moved ciphertexts, flipped bytes on disk, a damaged
//! key header, a schema newer than the app. Each gets a clear error and
//! leaves everything else readable.

mod vault_support;

use fieldkit_mobile::vault::{Vault, VaultError};
use uuid::Uuid;
use vault_support::*;

/// An event's ciphertext, read straight from the file.
fn sealed_event(conn: &rusqlite::Connection, session: Uuid, seq: i64) -> Vec<u8> {
    conn.query_row(
        "SELECT sealed FROM events WHERE session_id = ?1 AND seq = ?2",
        rusqlite::params![session.to_string(), seq],
        |r| r.get(0),
    )
    .unwrap()
}

/// Replaces an event's ciphertext in the file, as someone with it could.
fn set_sealed_event(conn: &rusqlite::Connection, session: Uuid, seq: i64, sealed: &[u8]) {
    conn.execute(
        "UPDATE events SET sealed = ?3 WHERE session_id = ?1 AND seq = ?2",
        rusqlite::params![session.to_string(), seq, sealed],
    )
    .unwrap();
}

#[test]
fn a_ciphertext_moved_to_another_row_fails_to_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let id = session_with_answers(&mut vault, "R1", 3);
    drop(vault);

    // Swap the ciphertexts of events 1 and 2, as someone with the file could.
    let conn = raw(dir.path());
    let (one, two) = (sealed_event(&conn, id, 1), sealed_event(&conn, id, 2));
    set_sealed_event(&conn, id, 1, &two);
    set_sealed_event(&conn, id, 2, &one);
    drop(conn);

    let vault = unlock(dir.path(), &pass()).unwrap();
    let err = vault.session_events(id).unwrap_err();
    assert!(
        matches!(&err, VaultError::Corrupt { record } if *record == format!("event {id}#1")),
        "{err}"
    );
    let mut damaged = vault.damaged_records().unwrap();
    damaged.sort();
    assert_eq!(
        damaged,
        vec![
            format!("event {id}#1"),
            format!("event {id}#2"),
            // The ledger notices the swap as well.
            "session events: changed, replaced by older copies or swapped outside Fieldkit"
                .to_owned(),
        ]
    );
}

#[test]
fn sessions_of_every_length_read_back_whole_and_in_order() {
    // Events are read 8 to a buffer: none, one short of it, exactly, one
    // over, and many buffers.
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    for answers in [0, 6, 7, 8, 9, 40] {
        let id = session_with_answers(&mut vault, "R1", answers);
        let mut expected = vec![start(id, "R1")];
        expected.extend((1..=answers).map(|seq| answer(seq, &format!("answer {seq}"))));
        assert_eq!(
            vault.session_events(id).unwrap(),
            expected,
            "{answers} answers"
        );
    }
}

#[test]
fn a_row_that_cannot_be_read_fails_the_read_unless_an_earlier_event_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let id = session_with_answers(&mut vault, "R1", 30);
    drop(vault);
    let conn = raw(dir.path());
    // Event 20's format is no longer a number: the row cannot be read.
    conn.execute(
        "UPDATE events SET format = 'two' WHERE session_id = ?1 AND seq = 20",
        [id.to_string()],
    )
    .unwrap();
    let vault = unlock(dir.path(), &pass()).unwrap();
    let err = vault.session_events(id).unwrap_err();
    assert!(matches!(err, VaultError::Storage(_)), "{err}");
    drop(vault);

    // Event 18 damaged as well, read in the same 8 as event 20: it comes
    // first, so it is the one named.
    let mut damaged = sealed_event(&conn, id, 18);
    damaged[30] ^= 1;
    set_sealed_event(&conn, id, 18, &damaged);
    let vault = unlock(dir.path(), &pass()).unwrap();
    let err = vault.session_events(id).unwrap_err();
    assert!(
        matches!(&err, VaultError::Corrupt { record } if *record == format!("event {id}#18")),
        "{err}"
    );
}

#[test]
fn a_ciphertext_moved_to_another_kind_of_record_fails_to_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    vault.put_draft("a", "draft text").unwrap();
    let note = vault.add_note(at(1), "note text").unwrap();
    drop(vault);
    let conn = raw(dir.path());
    let draft: Vec<u8> = conn
        .query_row("SELECT sealed FROM drafts", [], |r| r.get(0))
        .unwrap();
    conn.execute("UPDATE notes SET sealed = ?1", [draft])
        .unwrap();
    drop(conn);
    let vault = unlock(dir.path(), &pass()).unwrap();
    let err = vault.notes().unwrap_err();
    assert!(
        matches!(&err, VaultError::Corrupt { record } if *record == format!("note {note}")),
        "{err}"
    );
    assert_eq!(vault.get_draft("a").unwrap().as_deref(), Some("draft text"));
}

#[test]
fn flipped_bytes_on_disk_damage_one_record_and_leave_the_others_readable() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let damaged_session = session_with_answers(&mut vault, "R1", 4);
    let intact_session = session_with_answers(&mut vault, "R2", 4);
    drop(vault); // closing checkpoints the WAL into the main file

    let target = sealed_event(&raw(dir.path()), damaged_session, 3);
    let path = vault_file(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes
        .windows(target.len())
        .position(|w| w == target.as_slice())
        .expect("ciphertext in the file");
    bytes[at + target.len() / 2] ^= 0x5a;
    std::fs::write(&path, &bytes).unwrap();

    let vault = unlock(dir.path(), &pass()).unwrap();
    let err = vault.session_events(damaged_session).unwrap_err();
    assert!(
        matches!(&err, VaultError::Corrupt { record } if *record == format!("event {damaged_session}#3")),
        "{err}"
    );
    assert!(
        err.to_string().contains("other records are not affected"),
        "{err}"
    );
    assert_eq!(vault.session_events(intact_session).unwrap().len(), 5);
    assert_eq!(vault.sessions().unwrap().len(), 2);
    assert_eq!(
        vault.damaged_records().unwrap(),
        vec![
            format!("event {damaged_session}#3"),
            "session events: changed, replaced by older copies or swapped outside Fieldkit"
                .to_owned(),
        ]
    );
}

#[test]
fn a_damaged_key_header_is_reported_and_not_counted_as_a_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    session_with_answers(&mut vault, "R1", 1);
    drop(vault);
    let conn = raw(dir.path());
    let mut salt: Vec<u8> = conn
        .query_row("SELECT salt FROM header", [], |r| r.get(0))
        .unwrap();
    salt[0] ^= 1;
    conn.execute("UPDATE header SET salt = ?1", [&salt])
        .unwrap();
    drop(conn);

    for _ in 0..12 {
        let err = unlock(dir.path(), &pass()).unwrap_err();
        assert!(matches!(err, VaultError::CorruptHeader { .. }), "{err}");
    }
    assert!(
        Vault::exists(dir.path()),
        "damage must never trigger the self-wipe"
    );
    let failed: u32 = raw(dir.path())
        .query_row("SELECT failed_unlocks FROM header", [], |r| r.get(0))
        .unwrap();
    assert_eq!(failed, 0);
}

#[test]
fn a_vault_from_a_newer_app_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let id = session_with_answers(&mut vault, "R1", 2);
    drop(vault);
    let conn = raw(dir.path());
    let current: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let before = std::fs::read(vault_file(dir.path())).unwrap();

    for _ in 0..3 {
        let err = unlock(dir.path(), &pass()).unwrap_err();
        assert!(
            matches!(
                err,
                VaultError::NewerSchema {
                    found: 99,
                    supported,
                    ..
                } if supported == current
            ),
            "{err}"
        );
        assert!(err.to_string().contains("update the app"), "{err}");
    }
    assert_eq!(
        std::fs::read(vault_file(dir.path())).unwrap(),
        before,
        "file changed"
    );

    // An updated app (simulated by putting the version back) still has it all.
    raw(dir.path())
        .pragma_update(None, "user_version", current)
        .unwrap();
    let vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(vault.session_events(id).unwrap().len(), 3);
}

#[test]
fn a_file_that_is_not_a_database_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(vault_file(dir.path()), vec![0x42; 8192]).unwrap();
    let err = unlock(dir.path(), &pass()).unwrap_err();
    assert!(matches!(err, VaultError::CorruptFile { .. }), "{err}");
    assert!(err.to_string().contains("vault.sqlite"), "{err}");
    assert_eq!(
        std::fs::read(vault_file(dir.path())).unwrap(),
        vec![0x42; 8192]
    );
}

/// The plain checksum as anyone can recompute it (a second implementation
/// of the header's layout): an attacker who edits a field fixes it up too.
fn recompute_checksum(conn: &rusqlite::Connection) {
    use sha2::{Digest, Sha256};
    let (m, t, p, limit, salt, wrapped, duress): (u32, u32, u32, u32, Vec<u8>, Vec<u8>, Vec<u8>) =
        conn.query_row(
            "SELECT kdf_memory_kib, kdf_iterations, kdf_parallelism, max_failed_unlocks, salt,
                    wrapped_key, duress_tag FROM header",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .unwrap();
    let mut h = Sha256::new();
    h.update(b"fieldkit-header-checksum-v2\0");
    for n in [m, t, p, limit] {
        h.update(n.to_be_bytes());
    }
    for part in [&salt, &wrapped, &duress] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    conn.execute("UPDATE header SET checksum = ?1", [h.finalize().to_vec()])
        .unwrap();
}

fn failed_unlocks(dir: &std::path::Path) -> u32 {
    raw(dir)
        .query_row("SELECT failed_unlocks FROM header", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn every_header_field_edited_is_tampering_and_never_counted_as_a_wrong_passphrase() {
    let edits = [
        ("the Argon2 memory", "kdf_memory_kib = 65536"),
        ("the Argon2 passes", "kdf_iterations = 3"),
        ("the Argon2 lanes", "kdf_parallelism = 2"),
        ("a raised wipe limit", "max_failed_unlocks = 100"),
        ("a lowered wipe limit", "max_failed_unlocks = 1"),
        ("a wipe limit out of range", "max_failed_unlocks = 1000"),
        ("the duress slot", "duress_tag = randomblob(32)"),
        ("a removed duress slot", "duress_tag = x''"),
        ("a counter past the limit", "failed_unlocks = 11"),
        ("the MAC", "mac = randomblob(32)"),
    ];
    for (what, edit) in edits {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = new_vault(dir.path());
        let id = session_with_answers(&mut vault, "R1", 1);
        vault
            .set_duress_passphrase(Some(&fieldkit_mobile::vault::Passphrase::new(
                "my birthday",
            )))
            .unwrap();
        drop(vault);
        assert!(unlock(dir.path(), &fieldkit_mobile::vault::Passphrase::new("typo")).is_err());
        assert_eq!(failed_unlocks(dir.path()), 1);
        let conn = raw(dir.path());
        conn.execute(&format!("UPDATE header SET {edit}"), [])
            .unwrap();
        recompute_checksum(&conn);
        drop(conn);
        let counter = failed_unlocks(dir.path());
        for _ in 0..12 {
            let err = unlock(dir.path(), &pass()).unwrap_err();
            assert!(matches!(err, VaultError::Tampered { .. }), "{what}: {err}");
            assert!(
                err.to_string().contains("nothing was counted"),
                "{what}: {err}"
            );
        }
        assert!(Vault::exists(dir.path()), "{what}: never wiped");
        assert_eq!(
            failed_unlocks(dir.path()),
            counter,
            "{what}: nothing counted"
        );
        let _ = id;
    }
}

#[test]
fn the_production_unlock_refuses_a_header_that_asks_for_the_test_cost() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    // The file says "cheap"; only a caller whose own settings say so agrees.
    let err = Vault::unlock(dir.path(), &pass()).unwrap_err();
    assert!(matches!(err, VaultError::Tampered { .. }), "{err}");
    assert_eq!(failed_unlocks(dir.path()), 0);
    assert!(unlock(dir.path(), &pass()).is_ok());
    // And no vault can be made at an arbitrary cost.
    let other = tempfile::tempdir().unwrap();
    let settings = fieldkit_mobile::vault::VaultSettings {
        kdf: fieldkit_mobile::vault::KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        },
        ..settings()
    };
    assert!(matches!(
        Vault::create(other.path(), &pass(), settings),
        Err(VaultError::InvalidSettings(_))
    ));
}

/// Rows changed in the file: each is detected, and none makes the unlock
/// count as a wrong passphrase.
#[test]
fn flipped_moved_rolled_back_and_deleted_rows_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let done = session_with_answers(&mut vault, "R1", 3);
    let other = session_with_answers(&mut vault, "R2", 1);
    let photo = vault.put_attachment(done, "image/jpeg", b"photo").unwrap();
    let old_summary: Vec<u8> = raw(dir.path())
        .query_row(
            "SELECT summary FROM sessions WHERE id = ?1",
            [done.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    vault
        .append_event(
            done,
            &fieldkit_protocols::engine::events::Event {
                seq: 4,
                at: at(4),
                kind: fieldkit_protocols::engine::events::EventKind::Completed,
            },
        )
        .unwrap();
    let record = envelope("R1", "body");
    vault.enqueue(&record).unwrap();
    let pending_row: (String, Vec<u8>) = raw(dir.path())
        .query_row("SELECT state, meta FROM outbox", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    vault.mark_acknowledged(record.record_id).unwrap();
    drop(vault);

    let tamper = |sql: &str, params: &[&dyn rusqlite::ToSql]| {
        raw(dir.path()).execute(sql, params).unwrap();
    };
    // An acknowledged record flipped back to pending.
    tamper("UPDATE outbox SET state = 'pending'", &[]);
    let vault = unlock(dir.path(), &pass()).unwrap();
    let err = vault.outbox().unwrap_err();
    assert!(matches!(err, VaultError::Corrupt { .. }), "{err}");
    assert!(vault
        .damaged_records()
        .unwrap()
        .iter()
        .any(|d| d.contains("outbox")));
    drop(vault);
    // ... or rolled back as a whole to its older, pending copy: it opens, but
    // the store no longer adds up, and a withdrawal still sends a tombstone.
    tamper(
        "UPDATE outbox SET state = ?1, meta = ?2",
        &[&pending_row.0, &pending_row.1],
    );
    // An attachment moved to another session.
    tamper(
        "UPDATE attachments SET session_id = ?1",
        &[&other.to_string()],
    );
    // A completed session's summary replaced by its older copy.
    tamper(
        "UPDATE sessions SET summary = ?1 WHERE id = ?2",
        &[&old_summary, &done.to_string()],
    );
    // The last event of a session deleted.
    tamper(
        "DELETE FROM events WHERE session_id = ?1 AND seq = 1",
        &[&other.to_string()],
    );

    let mut vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(failed_unlocks(dir.path()), 0, "nothing counted");
    vault.record_activity(std::time::Instant::now());
    assert!(matches!(
        vault.attachment(photo),
        Err(VaultError::Corrupt { .. })
    ));
    let problems: Vec<String> = vault
        .integrity_problems()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    for what in [
        "session summaries",
        "session events",
        "attachments",
        "outbox entries",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(what)),
            "{what} in {problems:?}"
        );
    }
    assert!(
        problems
            .iter()
            .any(|p| p.contains("left 7 row(s), the file has 6")),
        "{problems:?}"
    );
    assert!(vault.damaged_records().unwrap().len() >= 4);
    // Reported at every unlock until a supervisor has looked.
    vault.lock();
    let vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(vault.integrity_problems().unwrap().len(), 4);
}

#[test]
fn a_vault_made_by_a_pre_release_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(vault_file(dir.path())).unwrap();
    conn.execute_batch(
        "CREATE TABLE header (id INTEGER PRIMARY KEY, salt BLOB);
         INSERT INTO header VALUES (1, x'00');
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let before = std::fs::read(vault_file(dir.path())).unwrap();
    let err = unlock(dir.path(), &pass()).unwrap_err();
    assert!(matches!(err, VaultError::PreReleaseFormat { .. }), "{err}");
    assert!(err.to_string().contains("pre-release"), "{err}");
    assert_eq!(std::fs::read(vault_file(dir.path())).unwrap(), before);
}
