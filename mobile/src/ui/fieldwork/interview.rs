//! The interview frame: who is present and Stop on every step (R8, R18),
//! the step itself (`steps`), and sealing the record once the session ends.

use dioxus::prelude::*;
use fieldkit_protocols::engine::{OthersPresent, RefusalKind, StopReason};
use time::OffsetDateTime;

use super::model::{Action, ActionError, Interview};
use super::{action_error_text, use_lang, use_route, with_store, HomeButton, Route};
use crate::ui::i18n::{fill, text, Key};
use crate::ui::services::Services;
use crate::ui::widgets::{service_error_text, ErrorLine};

pub(crate) const PRESENT: [(OthersPresent, &str, Key); 6] = [
    (OthersPresent::None, "none", Key::FwPresentNone),
    (OthersPresent::Parent, "parent", Key::FwPresentParent),
    (OthersPresent::Employer, "employer", Key::FwPresentEmployer),
    (OthersPresent::Peer, "peer", Key::FwPresentPeer),
    (OthersPresent::Official, "official", Key::FwPresentOfficial),
    (OthersPresent::Other, "other", Key::FwPresentOther),
];

#[component]
pub(crate) fn InterviewScreen() -> Element {
    let lang = use_lang();
    let current = use_context::<Signal<Option<Interview>>>();
    let services = use_context::<Services>();
    let mut error = use_signal(|| None::<String>);
    let mut queued = use_signal(|| None::<Result<(), String>>);
    let mut stopping = use_signal(|| false);
    let mut route = use_route();

    let act = use_callback(move |action: Action| {
        let mut current = current;
        let mut guard = current.write();
        let Some(interview) = guard.as_mut() else {
            return;
        };
        // The protocol's own words for a broken constraint, in the session language.
        let constraint = match &action {
            Action::Answer { question_id, .. } | Action::Amend { question_id, .. } => interview
                .question(question_id)
                .and_then(|q| q.constraint_message.as_ref())
                .map(|m| interview.show(m)),
            _ => None,
        };
        let result = with_store(&services, |store| {
            Ok(interview.act(action, OffsetDateTime::now_utc(), |id, e| {
                store.append_event(id, e)
            }))
        });
        match result {
            Ok(Ok(())) => {
                error.set(None);
                if interview.is_over() && queued.peek().is_none() {
                    queued.set(Some(seal_and_queue(&services, interview)));
                }
            }
            Ok(Err(e)) => {
                let mut message = action_error_text(lang, &e);
                if let (ActionError::Refused(r), Some(c)) = (&e, constraint) {
                    if r.kind == RefusalKind::ConstraintFailed {
                        message = format!("{c} ({message})");
                    }
                }
                error.set(Some(message));
            }
            Err(e) => error.set(Some(service_error_text(lang, &e))),
        }
    });

    let guard = current.read();
    let Some(interview) = guard.as_ref() else {
        return rsx! { HomeButton {} };
    };
    let session_lang = interview.language().to_owned();
    let title = interview.protocol().title.show(&session_lang).to_owned();
    let reference = interview
        .respondent()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let present = interview.session().others_present();
    let over = interview.is_over();
    let observing = interview.protocol().observation.is_some();
    let demo = interview.protocol().demo;
    // A child may join a focus group late, up to the protocol's maximum;
    // the engine then asks their consent before anything else.
    let late_joiner = interview
        .protocol()
        .focus_group
        .as_ref()
        .filter(|g| interview.session().roster().len() < usize::from(g.max_participants))
        // The roster step has its own button.
        .filter(|_| interview.step() != fieldkit_protocols::engine::Step::Roster)
        .map(|_| interview.next_participant_code());

    let step = format!("{:?}", interview.step());
    rsx! {
        super::TopOfPage { at: step }
        div { class: "session-bar",
            p { class: "step", "{title} · " span { class: "ref", "{reference}" } }
            if !over {
                div { class: "session-controls",
                    if !observing {
                        label { class: "inline", r#for: "others-present", {text(lang, Key::FwOthersPresent)} }
                        select {
                            id: "others-present",
                            onchange: move |e| {
                                if let Some((p, _, _)) = PRESENT.iter().find(|(_, v, _)| *v == e.value()) {
                                    act.call(Action::OthersPresent(*p));
                                }
                            },
                            for (p, value, key) in PRESENT {
                                option { value, selected: p == present, {text(lang, key)} }
                            }
                        }
                    }
                    // Leaves the session as a draft, to resume from home.
                    button { id: "go-home-frame", class: "secondary small", onclick: move |_| route.set(Route::Home), {text(lang, Key::FwHome)} }
                    button { id: "stop", class: "danger", onclick: move |_| stopping.set(true), {text(lang, Key::FwStop)} }
                    if let Some(code) = late_joiner {
                        button {
                            id: "add-participant-bar",
                            class: "secondary small",
                            onclick: move |_| act.call(Action::AddParticipant { age: None }),
                            {fill(lang, Key::FwAddParticipant, &[("code", &code)])}
                        }
                    }
                }
            }
        }
        // A demo protocol's contacts are not real: say so on every screen.
        if demo {
            p { id: "demo-banner", class: "preview-banner", role: "status", {text(lang, Key::FwDemoBanner)} }
        }
        if present == OthersPresent::Employer && !over {
            p { id: "employer-guidance", class: "warning", role: "alert", {text(lang, Key::FwEmployerGuidance)} }
        }
        if stopping() && !over {
            section { class: "card stop-panel",
                h2 { {text(lang, Key::FwStopTitle)} }
                for (reason, id, key) in [
                    (StopReason::Withdrew, "stop-withdrew", Key::FwStopWithdrew),
                    (StopReason::Safety, "stop-safety", Key::FwStopSafety),
                    (StopReason::InterviewerEnded, "stop-ended", Key::FwStopEnded),
                ] {
                    button {
                        id,
                        class: "danger wide",
                        onclick: move |_| {
                            stopping.set(false);
                            act.call(Action::Stop(reason));
                        },
                        {text(lang, key)}
                    }
                }
                button { id: "stop-cancel", class: "secondary wide", onclick: move |_| stopping.set(false), {text(lang, Key::FwCancel)} }
            }
        }
        ErrorLine { message: error() }
        super::steps::StepView { act, queued: queued() }
    }
}

/// Anonymises with the respondent's identity strings (when the identity
/// store is open), seals, and queues the record; the raw events go.
fn seal_and_queue(services: &Services, interview: &Interview) -> Result<(), String> {
    with_store(services, |store| {
        let identity = interview
            .respondent()
            .map(|r| store.identity_strings(&r))
            .unwrap_or_default();
        let record = interview.seal(&identity, store.device_id()?);
        store.finish(interview.session_id, &record)
    })
    .map_err(|e| e.to_string())
}
