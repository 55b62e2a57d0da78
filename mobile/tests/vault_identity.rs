//! The identity store (R21): its own file, its own key behind a supervisor's
//! code, and the identity strings anonymisation scrubs.

mod vault_support;

use fieldkit_mobile::vault::{IdentityStore, PersonalDetails, SupervisorCode, Vault, VaultError};
use fieldkit_protocols::refnum::RefNumber;
use vault_support::*;

fn code() -> SupervisorCode {
    SupervisorCode::new("supervisor 2468")
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

#[test]
fn details_are_kept_in_a_separate_file_opened_only_by_the_supervisors_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    session_with_answers(&mut vault, &child().to_string(), 1);
    let mut store = IdentityStore::create_with(dir.path(), &code(), CHEAP).unwrap();
    store.put(&child(), &details()).unwrap();
    drop(store);

    assert!(dir.path().join("identity.sqlite").is_file());
    // The research passphrase does not open it, the supervisor's code does.
    let err = IdentityStore::open(
        dir.path(),
        &SupervisorCode::new("correct horse battery staple"),
    )
    .unwrap_err();
    assert!(matches!(err, VaultError::WrongSupervisorCode), "{err}");
    let store = IdentityStore::open(dir.path(), &code()).unwrap();
    assert_eq!(store.get(&child()).unwrap(), Some(details()));
    assert_eq!(store.get(&new_ref()).unwrap(), None);
    assert_eq!(format!("{:?}", details()), "PersonalDetails(<redacted>)");

    // The research vault knows the reference number only.
    drop(vault);
    let vault_bytes = std::fs::read(vault_file(dir.path())).unwrap();
    for part in ["Nadia", "Nadu", "1711", "Kamalapur"] {
        assert!(!contains(&vault_bytes, part.as_bytes()));
    }
}

#[test]
fn identity_strings_list_what_anonymisation_must_scrub() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = IdentityStore::create_with(dir.path(), &code(), CHEAP).unwrap();
    store.put(&child(), &details()).unwrap();
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
    let mut store = IdentityStore::create_with(dir.path(), &code(), CHEAP).unwrap();
    store.put(&child(), &details()).unwrap();
    let new = SupervisorCode::new("new code 1357");
    assert!(matches!(
        store.change_code(&SupervisorCode::new("nope"), &new),
        Err(VaultError::WrongSupervisorCode)
    ));
    store.change_code(&code(), &new).unwrap();
    store.lock();
    assert!(matches!(store.get(&child()), Err(VaultError::Locked)));
    drop(store);
    assert!(IdentityStore::open(dir.path(), &code()).is_err());
    assert_eq!(
        IdentityStore::open(dir.path(), &new)
            .unwrap()
            .get(&child())
            .unwrap(),
        Some(details())
    );
}

#[test]
fn wiping_the_vault_also_erases_the_identity_store_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let mut store = IdentityStore::create_with(dir.path(), &code(), CHEAP).unwrap();
    store.put(&child(), &details()).unwrap();
    drop(store);
    vault.wipe().unwrap();
    assert!(!IdentityStore::exists(dir.path()));
    assert!(!Vault::exists(dir.path()));
    assert!(
        all_files(dir.path()).is_empty(),
        "left: {:?}",
        all_files(dir.path())
    );
    assert!(matches!(
        IdentityStore::open(dir.path(), &code()),
        Err(VaultError::NotFound { .. })
    ));
}
