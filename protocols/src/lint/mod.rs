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
//! | `media-path`, `media-missing`, `media-kind` | error | `media` (references); with a bundle, `lint_bundle` adds `media-invalid`, `media-size`, `media-metadata`, `media-svg` (errors) and `media-unused` (warning) per file |
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
//! * `method-block` for focus_group and validation: no `[focus_group]`, or
//!   `min_participants > max_participants`, or `max_participants == 0`.
//! * Validation (`validation`): R17 when a validation protocol has no
//!   `[validation]` block or no finding in it; `method-block` for the block
//!   elsewhere, a finding id that is not `protocol/question`, or an agree or
//!   disagree question that is not `integer` and words that are not `text`;
//!   `unknown-reference` for a question that does not exist; R21 for an
//!   identifying one.
//! * Unknown-key, wrong-type and missing-field problems are parse errors
//!   ([`crate::parse_protocol`]), not findings.

mod consent;
mod expressions;
mod floors;
mod identifying;
mod locate;
mod media;
pub mod normalise;
mod piping;
mod placeholders;
mod questions;
mod structure;
mod texts;
mod translations;
mod validation;
mod wording;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Protocol;
use crate::rules::Rule;

pub use locate::{locate, Locator};
pub use placeholders::{fake_phone, DEMO_PHONE};
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
    /// `error[R6] sections.work.questions.hours: ...`, with control
    /// characters escaped (see [`escape`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] {}: {}",
            self.severity,
            escape(&self.code),
            escape(&self.location),
            escape(&self.message)
        )
    }
}

/// `text` safe to print on a terminal: control characters (escape sequences
/// start with one), direction overrides and invisible characters are written
/// as `\u{1b}`, so a protocol cannot recolour, hide or rewrite the lines an
/// operator reads. Ordinary text, accents included, is unchanged.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control() || normalise::is_invisible(c) || c == '\u{2028}' || c == '\u{2029}'
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Every finding for `protocol`, errors first, then by location.
pub fn lint(protocol: &Protocol) -> Vec<Finding> {
    let mut out = Findings::default();
    structure::check(protocol, &mut out);
    consent::check(protocol, &mut out);
    questions::check(protocol, &mut out);
    translations::check(protocol, &mut out);
    texts::check(protocol, &mut out);
    placeholders::check(protocol, &mut out);
    floors::check(protocol, &mut out);
    identifying::check(protocol, &mut out);
    wording::check(protocol, &mut out);
    piping::check(protocol, &mut out);
    media::check(protocol, &mut out);
    validation::check(protocol, &mut out);
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

/// Every finding for a protocol and the files of its bundle (see
/// [`crate::media`]), with the bundle checked, cleaned and its manifest made.
pub fn lint_bundle(
    protocol: &Protocol,
    bundle: &crate::media::Bundle,
) -> (Vec<Finding>, crate::media::CheckedBundle) {
    let prepared = bundle.prepare(protocol);
    let mut findings = lint(protocol);
    if !protocol.media.is_empty() {
        findings.push(Finding {
            code: "media-manifest".to_owned(),
            rule: Some(Rule::R4),
            severity: Severity::Error,
            location: "media".to_owned(),
            message: "the `[media]` manifest is written by `protocol publish` from the bundle's files; remove it from the source".to_owned(),
        });
    }
    findings.extend(prepared.problems.iter().map(|p| Finding {
        code: p.code.to_owned(),
        rule: None,
        severity: if p.warning {
            Severity::Warning
        } else {
            Severity::Error
        },
        location: p.location.clone(),
        message: p.message.clone(),
    }));
    findings.sort_by(|a, b| (a.severity, &a.location).cmp(&(b.severity, &b.location)));
    findings.dedup();
    (findings, prepared)
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

    /// A structural warning (`mixed-script`).
    pub(crate) fn warning(
        &mut self,
        code: &str,
        location: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.structural(Severity::Warning, code, location.into(), message.into());
    }

    /// A structural error (`duplicate-id`, `missing-translation`, ...).
    pub(crate) fn error(
        &mut self,
        code: &str,
        location: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.structural(Severity::Error, code, location.into(), message.into());
    }

    fn structural(&mut self, severity: Severity, code: &str, location: String, message: String) {
        self.0.push(Finding {
            code: code.to_owned(),
            rule: None,
            severity,
            location,
            message,
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

/// Each id as it appears in a location: the id itself, and `id#2`, `id#3`
/// for its repeats, so a finding about a repeat points at the repeat.
pub(crate) fn occurrences<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    ids.into_iter()
        .map(|id| {
            let n = seen.entry(id).or_insert(0);
            *n += 1;
            if *n == 1 {
                id.to_owned()
            } else {
                format!("{id}#{n}")
            }
        })
        .collect()
}

/// Each question with its location, in asking order.
pub(crate) fn questions_with_location(p: &Protocol) -> Vec<(String, &crate::model::Question)> {
    let sections = occurrences(p.sections.iter().map(|s| s.id.as_str()));
    let mut all = Vec::new();
    for (section, s) in sections.iter().zip(&p.sections) {
        let ids = occurrences(s.questions.iter().map(|q| q.id.as_str()));
        for (id, q) in ids.into_iter().zip(&s.questions) {
            all.push((format!("sections.{section}.questions.{id}"), q));
        }
    }
    all
}
