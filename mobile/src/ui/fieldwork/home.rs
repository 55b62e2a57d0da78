//! Home: protocols to start, drafts to resume, respondents, sync status; and
//! the form that starts a session.

use std::collections::BTreeSet;
use std::sync::Arc;

use dioxus::prelude::*;
use fieldkit_protocols::engine::SessionKind;
use fieldkit_protocols::model::{Method, Protocol};
use fieldkit_protocols::refnum::RefNumber;
use time::OffsetDateTime;
use uuid::Uuid;

use super::model::{Interview, StartForm};
use super::{
    action_error_text, use_lang, use_route, with_store, HomeButton, Route, SyncNow, SyncRun,
    SyncSummary,
};
use crate::ui::i18n::{fill, text, Key};
use crate::ui::services::Services;
use crate::ui::text_field::TextField;
use crate::ui::widgets::{ErrorLine, ServiceProblem};
use crate::vault::SessionStatus;

#[component]
pub(crate) fn HomeScreen() -> Element {
    let lang = use_lang();
    let mut route = use_route();
    let mut current = use_context::<Signal<Option<Interview>>>();
    let services = use_context::<Services>();
    let mut error = use_signal(|| None::<String>);
    // Read first, so this screen redraws when a sync moves on or ends.
    let run = use_context::<Signal<SyncRun>>().read().clone();
    let sync_now = use_context::<SyncNow>().0;

    let loaded = with_store(&services, |s| {
        Ok((
            s.protocols(),
            s.sessions()?,
            s.outbox()?,
            s.last_sync(),
            s.clock_check(),
            s.waiting_for_media(),
        ))
    });
    let (protocols, sessions, outbox, last_sync, clock, waiting) = match loaded {
        Ok(data) => data,
        Err(e) => {
            return rsx! {
                h1 { {text(lang, Key::FwHomeTitle)} }
                if let Some(line) = run.describe(lang) {
                    p { id: "sync-run", class: run.class(), role: "status", "{line}" }
                }
                // The vault is lent to a running sync: its progress still shows.
                super::records::MediaBar { run }
                ServiceProblem { error: e }
            };
        }
    };
    let drafts: Vec<_> = sessions
        .iter()
        .filter(|s| s.status == SessionStatus::InProgress)
        .cloned()
        .collect();
    let respondents: BTreeSet<String> = sessions
        .iter()
        .map(|s| s.respondent.clone())
        .chain(outbox.iter().filter_map(|e| e.respondent.clone()))
        .filter(|r| RefNumber::parse(r).is_ok())
        .collect();
    let sync = SyncSummary::of(&outbox, last_sync);
    let when = super::when(lang, sync.last_sync);

    let counts = fill(
        lang,
        Key::FwSyncCounts,
        &[
            ("pending", &sync.pending.to_string()),
            ("sent", &sync.sent.to_string()),
            ("acknowledged", &sync.acknowledged.to_string()),
            ("rejected", &sync.rejected.to_string()),
        ],
    );
    let done = sync.acknowledged;
    let total = sync.total().max(1);

    let clock_warning = clock
        .filter(|c| c.is_off())
        .map(|c| clock_warning(lang, &c));

    rsx! {
        h1 { {text(lang, Key::FwHomeTitle)} }
        // Before anything else: a wrong clock misdates every session.
        if let Some(warning) = clock_warning {
            section { id: "clock-warning", class: "card warning", role: "alert",
                h2 { {text(lang, Key::FwClockTitle)} }
                p { "{warning}" }
            }
        }
        super::feedback::FeedbackCard {}
        p { id: "offline", class: "offline-note", role: "status", {text(lang, Key::FwOffline)} }
        section { class: "card", id: "sync-card",
            h2 { {text(lang, Key::FwSyncStatus)} }
            progress { max: "{total}", value: "{done}", aria_label: text(lang, Key::FwSyncStatus) }
            p { {counts} }
            p { class: "muted", {fill(lang, Key::FwLastSync, &[("when", &when)])} }
            if let Some(line) = run.describe(lang) {
                p { id: "sync-run", class: run.class(), role: "status", "{line}" }
            }
            super::records::MediaBar { run: run.clone() }
            div { class: "actions",
                button { id: "open-sync", class: "secondary", onclick: move |_| route.set(Route::Sync),
                    {text(lang, Key::FwOpenSync)}
                }
                button { id: "home-sync-now", class: "primary", disabled: run.is_running(), onclick: move |_| sync_now.call(()),
                    {text(lang, Key::FwSyncNow)}
                }
            }
        }
        h2 { {text(lang, Key::FwProtocols)} }
        if protocols.is_empty() {
            p { id: "no-protocols", class: "muted", {text(lang, Key::FwNoProtocols)} }
        }
        div { class: "list",
            for protocol in protocols {
                button {
                    id: "start-{protocol.id}",
                    class: "list-item",
                    onclick: move |_| route.set(Route::Start(protocol.clone())),
                    {protocol.title.show(lang.code()).to_owned()}
                }
            }
        }
        // Pinned but not offered: a card question must never show an empty
        // frame, so say why instead of leaving the protocol out silently.
        for wait in waiting {
            section { id: "waiting-{wait.protocol.id}", class: "card", role: "status",
                h2 { {text(lang, Key::FwMediaWaitingTitle)} }
                p {
                    {fill(lang, Key::FwMediaWaiting, &[
                        ("protocol", wait.protocol.title.show(lang.code())),
                        ("have", &wait.have.to_string()),
                        ("total", &wait.total.to_string()),
                    ])}
                }
            }
        }
        h2 { {text(lang, Key::FwDrafts)} }
        if drafts.is_empty() {
            p { class: "muted", {text(lang, Key::FwNoDrafts)} }
        }
        div { class: "list",
            for draft in drafts {
                button {
                    id: "resume-{draft.id}",
                    class: "list-item",
                    onclick: {
                        let services = services.clone();
                        move |_| {
                            match resume(&services, &draft) {
                                Ok(interview) => {
                                    current.set(Some(interview));
                                    route.set(Route::Interview);
                                }
                                Err(message) => error.set(Some(message)),
                            }
                        }
                    },
                    span { class: "ref", "{draft.respondent}" }
                    " · {draft.protocol_id} · "
                    {text(lang, Key::FwResume)}
                }
            }
        }
        ErrorLine { message: error() }
        h2 { {text(lang, Key::FwRespondents)} }
        if respondents.is_empty() {
            p { class: "muted", {text(lang, Key::FwNoRespondents)} }
        }
        ul { class: "respondents",
            for code in respondents {
                li {
                    span { class: "ref", "{code}" }
                    button {
                        id: "withdraw-{code}",
                        class: "secondary small",
                        onclick: move |_| route.set(Route::Withdraw(code.clone())),
                        {text(lang, Key::FwWithdraw)}
                    }
                }
            }
        }
        div { class: "actions",
            button { id: "open-identity", class: "secondary", onclick: move |_| route.set(Route::Identity),
                {text(lang, Key::FwIdentityStore)}
            }
            button { id: "open-withdraw", class: "secondary", onclick: move |_| route.set(Route::Withdraw(String::new())),
                {text(lang, Key::FwWithdraw)}
            }
            button { id: "open-language", class: "secondary", onclick: move |_| route.set(Route::Language),
                {text(lang, Key::FwLanguage)}
            }
        }
    }
}

/// What the home screen says when the phone's clock is off (issue 14).
fn clock_warning(lang: crate::ui::i18n::Lang, check: &crate::sync::ClockCheck) -> String {
    let off = check.phone_ahead_by();
    // The largest unit it reaches, rounded: 2 days 23 hours is 3 days.
    let seconds = off.whole_seconds().unsigned_abs();
    let amount = match seconds {
        86_400.. => match (seconds + 43_200) / 86_400 {
            1 => text(lang, Key::FwOneDay).to_owned(),
            days => fill(lang, Key::FwDays, &[("n", &days.to_string())]),
        },
        3_600.. => match (seconds + 1_800) / 3_600 {
            1 => text(lang, Key::FwOneHour).to_owned(),
            hours => fill(lang, Key::FwHours, &[("n", &hours.to_string())]),
        },
        _ => fill(
            lang,
            Key::FwMinutes,
            &[("n", &((seconds + 30) / 60).to_string())],
        ),
    };
    let key = if off.is_positive() {
        Key::FwClockAhead
    } else {
        Key::FwClockBehind
    };
    let when = super::when(lang, Some(check.server));
    fill(lang, key, &[("amount", &amount), ("when", &when)])
}

fn resume(services: &Services, draft: &crate::vault::SessionSummary) -> Result<Interview, String> {
    let store = services.fieldwork().ok_or("no vault")?;
    let protocol = store
        .protocols()
        .into_iter()
        .find(|p| p.id == draft.protocol_id && p.version == draft.protocol_version)
        .ok_or_else(|| {
            format!(
                "protocol {} version {} is not on this phone",
                draft.protocol_id, draft.protocol_version
            )
        })?;
    let events = store.session_events(draft.id).map_err(|e| e.to_string())?;
    Interview::resume(protocol, draft.id, events, store.researcher_name())
        .map_err(|e| format!("{e:?}"))
}

/// Who and in which language, then `SessionStarted`.
#[component]
pub(crate) fn StartScreen(protocol: Arc<Protocol>) -> Element {
    let lang = use_lang();
    let mut route = use_route();
    let mut current = use_context::<Signal<Option<Interview>>>();
    let services = use_context::<Services>();
    let observing = protocol.method == Method::DirectObservation;
    let fresh = use_hook(|| RefNumber::from_uuid(Uuid::new_v4()).to_string());
    let mut reference = use_signal(|| fresh.clone());
    let mut age = use_signal(String::new);
    let default_language = if protocol.languages.iter().any(|l| l == lang.code()) {
        lang.code().to_owned()
    } else {
        protocol.default_language().to_owned()
    };
    let mut language = use_signal(|| default_language);
    let first_site = protocol
        .observation
        .as_ref()
        .and_then(|o| o.site_types.first())
        .map(|s| s.id.clone());
    let mut site = use_signal(|| first_site);
    let mut error = use_signal(|| None::<String>);
    // Validation sessions show a pinned findings pack: the newest by default.
    let validating = protocol.method == Method::Validation;
    let packs = use_hook(|| {
        services
            .fieldwork()
            .filter(|_| validating)
            .map(|s| s.findings_packs())
            .unwrap_or_default()
    });
    let mut pack = use_signal(|| packs.last().map(|(h, _)| h.clone()));

    let begin = {
        let protocol = protocol.clone();
        move |_| {
            let respondent = match RefNumber::parse(&reference.read()) {
                Ok(r) => r,
                Err(e) => {
                    error.set(Some(fill(
                        lang,
                        Key::FwBadRef,
                        &[("detail", &e.to_string())],
                    )));
                    return;
                }
            };
            let age_text = age.read().trim().to_owned();
            let respondent_age = if age_text.is_empty() {
                None
            } else if let Ok(n) = age_text.parse() {
                Some(n)
            } else {
                error.set(Some(text(lang, Key::FwBadAge).to_owned()));
                return;
            };
            let Some(store) = services.fieldwork() else {
                return;
            };
            if validating && pack.read().is_none() {
                error.set(Some(text(lang, Key::VdNoPack).to_owned()));
                return;
            }
            let form = StartForm {
                respondent,
                respondent_age,
                language: language.read().clone(),
                interviewer: store.researcher_name(),
                interviewer_languages: vec![lang.code().to_owned(), language.read().clone()],
                kind: SessionKind::Full,
                site_type: site.read().clone().filter(|_| observing),
                findings_pack: pack.read().clone().filter(|_| validating),
            };
            let started = Interview::start(
                protocol.clone(),
                form,
                OffsetDateTime::now_utc(),
                |id, e| store.append_event(id, e),
            );
            match started {
                Ok(interview) => {
                    current.set(Some(interview));
                    route.set(Route::Interview);
                }
                Err(e) => error.set(Some(action_error_text(lang, &e))),
            }
        }
    };

    rsx! {
        p { class: "step", {protocol.title.show(lang.code()).to_owned()} }
        h1 { {text(lang, Key::FwStartTitle)} }
        label { r#for: "reference", {text(lang, Key::FwRefLabel)} }
        TextField {
            id: "reference",
            initial: fresh,
            r#type: "text",
            class: "code",
            autocomplete: "off",
            on_text: move |t| reference.set(t),
        }
        p { class: "muted", {text(lang, Key::FwRefHelp)} }
        if !observing {
            label { r#for: "age", {text(lang, Key::FwAgeLabel)} }
            TextField {
                id: "age",
                r#type: "text",
                inputmode: "numeric",
                on_text: move |t| age.set(t),
            }
        }
        if let Some(obs) = protocol.observation.clone() {
            label { r#for: "site", {text(lang, Key::FwSiteLabel)} }
            select {
                id: "site",
                onchange: move |e| site.set(Some(e.value())),
                for s in obs.site_types {
                    option { value: "{s.id}", selected: site.read().as_deref() == Some(s.id.as_str()),
                        {s.label.show(lang.code()).to_owned()}
                    }
                }
            }
        }
        if validating {
            p { class: "label", {text(lang, Key::VdPackLabel)} }
            if packs.is_empty() {
                p { id: "no-pack", class: "caveat", {text(lang, Key::VdNoPack)} }
            }
            div { class: "choices", role: "radiogroup",
                for (i, (hash, found)) in packs.iter().cloned().enumerate() {
                    button {
                        id: "pack-{i}",
                        class: "choice",
                        role: "radio",
                        aria_checked: if pack.read().as_ref() == Some(&hash) { "true" } else { "false" },
                        onclick: move |_| pack.set(Some(hash.clone())),
                        {fill(lang, Key::VdPackChoice, &[
                            ("site", &found.site),
                            ("date", &found.published_at.date().to_string()),
                            ("findings", &found.findings.len().to_string()),
                        ])}
                    }
                }
            }
        }
        p { class: "label", {text(lang, Key::FwSessionLanguage)} }
        div { class: "choices row", role: "radiogroup",
            for code in protocol.languages.clone() {
                button {
                    id: "session-lang-{code}",
                    class: "choice",
                    role: "radio",
                    aria_checked: if *language.read() == code { "true" } else { "false" },
                    onclick: move |_| language.set(code.clone()),
                    "{code}"
                }
            }
        }
        ErrorLine { message: error() }
        div { class: "actions",
            HomeButton {}
            button { id: "begin", class: "primary", onclick: begin, {text(lang, Key::FwBegin)} }
        }
    }
}
