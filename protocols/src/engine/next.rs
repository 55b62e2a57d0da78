//! What the phone should show next, and the soft findings a supervisor sees.

use serde::{Deserialize, Serialize};

use super::events::{Consenter, Decision, OthersPresent, SessionKind, StopReason};
use super::session::{Session, Status};
use crate::model::Question;
use crate::rules::Rule;

/// The next screen. Before `SessionStarted`, the first screen after the start.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Say who you are and for which organisation (R11).
    Introduction,
    /// Read out the data-use statement (R3).
    DataUse,
    /// Ask this person's consent. For `Guardian`, a trusted adult may stand in
    /// where the protocol allows it.
    Consent {
        from: Consenter,
    },
    /// Focus groups: add participants until enough take part.
    Roster,
    Screening {
        item_id: String,
    },
    Question {
        question_id: String,
    },
    /// Confirm a trusting relationship before sensitive topics (R6).
    RapportCheckpoint,
    /// Entering the sensitive questions: say they can all be skipped (R6).
    SensitiveSection {
        first_question_id: String,
    },
    /// Observation sheets: tally and check indicators, then complete.
    Observation,
    /// Read the closing text, then complete the session.
    Closing,
    /// A positive screen: show the referral pathway and stop (R5, R18).
    Referral,
    /// Nothing more to do. If `status()` is still in progress (a refused
    /// consent, or a focus group that cannot reach its minimum), stop the
    /// session.
    Finished,
}

/// Allowed, but a supervisor should know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftFinding {
    pub rule: Rule,
    pub message: String,
}

impl Session {
    pub fn next(&self) -> Step {
        match self.state.status {
            Status::Completed => return Step::Finished,
            Status::Stopped(StopReason::ScreeningPositive) => return Step::Referral,
            Status::Stopped(_) => return Step::Finished,
            Status::NotStarted | Status::InProgress => {}
        }
        if self.screened_positive() {
            return Step::Referral;
        }
        if self.state.consent_refused {
            return Step::Finished;
        }
        if self.observing() {
            return match self.next_question(|_| true) {
                Some(q) => Step::Question {
                    question_id: q.id.clone(),
                },
                None => Step::Observation,
            };
        }
        if !self.state.introduced {
            return Step::Introduction;
        }
        if !self.state.data_use_explained {
            return Step::DataUse;
        }
        if let Some(step) = self.next_consent() {
            return step;
        }
        let rapport_visit =
            self.state.start.as_ref().map(|s| s.kind) == Some(SessionKind::RapportOnly);
        if rapport_visit {
            return if self.state.rapport {
                Step::Closing
            } else {
                Step::RapportCheckpoint
            };
        }
        if let Some(item) = self
            .screening_items()
            .find(|id| !self.state.screening.contains_key(*id))
        {
            return Step::Screening {
                item_id: item.to_owned(),
            };
        }
        if let Some(q) = self.next_question(|q| !q.sensitive) {
            return Step::Question {
                question_id: q.id.clone(),
            };
        }
        if let Some(q) = self.next_question(|q| q.sensitive) {
            if !self.state.rapport {
                return Step::RapportCheckpoint;
            }
            let entered = self
                .protocol
                .questions()
                .any(|s| s.sensitive && self.state.was_asked(&s.id));
            return if entered {
                Step::Question {
                    question_id: q.id.clone(),
                }
            } else {
                Step::SensitiveSection {
                    first_question_id: q.id.clone(),
                }
            };
        }
        Step::Closing
    }

    /// The first relevant question not yet asked, in asking order.
    fn next_question(&self, wanted: impl Fn(&Question) -> bool) -> Option<&Question> {
        self.protocol.questions().find(|q| {
            wanted(q)
                && q.calculation.is_none()
                && !self.state.was_asked(&q.id)
                && self.is_relevant(&q.id)
        })
    }

    /// Whose consent to ask next, guardians first (R2), then the person (R1).
    fn next_consent(&self) -> Option<Step> {
        let consent = |from| Some(Step::Consent { from });
        if !self.is_focus_group() {
            if self.session_needs_guardian() && !self.guardian_consented() {
                return consent(Consenter::Guardian);
            }
            if !self.respondent_consented() {
                return consent(Consenter::Respondent);
            }
            return None;
        }
        for p in self.state.roster.iter().filter(|p| !p.declined()) {
            if p.guardian_needed && p.guardian.is_none() {
                return consent(Consenter::ParticipantGuardian(p.code.clone()));
            }
            if p.assent.is_none() {
                return consent(Consenter::Participant(p.code.clone()));
            }
        }
        let group = self.focus_group();
        if self.taking_part() >= usize::from(group.min_participants) {
            None
        } else if self.state.roster.len() < usize::from(group.max_participants) {
            Some(Step::Roster)
        } else {
            Some(Step::Finished)
        }
    }

    /// Things allowed but worth a supervisor's attention: others listening
    /// during questions (R8), a language the interviewer did not declare (R14).
    pub fn findings(&self) -> Vec<SoftFinding> {
        let mut findings = Vec::new();
        let present = &self.state.others_during_questions;
        if present.contains(&OthersPresent::Employer) {
            findings.push(SoftFinding {
                rule: Rule::R8,
                message: "An employer was present during questions: answers about work, pay and treatment may not be free. Read them with care and consider a follow-up visit without the employer.".to_owned(),
            });
        }
        let others: Vec<&str> = present
            .iter()
            .filter(|p| **p != OthersPresent::Employer)
            .map(|p| match p {
                OthersPresent::None | OthersPresent::Other => "someone else",
                OthersPresent::Parent => "a parent",
                OthersPresent::Employer => "an employer",
                OthersPresent::Peer => "a peer",
                OthersPresent::Official => "an official",
            })
            .collect();
        if !others.is_empty() {
            findings.push(SoftFinding {
                rule: Rule::R8,
                message: format!(
                    "Others were present during questions ({}): the answers may be affected.",
                    others.join(", ")
                ),
            });
        }
        if let Some(start) = &self.state.start {
            if !start.interviewer_languages.contains(&start.language) {
                findings.push(SoftFinding {
                    rule: Rule::R14,
                    message: format!(
                        "The session ran in `{}`, which the interviewer did not declare among their languages ({}).",
                        start.language,
                        if start.interviewer_languages.is_empty() {
                            "none declared".to_owned()
                        } else {
                            start.interviewer_languages.join(", ")
                        }
                    ),
                });
            }
        }
        findings
    }

    /// Whether this consenter has already decided.
    pub fn decision(&self, by: &Consenter) -> Option<Decision> {
        self.state
            .consents
            .iter()
            .find(|c| &c.by == by)
            .map(|c| c.decision)
    }
}
