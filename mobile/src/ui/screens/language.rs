//! First-run step 1: the language of the app's own strings.

use dioxus::prelude::*;

use crate::ui::i18n::{text, Key, Lang};
use crate::ui::services::Services;
use crate::ui::state::FirstRunStep;
use crate::ui::widgets::{use_model, StepHeader};

#[component]
pub fn LanguageScreen() -> Element {
    let (mut model, lang) = use_model();
    let services = use_context::<Services>();
    rsx! {
        StepHeader { step: FirstRunStep::Language, title: Key::LanguageTitle }
        p { class: "intro", {text(lang, Key::LanguageIntro)} }
        div { class: "choices", role: "radiogroup",
            for choice in Lang::ALL {
                button {
                    id: "lang-{choice.code()}",
                    class: "choice",
                    role: "radio",
                    lang: choice.code(),
                    aria_checked: if choice == lang { "true" } else { "false" },
                    onclick: {
                        let services = services.clone();
                        move |_| {
                            model.write().choose_language(choice);
                            services.save_language(choice);
                        }
                    },
                    {choice.native_name()}
                }
            }
        }
        div { class: "actions",
            button {
                id: "continue",
                class: "primary",
                onclick: move |_| model.write().language_confirmed(),
                {text(lang, Key::Continue)}
            }
        }
    }
}
