//! First-run step 2: the passphrase that wraps the vault key.

use dioxus::prelude::*;
use zeroize::Zeroizing;

use crate::ui::i18n::{fill, text, Key, Lang};
use crate::ui::services::Services;
use crate::ui::state::FirstRunStep;
use crate::ui::strength::{assess, Hint, Level};
use crate::ui::text_field::TextField;
use crate::ui::widgets::{
    off_the_screen, service_error_text, set_secret, use_model, use_secret, ErrorLine, StepHeader,
};

#[component]
pub fn PassphraseScreen() -> Element {
    let (mut model, lang) = use_model();
    let services = use_context::<Services>();
    // Held only while this screen is shown; cleared as soon as the vault has it.
    let passphrase = use_secret();
    let confirm = use_secret();
    let mut error = use_signal(|| None::<String>);

    let assessment = assess(&passphrase.read());
    let matches = *passphrase.read() == *confirm.read();
    let mismatch_shown = !confirm.read().is_empty() && !matches;
    let can_continue = assessment.level >= Level::Good && matches;
    let can_go_back = model.read().can_go_back();

    // Making the vault derives its key (a fifth of a second here, longer
    // on an old phone): off the screen, which says so meanwhile.
    let mut creating = use_signal(|| false);
    let submit = move |_| {
        if !can_continue || creating() {
            return;
        }
        let typed = Zeroizing::new(passphrase.read().clone());
        creating.set(true);
        let services = services.clone();
        spawn(async move {
            let result = off_the_screen(move || services.create_vault(&typed)).await;
            creating.set(false);
            match result {
                Ok(()) => {
                    set_secret(passphrase, String::new());
                    set_secret(confirm, String::new());
                    model.write().vault_created();
                }
                Err(e) => error.set(Some(service_error_text(lang, &e))),
            }
        });
    };

    rsx! {
        StepHeader { step: FirstRunStep::Passphrase, title: Key::PassphraseTitle }
        p { class: "intro", {text(lang, Key::PassphraseIntro)} }
        label { r#for: "passphrase", {text(lang, Key::PassphraseLabel)} }
        TextField {
            id: "passphrase",
            r#type: "password",
            autocomplete: "new-password",
            on_text: move |t| set_secret(passphrase, t),
        }
        StrengthMeter { level: assessment.level, hints: assessment.hints, empty: passphrase.read().is_empty() }
        label { r#for: "confirm", {text(lang, Key::PassphraseConfirmLabel)} }
        TextField {
            id: "confirm",
            r#type: "password",
            autocomplete: "new-password",
            on_text: move |t| set_secret(confirm, t),
        }
        if mismatch_shown {
            p { class: "error", role: "alert", {text(lang, Key::PassphraseMismatch)} }
        }
        ErrorLine { message: error() }
        if !can_continue {
            p { class: "requirement", {text(lang, Key::PassphraseRequirement)} }
        }
        if creating() {
            p { id: "creating-vault", class: "intro", role: "status", {text(lang, Key::CreatingVault)} }
        }
        div { class: "actions",
            if can_go_back {
                button {
                    id: "back",
                    class: "secondary",
                    onclick: move |_| model.write().back(),
                    {text(lang, Key::Back)}
                }
            }
            button {
                id: "continue",
                class: "primary",
                disabled: !can_continue || creating(),
                aria_busy: creating(),
                onclick: submit,
                {text(lang, Key::Continue)}
            }
        }
    }
}

fn level_key(level: Level) -> Key {
    match level {
        Level::TooWeak => Key::StrengthTooWeak,
        Level::Weak => Key::StrengthWeak,
        Level::Fair => Key::StrengthFair,
        Level::Good => Key::StrengthGood,
        Level::Strong => Key::StrengthStrong,
    }
}

fn hint_key(hint: Hint) -> Key {
    match hint {
        Hint::Length => Key::HintLength,
        Hint::Variety => Key::HintVariety,
        Hint::Common => Key::HintCommon,
        Hint::Repeats => Key::HintRepeats,
    }
}

/// A five-segment bar, the level in words (colour is never the only signal),
/// and what would make the passphrase stronger.
#[component]
pub(crate) fn StrengthMeter(level: Level, hints: Vec<Hint>, empty: bool) -> Element {
    let (_, lang): (_, Lang) = use_model();
    let filled = if empty { 0 } else { level as usize + 1 };
    let level_name = text(lang, level_key(level));
    rsx! {
        div { class: "strength", "data-level": if empty { "none" } else { level_name },
            div { class: "strength-bar", aria_hidden: "true",
                for segment in 0..5usize {
                    span { class: if segment < filled { "segment on level-{filled}" } else { "segment" } }
                }
            }
            if !empty {
                p { id: "strength-level", class: "strength-level",
                    {fill(lang, Key::StrengthIs, &[("level", level_name)])}
                }
                ul { class: "hints",
                    for hint in hints {
                        li { {text(lang, hint_key(hint))} }
                    }
                }
            }
        }
    }
}
