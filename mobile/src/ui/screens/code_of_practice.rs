//! First-run step 3: the code of practice, accepted explicitly (R15).

use dioxus::prelude::*;

use crate::ui::i18n::{text, Key};
use crate::ui::services::Services;
use crate::ui::state::FirstRunStep;
use crate::ui::widgets::{service_error_text, use_model, ErrorLine, StepHeader};

/// The principles of the manual's section 1.7 a researcher commits to, in the
/// order they meet them in the field.
pub const PRINCIPLES: [Key; 7] = [
    Key::CodeProtect,
    Key::CodeConsent,
    Key::CodeTrauma,
    Key::CodeConduct,
    Key::CodeSensitive,
    Key::CodePrivacy,
    Key::CodeSafety,
];

#[component]
pub fn CodeOfPracticeScreen() -> Element {
    let (mut model, lang) = use_model();
    let services = use_context::<Services>();
    let mut accepted = use_signal(|| false);
    let mut error = use_signal(|| None::<String>);

    let submit = move |_| {
        if !accepted() {
            return;
        }
        match services.acknowledge_code_of_practice(lang) {
            Ok(()) => model.write().code_acknowledged(),
            Err(e) => error.set(Some(service_error_text(lang, &e))),
        }
    };

    rsx! {
        StepHeader { step: FirstRunStep::CodeOfPractice, title: Key::CodeTitle }
        p { class: "intro", {text(lang, Key::CodeIntro)} }
        ol { class: "principles",
            for key in PRINCIPLES {
                li { {text(lang, key)} }
            }
        }
        p { class: "source", {text(lang, Key::CodeSource)} }
        label { class: "check",
            input {
                id: "code-ack",
                r#type: "checkbox",
                checked: accepted(),
                onchange: move |e| accepted.set(e.checked()),
            }
            span { {text(lang, Key::CodeCheckbox)} }
        }
        ErrorLine { message: error() }
        div { class: "actions",
            button {
                id: "continue",
                class: "primary",
                disabled: !accepted(),
                onclick: submit,
                {text(lang, Key::CodeAccept)}
            }
        }
    }
}
