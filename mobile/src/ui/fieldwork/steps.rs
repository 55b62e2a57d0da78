//! One panel per engine [`Step`]. Protocol texts in the session language,
//! the app's own words in the app language.

use dioxus::prelude::*;
use fieldkit_protocols::engine::{Consenter, Decision, Status, Step};

use super::answer::QuestionPanel;
use super::media::{data_url, AudioPrompt};
use super::model::{Action, Interview};
use super::observation::ObservationPanel;
use super::{use_lang, HomeButton};
use crate::ui::i18n::{fill, text, Key};
use crate::ui::text_field::TextField;
use crate::ui::widgets::ErrorLine;

#[component]
pub(crate) fn StepView(act: Callback<Action>, queued: Option<Result<(), String>>) -> Element {
    let lang = use_lang();
    let current = use_context::<Signal<Option<Interview>>>();
    let services = use_context::<crate::ui::services::Services>();
    let mut sensitive_intro_seen = use_signal(|| false);
    let guard = current.read();
    let Some(interview) = guard.as_ref() else {
        return rsx! {};
    };
    let sl = interview.language().to_owned();
    let p = interview.protocol();
    let step = match interview.step() {
        Step::SensitiveSection { first_question_id } if sensitive_intro_seen() => Step::Question {
            question_id: first_question_id,
        },
        step => step,
    };
    let queued_line = match &queued {
        Some(Ok(())) => {
            rsx! { p { id: "queued", class: "ok", role: "status", {text(lang, Key::FwQueued)} } }
        }
        Some(Err(e)) => rsx! { ErrorLine { message: Some(e.clone()) } },
        None => rsx! {},
    };

    match step {
        Step::Introduction => rsx! {
            h1 { {text(lang, Key::FwIntroTitle)} }
            blockquote { id: "script", lang: "{sl}", {interview.introduction()} }
            if let Some(audio) = &p.introduction.audio {
                AudioPrompt { id: "intro-audio", url: data_url(&services, p, audio, &sl) }
            }
            Next { id: "intro-done", label: Key::FwIntroDone, onclick: move |_| act.call(Action::IntroductionGiven) }
        },
        Step::DataUse => {
            let d = &p.data_use;
            rsx! {
                h1 { {text(lang, Key::FwDataUseTitle)} }
                if let Some(audio) = &d.audio {
                    AudioPrompt { id: "data-use-audio", url: data_url(&services, p, audio, &sl) }
                }
                div { lang: "{sl}", class: "read-aloud",
                    h2 { {text(lang, Key::FwDataPurpose)} }
                    p { {d.purpose.show(&sl).to_owned()} }
                    h2 { {text(lang, Key::FwDataWho)} }
                    p { {d.who_sees.show(&sl).to_owned()} }
                    h2 { {text(lang, Key::FwDataProtection)} }
                    p { {d.protection.show(&sl).to_owned()} }
                    h2 { {text(lang, Key::FwDataResults)} }
                    p { {d.results_return.show(&sl).to_owned()} }
                }
                Next { id: "data-use-done", label: Key::FwDataUseDone, onclick: move |_| act.call(Action::DataUseExplained) }
            }
        }
        Step::Consent { from } => {
            let rules = p.consent_rules().unwrap_or_default();
            let question = match &from {
                Consenter::Respondent | Consenter::TrustedAdult => {
                    text(lang, Key::FwConsentRespondent).to_owned()
                }
                Consenter::Guardian => text(lang, Key::FwConsentGuardian).to_owned(),
                Consenter::Participant(code) => {
                    fill(lang, Key::FwConsentParticipant, &[("code", code)])
                }
                Consenter::ParticipantGuardian(code) => {
                    fill(lang, Key::FwConsentParticipantGuardian, &[("code", code)])
                }
            };
            let trusted = from == Consenter::Guardian && rules.trusted_adult_may_stand_in;
            rsx! {
                for question in [question] {
                    ConsentPanel { key: "{question}", from: from.clone(), question, audio_allowed: rules.audio_recording, trusted, act }
                }
            }
        }
        Step::Roster => {
            let group = p
                .focus_group
                .clone()
                .unwrap_or(fieldkit_protocols::model::FocusGroup {
                    min_participants: 1,
                    max_participants: 1,
                    code_prefix: "P".into(),
                });
            rsx! {
                RosterPanel {
                    taking_part: interview.session().taking_part(),
                    min: group.min_participants,
                    max: group.max_participants,
                    next_code: interview.next_participant_code(),
                    codes: interview.session().roster().iter().map(|p| p.code.clone()).collect::<Vec<_>>(),
                    act,
                }
            }
        }
        Step::Screening { item_id } => {
            let items = p
                .screening
                .as_ref()
                .map(|s| s.items.clone())
                .unwrap_or_default();
            let n = items.iter().position(|i| i.id == item_id).unwrap_or(0) + 1;
            let item_text = items
                .get(n - 1)
                .map(|i| i.text.show(&sl).to_owned())
                .unwrap_or_default();
            let (yes_id, no_id) = (item_id.clone(), item_id);
            let again = interview.session().screening_reopened();
            rsx! {
                p { class: "step", {fill(lang, Key::FwScreeningTitle, &[("n", &n.to_string()), ("total", &items.len().to_string())])} }
                if again {
                    p { id: "screening-again", class: "warning", {text(lang, Key::FwScreeningAgain)} }
                }
                h1 { lang: "{sl}", {item_text} }
                div { class: "actions",
                    button { id: "screen-yes", class: "danger", onclick: move |_| act.call(Action::Screen { item_id: yes_id.clone(), positive: true }), {text(lang, Key::FwYes)} }
                    button { id: "screen-no", class: "primary", onclick: move |_| act.call(Action::Screen { item_id: no_id.clone(), positive: false }), {text(lang, Key::FwNo)} }
                }
            }
        }
        // A one-item keyed list: Dioxus honours keys only in lists, and a new
        // key must remount the panel so no typed answer carries over.
        Step::Question { question_id } => rsx! {
            for id in [question_id] {
                QuestionPanel { key: "{id}", question_id: id, act }
            }
        },
        Step::RapportCheckpoint => rsx! {
            h1 { {text(lang, Key::FwRapportTitle)} }
            if interview.session().rapport_lapsed() {
                p { id: "rapport-again", class: "warning", {text(lang, Key::FwRapportAgain)} }
            }
            p { class: "intro", {text(lang, Key::FwRapportBody)} }
            Next { id: "rapport-confirm", label: Key::FwRapportConfirm, onclick: move |_| act.call(Action::RapportConfirmed) }
        },
        Step::SensitiveSection { .. } => rsx! {
            h1 { {text(lang, Key::FwSensitiveTitle)} }
            p { class: "intro", {text(lang, Key::FwSensitiveBody)} }
            div { class: "actions",
                button { id: "skip-section", class: "secondary", onclick: move |_| act.call(Action::SkipSensitiveSection), {text(lang, Key::FwSkipSection)} }
                button { id: "enter-section", class: "primary", onclick: move |_| sensitive_intro_seen.set(true), {text(lang, Key::Continue)} }
            }
        },
        Step::Observation => rsx! { ObservationPanel { act } },
        Step::Closing => rsx! {
            h1 { {text(lang, Key::FwClosingTitle)} }
            blockquote { id: "closing", lang: "{sl}", {interview.show(&p.closing)} }
            Next { id: "finish", label: Key::FwFinish, onclick: move |_| act.call(Action::Complete) }
        },
        Step::Referral => {
            let referral = p
                .referral
                .clone()
                .unwrap_or(fieldkit_protocols::model::Referral {
                    pathway: Default::default(),
                    contacts: Vec::new(),
                    safety_notes: Default::default(),
                });
            let demo = p.demo;
            rsx! {
                h1 { class: "danger-title", {text(lang, Key::FwReferralTitle)} }
                p { id: "pathway", lang: "{sl}", {referral.pathway.show(&sl).to_owned()} }
                h2 { {text(lang, Key::FwContacts)} }
                ul { class: "contacts",
                    for c in referral.contacts {
                        li {
                            span { lang: "{sl}", {c.name.show(&sl).to_owned()} }
                            // A demo contact has no number to dial.
                            if demo {
                                span { class: "phone demo", "{c.phone}" }
                            } else {
                                a { class: "phone", href: "tel:{c.phone}", "{c.phone}" }
                            }
                        }
                    }
                }
                h2 { {text(lang, Key::FwSafety)} }
                p { lang: "{sl}", {referral.safety_notes.show(&sl).to_owned()} }
                {queued_line}
                div { class: "actions", HomeButton {} }
            }
        }
        Step::Finished => {
            // A session that cannot go on (a refused consent, a group too
            // small) still has to be stopped before it is sealed.
            let in_progress = interview.session().status() == Status::InProgress;
            rsx! {
                h1 { {text(lang, Key::FwFinishedTitle)} }
                {queued_line}
                div { class: "actions",
                    if in_progress {
                        button {
                            id: "stop-ended",
                            class: "danger",
                            onclick: move |_| act.call(Action::Stop(fieldkit_protocols::engine::StopReason::Refused)),
                            {text(lang, Key::FwStop)}
                        }
                    } else {
                        HomeButton {}
                    }
                }
            }
        }
    }
}

/// One primary button in the action row.
#[component]
fn Next(id: String, label: Key, onclick: EventHandler<MouseEvent>) -> Element {
    let lang = use_lang();
    rsx! {
        div { class: "actions",
            button { id, class: "primary", onclick: move |e| onclick.call(e), {text(lang, label)} }
        }
    }
}

#[component]
fn ConsentPanel(
    from: Consenter,
    question: String,
    audio_allowed: bool,
    trusted: bool,
    act: Callback<Action>,
) -> Element {
    let lang = use_lang();
    let mut audio = use_signal(|| false);
    let decide = move |by: Consenter, decision| {
        move |_| {
            act.call(Action::Consent {
                by: by.clone(),
                decision,
                audio: audio(),
            });
        }
    };
    rsx! {
        h1 { {text(lang, Key::FwConsentTitle)} }
        p { class: "intro", id: "consent-question", {question} }
        if audio_allowed {
            label { class: "check",
                input { id: "audio", r#type: "checkbox", checked: audio(), onchange: move |e| audio.set(e.checked()) }
                span { {text(lang, Key::FwAudio)} }
            }
        }
        div { class: "actions",
            button { id: "consent-no", class: "secondary", onclick: decide(from.clone(), Decision::Refused), {text(lang, Key::FwRefuses)} }
            button { id: "consent-yes", class: "primary", onclick: decide(from, Decision::Given), {text(lang, Key::FwAgrees)} }
        }
        if trusted {
            button { id: "consent-trusted", class: "secondary wide", onclick: decide(Consenter::TrustedAdult, Decision::Given), {text(lang, Key::FwTrustedAdult)} }
        }
    }
}

#[component]
fn RosterPanel(
    taking_part: usize,
    min: u8,
    max: u8,
    next_code: String,
    codes: Vec<String>,
    act: Callback<Action>,
) -> Element {
    let lang = use_lang();
    let mut age = use_signal(String::new);
    let count = fill(
        lang,
        Key::FwRosterCount,
        &[
            ("n", &taking_part.to_string()),
            ("min", &min.to_string()),
            ("max", &max.to_string()),
        ],
    );
    rsx! {
        h1 { {text(lang, Key::FwRosterTitle)} }
        p { id: "roster-count", {count} }
        ul { class: "roster", for code in codes { li { class: "ref", "{code}" } } }
        label { r#for: "participant-age", {text(lang, Key::FwAgeLabel)} }
        // One field per participant: the next one starts empty.
        TextField { id: "participant-age", generation: next_code.clone(), r#type: "text", inputmode: "numeric", on_text: move |t| age.set(t) }
        div { class: "actions",
            button {
                id: "add-participant",
                class: "primary",
                onclick: move |_| {
                    let parsed = age.read().trim().parse().ok();
                    age.set(String::new());
                    act.call(Action::AddParticipant { age: parsed });
                },
                {fill(lang, Key::FwAddParticipant, &[("code", &next_code)])}
            }
        }
    }
}
