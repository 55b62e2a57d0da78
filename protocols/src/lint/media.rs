//! Media references in the protocol itself (no files needed): each path is
//! a usable bundle path, a per-language file exists for every language, a
//! picture card names its card, and a published protocol's manifest covers
//! every file it names. The files themselves are checked by
//! [`crate::media::Bundle::prepare`], through [`super::lint_bundle`].

use super::Findings;
use crate::media::{path_problem, references};
use crate::model::{MediaRef, Protocol, QuestionKind};

pub(super) fn check(protocol: &Protocol, out: &mut Findings) {
    for (at, _lang, path, _want) in references(protocol) {
        if let Some(why) = path_problem(&path) {
            out.error("media-path", at.clone(), format!("`{path}` {why}"));
        } else if !protocol.media.is_empty() && !protocol.media.contains_key(&path) {
            out.error(
                "media-missing",
                at.clone(),
                format!("names `{path}`, which the published media manifest does not list"),
            );
        }
    }
    let mut per_language = |at: String, media: &Option<MediaRef>| {
        if let Some(MediaRef::PerLanguage(by_lang)) = media {
            for lang in &protocol.languages {
                if !by_lang.contains_key(lang) {
                    out.error(
                        "missing-translation",
                        at.clone(),
                        format!("has a file per language but none for `{lang}`: add one, or give one file for every language"),
                    );
                }
            }
        }
    };
    per_language("introduction.audio".into(), &protocol.introduction.audio);
    per_language("data_use.audio".into(), &protocol.data_use.audio);
    for section in &protocol.sections {
        for q in &section.questions {
            let at = format!("sections.{}.questions.{}", section.id, q.id);
            per_language(format!("{at}.card"), &q.card);
            per_language(format!("{at}.image"), &q.image);
            per_language(format!("{at}.audio"), &q.audio);
            for c in &q.choices {
                per_language(format!("{at}.choices.{}.image", c.value), &c.image);
            }
        }
    }
    for section in &protocol.sections {
        for q in &section.questions {
            let at = format!("sections.{}.questions.{}", section.id, q.id);
            if q.kind == QuestionKind::PictureCard && q.card.is_none() {
                out.error(
                    "media-missing",
                    format!("{at}.card"),
                    "a picture_card question shows a card: add `card = \"cards/<file>.svg\"` and the file to the bundle",
                );
            }
            if q.card.is_some() || q.image.is_some() {
                match &q.card_description {
                    None => out.warning(
                        "media-description",
                        format!("{at}.card_description"),
                        "say in words what the picture shows (`card_description`), for screen readers and for a facilitator who cannot see it",
                    ),
                    Some(text) => {
                        for lang in &protocol.languages {
                            if text.get(lang).is_none_or(|t| t.trim().is_empty()) {
                                out.error(
                                    "missing-translation",
                                    format!("{at}.card_description"),
                                    format!("the picture's description has no `{lang}` text"),
                                );
                            }
                        }
                    }
                }
            }
            if q.card.is_some() && q.kind != QuestionKind::PictureCard {
                out.error(
                    "media-kind",
                    format!("{at}.card"),
                    "only a picture_card question shows a card; use `image` to show a picture with another question",
                );
            }
        }
    }
}
