//! Protocol bundles: the protocol's TOML plus the pictures and sounds it
//! names (picture cards, images on questions and choices, audio prompts).
//!
//! No I/O: a bundle is a map of path -> bytes that the caller read from a
//! folder or an archive. [`Bundle::prepare`] checks every file the way a
//! phone will rely on it (the format decodes structurally, sizes are within
//! [`Limits`], SVG carries nothing active), strips metadata a photo or a
//! recording may carry (EXIF with GPS, XMP, text chunks, ID3 tags), and makes
//! the manifest (path -> SHA-256 and size) that publish writes into the
//! protocol, so the content hash covers every file (R4).

mod audio;
mod image;
mod svg;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::hash::ContentHash;
use crate::model::Protocol;

/// A file named by a protocol: one for every language, or one per language
/// (a card with words drawn on it). Written `"cards/a.svg"` or
/// `{ en = "cards/a-en.svg", fr = "cards/a-fr.svg" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MediaRef {
    All(String),
    PerLanguage(BTreeMap<String, String>),
}

impl MediaRef {
    /// The file for `lang`, else the first language's, so a screen always
    /// shows something.
    pub fn for_language(&self, lang: &str) -> &str {
        match self {
            MediaRef::All(path) => path,
            MediaRef::PerLanguage(by_lang) => by_lang
                .get(lang)
                .or_else(|| by_lang.values().next())
                .map(String::as_str)
                .unwrap_or(""),
        }
    }

    /// Every path named, with the language it is for (`None`: all).
    pub fn paths(&self) -> Vec<(Option<&str>, &str)> {
        match self {
            MediaRef::All(path) => vec![(None, path.as_str())],
            MediaRef::PerLanguage(by_lang) => by_lang
                .iter()
                .map(|(l, p)| (Some(l.as_str()), p.as_str()))
                .collect(),
        }
    }
}

/// What kind of file a media entry is, from its bytes (never its name alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Png,
    Jpeg,
    Webp,
    Svg,
    Opus,
    Mp3,
}

impl MediaKind {
    pub fn mime(self) -> &'static str {
        match self {
            MediaKind::Png => "image/png",
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Webp => "image/webp",
            MediaKind::Svg => "image/svg+xml",
            MediaKind::Opus => "audio/ogg",
            MediaKind::Mp3 => "audio/mpeg",
        }
    }

    pub fn is_image(self) -> bool {
        !self.is_audio()
    }

    pub fn is_audio(self) -> bool {
        matches!(self, MediaKind::Opus | MediaKind::Mp3)
    }

    /// The kind a file name promises; the bytes must agree.
    pub fn from_extension(path: &str) -> Option<MediaKind> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "png" => MediaKind::Png,
            "jpg" | "jpeg" => MediaKind::Jpeg,
            "webp" => MediaKind::Webp,
            "svg" => MediaKind::Svg,
            "ogg" | "opus" => MediaKind::Opus,
            "mp3" => MediaKind::Mp3,
            _ => return None,
        })
    }
}

/// One file in a published protocol's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaEntry {
    /// SHA-256 of the bytes as published (metadata already stripped).
    pub sha256: ContentHash,
    pub bytes: u64,
    pub kind: MediaKind,
}

/// Size limits, documented in `docs/protocols.md`. A 20-card bundle of
/// simple drawings is well under 2 MB; these leave room for photos and
/// a minute of speech each, and stop a bundle a phone cannot hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_files: usize,
    pub max_image_bytes: u64,
    pub max_audio_bytes: u64,
    pub max_total_bytes: u64,
    /// Width and height, in pixels (SVG: its declared size is not checked).
    pub max_side: u32,
}

pub const LIMITS: Limits = Limits {
    max_files: 200,
    max_image_bytes: 1024 * 1024,
    max_audio_bytes: 1024 * 1024,
    max_total_bytes: 16 * 1024 * 1024,
    max_side: 4096,
};

/// A problem with one file, said so an author can fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaProblem {
    /// `media-path`, `media-missing`, `media-kind`, `media-invalid`,
    /// `media-size`, `media-metadata`, `media-svg`, `media-unused`.
    pub code: &'static str,
    /// Where, as a lint location: the reference (`sections.s.questions.q.card`)
    /// or the file (`bundle.cards/a.svg`).
    pub location: String,
    pub message: String,
    /// Only `media-unused` is a warning.
    pub warning: bool,
}

/// A problem with a file in the bundle; the message starts with its path.
fn problem(code: &'static str, path: &str, message: String) -> MediaProblem {
    MediaProblem {
        code,
        location: format!("bundle.{path}"),
        message: if path.is_empty() {
            message
        } else {
            format!("`{path}` {message}")
        },
        warning: false,
    }
}

/// A problem with a reference in the protocol.
fn at_reference(code: &'static str, at: &str, message: String) -> MediaProblem {
    MediaProblem {
        code,
        location: at.to_owned(),
        message,
        warning: false,
    }
}

/// The files beside a protocol, by their path inside the bundle
/// (`cards/job-offer.svg`, forward slashes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundle {
    pub files: BTreeMap<String, Vec<u8>>,
}

/// A bundle checked and cleaned: the files to publish (metadata stripped),
/// their manifest, what stripping removed, and every problem found.
#[derive(Debug, Clone, Default)]
pub struct CheckedBundle {
    pub files: BTreeMap<String, Vec<u8>>,
    pub manifest: BTreeMap<String, MediaEntry>,
    /// `(path, what was removed)`, for the publish report.
    pub stripped: Vec<(String, String)>,
    pub problems: Vec<MediaProblem>,
}

impl CheckedBundle {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| !p.warning)
    }
}

/// A checked file: its kind, the bytes to publish and what was removed.
pub(crate) struct Checked {
    pub kind: MediaKind,
    pub bytes: Vec<u8>,
    pub removed: Vec<&'static str>,
}

/// A file's bytes as published, and what was removed from them.
pub type Cleaned = (Vec<u8>, Vec<&'static str>);
/// Why a file is refused: its lint code and what to do.
pub type Refusal = (&'static str, String);

/// Checks one file's bytes as `kind` and strips what must not travel.
/// The message says what is wrong and what to do.
pub fn check_file(kind: MediaKind, bytes: &[u8]) -> Result<Cleaned, Refusal> {
    let checked = match kind {
        MediaKind::Png => image::png(bytes),
        MediaKind::Jpeg => image::jpeg(bytes),
        MediaKind::Webp => image::webp(bytes),
        MediaKind::Svg => svg::check(bytes),
        MediaKind::Opus => audio::opus(bytes),
        MediaKind::Mp3 => audio::mp3(bytes),
    }?;
    debug_assert_eq!(checked.kind, kind);
    Ok((checked.bytes, checked.removed))
}

pub(crate) fn invalid(kind: MediaKind, why: &str) -> (&'static str, String) {
    (
        "media-invalid",
        format!(
            "is not a readable {} file ({why}); export it again from a drawing or sound program",
            kind.mime()
        ),
    )
}

/// A bundle path: relative, forward slashes, no `..`, plain characters,
/// so it means the same in a zip, a tar, a folder and on a phone.
pub fn path_problem(path: &str) -> Option<String> {
    if path.is_empty() || path.len() > 200 {
        return Some("is not a usable name: a media path has 1 to 200 characters".to_owned());
    }
    if path.starts_with('/')
        || path.contains('\\')
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Some(
            "must be a relative path inside the bundle, with `/` between folders and no `..`"
                .to_owned(),
        );
    }
    if !path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return Some("may use only letters a-z, digits, `-`, `_`, `.` and `/`".to_owned());
    }
    None
}

/// Where each file is named: `(location in the protocol, language, path)`.
pub fn references(protocol: &Protocol) -> Vec<(String, Option<String>, String, Want)> {
    let mut out = Vec::new();
    let mut add = |at: String, media: &Option<MediaRef>, want: Want| {
        if let Some(m) = media {
            for (lang, path) in m.paths() {
                out.push((at.clone(), lang.map(str::to_owned), path.to_owned(), want));
            }
        }
    };
    add(
        "introduction.audio".into(),
        &protocol.introduction.audio,
        Want::Audio,
    );
    add(
        "data_use.audio".into(),
        &protocol.data_use.audio,
        Want::Audio,
    );
    for section in &protocol.sections {
        for q in &section.questions {
            let at = format!("sections.{}.questions.{}", section.id, q.id);
            add(format!("{at}.card"), &q.card, Want::Image);
            add(format!("{at}.image"), &q.image, Want::Image);
            add(format!("{at}.audio"), &q.audio, Want::Audio);
            for c in &q.choices {
                add(
                    format!("{at}.choices.{}.image", c.value),
                    &c.image,
                    Want::Image,
                );
            }
        }
    }
    out
}

/// What a reference expects to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Image,
    Audio,
}

impl Bundle {
    /// Checks every file and every reference; see the module comment.
    pub fn prepare(&self, protocol: &Protocol) -> CheckedBundle {
        let mut out = CheckedBundle::default();
        if self.files.len() > LIMITS.max_files {
            out.problems.push(problem(
                "media-size",
                "",
                format!(
                    "the bundle has {} files; at most {} are allowed: remove what no question uses",
                    self.files.len(),
                    LIMITS.max_files
                ),
            ));
        }
        let mut total = 0u64;
        let mut kinds = BTreeMap::new();
        for (path, bytes) in &self.files {
            if let Some(why) = path_problem(path) {
                out.problems.push(problem("media-path", path, why));
                continue;
            }
            let Some(kind) = MediaKind::from_extension(path) else {
                out.problems.push(problem(
                    "media-kind",
                    path,
                    "is not a picture or sound a protocol can carry: use .png, .jpg, .webp or .svg for pictures, .ogg (Opus) or .mp3 for sound".to_owned(),
                ));
                continue;
            };
            let limit = if kind.is_audio() {
                LIMITS.max_audio_bytes
            } else {
                LIMITS.max_image_bytes
            };
            if bytes.len() as u64 > limit {
                out.problems.push(problem(
                    "media-size",
                    path,
                    format!(
                        "is {} KiB; a {} may be at most {} KiB: make it smaller (fewer pixels, a lower bit rate)",
                        bytes.len() / 1024,
                        if kind.is_audio() { "sound" } else { "picture" },
                        limit / 1024
                    ),
                ));
                continue;
            }
            match check_file(kind, bytes) {
                Ok((clean, removed)) => {
                    if !removed.is_empty() {
                        out.stripped.push((path.clone(), removed.join(", ")));
                    }
                    total += clean.len() as u64;
                    out.manifest.insert(
                        path.clone(),
                        MediaEntry {
                            sha256: ContentHash::of_bytes(&clean),
                            bytes: clean.len() as u64,
                            kind,
                        },
                    );
                    kinds.insert(path.clone(), kind);
                    out.files.insert(path.clone(), clean);
                }
                Err((code, message)) => out.problems.push(problem(code, path, message)),
            }
        }
        if total > LIMITS.max_total_bytes {
            out.problems.push(problem(
                "media-size",
                "",
                format!(
                    "the bundle's media come to {} KiB; at most {} KiB are allowed, which a phone downloads over a poor connection",
                    total / 1024,
                    LIMITS.max_total_bytes / 1024
                ),
            ));
        }
        let mut used = BTreeSet::new();
        for (at, lang, path, want) in references(protocol) {
            used.insert(path.clone());
            if let Some(lang) = &lang {
                if !protocol.languages.contains(lang) {
                    out.problems.push(at_reference(
                        "media-missing",
                        &at,
                        format!("names a file for language `{lang}`, which the protocol does not declare"),
                    ));
                }
            }
            if !self.files.contains_key(&path) {
                out.problems.push(at_reference(
                    "media-missing",
                    &at,
                    format!("names `{path}`, which is not in the bundle: add the file beside the protocol (same folder structure) or fix the name"),
                ));
                continue;
            }
            if let Some(kind) = kinds.get(&path) {
                let fits = match want {
                    Want::Image => kind.is_image(),
                    Want::Audio => kind.is_audio(),
                };
                if !fits {
                    out.problems.push(at_reference(
                        "media-kind",
                        &at,
                        format!(
                            "wants {} but `{path}` is {}",
                            if want == Want::Image {
                                "a picture"
                            } else {
                                "a sound"
                            },
                            kind.mime()
                        ),
                    ));
                }
            }
        }
        for path in self.files.keys() {
            if !used.contains(path) {
                out.problems.push(MediaProblem {
                    warning: true,
                    ..problem(
                        "media-unused",
                        path,
                        "is in the bundle but no part of the protocol names it: it is not published; remove it or name it".to_owned(),
                    )
                });
            }
        }
        // Unused files are not published: a phone downloads only what it shows.
        out.files.retain(|p, _| used.contains(p));
        out.manifest.retain(|p, _| used.contains(p));
        out
    }
}

/// `source` with the `[media]` manifest appended, as `protocol publish`
/// writes it: the text phones download and hash.
pub fn append_manifest(source: &str, manifest: &BTreeMap<String, MediaEntry>) -> String {
    let mut published = source.to_owned();
    if manifest.is_empty() {
        return published;
    }
    #[derive(Serialize)]
    struct Manifest<'a> {
        media: &'a BTreeMap<String, MediaEntry>,
    }
    let table =
        toml::to_string(&Manifest { media: manifest }).expect("a manifest always serialises");
    if !published.ends_with('\n') {
        published.push('\n');
    }
    published.push_str("\n# Written by `fieldkit-server protocol publish`: the bundle's media,\n# path -> SHA-256 of the bytes published (R4). Do not edit.\n");
    published.push_str(&table);
    published
}

#[cfg(test)]
mod tests;
