//! `media::image`, `media::big-image` and `media::audio` cells, on questions
//! and on choices, per language: they become the question's `image` and
//! `audio` and the choice's `image`, files of the protocol bundle. The
//! files are not in the workbook: the checklist says where to put them.

use fieldkit_protocols::model::MediaRef;

use super::languages::Languages;
use super::sheets::{Row, Sheet};

/// The file a row names in `base` (`big-image` before `image`), one for
/// every language when all languages name the same file.
pub(crate) fn media_ref(
    languages: &Languages,
    sheet: &Sheet,
    row: &Row,
    bases: &[&str],
) -> Option<MediaRef> {
    let text = bases
        .iter()
        .find_map(|base| languages.text(sheet, row, base))?;
    let mut files: Vec<&String> = text.0.values().collect();
    files.dedup();
    Some(match files.as_slice() {
        [one] => MediaRef::All((*one).clone()),
        _ => MediaRef::PerLanguage(text.0.clone()),
    })
}

pub(crate) const IMAGE: [&str; 2] = ["big-image", "image"];
pub(crate) const AUDIO: [&str; 1] = ["audio"];

/// The checklist line for every file a form names.
pub(crate) fn checklist(files: &std::collections::BTreeSet<String>) -> Option<String> {
    (!files.is_empty()).then(|| {
        format!(
            "the form names {} picture and sound file(s) ({}): put them in the bundle beside the protocol (a folder with draft.toml and the files, or draft/ beside draft.toml), then `protocol lint` checks each one; file names must use only a-z, 0-9, `-`, `_`, `.`",
            files.len(),
            files.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        )
    })
}
