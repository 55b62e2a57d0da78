//! The identity store, withdrawal (R9), record status and the language switch.

use dioxus::prelude::*;
use fieldkit_protocols::refnum::RefNumber;
use uuid::Uuid;

use super::{use_lang, when, with_store, HomeButton, SyncNow, SyncRun};
use crate::ui::i18n::{fill, text, Key, Lang};
use crate::ui::services::Services;
use crate::ui::state::AppModel;
use crate::ui::text_field::TextField;
use crate::ui::widgets::{service_error_text, set_secret, use_secret, ErrorLine, ServiceProblem};
use crate::vault::{OutboxItem, OutboxState, PersonalDetails};

#[component]
pub(crate) fn IdentityScreen() -> Element {
    let lang = use_lang();
    let services = use_context::<Services>();
    let code = use_secret();
    // Each try at the code, and each saved or closed form, starts fresh fields.
    let mut tries = use_signal(|| 0u32);
    let mut forms = use_signal(|| 0u32);
    let mut fields = use_signal(|| [const { String::new() }; 5]);
    let mut saved = use_signal(|| None::<String>);
    let mut error = use_signal(|| None::<String>);
    let mut refresh = use_signal(|| 0u32);
    let _ = refresh();
    let open = services.fieldwork().is_some_and(|s| s.identity_open());

    let (s_open, s_save, s_close) = (services.clone(), services.clone(), services);
    rsx! {
        h1 { {text(lang, Key::FwIdentityTitle)} }
        p { class: "intro", {text(lang, Key::FwIdentityIntro)} }
        if !open {
            label { r#for: "supervisor-code", {text(lang, Key::FwSupervisorCode)} }
            TextField { id: "supervisor-code", generation: tries().to_string(), r#type: "password", autocomplete: "off", on_text: move |t| set_secret(code, t) }
            ErrorLine { message: error() }
            div { class: "actions",
                HomeButton {}
                button {
                    id: "open-identity-store",
                    class: "primary",
                    onclick: move |_| {
                        let result = with_store(&s_open, |s| s.open_identity(&code.read()));
                        set_secret(code, String::new());
                        tries += 1;
                        match result {
                            Ok(()) => { error.set(None); refresh += 1; }
                            Err(e) => error.set(Some(service_error_text(lang, &e))),
                        }
                    },
                    {text(lang, Key::FwOpen)}
                }
            }
        } else {
            for (i, (id, key)) in [("name", Key::FwName), ("nickname", Key::FwNickname), ("contact", Key::FwContact), ("place", Key::FwPlace), ("notes", Key::FwIdentityNotes)].into_iter().enumerate() {
                label { r#for: "person-{id}", {text(lang, key)} }
                TextField {
                    id: "person-{id}",
                    generation: forms().to_string(),
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
                                forms += 1;
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
                        forms += 1;
                        saved.set(None);
                        refresh += 1;
                    },
                    {text(lang, Key::FwClose)}
                }
                HomeButton {}
            }
        }
    }
}

/// A respondent withdraws (R9): confirm the reference number, then delete.
#[component]
pub(crate) fn WithdrawScreen(code: String) -> Element {
    let lang = use_lang();
    let services = use_context::<Services>();
    let mut typed = use_signal(|| code.clone());
    let mut confirming = use_signal(|| None::<RefNumber>);
    let mut outcome = use_signal(|| None::<Result<String, String>>);
    rsx! {
        h1 { {text(lang, Key::FwWithdrawTitle)} }
        p { class: "intro", {text(lang, Key::FwWithdrawIntro)} }
        label { r#for: "withdraw-ref", {text(lang, Key::FwRefLabel)} }
        TextField {
            id: "withdraw-ref",
            initial: code,
            r#type: "text",
            class: "code",
            on_text: move |t| { typed.set(t); confirming.set(None); },
        }
        match confirming() {
            None => rsx! {
                div { class: "actions",
                    HomeButton {}
                    button {
                        id: "withdraw-check",
                        class: "danger",
                        onclick: move |_| match RefNumber::parse(&typed.read()) {
                            Ok(r) => { outcome.set(None); confirming.set(Some(r)); }
                            Err(e) => outcome.set(Some(Err(fill(lang, Key::FwBadRef, &[("detail", &e.to_string())])))),
                        },
                        {text(lang, Key::FwWithdraw)}
                    }
                }
            },
            Some(reference) => rsx! {
                div { class: "actions",
                    button { id: "withdraw-cancel", class: "secondary", onclick: move |_| confirming.set(None), {text(lang, Key::FwCancel)} }
                    button {
                        id: "withdraw-confirm",
                        class: "danger",
                        onclick: move |_| {
                            confirming.set(None);
                            let result = with_store(&services, |s| s.withdraw(&reference));
                            outcome.set(Some(match result {
                                Ok(r) => Ok(fill(lang, Key::FwWithdrawDone, &[
                                    ("sessions", &r.sessions_deleted.to_string()),
                                    ("unsent", &r.unsent_deleted.to_string()),
                                    ("tombstones", &r.tombstones_queued.to_string()),
                                ])),
                                Err(e) => Err(service_error_text(lang, &e)),
                            }));
                        },
                        {fill(lang, Key::FwWithdrawConfirm, &[("code", &reference.to_string())])}
                    }
                }
            },
        }
        match outcome() {
            Some(Ok(done)) => rsx! { p { id: "withdrawn", class: "ok", role: "status", "{done}" } },
            Some(Err(e)) => rsx! { ErrorLine { message: Some(e) } },
            None => rsx! {},
        }
    }
}

/// Every record in the outbox with its state, and the rule id of a rejection.
#[component]
pub(crate) fn SyncScreen() -> Element {
    let lang = use_lang();
    let services = use_context::<Services>();
    let run = use_context::<Signal<SyncRun>>().read().clone();
    let sync_now = use_context::<SyncNow>().0;
    let status = run.describe(lang).map(|line| {
        rsx! { p { id: "sync-run", class: run.class(), role: "status", "{line}" } }
    });
    let sync_button = rsx! {
        button { id: "sync-now", class: "primary", disabled: run.is_running(), onclick: move |_| sync_now.call(()),
            {text(lang, Key::FwSyncNow)}
        }
    };
    let entries = match with_store(&services, |s| s.outbox()) {
        Ok(e) => e,
        Err(e) => {
            return rsx! {
                h1 { {text(lang, Key::FwSyncTitle)} }
                {status}
                ServiceProblem { error: e }
                div { class: "actions", HomeButton {} }
            }
        }
    };
    let last_sync = with_store(&services, |s| Ok(s.last_sync())).ok().flatten();
    rsx! {
        h1 { {text(lang, Key::FwSyncTitle)} }
        p { class: "muted", {text(lang, Key::FwOffline)} }
        p { id: "last-sync", class: "muted", {fill(lang, Key::FwLastSync, &[("when", &when(lang, last_sync))])} }
        {status}
        div { class: "actions", {sync_button} }
        if entries.is_empty() {
            p { class: "muted", {text(lang, Key::FwNoRecords)} }
        }
        ul { class: "records",
            for entry in entries {
                {
                    let state = match &entry.state {
                        OutboxState::Pending => text(lang, Key::FwStatePending).to_owned(),
                        OutboxState::Sent => text(lang, Key::FwStateSent).to_owned(),
                        OutboxState::Acknowledged => text(lang, Key::FwStateAcknowledged).to_owned(),
                        OutboxState::Rejected { reason, rule } => fill(lang, Key::FwStateRejected, &[
                            ("rule", &rule.map_or_else(|| "-".to_owned(), |r| r.to_string())),
                            ("reason", reason),
                        ]),
                    };
                    let state_class = match entry.state {
                        OutboxState::Rejected { .. } => "state rejected",
                        OutboxState::Acknowledged => "state ok",
                        _ => "state",
                    };
                    let what = match &entry.item {
                        Some(OutboxItem::Tombstone(_)) => text(lang, Key::FwDeletionRequest).to_owned(),
                        Some(OutboxItem::Record(r)) => r.protocol_id.clone(),
                        None => String::new(),
                    };
                    rsx! {
                        li { id: "record-{entry.record_id}",
                            span { class: "ref", {entry.respondent.clone().unwrap_or_default()} }
                            " {what}"
                            p { class: state_class, "{state}" }
                        }
                    }
                }
            }
        }
        div { class: "actions", HomeButton {} }
    }
}

/// Every language the app ships, each in its own name.
#[component]
pub(crate) fn LanguageSwitch() -> Element {
    let mut model = use_context::<Signal<AppModel>>();
    let services = use_context::<Services>();
    let lang = use_lang();
    rsx! {
        h1 { {text(lang, Key::FwLanguage)} }
        div { class: "choices", role: "radiogroup",
            for choice in Lang::ALL {
                button {
                    id: "switch-{choice.code()}",
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
        div { class: "actions", HomeButton {} }
    }
}
