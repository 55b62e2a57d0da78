//! The research-protocol model: what a protocol author writes in TOML.
//!
//! Every struct denies unknown keys, so a typo (`sensitve = true`) is a parse
//! error instead of a silently dropped ethics setting. Field order here is the
//! order of the canonical serialisation that the content hash is taken over,
//! so reordering fields changes every published hash: append, don't shuffle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::media::{MediaEntry, MediaRef};

/// A piece of text in every language the protocol declares, keyed by language
/// code (`en`, `fr`). Written in TOML as `{ en = "...", fr = "..." }`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    /// The text in `lang`, if the author wrote it.
    pub fn get(&self, lang: &str) -> Option<&str> {
        self.0.get(lang).map(String::as_str)
    }

    /// The text in `lang`, falling back to any language so a screen is never blank.
    pub fn show(&self, lang: &str) -> &str {
        self.get(lang)
            .or_else(|| self.0.values().next().map(String::as_str))
            .unwrap_or("")
    }

    /// Languages with a non-blank text.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, _)| k.as_str())
    }

    pub fn is_blank(&self) -> bool {
        self.0.values().all(|v| v.trim().is_empty())
    }

    /// Convenience for tests and importers: one language.
    pub fn single(lang: &str, text: &str) -> Self {
        Text(BTreeMap::from([(lang.to_owned(), text.to_owned())]))
    }
}

/// A research protocol version. `(id, version)` identifies it; a published
/// version never changes (R4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// Stable machine id, lowercase with dashes: `child-rapid-assessment`.
    pub id: String,
    /// Whole-number version; any change to a published protocol is a new version.
    pub version: u32,
    pub title: Text,
    pub method: Method,
    /// Who answers. Defaults from the method (children for child interviews,
    /// focus groups and school surveys; adults for key informants and
    /// establishments; nobody for observation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respondents: Option<Respondents>,
    /// A rapid assessment: results are not representative (R25).
    #[serde(default)]
    pub rapid_assessment: bool,
    /// Language codes; the first is the default. Every text must exist in each.
    pub languages: Vec<String>,
    pub aim: Text,
    pub research_questions: Vec<ResearchQuestion>,
    /// Key terms defined before the tool is designed (R19).
    #[serde(default)]
    pub definitions: Vec<Definition>,
    pub introduction: Introduction,
    pub data_use: DataUse,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screening: Option<Screening>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<Referral>,
    #[serde(default)]
    pub privacy: Privacy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus_group: Option<FocusGroup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation: Option<Observation>,
    #[serde(default)]
    pub sections: Vec<Section>,
    pub closing: Text,
    /// Published by `fieldkit-server demo` with the demo study: its
    /// organisation and referral contacts are not real, and the app says so
    /// on every screen of the session. Never set it by hand.
    #[serde(default, skip_serializing_if = "is_false")]
    pub demo: bool,
    /// The bundle's media manifest, path -> SHA-256 and size, written by
    /// `protocol publish` from the bundle's files, so the content hash covers
    /// every picture and sound (R4). Never written by hand.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub media: BTreeMap<String, MediaEntry>,
    /// Validation sessions: which questions record the group's verdict on
    /// which finding of the findings pack shown (issue 22, R17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
}

fn is_false(value: &bool) -> bool {
    !value
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    ChildInterview,
    KeyInformantInterview,
    FocusGroup,
    DirectObservation,
    EstablishmentSurvey,
    SchoolSurvey,
    /// Results go back to the group: a facilitator shows a findings pack and
    /// records what the children say about it (R17).
    Validation,
}

impl Method {
    pub const ALL: [Method; 7] = [
        Method::ChildInterview,
        Method::KeyInformantInterview,
        Method::FocusGroup,
        Method::DirectObservation,
        Method::EstablishmentSurvey,
        Method::SchoolSurvey,
        Method::Validation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::ChildInterview => "child_interview",
            Method::KeyInformantInterview => "key_informant_interview",
            Method::FocusGroup => "focus_group",
            Method::DirectObservation => "direct_observation",
            Method::EstablishmentSurvey => "establishment_survey",
            Method::SchoolSurvey => "school_survey",
            Method::Validation => "validation",
        }
    }

    pub fn default_respondents(self) -> Respondents {
        match self {
            Method::ChildInterview
            | Method::FocusGroup
            | Method::SchoolSurvey
            | Method::Validation => Respondents::Children,
            Method::KeyInformantInterview | Method::EstablishmentSurvey => Respondents::Adults,
            Method::DirectObservation => Respondents::Nobody,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Respondents {
    Children,
    Adults,
    /// Observation of public places: nobody is asked anything.
    Nobody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResearchQuestion {
    /// Referred to by each question's `purpose` (R16).
    pub id: String,
    pub text: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// The term as it appears in question texts, per language (R19).
    pub term: Text,
    pub meaning: Text,
}

/// What the interviewer says first (R11): who they are, for which organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Introduction {
    /// The organisation running the research, as the respondent will hear it.
    pub organisation: String,
    /// The script read aloud. Must contain `{interviewer}` (filled with the
    /// researcher's own name on the device) and `{organisation}`.
    pub script: Text,
    /// The introduction read aloud, for participants who cannot read (an
    /// audio file in the bundle, one for all languages or one per language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<MediaRef>,
}

/// The data-use statement shown before consent (R3), fixed per version (R4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataUse {
    /// Exactly what will be done with the information.
    pub purpose: Text,
    /// Who will see it.
    pub who_sees: Text,
    /// How the respondent is protected.
    pub protection: Text,
    /// How the results come back to the children and informants (R17).
    pub results_return: Text,
    /// The statement read aloud (an audio file in the bundle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<MediaRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRules {
    /// The respondent's own assent or consent is asked (R1). Must be true.
    #[serde(default = "yes")]
    pub respondent: bool,
    /// A guardian's (or trusted adult's) consent is also needed when the
    /// respondent is younger than this (R2). Default 18.
    #[serde(default = "eighteen")]
    pub guardian_required_under: u8,
    /// Whether a trusted adult may give that consent when no guardian can.
    #[serde(default = "yes")]
    pub trusted_adult_may_stand_in: bool,
    /// Whether the protocol allows audio recording at all; the respondent is
    /// still asked each time.
    #[serde(default)]
    pub audio_recording: bool,
}

fn yes() -> bool {
    true
}
fn eighteen() -> u8 {
    18
}

impl Default for ConsentRules {
    fn default() -> Self {
        ConsentRules {
            respondent: true,
            guardian_required_under: 18,
            trusted_adult_may_stand_in: true,
            audio_recording: false,
        }
    }
}

/// Items asked before anything else; a "yes" to any stops the session (R5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screening {
    pub items: Vec<ScreeningItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningItem {
    pub id: String,
    /// A question to the interviewer about what they observe or are told.
    pub text: Text,
}

/// Where to take a child who must not be interviewed, and how to stay safe (R18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    pub pathway: Text,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    pub safety_notes: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: Text,
    pub phone: String,
}

/// How finished sessions are coarsened before they leave the device (R21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    /// Decimal places kept in coordinates: 1 is about 11 km, 2 about 1 km.
    #[serde(default = "one")]
    pub location_decimals: u8,
    #[serde(default)]
    pub timestamp_precision: TimestampPrecision,
    /// Table cells smaller than this are suppressed in reports (R27).
    #[serde(default = "five")]
    pub min_cell_size: u32,
    /// Why cells smaller than 5 may be shown; required below 5 (R27), and
    /// shown to supervisors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cell_size_reason: Option<String>,
}

fn one() -> u8 {
    1
}
fn five() -> u32 {
    5
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            location_decimals: 1,
            timestamp_precision: TimestampPrecision::Day,
            min_cell_size: 5,
            min_cell_size_reason: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampPrecision {
    Hour,
    #[default]
    Day,
    Week,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FocusGroup {
    pub min_participants: u8,
    pub max_participants: u8,
    /// Participants are known by code only (never names): `P1`, `P2`, ...
    #[serde(default = "participant_prefix")]
    pub code_prefix: String,
}

fn participant_prefix() -> String {
    "P".to_owned()
}

/// A validation session's link from its questions to the findings it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    pub findings: Vec<ValidatedFinding>,
}

/// One finding taken back to the group: its id in the findings pack
/// (`protocol/question`, see `crate::findings`) and the questions that
/// record how many agreed, how many disagreed and what the group said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatedFinding {
    pub finding: String,
    /// An integer question: how many in the group agree.
    pub agree: String,
    /// An integer question: how many disagree.
    pub disagree: String,
    /// A text question: the group's words (scrubbed before sync, R21).
    pub words: String,
}

impl Validation {
    /// The finding a question records the verdict on, if any.
    pub fn finding_of(&self, question_id: &str) -> Option<&ValidatedFinding> {
        self.findings
            .iter()
            .find(|f| f.agree == question_id || f.disagree == question_id || f.words == question_id)
    }
}

/// An observation sheet for a public place (R20). No consent step, and no
/// field for describing an identifiable person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    pub site_types: Vec<SiteType>,
    /// When the thing studied happens; trafficking is not nine to five.
    pub time_windows: Vec<TimeWindow>,
    pub tallies: Vec<Tally>,
    /// Estimated age groups the observer counts in (ages are guessed, not asked).
    pub age_groups: Vec<String>,
    pub indicators: Vec<Indicator>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteType {
    pub id: String,
    pub label: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    pub label: Text,
    /// `mon`..`sun`
    pub days: Vec<Weekday>,
    /// `HH:MM`, 24-hour. A window may cross midnight (`22:00`-`02:00`).
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// A count kept by sex and estimated age group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tally {
    pub id: String,
    pub label: Text,
    pub purpose: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub id: String,
    pub text: Text,
    pub purpose: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: Text,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Unique within the protocol; used in expressions and exports.
    pub id: String,
    pub text: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    pub kind: QuestionKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    #[serde(default = "yes")]
    pub required: bool,
    /// The research question this serves (`rq1`), or `disaggregation` (R16).
    pub purpose: String,
    /// Sensitive topics come last and only after rapport (R6).
    #[serde(default)]
    pub sensitive: bool,
    /// Names, contacts, exact places: never leaves the device (R21).
    #[serde(default)]
    pub identifying: bool,
    /// Which disaggregation dimension this answers, if any (R23).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disaggregation: Option<Dimension>,
    /// Skip logic: asked only when this expression over earlier answers holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// Validation: `.` is the answer being given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint_message: Option<Text>,
    /// Picture-card prompts: the card shown (a file in the protocol bundle,
    /// one for all languages or `{ en = "...", fr = "..." }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<MediaRef>,
    /// Why a question whose wording asks for a name, contact, address, exact
    /// birth date, school or employer does not identify anyone, so it need
    /// not be marked `identifying` (R21). Read by supervisors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_identifying_because: Option<String>,
    /// A picture shown with the question (XLSForm `media::image`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<MediaRef>,
    /// The question read aloud (XLSForm `media::audio`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<MediaRef>,
    /// What the card or image shows, in words, for screen readers and for a
    /// facilitator who cannot see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_description: Option<Text>,
    /// A calculated question (XLSForm's `calculate`): never asked; its value
    /// is this expression over earlier answers, derived by the engine the
    /// same way on the phone and in the server's replay, shown where a text
    /// pipes it (`${id}`) and usable in later conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculation: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    SingleChoice,
    MultipleChoice,
    Integer,
    Decimal,
    Text,
    Date,
    Time,
    YesNo,
    CoarseLocation,
    Tally,
    Ranking,
    PictureCard,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 12] = [
        QuestionKind::SingleChoice,
        QuestionKind::MultipleChoice,
        QuestionKind::Integer,
        QuestionKind::Decimal,
        QuestionKind::Text,
        QuestionKind::Date,
        QuestionKind::Time,
        QuestionKind::YesNo,
        QuestionKind::CoarseLocation,
        QuestionKind::Tally,
        QuestionKind::Ranking,
        QuestionKind::PictureCard,
    ];

    /// Kinds whose answers come from `choices`.
    pub fn needs_choices(self) -> bool {
        matches!(
            self,
            QuestionKind::SingleChoice | QuestionKind::MultipleChoice | QuestionKind::Ranking
        )
    }

    /// Kinds that carry free text, which anonymisation must scrub.
    pub fn is_free_text(self) -> bool {
        matches!(self, QuestionKind::Text | QuestionKind::PictureCard)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub value: String,
    /// Also what a screen reader says for an image choice.
    pub label: Text,
    /// A picture the participant taps instead of reading the label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<MediaRef>,
    /// Cascading selects: the choice is offered only when this expression
    /// over earlier answers holds (XLSForm's `choice_filter`, worked out for
    /// this choice). Several choices may share a value when their conditions
    /// differ (the same town name in two districts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
}

/// The disaggregation dimensions the manual asks for at a minimum (R23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Sex,
    /// Always whole years, never a band, so any grouping can be made later.
    Age,
    Origin,
    Family,
    Ethnicity,
    Disability,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::Sex,
        Dimension::Age,
        Dimension::Origin,
        Dimension::Family,
        Dimension::Ethnicity,
        Dimension::Disability,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Sex => "sex",
            Dimension::Age => "age",
            Dimension::Origin => "origin",
            Dimension::Family => "family",
            Dimension::Ethnicity => "ethnicity",
            Dimension::Disability => "disability",
        }
    }
}

/// The purpose value for disaggregation questions, which serve every aim.
pub const DISAGGREGATION_PURPOSE: &str = "disaggregation";

impl Protocol {
    pub fn respondents(&self) -> Respondents {
        self.respondents
            .unwrap_or_else(|| self.method.default_respondents())
    }

    /// The consent rules in force: none for observation of public places.
    pub fn consent_rules(&self) -> Option<ConsentRules> {
        match self.respondents() {
            Respondents::Nobody => None,
            _ => Some(self.consent.clone().unwrap_or_default()),
        }
    }

    pub fn default_language(&self) -> &str {
        self.languages.first().map(String::as_str).unwrap_or("en")
    }

    /// All questions in the order they are asked.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions().find(|q| q.id == id)
    }

    /// Position of a question in asking order.
    pub fn question_index(&self, id: &str) -> Option<usize> {
        self.questions().position(|q| q.id == id)
    }
}
