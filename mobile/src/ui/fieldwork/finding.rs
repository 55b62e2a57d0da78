//! A finding of the pack, shown to the group in a validation session
//! (issue 22): large bars a group can read from a distance, a sentence to
//! read aloud, and the caveat (R25). A suppressed row gets no bar and says
//! so (R27); the pack's own check already refused any count under the
//! threshold before it was pinned.

// rsx! expands shared props into clones clippy cannot see past.
#![allow(clippy::redundant_clone)]

use dioxus::prelude::*;
use fieldkit_protocols::findings::FindingsPack;

use crate::ui::i18n::{fill, text, Key, Lang};

#[component]
pub(crate) fn FindingCard(pack: FindingsPack, finding_id: String, lang_code: String) -> Element {
    // The card speaks the session's language, whatever the app's.
    let lang = Lang::from_code(&lang_code).unwrap_or(Lang::En);
    let Some(finding) = pack.finding(&finding_id).cloned() else {
        return rsx! {
            p { id: "finding-missing", class: "caveat", {text(lang, Key::VdMissing)} }
        };
    };
    let max = finding
        .rows
        .iter()
        .filter_map(|r| r.count)
        .max()
        .unwrap_or(1)
        .max(1);
    let k = pack.min_cell_size.to_string();
    let rows: Vec<(String, Option<u64>, u64)> = finding
        .rows
        .iter()
        .map(|r| {
            let pct = r.count.map_or(0, |n| n * 100 / max);
            (r.label.show(&lang_code).to_owned(), r.count, pct)
        })
        .collect();
    rsx! {
        section { id: "finding", class: "finding", lang: "{lang_code}",
            p { class: "step", {text(lang, Key::VdFinding)} }
            h2 { id: "finding-question", {finding.question.show(&lang_code).to_owned()} }
            ul { class: "finding-bars", role: "list",
                for (i, (label, count, pct)) in rows.into_iter().enumerate() {
                    li { id: "finding-row-{i}", class: if count.is_none() { "suppressed" } else { "" },
                        span { class: "finding-label", "{label}" }
                        if let Some(n) = count {
                            span { class: "finding-bar", style: "width: {pct}%", aria_hidden: "true" }
                            strong { class: "finding-count", "{n}" }
                        } else {
                            em { class: "finding-count", {fill(lang, Key::VdSuppressed, &[("k", &k)])} }
                        }
                    }
                }
            }
            p { class: "label", {text(lang, Key::VdReadAloud)} }
            p { id: "finding-sentence", class: "read-aloud", {finding.sentence.show(&lang_code).to_owned()} }
            if let Some(caveat) = &pack.caveat {
                p { id: "finding-caveat", class: "caveat", {caveat.show(&lang_code).to_owned()} }
            }
        }
    }
}
