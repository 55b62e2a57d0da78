//! The quick-lock screen (R18): shows nothing of what was on screen before.

use dioxus::prelude::*;
use zeroize::Zeroizing;

use crate::ui::i18n::{text, Key};
use crate::ui::services::Services;
use crate::ui::text_field::TextField;
use crate::ui::widgets::{
    off_the_screen, service_error_text, set_secret, use_model, use_secret, ErrorLine,
};

#[component]
pub fn LockedScreen() -> Element {
    let (mut model, lang) = use_model();
    let services = use_context::<Services>();
    let vault_exists = model.read().progress.vault_created;
    let passphrase = use_secret();
    let mut error = use_signal(|| None::<String>);
    // Deriving the key takes a fifth of a second here, longer on an old
    // phone: it runs off the screen, which says so and ignores a second tap.
    let mut unlocking = use_signal(|| false);
    // Each try takes the typed text away; the next try starts a fresh field.
    let mut tries = use_signal(|| 0u32);

    let unlock = move |_| {
        if unlocking() {
            return;
        }
        let typed = Zeroizing::new(passphrase.read().clone());
        set_secret(passphrase, String::new());
        unlocking.set(true);
        tries += 1;
        error.set(None);
        let services = services.clone();
        spawn(async move {
            let result = off_the_screen(move || services.unlock(&typed)).await;
            unlocking.set(false);
            match result {
                Ok(recorded) => model.write().unlocked(recorded),
                Err(e) => error.set(Some(service_error_text(lang, &e))),
            }
        });
    };

    rsx! {
        h1 { {text(lang, Key::LockedTitle)} }
        if vault_exists {
            label { r#for: "unlock-passphrase", {text(lang, Key::LockedBody)} }
            TextField {
                id: "unlock-passphrase",
                generation: tries().to_string(),
                r#type: "password",
                autocomplete: "current-password",
                disabled: unlocking(),
                on_text: move |t| set_secret(passphrase, t),
            }
            ErrorLine { message: error() }
            if unlocking() {
                p { id: "unlocking", class: "intro", role: "status", {text(lang, Key::Unlocking)} }
            }
            div { class: "actions",
                button {
                    id: "unlock",
                    class: "primary",
                    disabled: unlocking(),
                    aria_busy: unlocking(),
                    onclick: unlock,
                    {text(lang, Key::Unlock)}
                }
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
