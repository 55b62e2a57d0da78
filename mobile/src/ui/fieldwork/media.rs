//! Protocol pictures and sounds on screen: a picture card full-screen and
//! zoomable, a picture on a question or a choice, and a play button for a
//! text read aloud. The bytes come decrypted from the vault into memory and
//! reach the webview as a `data:` URL: nothing decrypted is written to disk.
//! Nothing is recorded: there is no microphone or camera anywhere here.

// rsx! expands shared props into clones clippy cannot see past.
#![allow(clippy::redundant_clone)]

use base64::Engine as _;
use dioxus::prelude::*;
use fieldkit_protocols::model::{MediaRef, Protocol};

use super::use_lang;
use crate::ui::i18n::{text, Key};
use crate::ui::services::Services;

/// The `data:` URL of `media` in `lang`, if the file is pinned.
pub(crate) fn data_url(
    services: &Services,
    protocol: &Protocol,
    media: &MediaRef,
    lang: &str,
) -> Option<String> {
    let path = media.for_language(lang);
    let entry = protocol.media.get(path)?;
    let bytes = services.0.fieldwork()?.media(&entry.sha256)?;
    let mut url = format!("data:{};base64,", entry.kind.mime());
    base64::engine::general_purpose::STANDARD.encode_string(&*bytes, &mut url);
    Some(url)
}

/// A picture card: shown large, tap to see it full-screen (pinch and the
/// webview's zoom work there), with its description for screen readers.
#[component]
pub(crate) fn PictureCard(url: Option<String>, description: String, lang_code: String) -> Element {
    let lang = use_lang();
    let mut full = use_signal(|| false);
    let Some(url) = url else {
        return rsx! { p { class: "card-prompt", id: "card-missing", {text(lang, Key::FwCardMissing)} } };
    };
    rsx! {
        figure { class: if full() { "picture-card full" } else { "picture-card" }, id: "picture-card",
            button {
                id: "card-zoom",
                class: "card-button",
                aria_label: text(lang, if full() { Key::FwCardClose } else { Key::FwCardZoom }),
                onclick: move |_| full.toggle(),
                img { src: "{url}", alt: "{description}", lang: "{lang_code}" }
            }
            if full() {
                button { id: "card-close", class: "secondary wide", onclick: move |_| full.set(false), {text(lang, Key::FwCardClose)} }
            }
        }
    }
}

/// Plays a text read aloud: one large button that plays and pauses (the
/// webview's own controls are small and many), offline. Nothing is recorded.
#[component]
pub(crate) fn AudioPrompt(id: String, url: Option<String>) -> Element {
    let lang = use_lang();
    let mut playing = use_signal(|| false);
    let Some(url) = url else {
        return rsx! {};
    };
    let player = format!("{id}-player");
    let toggle = format!(
        "const a = document.getElementById('{player}'); if (a.paused) {{ a.play(); }} else {{ a.pause(); }}"
    );
    rsx! {
        div { class: "audio-prompt", id: "{id}",
            audio { id: "{player}", preload: "auto", src: "{url}", onended: move |_| playing.set(false) }
            button {
                id: "{id}-play",
                class: "secondary wide audio-button",
                aria_pressed: if playing() { "true" } else { "false" },
                onclick: move |_| {
                    playing.toggle();
                    document::eval(&toggle);
                },
                span { aria_hidden: "true", if playing() { "❚❚ " } else { "▶ " } }
                {text(lang, if playing() { Key::FwListenPause } else { Key::FwListen })}
            }
        }
    }
}
