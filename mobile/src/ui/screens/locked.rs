//! The quick-lock screen (R18): shows nothing of what was on screen before.

use dioxus::prelude::*;

use crate::ui::i18n::{text, Key};
use crate::ui::services::Services;
use crate::ui::widgets::{service_error_text, set_secret, use_model, use_secret, ErrorLine};

#[component]
pub fn LockedScreen() -> Element {
    let (mut model, lang) = use_model();
    let services = use_context::<Services>();
    let vault_exists = model.read().progress.vault_created;
    let passphrase = use_secret();
    let mut error = use_signal(|| None::<String>);

    let unlock = move |_| {
        let result = services.unlock(&passphrase.read());
        set_secret(passphrase, String::new());
        match result {
            Ok(recorded) => model.write().unlocked(recorded),
            Err(e) => error.set(Some(service_error_text(lang, &e))),
        }
    };

    rsx! {
        h1 { {text(lang, Key::LockedTitle)} }
        if vault_exists {
            label { r#for: "unlock-passphrase", {text(lang, Key::LockedBody)} }
            input {
                id: "unlock-passphrase",
                r#type: "password",
                autocomplete: "current-password",
                value: "{passphrase}",
                oninput: move |e| set_secret(passphrase, e.value()),
            }
            ErrorLine { message: error() }
            div { class: "actions",
                button { id: "unlock", class: "primary", onclick: unlock, {text(lang, Key::Unlock)} }
            }
        } else {
            p { class: "intro", {text(lang, Key::LockedNothingStored)} }
            div { class: "actions",
                button {
                    id: "start-again",
                    class: "primary",
                    onclick: move |_| model.write().start_again(),
                    {text(lang, Key::StartAgain)}
                }
            }
        }
    }
}
