//! The supervisor's notes in the vault: kept sealed across a restart, new
//! notes counted once, the text settled again on the phone, an
//! acknowledgement pending until the server confirms it, and a withdrawal
//! deleting the respondent's notes (R9).

mod vault_support;

use fieldkit_protocols::feedback::ReviewState;
use vault_support::*;

#[test]
fn notes_are_kept_acknowledged_once_and_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let reference = new_ref().to_string();
    let mut first = feedback_note(&reference, "Rapport first. Ring +44 7700 900123.");
    let second = feedback_note(&reference, "Well done on the closing.");
    assert_eq!(vault.receive_feedback(&[first.clone(), second]).unwrap(), 2);
    // The same note again (an unacknowledged note comes at every sync),
    // now with a newer state: nothing new, the state follows.
    first.state = ReviewState::HasIssues;
    assert_eq!(
        vault
            .receive_feedback(std::slice::from_ref(&first))
            .unwrap(),
        0
    );
    let notes = vault.feedback().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0].note.state, ReviewState::HasIssues);
    assert!(
        notes[0].note.text.contains("[phone]") && !notes[0].note.text.contains("7700"),
        "the phone kept a number the server should have scrubbed: {}",
        notes[0].note.text
    );

    assert!(vault.acknowledge_note(first.note_id, at(5)).unwrap());
    assert!(
        !vault.acknowledge_note(first.note_id, at(6)).unwrap(),
        "acknowledged twice"
    );
    drop(vault);

    let mut vault = unlock(dir.path(), &pass()).unwrap();
    let pending = vault.pending_acks().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].note_id, pending[0].acknowledged_at),
        (first.note_id, at(5))
    );
    // Received again before the acknowledgement reached the server: still acknowledged.
    vault
        .receive_feedback(std::slice::from_ref(&first))
        .unwrap();
    assert_eq!(vault.pending_acks().unwrap().len(), 1);
    vault.confirm_acks(&[first.note_id]).unwrap();
    assert!(vault.pending_acks().unwrap().is_empty());
    let notes = vault.feedback().unwrap();
    assert!(notes[0].ack_confirmed && notes[0].acknowledged_at.is_some());
    assert!(notes[1].acknowledged_at.is_none());
}

#[test]
fn a_withdrawal_deletes_the_respondents_notes() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let leaves = new_ref();
    let stays = new_ref().to_string();
    vault
        .receive_feedback(&[
            feedback_note(&leaves.to_string(), "About the child who leaves."),
            feedback_note(&stays, "About another child."),
        ])
        .unwrap();
    let report = vault.withdraw(&leaves).unwrap();
    assert_eq!(report.notes_deleted, 1);
    let notes = vault.feedback().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].note.reference, stays);
}
