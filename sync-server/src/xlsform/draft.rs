//! The draft protocol around the imported questions, and the author's checklist.
//!
//! An XLSForm has no data-use statement, introduction, consent rules,
//! screening or referral. They are filled with texts starting with `TODO` so the
//! TOML is complete and valid, and the checklist lints a copy in which every
//! `TODO` text counts as blank, so each placeholder shows up as a finding.

use fieldkit_protocols::lint::{lint, Severity};
use fieldkit_protocols::model::{
    ConsentRules, DataUse, FocusGroup, Introduction, Method, Privacy, Referral, ResearchQuestion,
    Respondents, Screening, ScreeningItem, Section, DISAGGREGATION_PURPOSE,
};
use fieldkit_protocols::{Protocol, Text};

use super::languages::Languages;
use super::sheets::Sheet;
use super::ImportError;

/// Marks text the author must write; the checklist treats it as blank.
pub(crate) const TODO: &str = "TODO";

/// The settings columns the import reads (with pyxform's other spellings).
pub(crate) const SETTINGS_USED: [&str; 9] = [
    "form_id",
    "set_form_id",
    "id_string",
    "version",
    "form_title",
    "set_form_title",
    "title",
    "default_language",
    "fieldkit::method",
];

/// What the `settings` sheet says.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub id: String,
    pub version: u32,
    pub title: Option<String>,
    /// `default_language` as written: a code, a name or `Name (code)`.
    pub default_language: Option<String>,
    pub method: Method,
    /// The method came from `fieldkit::method`, not assumed.
    pub method_given: bool,
    /// What reading the settings decided, for the checklist.
    pub notes: Vec<String>,
}

impl Settings {
    pub fn read(sheet: Option<&Sheet>, file: &str) -> Result<Settings, ImportError> {
        let row = sheet.and_then(|s| s.rows.first());
        let value = |column: &str| -> &str {
            match (sheet, row) {
                (Some(sheet), Some(row)) => row.cell(sheet.column(column)),
                _ => "",
            }
        };
        let at_row = |message: String| ImportError::AtRow {
            file: file.to_owned(),
            sheet: "settings",
            row: row.map_or(2, |r| r.number),
            message,
        };
        // pyxform's other spellings of the settings columns.
        let value = |names: &[&str]| -> &str {
            names
                .iter()
                .map(|n| value(n))
                .find(|v| !v.is_empty())
                .unwrap_or("")
        };
        let stem = file.rsplit(['/', '\\']).next().unwrap_or(file);
        let stem = stem.rsplit_once('.').map_or(stem, |(stem, _)| stem);
        let id_source = match value(&["form_id", "set_form_id", "id_string"]) {
            "" => stem,
            id => id,
        };
        let mut notes = Vec::new();
        let version = match value(&["version"]) {
            "" => 1,
            v => {
                let (version, how) = super::version::read(v).map_err(at_row)?;
                notes.extend(how.map(|how| format!("settings: version `{v}` {how}")));
                version
            }
        };
        let method_text = value(&["fieldkit::method"]);
        let method = match method_text {
            "" => Method::ChildInterview,
            m => Method::ALL
                .into_iter()
                .find(|x| x.as_str() == m)
                .ok_or_else(|| {
                    let all: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
                    at_row(format!(
                        "fieldkit::method `{m}` is not one of {}",
                        all.join(", ")
                    ))
                })?,
        };
        Ok(Settings {
            id: protocol_id(id_source),
            version,
            title: Some(value(&["form_title", "set_form_title", "title"]).to_owned())
                .filter(|t| !t.is_empty()),
            default_language: Some(value(&["default_language"]).to_owned())
                .filter(|l| !l.is_empty()),
            method,
            method_given: !method_text.is_empty(),
            notes,
        })
    }

    /// The title in the default language; a placeholder in the others.
    pub fn title(&self, languages: &Languages) -> Text {
        let title = self.title.clone().unwrap_or_else(|| self.id.clone());
        languages.fixed(|lang| {
            if lang == languages.default() {
                title.clone()
            } else {
                format!("{TODO}: translate the title \"{title}\"")
            }
        })
    }
}

/// Protocol ids are lowercase with dashes: `child_labour_v2` -> `child-labour-v2`.
fn protocol_id(source: &str) -> String {
    let id: String = source
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let id = id
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if id.is_empty() {
        "imported-form".to_owned()
    } else {
        id
    }
}

pub(crate) fn protocol(
    settings: &Settings,
    languages: &Languages,
    sections: Vec<Section>,
    closing: Option<Text>,
) -> Protocol {
    let todo = |what: &str| languages.fixed(|_| format!("{TODO}: {what}"));
    let mut purposes: Vec<String> = Vec::new();
    for question in sections.iter().flat_map(|s| &s.questions) {
        let purpose = &question.purpose;
        if !purpose.is_empty() && purpose != DISAGGREGATION_PURPOSE && !purposes.contains(purpose) {
            purposes.push(purpose.clone());
        }
    }
    if purposes.is_empty() {
        purposes.push("rq1".to_owned());
    }
    let research_questions = purposes
        .into_iter()
        .map(|id| ResearchQuestion {
            text: todo(&format!(
                "write the research question `{id}` that these questions serve"
            )),
            id,
        })
        .collect();
    let respondents = settings.method.default_respondents();
    let children = respondents == Respondents::Children;
    Protocol {
        id: settings.id.clone(),
        version: settings.version,
        title: settings.title(languages),
        method: settings.method,
        respondents: None,
        rapid_assessment: false,
        languages: languages.all.clone(),
        aim: todo("say what this research wants to find out"),
        research_questions,
        definitions: Vec::new(),
        introduction: Introduction {
            organisation: format!("{TODO}: the organisation's name as respondents will hear it"),
            script: todo("write what the interviewer says first; it must contain {interviewer} and {organisation}"),
            audio: None,
        },
        data_use: DataUse {
            purpose: todo("say exactly what will be done with the answers"),
            who_sees: todo("say who sees the answers"),
            protection: todo("say how the respondent is protected"),
            results_return: todo("say how the results come back to the children and informants"),
            audio: None,
        },
        consent: (respondents != Respondents::Nobody).then(ConsentRules::default),
        screening: children.then(|| Screening {
            items: vec![ScreeningItem {
                id: "todo_screening".to_owned(),
                text: todo("a question to the interviewer that stops the interview when the answer is yes, e.g. the child is in danger right now"),
            }],
        }),
        referral: children.then(|| Referral {
            pathway: todo("where to take a child who must not be interviewed"),
            contacts: Vec::new(),
            safety_notes: todo("how the interviewer and the child stay safe"),
        }),
        privacy: Privacy::default(),
        focus_group: (settings.method == Method::FocusGroup).then(|| FocusGroup {
            min_participants: 4,
            max_participants: 8,
            code_prefix: "P".to_owned(),
        }),
        observation: None,
        sections,
        closing: closing.unwrap_or_else(|| todo("thank the respondent and say what happens next")),
        demo: false,
        media: Default::default(),
        validation: None,
    }
}

/// The author's to-do list: lint findings on the protocol with every `TODO`
/// text blanked (errors first), then what the import assumed or dropped.
pub(crate) fn checklist(
    protocol: &Protocol,
    settings: &Settings,
    notes: Vec<String>,
) -> Vec<String> {
    let mut findings = lint(&blank_placeholders(protocol));
    findings.sort_by_key(|f| f.severity != Severity::Error);
    let mut list: Vec<String> = findings
        .iter()
        .map(|f| {
            let severity = if f.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            format!("[{severity} {}] {}: {}", f.code, f.location, f.message)
        })
        .collect();
    if !settings.method_given {
        list.push(format!(
            "method: `{}` was assumed because an XLSForm has no method; set fieldkit::method in the settings sheet or edit `method`",
            settings.method.as_str()
        ));
    }
    if protocol.consent.is_some() {
        list.push("consent: defaults were filled in (the respondent's own consent, a guardian's consent under 18, a trusted adult may stand in, no audio recording); check them against your ethics approval".to_owned());
    }
    if protocol.focus_group.is_some() {
        list.push(
            "focus_group: 4 to 8 participants was assumed; set the group size you planned"
                .to_owned(),
        );
    }
    list.extend(settings.notes.iter().cloned());
    list.extend(notes);
    list
}

/// A copy where every text starting with `TODO` is blank, so the linter sees
/// placeholders as the missing parts they are.
pub(crate) fn blank_placeholders(protocol: &Protocol) -> Protocol {
    fn blank(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) if s.trim_start().starts_with(TODO) => s.clear(),
            serde_json::Value::Array(items) => items.iter_mut().for_each(blank),
            serde_json::Value::Object(map) => map.values_mut().for_each(blank),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(protocol).expect("a protocol always serialises");
    blank(&mut value);
    serde_json::from_value(value).expect("blanking texts keeps the protocol's shape")
}
