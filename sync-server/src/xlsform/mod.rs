//! Importing an XLSForm (the spreadsheet format of ODK, KoBoToolbox and
//! SurveyCTO) as a draft Fieldkit protocol.
//!
//! Stages, one module each: `sheets` reads the workbook (`headers` reads its
//! header row as pyxform does), `version` maps the settings version, `languages` maps
//! language columns to codes, `choices` reads the choice lists (of the
//! choices and external_choices sheets, and of CSV files beside the form
//! that `files` reads), `types` reads
//! the type column, [`xpath`] translates skip logic and constraints, `survey`
//! turns survey rows into sections and questions (`other` adds or_other's
//! extra choice and follow-up), and `draft`
//! wraps them in a protocol whose ethics parts (which an XLSForm cannot carry)
//! are marked `TODO` placeholders, then lists what the author must still do.
//!
//! Choices made where XLSForm and Fieldkit differ:
//! - a `note` becomes the start of the next question's hint (Fieldkit sections
//!   have no intro text) when ODK would show it under the same condition as
//!   that question, and is refused otherwise; notes after the last question
//!   become the closing text;
//! - a read-only question is shown as a note, which nobody answers, as in ODK;
//!   one with a calculation (a shown, worked-out value) is refused, saying
//!   what to write instead;
//! - `${name}` in a label, hint or choice label becomes `${id}`, which the
//!   phone fills with the answer (`piping`);
//! - columns it does not carry over are listed in the checklist (`unused`),
//!   `media::image`/`big-image`/`audio` on questions and `image` on choices
//!   (per language too) name bundle files (`media`); video is refused;
//! - questions outside any group go to a section named after the form (`main`);
//! - a group's `relevant` is added (with `and`) to each question inside it;
//! - a `calculate` is inlined where skip logic or constraints use it;
//! - nested groups become consecutive sections (`outer`, `inner`, `outer_2`);
//! - `or_other` adds "other" to the list (for every question using it, as
//!   pyxform does) and a `{name}_other` text question asked when it is chosen;
//! - names become ids by lowercasing and turning `-` and `.` into `_`;
//! - `start`/`end`/`today`/device metadata are dropped: Fieldkit records
//!   (coarsened) times itself and never device or phone identifiers.

mod choices;
mod draft;
mod files;
mod headers;
mod languages;
mod media;
mod other;
mod piping;
mod sheets;
mod survey;
mod types;
mod unused;
mod version;
pub mod xpath;

use fieldkit_protocols::Protocol;

pub use files::{read_csv, Beside};
pub use xpath::{translate_xpath, XPathError};

/// A converted form: the protocol, its TOML text, and the author's to-do list.
#[derive(Debug, Clone)]
pub struct Imported {
    pub protocol: Protocol,
    pub toml: String,
    /// Linter findings (with `TODO` placeholders counted as blank) and notes
    /// on what the import changed, as an author's to-do list.
    pub checklist: Vec<String>,
}

/// Why a form could not be imported; each names the file, sheet and row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error(
        "{file}: not a readable spreadsheet ({message}); save the form as .xlsx and try again"
    )]
    Unreadable { file: String, message: String },
    #[error("{file}: there is no `{sheet}` sheet; an XLSForm lists its questions in a sheet named survey")]
    MissingSheet { file: String, sheet: &'static str },
    #[error("{file}, sheet {sheet}: there is no `{column}` column; add it to the header row")]
    MissingColumn {
        file: String,
        sheet: &'static str,
        column: &'static str,
    },
    #[error("{file}, sheet {sheet}, row {row}: {message}")]
    AtRow {
        file: String,
        sheet: &'static str,
        row: usize,
        message: String,
    },
    #[error("{file}, sheet {sheet}, row {row}, {column} `{expression}`: {error}")]
    Expression {
        file: String,
        sheet: &'static str,
        row: usize,
        /// The spreadsheet column: `relevant`, `constraint` or `calculation`.
        column: &'static str,
        expression: String,
        error: XPathError,
    },
}

/// Converts an XLSForm workbook (`.xlsx`, `.xls` or `.ods` bytes) into a draft
/// protocol. `file_name` only names the place in errors and is the fallback id.
/// A form that reads a file beside it (`select_one_from_file`, `pulldata()`)
/// is refused, saying so: see [`import_with_files`].
pub fn import(bytes: &[u8], file_name: &str) -> Result<Imported, ImportError> {
    import_with_files(bytes, file_name, &|_| None)
}

/// [`import`], with `beside` giving the files the form names
/// (`select_one_from_file towns.csv`), as ODK finds them beside the form.
pub fn import_with_files(
    bytes: &[u8],
    file_name: &str,
    beside: Beside<'_>,
) -> Result<Imported, ImportError> {
    let workbook = sheets::read_workbook(bytes, file_name)?;
    let settings = draft::Settings::read(workbook.settings.as_ref(), file_name)?;
    let mut sheets = vec![("survey", &workbook.survey)];
    sheets.extend(workbook.choices.as_ref().map(|c| ("choices", c)));
    sheets.extend(
        workbook
            .external_choices
            .as_ref()
            .map(|c| ("external_choices", c)),
    );
    let languages =
        languages::Languages::from_sheets(settings.default_language.as_deref(), &sheets);
    let title = settings.title(&languages);
    let mut notes = languages.notes.clone();
    for (name, sheet) in &sheets {
        if let Some(stopped) = &sheet.stopped {
            notes.push(format!("sheet {name}: {stopped}, as pyxform and ODK read it; remove the empty rows or columns if what follows belongs to the form"));
        }
    }
    if let Some(sheet) = &workbook.settings {
        unused::check(
            file_name,
            "settings",
            sheet,
            &draft::SETTINGS_USED,
            &mut notes,
        )?;
    }
    let form = survey::convert(
        file_name,
        &workbook.survey,
        [
            workbook.choices.as_ref(),
            workbook.external_choices.as_ref(),
        ],
        beside,
        &languages,
        &title,
    )?;
    let protocol = draft::protocol(&settings, &languages, form.sections, form.closing);
    let toml = fieldkit_protocols::to_toml(&protocol);
    notes.extend(form.notes);
    let files = fieldkit_protocols::media::references(&protocol)
        .into_iter()
        .map(|(_, _, path, _)| path)
        .collect();
    notes.extend(media::checklist(&files));
    let checklist = draft::checklist(&protocol, &settings, notes);
    tracing::info!(
        id = %protocol.id,
        questions = protocol.questions().count(),
        todo = checklist.len(),
        "imported an XLSForm"
    );
    Ok(Imported {
        protocol,
        toml,
        checklist,
    })
}

/// A Fieldkit id (`[a-z][a-z0-9_]*`) for an XLSForm name: lowercased, with
/// `-` and `.` turned into `_`. `None` when no such id can be made, or when
/// it would be a word of Fieldkit's expressions (`and`, `true`...).
pub(crate) fn question_id(name: &str) -> Option<String> {
    let id: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    let mut chars = id.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    (valid && !fieldkit_protocols::expr::KEYWORDS.contains(&id.as_str())).then_some(id)
}
