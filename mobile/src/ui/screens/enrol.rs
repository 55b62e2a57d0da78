//! First-run step 4: connect the phone to the project's server.

use dioxus::prelude::*;

use crate::ui::i18n::{text, Key};
use crate::ui::services::Services;
use crate::ui::state::{check_enrol_form, EnrolProblem, FirstRunStep};
use crate::ui::widgets::{service_error_text, use_model, ErrorLine, StepHeader};

#[component]
pub fn EnrolScreen() -> Element {
    let (mut model, lang) = use_model();
    let services = use_context::<Services>();
    let defaults = use_hook(|| services.enrol_defaults());
    let mut server = use_signal(|| defaults.server.clone());
    let mut code = use_signal(|| defaults.code.clone());
    let mut error = use_signal(|| None::<String>);

    let submit = move |_| {
        let form = match check_enrol_form(&server.read(), &code.read()) {
            Ok(form) => form,
            Err(problem) => {
                let key = match problem {
                    EnrolProblem::ServerAddress => Key::EnrolBadServer,
                    EnrolProblem::Code => Key::EnrolBadCode,
                };
                error.set(Some(text(lang, key).to_owned()));
                return;
            }
        };
        match services.enrol(&form) {
            Ok(()) => model.write().enrolled(),
            Err(e) => error.set(Some(service_error_text(lang, &e))),
        }
    };

    rsx! {
        StepHeader { step: FirstRunStep::Enrol, title: Key::EnrolTitle }
        p { class: "intro", {text(lang, Key::EnrolIntro)} }
        label { r#for: "server", {text(lang, Key::EnrolServerLabel)} }
        input {
            id: "server",
            r#type: "url",
            inputmode: "url",
            autocomplete: "off",
            spellcheck: "false",
            placeholder: "https://",
            value: "{server}",
            oninput: move |e| server.set(e.value()),
        }
        label { r#for: "code", {text(lang, Key::EnrolCodeLabel)} }
        input {
            id: "code",
            r#type: "text",
            class: "code",
            autocomplete: "one-time-code",
            autocapitalize: "characters",
            spellcheck: "false",
            value: "{code}",
            oninput: move |e| code.set(e.value()),
        }
        ErrorLine { message: error() }
        div { class: "actions",
            button { id: "continue", class: "primary", onclick: submit, {text(lang, Key::EnrolSubmit)} }
        }
    }
}
