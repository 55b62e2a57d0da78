//! Supervisor review and the feedback that goes back to the phone: review
//! states, the note text every note must become before it is stored, and the
//! wire types of `GET /api/v1/feedback` and `POST /api/v1/feedback/acks`.
//!
//! A note reaches the researcher's phone by the record's id and reference
//! number only. Its text passes the same scrubber as a session's free text
//! (R21) when the supervisor writes it, so a name or number typed into a
//! note is never stored, sent or shown.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::anonymise::{RedactionReport, Scrubber};
use crate::rules::Rule;
use crate::wire::WireVersion;

/// The longest note, in characters: a few sentences a researcher reads on a
/// phone, not a report.
pub const MAX_NOTE_CHARS: usize = 1_000;

/// Where a record stands in the supervisor's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Stored and not reviewed yet.
    Received,
    Approved,
    /// Kept, but the researcher should hear what went wrong.
    HasIssues,
    /// The supervisor judged it not fit for use; the researcher is told why.
    Rejected,
}

impl ReviewState {
    pub const ALL: [ReviewState; 4] = [
        ReviewState::Received,
        ReviewState::Approved,
        ReviewState::HasIssues,
        ReviewState::Rejected,
    ];

    /// `has_issues`: the stored and wire spelling.
    pub fn id(self) -> &'static str {
        match self {
            ReviewState::Received => "received",
            ReviewState::Approved => "approved",
            ReviewState::HasIssues => "has_issues",
            ReviewState::Rejected => "rejected",
        }
    }

    /// What a supervisor reads.
    pub fn label(self) -> &'static str {
        match self {
            ReviewState::Received => "Received",
            ReviewState::Approved => "Approved",
            ReviewState::HasIssues => "Has issues",
            ReviewState::Rejected => "Rejected",
        }
    }

    /// Rejecting or flagging a record without saying why helps no one: the
    /// researcher cannot learn from it.
    pub fn needs_reason(self) -> bool {
        matches!(self, ReviewState::HasIssues | ReviewState::Rejected)
    }
}

impl fmt::Display for ReviewState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown review state `{0}`: expected received, approved, has_issues or rejected")]
pub struct UnknownState(pub String);

impl FromStr for ReviewState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReviewState::ALL
            .into_iter()
            .find(|state| state.id() == s.trim())
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// Why a note could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is empty: write what the researcher should know or do")]
    Empty,
    #[error(
        "the note has {found} characters; keep it under {MAX_NOTE_CHARS} so it reads on a phone"
    )]
    TooLong { found: usize },
    #[error("marking a record `{0}` needs a reason: write a note saying what went wrong")]
    ReasonRequired(ReviewState),
}

/// A note's text after the scrubber: the only way to make one, so no note
/// is stored or sent unscrubbed. Serialises as the plain string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct NoteText(String);

impl NoteText {
    /// Trims and scrubs `raw` of phone numbers, e-mails and ID-like numbers
    /// (R21); `report` says what was replaced, to tell the writer.
    pub fn scrubbed(raw: &str) -> Result<(NoteText, RedactionReport), NoteError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(NoteError::Empty);
        }
        let found = trimmed.chars().count();
        if found > MAX_NOTE_CHARS {
            return Err(NoteError::TooLong { found });
        }
        let mut report = RedactionReport::default();
        let text = Scrubber::new(&[]).scrub(trimmed, &mut report);
        Ok((NoteText(text), report))
    }

    /// Text read back from storage, which only ever holds scrubbed notes.
    pub fn from_stored(text: String) -> NoteText {
        NoteText(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a supervisor decides for one or more records: a state, a note, or
/// both. A state that [`ReviewState::needs_reason`] comes with its note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDecision {
    state: Option<ReviewState>,
    note: Option<(Option<Rule>, NoteText)>,
}

impl ReviewDecision {
    pub fn new(
        state: Option<ReviewState>,
        note: Option<(Option<Rule>, NoteText)>,
    ) -> Result<ReviewDecision, NoteError> {
        match state {
            Some(s) if s.needs_reason() && note.is_none() => Err(NoteError::ReasonRequired(s)),
            None if note.is_none() => Err(NoteError::Empty),
            _ => Ok(ReviewDecision { state, note }),
        }
    }

    pub fn state(&self) -> Option<ReviewState> {
        self.state
    }

    pub fn note(&self) -> Option<(Option<Rule>, &NoteText)> {
        self.note.as_ref().map(|(rule, text)| (*rule, text))
    }
}

/// One supervisor note for one of the device's own records, as the phone
/// receives it: the record's id and reference number, never a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackNote {
    pub note_id: Uuid,
    pub record_id: Uuid,
    /// The respondent's reference number as the record carries it; "" for
    /// an anonymous refusal.
    pub reference: String,
    pub protocol_id: String,
    /// The rule the note is about, if any: the phone shows its explanation.
    pub rule: Option<Rule>,
    pub text: String,
    /// The record's review state when the phone asked.
    pub state: ReviewState,
    #[serde(with = "time::serde::rfc3339")]
    pub written_at: OffsetDateTime,
}

/// `GET /api/v1/feedback`: every note on the device's records it has not
/// acknowledged yet, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackResponse {
    pub notes: Vec<FeedbackNote>,
}

/// The researcher read a note. Sent again until the server confirms it;
/// resending changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackAck {
    pub note_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub acknowledged_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckBatch {
    pub wire_version: WireVersion,
    pub acks: Vec<FeedbackAck>,
}

impl AckBatch {
    pub fn new(acks: Vec<FeedbackAck>) -> AckBatch {
        AckBatch {
            wire_version: WireVersion,
            acks,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckResponse {
    pub results: Vec<AckResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckResult {
    pub note_id: Uuid,
    pub status: AckStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    /// Recorded now; the supervisor sees it.
    Acknowledged,
    /// Recorded before: a resend, nothing changed.
    AlreadyAcknowledged,
    /// No note of this device's records has that id (deleted with a
    /// withdrawn record, or never this device's): the phone may forget it.
    Unknown,
}

/// The manual's principle behind `rule`, in the researcher's language
/// (`fr` or English): what the feedback screen shows under a note.
pub fn explanation(rule: Rule, language: &str) -> &'static str {
    if language.starts_with("fr") {
        principle_fr(rule)
    } else {
        rule.principle()
    }
}

fn principle_fr(rule: Rule) -> &'static str {
    match rule {
        Rule::R1 => "Assurez-vous que l’enfant a donné son consentement éclairé.",
        Rule::R2 => "L’enfant et, le cas échéant, son tuteur doivent tous deux avoir accepté.",
        Rule::R3 => "Dites à l’enfant exactement ce qui sera fait des informations, qui les verra et comment il sera protégé.",
        Rule::R4 => "La déclaration d’utilisation des données est préparée avant la collecte, puis n’est plus modifiée.",
        Rule::R5 => "Un enfant traumatisé ne doit pas être sujet d’une recherche générale.",
        Rule::R6 => "Gardez les sujets sensibles pour la fin, et seulement quand une relation de confiance s’est établie.",
        Rule::R7 => "Ne répétez pas la même question, même si la réponse ne vous satisfait pas.",
        Rule::R8 => "Si quelqu’un insiste pour être présent, sachez que cela peut influencer les réponses.",
        Rule::R9 => "Veillez à ce que l’enfant se sente en sécurité ; il peut arrêter ou se retirer à tout moment.",
        Rule::R10 => "Évitez les questions directes et conflictuelles.",
        Rule::R11 => "Ne prétendez jamais être quelqu’un d’autre.",
        Rule::R12 => "Recoupez auprès d’informateurs clés : parents, enseignants, travailleurs sociaux.",
        Rule::R13 => "Un enfant peut avoir besoin de plus d’une visite : d’abord la confiance, ensuite l’information.",
        Rule::R14 => "Le chercheur doit parler la même langue que les enfants.",
        Rule::R15 => "Toute personne qui traite les données est formée aux protocoles et au code de conduite, et s’y engage.",
        Rule::R16 => "Ne recueillez que les données nécessaires au travail.",
        Rule::R17 => "Prévoyez comment les enfants et les informateurs connaîtront les résultats.",
        Rule::R18 => "Protégez les enquêteurs et connaissez le circuit d’orientation, y compris les forces de l’ordre.",
        Rule::R19 => "Définissez les termes clés avant de concevoir les outils.",
        Rule::R20 => "Recueillez les données quand l’activité a lieu ; la traite ne suit pas les heures de bureau.",
        Rule::R21 => "Un enfant ne doit pas être identifiable : numéros de référence, données personnelles conservées à part.",
        Rule::R22 => "Donnez accès aux données selon le seul besoin d’en connaître.",
        Rule::R23 => "Ventilez : au minimum sexe, âge, origine, situation familiale, ethnie, handicap.",
        Rule::R24 => "Utilisez des définitions communes pour que les données puissent être combinées.",
        Rule::R25 => "Les résultats d’une évaluation rapide ne sont pas représentatifs et ne doivent pas être extrapolés.",
        Rule::R26 => "Les rapports disent comment la recherche a été faite ; les données brutes restent utilisables, dans la confidentialité.",
        Rule::R27 => "Les petits groupes peuvent identifier un enfant : supprimez les petites cellules.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_scrubbed_and_says_what_went() {
        let (text, report) =
            NoteText::scrubbed("  Call me on +44 7700 900123 about R6 please ").unwrap();
        assert!(!text.as_str().contains("7700"), "{}", text.as_str());
        assert!(text.as_str().contains("[phone]"));
        assert_eq!(report.phones, 1);
        assert_eq!(NoteText::scrubbed(" \n "), Err(NoteError::Empty));
        let long = "a".repeat(MAX_NOTE_CHARS + 1);
        assert!(matches!(
            NoteText::scrubbed(&long),
            Err(NoteError::TooLong { .. })
        ));
    }

    #[test]
    fn rejecting_or_flagging_needs_a_reason() {
        for state in [ReviewState::Rejected, ReviewState::HasIssues] {
            assert_eq!(
                ReviewDecision::new(Some(state), None),
                Err(NoteError::ReasonRequired(state))
            );
        }
        assert!(ReviewDecision::new(Some(ReviewState::Approved), None).is_ok());
        assert!(ReviewDecision::new(None, None).is_err());
        let note = NoteText::scrubbed("Ask the sensitive questions last.")
            .unwrap()
            .0;
        assert!(
            ReviewDecision::new(Some(ReviewState::Rejected), Some((Some(Rule::R6), note))).is_ok()
        );
    }

    #[test]
    fn states_round_trip_and_every_rule_has_a_french_explanation() {
        for state in ReviewState::ALL {
            assert_eq!(state.id().parse::<ReviewState>(), Ok(state));
        }
        assert!("done".parse::<ReviewState>().is_err());
        for rule in Rule::ALL {
            assert_ne!(explanation(*rule, "fr"), explanation(*rule, "en"));
        }
    }
}
