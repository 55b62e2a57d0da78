//! The identity store's screens (R21): the supervisor sets the code, a
//! deliberate second-person step; the supervisor's code opens the store; an
//! open store takes a person's details under a new reference number.
//!
//! Typed codes and names are `TextField`s: the field owns its text, the
//! screen only reads it on input (so no keystroke is ever overwritten), and
//! a field is emptied by mounting a fresh one.

use dioxus::prelude::*;
use fieldkit_protocols::refnum::RefNumber;
use uuid::Uuid;

use super::{use_lang, with_store, HomeButton};
use crate::ui::i18n::{fill, text, Key};
use crate::ui::screens::StrengthMeter;
use crate::ui::services::Services;
use crate::ui::strength::assess;
use crate::ui::text_field::TextField;
use crate::ui::widgets::{service_error_text, set_secret, use_secret, ErrorLine};
use crate::vault::{supervisor_code_acceptable, IdentityState, PersonalDetails};

#[component]
pub(crate) fn IdentityScreen() -> Element {
    let lang = use_lang();
    let services = use_context::<Services>();
    let mut setting_up = use_signal(|| false);
    let mut just_set = use_signal(|| false);
    // Kept here, not in the form: "the store was erased" must outlive it.
    let error = use_signal(|| None::<String>);
    let refresh = use_signal(|| 0u32);
    let _ = refresh();
    let open = services.fieldwork().is_some_and(|s| s.identity_open());
    let state = with_store(&services, |s| s.identity_state());

    let body = match (open, state) {
        (true, _) => rsx! { OpenStore { refresh } },
        (false, Err(e)) => rsx! {
            ErrorLine { message: Some(service_error_text(lang, &e)) }
            div { class: "actions", HomeButton {} }
        },
        (false, Ok(IdentityState::NotSetUp)) if setting_up() => rsx! {
            SetCode {
                done: move |()| {
                    setting_up.set(false);
                    just_set.set(true);
                },
            }
        },
        (false, Ok(IdentityState::NotSetUp)) => rsx! {
            p { id: "identity-not-set-up", class: "notice", {text(lang, Key::FwIdentityNotSetUp)} }
            div { class: "actions",
                HomeButton {}
                button {
                    id: "identity-setup",
                    class: "primary",
                    onclick: move |_| setting_up.set(true),
                    {text(lang, Key::FwIdentitySetUp)}
                }
            }
        },
        (false, Ok(IdentityState::Closed { set_by, set_on, .. })) => rsx! {
            if just_set() {
                p { id: "code-set", class: "ok", role: "status", {text(lang, Key::FwCodeSet)} }
            }
            p { id: "code-set-by", class: "muted", {fill(lang, Key::FwCodeSetBy, &[("name", &set_by), ("date", &set_on)])} }
            OpenForm { refresh, error, on_open: move |()| just_set.set(false) }
        },
    };
    rsx! {
        h1 { {text(lang, Key::FwIdentityTitle)} }
        p { class: "intro", {text(lang, Key::FwIdentityIntro)} }
        if !open {
            ErrorLine { message: error() }
        }
        {body}
    }
}

/// The supervisor's code, typed into a fresh field after every attempt.
#[component]
fn OpenForm(
    refresh: Signal<u32>,
    mut error: Signal<Option<String>>,
    on_open: EventHandler<()>,
) -> Element {
    let lang = use_lang();
    let services = use_context::<Services>();
    let code = use_secret();
    let mut attempt = use_signal(|| 0u32);
    rsx! {
        label { r#for: "supervisor-code", {text(lang, Key::FwSupervisorCode)} }
        TextField {
            id: "supervisor-code",
            generation: attempt().to_string(),
            r#type: "password",
            autocomplete: "off",
            on_text: move |t| set_secret(code, t),
        }
        div { class: "actions",
            HomeButton {}
            button {
                id: "open-identity-store",
                class: "primary",
                onclick: move |_| {
                    let result = with_store(&services, |s| s.open_identity(&code.read()));
                    set_secret(code, String::new());
                    attempt += 1;
                    match result {
                        Ok(()) => {
                            error.set(None);
                            on_open.call(());
                        }
                        Err(e) => error.set(Some(service_error_text(lang, &e))),
                    }
                    refresh += 1;
                },
                {text(lang, Key::FwOpen)}
            }
        }
    }
}

/// The supervisor sets the code: their name, the code twice (with the
/// strength floor), and an explicit "I am the supervisor".
#[component]
fn SetCode(done: EventHandler<()>) -> Element {
    let lang = use_lang();
    let services = use_context::<Services>();
    let mut name = use_signal(String::new);
    let code = use_secret();
    let confirm = use_secret();
    let mut attested = use_signal(|| false);
    let mut error = use_signal(|| None::<String>);

    let typed = code.read().clone();
    let numeric = !typed.is_empty() && typed.bytes().all(|b| b.is_ascii_digit());
    let strong = supervisor_code_acceptable(&typed);
    let same = *code.read() == *confirm.read();
    let ready = strong && same && attested() && !name.read().trim().is_empty();
    let assessment = assess(&typed);

    rsx! {
        h2 { {text(lang, Key::FwSetCodeTitle)} }
        p { id: "set-code-intro", class: "notice", {text(lang, Key::FwSetCodeIntro)} }
        label { r#for: "supervisor-name", {text(lang, Key::FwSupervisorName)} }
        TextField {
            id: "supervisor-name",
            r#type: "text",
            autocomplete: "off",
            on_text: move |t| name.set(t),
        }
        label { r#for: "new-code", {text(lang, Key::FwNewCode)} }
        TextField {
            id: "new-code",
            r#type: "password",
            autocomplete: "new-password",
            on_text: move |t| set_secret(code, t),
        }
        if numeric {
            p { id: "code-digits", class: if strong { "strength-level" } else { "requirement" },
                {fill(lang, Key::FwCodeDigits, &[("n", &typed.len().to_string())])}
            }
        } else {
            StrengthMeter { level: assessment.level, hints: assessment.hints, empty: typed.is_empty() }
        }
        label { r#for: "confirm-code", {text(lang, Key::FwConfirmCode)} }
        TextField {
            id: "confirm-code",
            r#type: "password",
            autocomplete: "new-password",
            on_text: move |t| set_secret(confirm, t),
        }
        if !confirm.read().is_empty() && !same {
            p { class: "error", role: "alert", {text(lang, Key::FwCodeMismatch)} }
        }
        label { class: "check",
            input {
                id: "i-am-supervisor",
                r#type: "checkbox",
                checked: attested(),
                onchange: move |e| attested.set(e.checked()),
            }
            span { {text(lang, Key::FwIAmSupervisor)} }
        }
        ErrorLine { message: error() }
        if !ready {
            p { class: "requirement", {text(lang, Key::FwCodeRequirement)} }
        }
        div { class: "actions",
            HomeButton {}
            button {
                id: "set-code",
                class: "primary",
                disabled: !ready,
                onclick: move |_| {
                    if !ready {
                        return;
                    }
                    let result = with_store(&services, |s| s.set_up_identity(&name.read(), &code.read()));
                    match result {
                        Ok(()) => {
                            set_secret(code, String::new());
                            set_secret(confirm, String::new());
                            done.call(());
                        }
                        Err(e) => error.set(Some(service_error_text(lang, &e))),
                    }
                },
                {text(lang, Key::FwSetCode)}
            }
        }
    }
}

/// The open store: one person's details, saved under a new reference number.
#[component]
fn OpenStore(refresh: Signal<u32>) -> Element {
    let lang = use_lang();
    let services = use_context::<Services>();
    let mut fields = use_signal(|| [const { String::new() }; 5]);
    let mut saved = use_signal(|| None::<String>);
    let mut error = use_signal(|| None::<String>);
    // A new form (fresh, empty fields) after each save.
    let mut form = use_signal(|| 0u32);
    let (s_save, s_close) = (services.clone(), services);
    rsx! {
        for (i, (id, key)) in [("name", Key::FwName), ("nickname", Key::FwNickname), ("contact", Key::FwContact), ("place", Key::FwPlace), ("notes", Key::FwIdentityNotes)].into_iter().enumerate() {
            label { r#for: "person-{id}", {text(lang, key)} }
            TextField {
                id: "person-{id}",
                generation: form().to_string(),
                r#type: "text",
                autocomplete: "off",
                on_text: move |t| fields.write()[i] = t,
            }
        }
        if let Some(code) = saved() {
            p { id: "saved-as", class: "ok", role: "status", {fill(lang, Key::FwSavedAs, &[("code", &code)])} }
        }
        ErrorLine { message: error() }
        div { class: "actions",
            button {
                id: "save-identity",
                class: "primary",
                onclick: move |_| {
                    let reference = RefNumber::from_uuid(Uuid::new_v4());
                    let [name, nickname, contact, place, notes] = fields.read().clone();
                    let details = PersonalDetails { name, nickname, contact, place, notes };
                    match with_store(&s_save, |s| s.put_identity(&reference, &details)) {
                        Ok(()) => {
                            fields.set([const { String::new() }; 5]);
                            form += 1;
                            saved.set(Some(reference.to_string()));
                        }
                        Err(e) => error.set(Some(service_error_text(lang, &e))),
                    }
                },
                {text(lang, Key::FwSaveIdentity)}
            }
            button {
                id: "close-identity",
                class: "secondary",
                onclick: move |_| {
                    if let Some(s) = s_close.fieldwork() { s.close_identity(); }
                    fields.set([const { String::new() }; 5]);
                    saved.set(None);
                    refresh += 1;
                },
                {text(lang, Key::FwClose)}
            }
            HomeButton {}
        }
    }
}
