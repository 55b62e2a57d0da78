//! Creating, unlocking, locking and changing the passphrase of a real vault
//! file; the failed-unlock counter, the self-wipe and the duress passphrase.

mod vault_support;

use std::time::{Duration, Instant};

use fieldkit_mobile::vault::{
    CodeOfPracticeAck, DeviceToken, KdfParams, Passphrase, SessionStatus, Setting, Vault,
    VaultError, VaultSettings,
};
use fieldkit_protocols::engine::events::{Event, EventKind, StopReason};
use vault_support::*;

#[test]
fn events_survive_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let id = session_with_answers(&mut vault, "REF-7K3", 4);
    let stop = Event {
        seq: 5,
        at: at(100),
        kind: EventKind::Stopped {
            reason: StopReason::Withdrew,
        },
    };
    vault.append_event(id, &stop).unwrap();
    drop(vault);

    let vault = unlock(dir.path(), &pass()).unwrap();
    let events = vault.session_events(id).unwrap();
    assert_eq!(events.len(), 6);
    assert_eq!(events[0], start(id, "REF-7K3"));
    assert_eq!(events[3], answer(3, "answer 3"));
    let sessions = vault.sessions().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].respondent, "REF-7K3");
    assert_eq!(sessions[0].protocol_id, "street-children-interview");
    assert_eq!(sessions[0].protocol_version, 3);
    assert_eq!(
        sessions[0].status,
        SessionStatus::Stopped(StopReason::Withdrew)
    );
}

#[test]
fn events_must_come_in_order_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let id = uuid::Uuid::new_v4();
    assert!(matches!(
        vault.append_event(id, &answer(0, "no start")),
        Err(VaultError::NotAStart { .. })
    ));
    vault.append_event(id, &start(id, "R1")).unwrap();
    let err = vault.append_event(id, &answer(2, "gap")).unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::OutOfSequence {
                expected: 1,
                got: 2,
                ..
            }
        ),
        "{err}"
    );
    let err = vault.append_event(id, &answer(0, "again")).unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::OutOfSequence {
                expected: 1,
                got: 0,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(vault.session_events(id).unwrap().len(), 1);
}

#[test]
fn wrong_passphrases_count_across_restarts_and_the_last_one_wipes() {
    let dir = tempfile::tempdir().unwrap();
    let settings = VaultSettings {
        max_failed_unlocks: 3,
        ..settings()
    };
    let mut vault = Vault::create(dir.path(), &pass(), settings).unwrap();
    session_with_answers(&mut vault, "R1", 2);
    drop(vault);

    let wrong = Passphrase::new("guess");
    let err = unlock(dir.path(), &wrong).unwrap_err();
    assert!(
        matches!(err, VaultError::WrongPassphrase { attempts_left: 2 }),
        "{err}"
    );
    // "Restarting the app": nothing is held in memory between these calls.
    let err = unlock(dir.path(), &wrong).unwrap_err();
    assert!(
        matches!(err, VaultError::WrongPassphrase { attempts_left: 1 }),
        "{err}"
    );
    assert!(err.to_string().contains("1 attempt"), "{err}");
    let err = unlock(dir.path(), &wrong).unwrap_err();
    assert!(matches!(err, VaultError::Wiped), "{err}");

    assert!(!Vault::exists(dir.path()));
    assert!(
        all_files(dir.path()).is_empty(),
        "files left: {:?}",
        all_files(dir.path())
    );
    assert!(matches!(
        unlock(dir.path(), &pass()),
        Err(VaultError::NotFound { .. })
    ));
}

#[test]
fn a_correct_passphrase_resets_the_counter() {
    let dir = tempfile::tempdir().unwrap();
    let settings = VaultSettings {
        max_failed_unlocks: 2,
        ..settings()
    };
    drop(Vault::create(dir.path(), &pass(), settings).unwrap());
    let wrong = Passphrase::new("guess");
    assert!(unlock(dir.path(), &wrong).is_err());
    drop(unlock(dir.path(), &pass()).unwrap());
    let err = unlock(dir.path(), &wrong).unwrap_err();
    assert!(
        matches!(err, VaultError::WrongPassphrase { attempts_left: 1 }),
        "{err}"
    );
    assert!(Vault::exists(dir.path()));
}

#[test]
fn the_duress_passphrase_wipes_and_looks_like_a_wrong_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    session_with_answers(&mut vault, "R1", 2);
    let duress = Passphrase::new("my birthday");
    vault.set_duress_passphrase(Some(&duress)).unwrap();
    assert!(
        vault.set_duress_passphrase(Some(&pass())).is_err(),
        "duress equal to the passphrase"
    );
    drop(vault);

    let err = unlock(dir.path(), &duress).unwrap_err();
    assert!(
        matches!(err, VaultError::WrongPassphrase { attempts_left: 9 }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "wrong passphrase: 9 attempt(s) left before this vault erases itself"
    );
    assert!(!Vault::exists(dir.path()));
    assert!(all_files(dir.path()).is_empty());
}

#[test]
fn changing_the_passphrase_rewraps_the_key_and_reencrypts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let id = session_with_answers(&mut vault, "R1", 3);
    let sealed_before: Vec<Vec<u8>> = sealed_events(&raw(dir.path()));
    let new = Passphrase::new("a new long passphrase");
    assert!(matches!(
        vault.change_passphrase(&Passphrase::new("not it"), &new),
        Err(VaultError::WrongPassphrase { .. })
    ));
    vault.change_passphrase(&pass(), &new).unwrap();
    drop(vault);

    assert_eq!(sealed_events(&raw(dir.path())), sealed_before);
    assert!(matches!(
        unlock(dir.path(), &pass()),
        Err(VaultError::WrongPassphrase { .. })
    ));
    let vault = unlock(dir.path(), &new).unwrap();
    assert_eq!(vault.session_events(id).unwrap().len(), 4);
}

fn sealed_events(conn: &rusqlite::Connection) -> Vec<Vec<u8>> {
    let mut stmt = conn
        .prepare("SELECT sealed FROM events ORDER BY session_id, seq")
        .unwrap();
    stmt.query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_locked_vault_refuses_everything_until_unlocked_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let id = session_with_answers(&mut vault, "R1", 1);
    vault.lock();
    assert!(vault.is_locked());
    assert!(matches!(vault.session_events(id), Err(VaultError::Locked)));
    assert!(matches!(vault.sessions(), Err(VaultError::Locked)));
    assert!(matches!(
        vault.append_event(id, &answer(2, "x")),
        Err(VaultError::Locked)
    ));
    assert!(matches!(vault.get_draft("d"), Err(VaultError::Locked)));
    assert!(matches!(vault.settings(), Err(VaultError::Locked)));
    assert!(matches!(vault.outbox(), Err(VaultError::Locked)));
    vault.unlock_again(&pass()).unwrap();
    assert_eq!(vault.session_events(id).unwrap().len(), 2);
}

#[test]
fn idle_time_is_measured_on_the_callers_clock() {
    let dir = tempfile::tempdir().unwrap();
    let settings = VaultSettings {
        idle_lock: Duration::from_secs(120),
        ..settings()
    };
    let mut vault = Vault::create(dir.path(), &pass(), settings).unwrap();
    let t0 = Instant::now();
    vault.record_activity(t0);
    assert!(!vault.is_idle_expired(t0 + Duration::from_secs(119)));
    assert!(!vault.lock_if_idle(t0 + Duration::from_secs(119)));
    vault.record_activity(t0 + Duration::from_secs(100));
    assert!(!vault.is_idle_expired(t0 + Duration::from_secs(219)));
    assert!(vault.is_idle_expired(t0 + Duration::from_secs(220)));
    assert!(vault.lock_if_idle(t0 + Duration::from_secs(220)));
    assert!(matches!(vault.sessions(), Err(VaultError::Locked)));

    // The idle time is a stored setting.
    vault.unlock_again(&pass()).unwrap();
    vault.set_idle_lock(Duration::from_secs(30)).unwrap();
    drop(vault);
    let vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(vault.idle_lock(), Duration::from_secs(30));
}

#[test]
fn creating_over_an_existing_vault_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let id = session_with_answers(&mut vault, "R1", 1);
    drop(vault);
    let err = Vault::create(dir.path(), &Passphrase::new("other"), settings()).unwrap_err();
    assert!(matches!(err, VaultError::AlreadyExists { .. }), "{err}");
    let vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(vault.session_events(id).unwrap().len(), 2);
}

#[test]
fn settings_drafts_notes_and_attachments_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let id = session_with_answers(&mut vault, "R1", 1);
    vault
        .set_setting(&Setting::ServerUrl("http://127.0.0.1:8080".into()))
        .unwrap();
    vault
        .set_setting(&Setting::DeviceToken(DeviceToken::new("tok-123")))
        .unwrap();
    vault
        .set_setting(&Setting::ResearcherName("Amina".into()))
        .unwrap();
    let ack = CodeOfPracticeAck {
        language: "fr".into(),
        at: at(5),
    };
    vault
        .set_setting(&Setting::CodeOfPracticeAcknowledged(ack.clone()))
        .unwrap();
    vault.put_draft(&format!("{id}/q2"), "half an ans").unwrap();
    vault
        .put_draft(&format!("{id}/q2"), "half an answer")
        .unwrap();
    let note = vault.add_note(at(9), "market busy after 18:00").unwrap();
    let photo = vault
        .put_attachment(id, "image/jpeg", &[0xff, 0xd8, 1, 2, 3])
        .unwrap();
    drop(vault);

    let mut vault = unlock(dir.path(), &pass()).unwrap();
    let settings = vault.settings().unwrap();
    assert_eq!(
        settings.server_url.as_deref(),
        Some("http://127.0.0.1:8080")
    );
    assert_eq!(
        settings.device_token.as_ref().map(DeviceToken::expose),
        Some("tok-123")
    );
    assert_eq!(
        format!("{:?}", settings.device_token),
        "Some(DeviceToken(<redacted>))"
    );
    assert_eq!(settings.researcher_name.as_deref(), Some("Amina"));
    assert_eq!(settings.code_of_practice, Some(ack));
    assert_eq!(
        vault.get_draft(&format!("{id}/q2")).unwrap().as_deref(),
        Some("half an answer")
    );
    assert_eq!(vault.get_draft("other").unwrap(), None);
    vault.delete_draft(&format!("{id}/q2")).unwrap();
    assert_eq!(vault.get_draft(&format!("{id}/q2")).unwrap(), None);
    let notes = vault.notes().unwrap();
    assert_eq!(
        (notes[0].id, notes[0].text.as_str()),
        (note, "market busy after 18:00")
    );
    assert_eq!(vault.attachments(id).unwrap(), vec![photo]);
    let attachment = vault.attachment(photo).unwrap().unwrap();
    assert_eq!(
        (attachment.media_type.as_str(), attachment.bytes.as_slice()),
        ("image/jpeg", &[0xff, 0xd8, 1, 2, 3][..])
    );
    assert!(vault.delete_session(id).unwrap());
    assert_eq!(
        vault.attachment(photo).unwrap(),
        None,
        "attachments go with their session"
    );
}

/// The one test that pays the real Argon2id cost (64 MiB, t = 3).
#[test]
fn default_kdf_parameters_create_and_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let settings = VaultSettings::default();
    assert_eq!(
        settings.kdf,
        KdfParams {
            memory_kib: 65536,
            iterations: 3,
            parallelism: 1
        }
    );
    let mut vault = Vault::create(dir.path(), &pass(), settings).unwrap();
    let id = session_with_answers(&mut vault, "R1", 1);
    drop(vault);
    let header: (u32, u32, u32) = raw(dir.path())
        .query_row(
            "SELECT kdf_memory_kib, kdf_iterations, kdf_parallelism FROM header",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        header,
        (65536, 3, 1),
        "the parameters are kept in the header"
    );
    let vault = unlock(dir.path(), &pass()).unwrap();
    assert_eq!(vault.session_events(id).unwrap().len(), 2);
}
