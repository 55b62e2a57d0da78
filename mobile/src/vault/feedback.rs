//! The supervisor's notes on this phone's records ("From your
//! supervisor"), kept sealed in the vault like everything else: one sealed
//! setting under a keyed name holding the inbox, since a phone holds a
//! handful of notes, not thousands.
//!
//! A note is acknowledged here first; the acknowledgement waits until the
//! server confirms it, and is sent again at every sync until then (the
//! server takes resends as `already_acknowledged`). A withdrawal deletes
//! the respondent's notes with their records (R9).

use fieldkit_protocols::anonymise::{settle, RedactionReport};
use fieldkit_protocols::feedback::{FeedbackAck, FeedbackNote};
use fieldkit_protocols::refnum::RefNumber;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::ledger::Writer;
use super::records::{get_setting_json, put_setting_json};
use super::{Open, Vault, VaultError};

const INBOX: &str = "feedback_inbox";

/// One note as the phone keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedNote {
    pub note: FeedbackNote,
    /// When the researcher acknowledged it on this phone.
    pub acknowledged_at: Option<OffsetDateTime>,
    /// Whether the server has confirmed the acknowledgement.
    pub ack_confirmed: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Inbox {
    notes: Vec<ReceivedNote>,
}

fn read(open: &Open) -> Result<Inbox, VaultError> {
    Ok(get_setting_json(&open.conn, &open.key, &open.sub, INBOX)?.unwrap_or_default())
}

impl Vault {
    /// Every note kept, oldest first.
    pub fn feedback(&self) -> Result<Vec<ReceivedNote>, VaultError> {
        Ok(read(self.open()?)?.notes)
    }

    /// Keeps notes from the server; a note already here keeps its
    /// acknowledgement and takes the record's newer review state. The
    /// phone settles the text again itself: it trusts the server's
    /// scrubbing no more than the server trusts the phone's. Returns how
    /// many notes are new.
    pub fn receive_feedback(&mut self, notes: &[FeedbackNote]) -> Result<usize, VaultError> {
        let mut inbox = read(self.open()?)?;
        let mut new = 0;
        for note in notes {
            let mut note = note.clone();
            note.text = settle(&note.text, &mut RedactionReport::default());
            match inbox
                .notes
                .iter_mut()
                .find(|n| n.note.note_id == note.note_id)
            {
                Some(kept) => kept.note.state = note.state,
                None => {
                    inbox.notes.push(ReceivedNote {
                        note,
                        acknowledged_at: None,
                        ack_confirmed: false,
                    });
                    new += 1;
                }
            }
        }
        self.open_mut()?
            .write(|w| put_setting_json(w, INBOX, &inbox))?;
        Ok(new)
    }

    /// The researcher read a note. `false` if there is no such note or it
    /// was acknowledged before (the first time stands).
    pub fn acknowledge_note(
        &mut self,
        note_id: Uuid,
        at: OffsetDateTime,
    ) -> Result<bool, VaultError> {
        let mut inbox = read(self.open()?)?;
        let Some(note) = inbox
            .notes
            .iter_mut()
            .find(|n| n.note.note_id == note_id && n.acknowledged_at.is_none())
        else {
            return Ok(false);
        };
        note.acknowledged_at = Some(at);
        self.open_mut()?
            .write(|w| put_setting_json(w, INBOX, &inbox))?;
        Ok(true)
    }

    /// Acknowledgements the server has not confirmed yet.
    pub fn pending_acks(&self) -> Result<Vec<FeedbackAck>, VaultError> {
        Ok(read(self.open()?)?
            .notes
            .iter()
            .filter(|n| !n.ack_confirmed)
            .filter_map(|n| {
                n.acknowledged_at.map(|at| FeedbackAck {
                    note_id: n.note.note_id,
                    acknowledged_at: at,
                })
            })
            .collect())
    }

    /// The server answered these acknowledgements: stop sending them.
    pub fn confirm_acks(&mut self, note_ids: &[Uuid]) -> Result<(), VaultError> {
        let mut inbox = read(self.open()?)?;
        for n in &mut inbox.notes {
            if note_ids.contains(&n.note.note_id) {
                n.ack_confirmed = true;
            }
        }
        self.open_mut()?
            .write(|w| put_setting_json(w, INBOX, &inbox))
    }
}

/// Deletes the respondent's notes inside a withdrawal's transaction (R9);
/// returns how many went.
pub(super) fn forget_respondent(
    w: &mut Writer<'_>,
    respondent: &RefNumber,
) -> Result<usize, VaultError> {
    let mut inbox: Inbox = get_setting_json(w.conn, w.key, w.sub, INBOX)?.unwrap_or_default();
    let before = inbox.notes.len();
    inbox
        .notes
        .retain(|n| RefNumber::parse(&n.note.reference) != Ok(*respondent));
    let gone = before - inbox.notes.len();
    if gone > 0 {
        put_setting_json(w, INBOX, &inbox)?;
    }
    Ok(gone)
}
