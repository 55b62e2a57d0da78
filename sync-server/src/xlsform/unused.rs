//! Columns the import does not carry over: media cells that have no place
//! in a bundle (video, media on other sheets) are refused, every other column
//! with text in it is named in the author's checklist, never dropped quietly.

use super::headers::MEDIA;
use super::sheets::Sheet;
use super::ImportError;

/// Why a known XLSForm column is not imported, for the checklist.
fn why(base: &str) -> &'static str {
    match base {
        "appearance" => "display styles are not imported; Fieldkit's screens have one layout",
        "guidance_hint" => {
            "guidance hints are not imported; put what the interviewer must know in the hint"
        }
        "required_message" => "Fieldkit says itself that a required question needs an answer",
        "parameters" => "question parameters are not imported",
        "autoplay" => "sounds play when the participant taps \"listen\", never by themselves",
        "no_app_error_string" => "Fieldkit opens no other apps",
        "body::accuracyThreshold" => "location accuracy is not imported",
        _ if base.starts_with("bind:") => "this bind attribute has no Fieldkit meaning",
        _ if base.starts_with("sms_") => "SMS submission is not part of Fieldkit",
        _ => "it is not an XLSForm column Fieldkit knows",
    }
}

/// Refuses media cells and lists every other unused column that has text.
/// `used` holds the canonical columns the caller reads from this sheet.
pub(crate) fn check(
    file: &str,
    sheet_name: &'static str,
    sheet: &Sheet,
    used: &[&str],
    notes: &mut Vec<String>,
) -> Result<(), ImportError> {
    for (i, header) in sheet.header.iter().enumerate() {
        if used.contains(&header.base.as_str()) || header.original.trim().is_empty() {
            continue;
        }
        let filled: Vec<usize> = sheet
            .rows
            .iter()
            .filter(|r| !r.cell(Some(i)).is_empty())
            .map(|r| r.number)
            .collect();
        let Some(&first) = filled.first() else {
            continue;
        };
        if MEDIA.contains(&header.base.as_str()) {
            let row = sheet
                .rows
                .iter()
                .find(|r| r.number == first)
                .expect("a filled row");
            return Err(ImportError::AtRow {
                file: file.to_owned(),
                sheet: sheet_name,
                row: first,
                message: format!(
                    "column `{}` (`{}`): a protocol bundle carries pictures and sounds on questions and choices, not video and not in this sheet; remove these cells",
                    header.original,
                    row.cell(Some(i))
                ),
            });
        }
        let rows = if filled.len() == 1 {
            format!("row {first}")
        } else {
            format!("{} rows from row {first}", filled.len())
        };
        notes.push(format!(
            "sheet {sheet_name}, column `{}` ({rows}) was not imported: {}",
            header.original,
            why(&header.base)
        ));
    }
    Ok(())
}
