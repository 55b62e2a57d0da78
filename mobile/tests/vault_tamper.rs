//! Damage and tampering: moved ciphertexts, flipped bytes on disk, a damaged
//! key header, a schema newer than the app. Each gets a clear error and
//! leaves everything else readable.

mod vault_support;

use fieldkit_mobile::vault::{Vault, VaultError};
use vault_support::*;

#[test]
fn a_ciphertext_moved_to_another_row_fails_to_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let id = session_with_answers(&mut vault, "R1", 3);
    drop(vault);

    // Swap the ciphertexts of events 1 and 2, as someone with the file could.
    let conn = raw(dir.path());
    let get = |seq: i64| -> Vec<u8> {
        conn.query_row(
            "SELECT sealed FROM events WHERE session_id = ?1 AND seq = ?2",
            rusqlite::params![id.to_string(), seq],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (one, two) = (get(1), get(2));
    for (seq, sealed) in [(1, &two), (2, &one)] {
        conn.execute(
            "UPDATE events SET sealed = ?3 WHERE session_id = ?1 AND seq = ?2",
            rusqlite::params![id.to_string(), seq, sealed],
        )
        .unwrap();
    }
    drop(conn);

    let vault = Vault::unlock(dir.path(), &pass()).unwrap();
    let err = vault.session_events(id).unwrap_err();
    assert!(
        matches!(&err, VaultError::Corrupt { record } if *record == format!("event {id}#1")),
        "{err}"
    );
    let mut damaged = vault.damaged_records().unwrap();
    damaged.sort();
    assert_eq!(
        damaged,
        vec![format!("event {id}#1"), format!("event {id}#2")]
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
    let vault = Vault::unlock(dir.path(), &pass()).unwrap();
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

    let target: Vec<u8> = raw(dir.path())
        .query_row(
            "SELECT sealed FROM events WHERE session_id = ?1 AND seq = 3",
            [damaged_session.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    let path = vault_file(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes
        .windows(target.len())
        .position(|w| w == target.as_slice())
        .expect("ciphertext in the file");
    bytes[at + target.len() / 2] ^= 0x5a;
    std::fs::write(&path, &bytes).unwrap();

    let vault = Vault::unlock(dir.path(), &pass()).unwrap();
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
        vec![format!("event {damaged_session}#3")]
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
        let err = Vault::unlock(dir.path(), &pass()).unwrap_err();
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
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let before = std::fs::read(vault_file(dir.path())).unwrap();

    for _ in 0..3 {
        let err = Vault::unlock(dir.path(), &pass()).unwrap_err();
        assert!(
            matches!(
                err,
                VaultError::NewerSchema {
                    found: 99,
                    supported: 1,
                    ..
                }
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
        .pragma_update(None, "user_version", 1)
        .unwrap();
    let vault = Vault::unlock(dir.path(), &pass()).unwrap();
    assert_eq!(vault.session_events(id).unwrap().len(), 3);
}

#[test]
fn a_file_that_is_not_a_database_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(vault_file(dir.path()), vec![0x42; 8192]).unwrap();
    let err = Vault::unlock(dir.path(), &pass()).unwrap_err();
    assert!(matches!(err, VaultError::CorruptFile { .. }), "{err}");
    assert!(err.to_string().contains("vault.sqlite"), "{err}");
    assert_eq!(
        std::fs::read(vault_file(dir.path())).unwrap(),
        vec![0x42; 8192]
    );
}
