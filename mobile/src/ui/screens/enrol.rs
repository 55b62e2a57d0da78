//! First-run step 4: connect the phone to the project's server.

use dioxus::prelude::*;

use crate::ui::i18n::{text, Key};
use crate::ui::services::Services;
use crate::ui::state::{check_enrol_form, EnrolProblem, FirstRunStep};
use crate::ui::text_field::TextField;
use crate::ui::widgets::{off_the_screen, service_error_text, use_model, ErrorLine, StepHeader};

#[component]
pub fn EnrolScreen() -> Element {
    let (mut model, lang) = use_model();
    let services = use_context::<Services>();
    let defaults = use_hook(|| services.enrol_defaults());
    let mut server = use_signal(|| defaults.server.clone());
    let mut code = use_signal(|| defaults.code.clone());
    let mut error = use_signal(|| None::<String>);
    // The call waits on the network; the screen stays alive meanwhile and
    // a second tap does not send the one-time code twice.
    let mut connecting = use_signal(|| false);

    let submit = move |_| {
        if connecting() {
            return;
        }
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
        error.set(None);
        connecting.set(true);
        let services = services.clone();
        spawn(async move {
            let outcome = off_the_screen(move || services.enrol(&form)).await;
            connecting.set(false);
            match outcome {
                Ok(()) => model.write().enrolled(),
                Err(e) => error.set(Some(service_error_text(lang, &e))),
            }
        });
    };

    rsx! {
        StepHeader { step: FirstRunStep::Enrol, title: Key::EnrolTitle }
        p { class: "intro", {text(lang, Key::EnrolIntro)} }
        label { r#for: "server", {text(lang, Key::EnrolServerLabel)} }
        TextField {
            id: "server",
            initial: defaults.server.clone(),
            r#type: "url",
            inputmode: "url",
            autocomplete: "off",
            spellcheck: false,
            placeholder: "https://",
            disabled: connecting(),
            on_text: move |t| server.set(t),
        }
        label { r#for: "code", {text(lang, Key::EnrolCodeLabel)} }
        TextField {
            id: "code",
            initial: defaults.code,
            r#type: "text",
            class: "code",
            autocomplete: "one-time-code",
            autocapitalize: "characters",
            spellcheck: false,
            disabled: connecting(),
            on_text: move |t| code.set(t),
        }
        ErrorLine { message: error() }
        if connecting() {
            p { id: "connecting", class: "intro", role: "status", {text(lang, Key::EnrolConnecting)} }
        }
        div { class: "actions",
            button {
                id: "continue",
                class: "primary",
                disabled: connecting(),
                aria_busy: connecting(),
                onclick: submit,
                {text(lang, Key::EnrolSubmit)}
            }
        }
    }
}
