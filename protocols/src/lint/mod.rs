//! The ethics linter: checks a protocol against the rules of `ETHICS.md`
//! and the structural rules of the format, before anyone is interviewed.
//!
//! `lint` returns every finding, errors first, then by location. A protocol
//! with any `Error` must not be published (`has_errors`); warnings are for the
//! author to weigh. Each message says what is wrong and what to do, and ends
//! with the rule's principle, e.g. `(R6: leave sensitive topics until last, ...)`.
//!
//! # Codes
//! | code | severity | module |
//! |---|---|---|
//! | R1, R3, R11, R17 | error | `consent` (R1: respondents' own consent; R3/R17: data-use texts; R11: introduction) |
//! | R2 | error at 0, warning at 1-17 | `consent` (children only) |
//! | R5, R18 | error | `consent` (children only: screening items, referral) |
//! | R6, R16, R21, R23 | see below | `questions` |
//! | R10, R19 | warning | `wording` |
//! | R20, `duplicate-id`, `no-languages`, `method-block` | error | `structure` |
//! | `missing-choices` | error | `questions` |
//! | `bad-expression`, `unknown-reference`, `later-reference` | error | `expressions` |
//! | `missing-translation` | error | `translations` |
//!
//! # Locations
//! Dotted paths into the TOML: a collection name followed by the item's id
//! (`sections.work.questions.hours`, `research_questions.rq1`,
//! `screening.items.distress`, `observation.tallies.sellers`,
//! `observation.site_types.market`), or by a 0-based index where items have
//! no id (`definitions[2].term`, `observation.time_windows[0].start`,
//! `referral.contacts[1].name`), then the field (`.relevant`, `.purpose`,
//! `.text`). A choice is `...questions.<id>.choices.<value>`. [`locate`] turns a
//! location into a line of the source file.
//!
//! # Rule semantics (decisions where the contract table left room)
//! * "Children protocols" means `protocol.respondents() == Children`
//!   (child_interview, focus_group and school_survey unless `respondents`
//!   says otherwise). R2, R5, R18 and R23 apply only to them.
//! * A text required by an ethics rule is reported under that rule, never
//!   twice: a gap in `data_use.{purpose,who_sees,protection}` in any declared
//!   language is R3, in `data_use.results_return` R17, in
//!   `introduction.script` R11 (a blank script lacks the placeholders too).
//!   `missing-translation` covers every other text. R18 fires when the
//!   referral pathway or safety notes are blank in *every* language; a gap in
//!   one language is `missing-translation`.
//! * R1 applies to every protocol with respondents (children or adults). R3,
//!   R11, R16, R17 apply to every protocol, observation included: an observer
//!   asked who they are must answer truthfully.
//! * R6 applies to every method, in asking order (sections in order, questions
//!   in order). One finding per sensitive question that is followed by a
//!   non-sensitive one, naming the first such question.
//! * R10 and R19 look at question texts only (not hints or choices), with the
//!   English list for `en` texts and the French list for `fr` texts; other
//!   languages are not checked. Matching is case-insensitive, on whole words
//!   (`admit` does not match `admitted`), with `’` read as `'`.
//! * R19: a term counts as defined when some `definitions` entry's term in the
//!   same language contains it as a whole phrase ("trafficking" is defined by a
//!   term "trafficking" or "child trafficking"). One warning per undefined
//!   term and language, at the first question using it.
//! * A direct_observation protocol without `[observation]` gets both
//!   `method-block` (the block is missing) and R20 (so nothing says when to
//!   observe). R20 also rejects a time window with no days and `start`/`end`
//!   that are not `HH:MM` (00:00 to 23:59); a window may cross midnight.
//! * R21: an `identifying = true` question in a direct_observation protocol is
//!   an error; a `text` or `picture_card` question there is a warning (free text
//!   invites descriptions of a person).
//! * R23: a warning per dimension no question declares; an error when the
//!   question declaring `disaggregation = "age"` is not `integer`.
//! * `later-reference` covers `constraint` too: a constraint may use earlier
//!   answers, but not later ones, and uses `.` rather than its own id. `.` in a
//!   `relevant` is a `bad-expression` (there is no answer being given yet).
//! * `bad-expression` also covers expressions that parse but cannot work on
//!   the questions they name (beyond the contract table, because each would
//!   only show up in the field): `selected`/`count_selected` on a question
//!   that is not single/multiple choice or ranking, `length` on one that is
//!   not text, a choice value (`selected(q, 'v')`, `q = 'v'`) that `q` does
//!   not list, `=` between a multiple-choice question and a text (use
//!   `selected`), and a yes/no question compared with a text.
//! * `duplicate-id` is checked within each kind (a section and a question may
//!   share an id, two questions in different sections may not). Choice values
//!   must be unique within their question.
//! * `method-block` for focus_group: no `[focus_group]`, or
//!   `min_participants > max_participants`, or `max_participants == 0`.
//! * Unknown-key, wrong-type and missing-field problems are parse errors
//!   ([`crate::parse_protocol`]), not findings.

mod consent;
mod expressions;
mod locate;
mod piping;
mod questions;
mod structure;
mod translations;
mod wording;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Protocol;
use crate::rules::Rule;

pub use locate::locate;
pub(crate) use questions::kind_name;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The protocol must not be used until this is fixed.
    Error,
    /// Worth a second look; publishing is allowed.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem found in a protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule id (`R6`) or a structural code (`duplicate-id`).
    pub code: String,
    pub rule: Option<Rule>,
    pub severity: Severity,
    /// Where, as a dotted path: `sections.work.questions.hours.relevant`.
    pub location: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Finding {
    /// `error[R6] sections.work.questions.hours: ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] {}: {}",
            self.severity, self.code, self.location, self.message
        )
    }
}

/// Every finding for `protocol`, errors first, then by location.
pub fn lint(protocol: &Protocol) -> Vec<Finding> {
    let mut out = Findings::default();
    structure::check(protocol, &mut out);
    consent::check(protocol, &mut out);
    questions::check(protocol, &mut out);
    translations::check(protocol, &mut out);
    wording::check(protocol, &mut out);
    piping::check(protocol, &mut out);
    let mut findings = out.0;
    findings.sort_by(|a, b| {
        (a.severity, &a.location, &a.code, &a.message).cmp(&(
            b.severity,
            &b.location,
            &b.code,
            &b.message,
        ))
    });
    findings.dedup();
    findings
}

/// Whether any finding blocks publishing.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Collects findings; the rule modules push through these helpers so every
/// message is shaped the same way.
#[derive(Default)]
pub(crate) struct Findings(Vec<Finding>);

impl Findings {
    /// An ethics-rule finding; the rule's principle is appended to the message.
    pub(crate) fn rule(
        &mut self,
        rule: Rule,
        severity: Severity,
        location: impl Into<String>,
        message: impl Into<String>,
    ) {
        let message = format!("{} ({}: {})", message.into(), rule.id(), principle(rule));
        self.0.push(Finding {
            code: rule.id().to_owned(),
            rule: Some(rule),
            severity,
            location: location.into(),
            message,
        });
    }

    /// A structural error (`duplicate-id`, `missing-translation`, ...).
    pub(crate) fn error(
        &mut self,
        code: &str,
        location: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.0.push(Finding {
            code: code.to_owned(),
            rule: None,
            severity: Severity::Error,
            location: location.into(),
            message: message.into(),
        });
    }
}

/// The principle, lower-cased and without its full stop, to end a sentence.
fn principle(rule: Rule) -> String {
    let text = rule.principle().trim_end_matches('.');
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Location of a question, as used by every rule module.
pub(crate) fn question_location(section_id: &str, question_id: &str) -> String {
    format!("sections.{section_id}.questions.{question_id}")
}

/// Each question with its section id and location, in asking order.
pub(crate) fn questions_with_location(
    p: &Protocol,
) -> impl Iterator<Item = (String, &crate::model::Question)> {
    p.sections.iter().flat_map(|s| {
        s.questions
            .iter()
            .map(move |q| (question_location(&s.id, &q.id), q))
    })
}
