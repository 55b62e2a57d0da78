//! Withdrawal (R9), record status and the language switch.

use dioxus::prelude::*;
use fieldkit_protocols::refnum::RefNumber;

use super::{use_lang, when, with_store, HomeButton, SyncNow, SyncRun};
use crate::ui::i18n::{fill, text, Key, Lang};
use crate::ui::services::Services;
use crate::ui::state::AppModel;
use crate::ui::text_field::TextField;
use crate::ui::widgets::{service_error_text, ErrorLine, ServiceProblem};
use crate::vault::{IdentityDeletion, OutboxItem, OutboxState, WithdrawalReport};

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
                                Ok(r) => Ok(withdrawal_text(lang, &r)),
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

/// What a withdrawal deleted, in words: sessions, records, deletion requests
/// for the server, and the identity entry.
fn withdrawal_text(lang: Lang, report: &WithdrawalReport) -> String {
    let counts = fill(
        lang,
        Key::FwWithdrawDone,
        &[
            ("sessions", &report.sessions_deleted.to_string()),
            ("records", &report.records_deleted.to_string()),
            ("tombstones", &report.tombstones_queued.to_string()),
        ],
    );
    let identity = text(
        lang,
        match report.identity {
            IdentityDeletion::Deleted => Key::FwWithdrawIdentityDeleted,
            IdentityDeletion::NoneStored => Key::FwWithdrawIdentityNone,
            IdentityDeletion::NoStore => Key::FwWithdrawNoIdentityStore,
        },
    );
    format!("{counts} {identity}")
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
                // The vault is lent to a running sync: its progress still shows.
                MediaBar { run }
                ServiceProblem { error: e }
                div { class: "actions", HomeButton {} }
            };
        }
    };
    let last_sync = with_store(&services, |s| Ok(s.last_sync())).ok().flatten();
    rsx! {
        h1 { {text(lang, Key::FwSyncTitle)} }
        p { class: "muted", {text(lang, Key::FwOffline)} }
        p { id: "last-sync", class: "muted", {fill(lang, Key::FwLastSync, &[("when", &when(lang, last_sync))])} }
        {status}
        MediaBar { run }
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

/// While the protocols' pictures and sounds arrive: a bar of their bytes.
#[component]
pub(crate) fn MediaBar(run: SyncRun) -> Element {
    let lang = use_lang();
    let Some(p) = run.media() else {
        return rsx! {};
    };
    let (done, total) = (p.bytes_done, p.bytes_total.max(1));
    rsx! {
        progress {
            id: "media-progress",
            max: "{total}",
            value: "{done}",
            aria_label: text(lang, Key::FwMediaProgress),
        }
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
