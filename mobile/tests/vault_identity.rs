//! The identity store (R21): its own file, its own key behind a supervisor's
//! code that the strength floor accepts, a limited number of attempts (the
//! last one erases the identity store alone), a header nobody can edit
//! unnoticed, and the identity strings anonymisation scrubs.

mod vault_support;

use fieldkit_mobile::vault::{
    supervisor_code_acceptable, IdentityDeletion, IdentityState, IdentityStore, PersonalDetails,
    SupervisorCode, Vault, VaultError, IDENTITY_ATTEMPTS,
};
use fieldkit_protocols::refnum::RefNumber;
use vault_support::*;

fn code() -> SupervisorCode {
    SupervisorCode::new("40715283")
}

fn child() -> RefNumber {
    RefNumber::from_uuid(uuid::Uuid::from_u128(
        0x7a3f_0000_0000_0000_0000_0000_0000_0001,
    ))
}

fn details() -> PersonalDetails {
    PersonalDetails {
        name: "Nadia Rahman Begum".into(),
        nickname: "Nadu".into(),
        contact: "+880 1711 000000".into(),
        place: "Kamalapur station".into(),
        notes: "sister works at the tea stall".into(),
    }
}

/// A vault with an identity store holding one child's details, closed.
fn with_store(dir: &std::path::Path) -> Vault {
    let mut vault = new_vault(dir);
    let mut store = vault.create_identity_store(&code(), "Fatou N.").unwrap();
    store.put(&child(), &details()).unwrap();
    drop(store);
    vault
}

fn identity_file(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("identity.sqlite")
}

#[test]
fn the_code_must_be_hard_to_guess() {
    for weak in [
        "",
        "1",
        "4711",
        "1234567",
        "12345678",
        "87654321",
        "00000000",
        "password",
        "qwerty123",
        "Nadia2024",
    ] {
        assert!(!supervisor_code_acceptable(weak), "{weak:?} accepted");
    }
    assert!(supervisor_code_acceptable("40715283"));
    assert!(supervisor_code_acceptable("830211756"));
    assert!(supervisor_code_acceptable("river lamp quietly orange"));

    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let err = vault
        .create_identity_store(&SupervisorCode::new("4711"), "Fatou N.")
        .unwrap_err();
    assert!(matches!(err, VaultError::WeakSupervisorCode), "{err}");
    assert!(!IdentityStore::exists(dir.path()), "nothing was made");
    // The supervisor says who they are.
    assert!(vault.create_identity_store(&code(), "  ").is_err());
    assert_eq!(vault.identity_state().unwrap(), IdentityState::NotSetUp);
}

#[test]
fn details_are_kept_in_a_separate_file_opened_only_by_the_supervisors_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = with_store(dir.path());
    session_with_answers(&mut vault, &child().to_string(), 1);
    assert!(identity_file(dir.path()).is_file());
    let IdentityState::Closed {
        set_by,
        attempts_left,
        ..
    } = vault.identity_state().unwrap()
    else {
        panic!("a closed store")
    };
    assert_eq!(
        (set_by.as_str(), attempts_left),
        ("Fatou N.", IDENTITY_ATTEMPTS)
    );

    // The research passphrase does not open it, the supervisor's code does.
    let err = vault
        .open_identity_store(&SupervisorCode::new("correct horse battery staple"))
        .unwrap_err();
    assert!(
        matches!(err, VaultError::WrongSupervisorCode { attempts_left: 4 }),
        "{err}"
    );
    let store = vault.open_identity_store(&code()).unwrap();
    assert_eq!(store.get(&child()).unwrap(), Some(details()));
    assert_eq!(store.get(&new_ref()).unwrap(), None);
    assert_eq!(format!("{:?}", details()), "PersonalDetails(<redacted>)");
    drop(store);
    // A right code resets the count.
    assert!(matches!(
        vault.identity_state().unwrap(),
        IdentityState::Closed {
            attempts_left: IDENTITY_ATTEMPTS,
            ..
        }
    ));

    // The research vault knows the reference number only.
    vault.lock();
    let vault_bytes = std::fs::read(vault_file(dir.path())).unwrap();
    for part in ["Nadia", "Nadu", "1711", "Kamalapur", "Fatou"] {
        assert!(!contains(&vault_bytes, part.as_bytes()), "{part}");
    }
}

#[test]
fn the_last_wrong_code_erases_the_identity_store_alone_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = with_store(dir.path());
    let id = session_with_answers(&mut vault, "R1", 2);
    let wrong = SupervisorCode::new("99999998");
    for left in (1..IDENTITY_ATTEMPTS).rev() {
        let err = vault.open_identity_store(&wrong).unwrap_err();
        assert!(
            matches!(err, VaultError::WrongSupervisorCode { attempts_left } if attempts_left == left),
            "{err}"
        );
        assert!(
            err.to_string().contains(&format!("{left} attempt(s) left")),
            "{err}"
        );
    }
    // Counted across restarts of the app: the count lives in the files.
    vault.lock();
    let mut vault = unlock(dir.path(), &pass()).unwrap();
    let err = vault.open_identity_store(&wrong).unwrap_err();
    assert!(matches!(err, VaultError::IdentityWiped), "{err}");
    assert!(
        err.to_string().contains("identity store") && err.to_string().contains("untouched"),
        "{err}"
    );
    assert!(!identity_file(dir.path()).exists());
    assert_eq!(vault.identity_state().unwrap(), IdentityState::NotSetUp);
    assert!(matches!(
        vault.open_identity_store(&code()),
        Err(VaultError::NotFound { .. })
    ));
    // The research vault stays, and a supervisor can set a new code.
    assert_eq!(vault.session_events(id).unwrap().len(), 3);
    let store = vault.create_identity_store(&code(), "Fatou N.").unwrap();
    assert_eq!(
        store.get(&child()).unwrap(),
        None,
        "the old details are gone"
    );
}

#[test]
fn restoring_an_old_copy_of_either_file_gives_no_attempts_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = with_store(dir.path());
    vault.lock();
    let identity_copy = std::fs::read(identity_file(dir.path())).unwrap();
    let vault_copy = std::fs::read(vault_file(dir.path())).unwrap();
    let mut vault = unlock(dir.path(), &pass()).unwrap();
    let wrong = SupervisorCode::new("99999998");
    for _ in 0..3 {
        assert!(vault.open_identity_store(&wrong).is_err());
    }
    vault.lock();
    // The identity store as it was before the three wrong codes.
    std::fs::write(identity_file(dir.path()), &identity_copy).unwrap();
    let mut vault = unlock(dir.path(), &pass()).unwrap();
    let err = vault.open_identity_store(&wrong).unwrap_err();
    assert!(
        matches!(err, VaultError::WrongSupervisorCode { attempts_left: 1 }),
        "{err}"
    );
    vault.lock();
    // Now the research vault as it was, the identity store as it is.
    std::fs::write(vault_file(dir.path()), &vault_copy).unwrap();
    let mut vault = unlock(dir.path(), &pass()).unwrap();
    let err = vault.open_identity_store(&wrong).unwrap_err();
    assert!(matches!(err, VaultError::IdentityWiped), "{err}");
}

#[test]
fn an_edited_identity_header_is_tampering_and_never_counted() {
    for (column, value) in [
        ("failed_unlocks", "0"),
        ("max_failed_unlocks", "100"),
        ("kdf_iterations", "4"),
        ("salt", "randomblob(16)"),
        ("wrapped_key", "randomblob(72)"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = with_store(dir.path());
        assert!(vault
            .open_identity_store(&SupervisorCode::new("99999998"))
            .is_err());
        let conn = rusqlite::Connection::open(identity_file(dir.path())).unwrap();
        conn.execute(&format!("UPDATE header SET {column} = {value}"), [])
            .unwrap();
        drop(conn);
        for _ in 0..IDENTITY_ATTEMPTS + 1 {
            let err = vault.open_identity_store(&code()).unwrap_err();
            assert!(
                matches!(
                    err,
                    VaultError::Tampered { .. } | VaultError::CorruptHeader { .. }
                ),
                "{column}: {err}"
            );
        }
        assert!(identity_file(dir.path()).exists(), "{column}: never wiped");
        assert!(matches!(
            vault.identity_state().unwrap(),
            IdentityState::Closed {
                attempts_left, ..
            } if attempts_left == IDENTITY_ATTEMPTS - 1
        ));
    }
}

#[test]
fn an_identity_store_from_elsewhere_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let mut vault = with_store(dir.path());
    drop(with_store(other.path()));
    std::fs::copy(identity_file(other.path()), identity_file(dir.path())).unwrap();
    let err = vault.open_identity_store(&code()).unwrap_err();
    assert!(matches!(err, VaultError::Tampered { .. }), "{err}");
}

#[test]
fn withdrawal_deletes_the_identity_entry_while_the_store_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = with_store(dir.path());
    session_with_answers(&mut vault, &child().to_string(), 1);
    let report = vault.withdraw(&child()).unwrap();
    assert_eq!(report.identity, IdentityDeletion::Deleted);
    assert_eq!(
        vault.withdraw(&new_ref()).unwrap().identity,
        IdentityDeletion::NoneStored
    );
    let store = vault.open_identity_store(&code()).unwrap();
    assert_eq!(store.get(&child()).unwrap(), None);
    drop(store);

    let bare = tempfile::tempdir().unwrap();
    let mut vault = new_vault(bare.path());
    assert_eq!(
        vault.withdraw(&child()).unwrap().identity,
        IdentityDeletion::NoStore
    );
}

#[test]
fn identity_strings_list_what_anonymisation_must_scrub() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = with_store(dir.path());
    let mut store = vault.open_identity_store(&code()).unwrap();
    assert_eq!(
        store.identity_strings(&child()).unwrap(),
        vec![
            "Nadia Rahman Begum",
            "Nadia",
            "Rahman",
            "Begum",
            "Nadu",
            "+880 1711 000000",
            "Kamalapur station"
        ]
    );
    assert!(store.identity_strings(&new_ref()).unwrap().is_empty());
    assert!(store.remove(&child()).unwrap());
    assert!(store.identity_strings(&child()).unwrap().is_empty());
}

#[test]
fn changing_the_code_and_locking() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = with_store(dir.path());
    let mut store = vault.open_identity_store(&code()).unwrap();
    let new = SupervisorCode::new("river lamp quietly orange");
    assert!(matches!(
        store.change_code(&SupervisorCode::new("nope"), &new),
        Err(VaultError::WrongSupervisorCode { .. })
    ));
    assert!(matches!(
        store.change_code(&code(), &SupervisorCode::new("1234")),
        Err(VaultError::WeakSupervisorCode)
    ));
    store.change_code(&code(), &new).unwrap();
    store.lock();
    assert!(matches!(store.get(&child()), Err(VaultError::Locked)));
    drop(store);
    assert!(vault.open_identity_store(&code()).is_err());
    assert_eq!(
        vault
            .open_identity_store(&new)
            .unwrap()
            .get(&child())
            .unwrap(),
        Some(details())
    );
}

#[test]
fn wiping_the_vault_also_erases_the_identity_store_and_the_language_file() {
    let dir = tempfile::tempdir().unwrap();
    let vault = with_store(dir.path());
    std::fs::write(dir.path().join("language"), "fr").unwrap();
    vault.wipe().unwrap();
    assert!(!IdentityStore::exists(dir.path()));
    assert!(!Vault::exists(dir.path()));
    assert!(
        all_files(dir.path()).is_empty(),
        "left: {:?}",
        all_files(dir.path())
    );
}
