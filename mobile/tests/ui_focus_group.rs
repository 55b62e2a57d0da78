//! A focus group through the real app on the real vault: participants join
//! by code, each one's guardian and the child are asked in turn, and the
//! activities (a ranking, picture-card prompts, notes) end up in the record.
//! The cards are the shipped drawings, decrypted from the vault into the
//! page as `data:` URLs; the data-use statement can be played aloud.

mod ui_harness;

use fieldkit_mobile::vault::OutboxItem;
use fieldkit_protocols::engine::EventKind;
use fieldkit_protocols::Value;
use ui_harness::phone;

#[test]
fn a_focus_group_runs_with_roster_assent_ranking_cards_and_notes() {
    let dir = tempfile::tempdir().unwrap();
    phone::set_up(dir.path());
    let mut ui = phone::unlocked(dir.path());
    ui.click("start-focus-group-visualisation");
    ui.click("session-lang-en");
    ui.click("begin");
    ui.click("intro-done");
    // The statement read aloud (R3), in the session language, from the vault.
    assert!(ui.has("data-use-audio"), "{}", ui.html());
    assert!(
        ui.html().contains("src=\"data:audio/ogg;base64,T2dnUw"),
        "an Ogg stream is on the page"
    );
    assert!(ui.has("data-use-audio-play"), "one large button plays it");
    ui.click("data-use-done");

    // Four children join one by one; each child's guardian, then the child.
    for n in 1..=4 {
        let text = ui.text();
        assert!(text.contains(&format!("Taking part: {}", n - 1)), "{text}");
        assert!(text.contains(&format!("Add participant P{n}")), "{text}");
        ui.type_into("participant-age", "12");
        ui.click("add-participant");
        let text = ui.text();
        assert!(
            text.contains(&format!("Does the guardian of participant P{n} agree?")),
            "{text}"
        );
        ui.click("consent-yes");
        assert!(
            ui.text()
                .contains(&format!("Does participant P{n} agree to take part?")),
            "{}",
            ui.text()
        );
        ui.click("consent-yes");
    }
    while ui.text().contains("Screening") {
        ui.click("screen-no");
    }

    let mut ranked = false;
    let mut cards = 0;
    let mut pictures = false;
    for _ in 0..80 {
        let text = ui.text();
        if !ui.has("question-text") {
            break;
        }
        if ui.has("choice-mining") && text.contains("most dangerous") {
            ui.click("choice-fishing");
            ui.click("choice-mining");
            ui.click("choice-bar");
            let text = ui.text();
            assert!(text.contains("1. Fishing boat"), "{text}");
            assert!(text.contains("2. Mine or quarry"), "{text}");
            ui.click("save-answer");
            ranked = true;
        } else if ui.has("picture-card") {
            let html = ui.html();
            assert!(
                html.contains("src=\"data:image/svg+xml;base64,"),
                "the card itself is shown"
            );
            assert!(
                !html.contains("cards/"),
                "never a file name instead of the picture"
            );
            // The description a screen reader says, in the session language.
            assert!(
                html.contains("alt=\"Two figures in a village")
                    || html.contains("alt=\"A bus at the roadside")
                    || html.contains("alt=\"A hand holds a phone"),
                "{html}"
            );
            ui.click("card-zoom");
            assert!(
                ui.html().contains("picture-card full"),
                "tapping the card shows it full-screen"
            );
            ui.click("card-close");
            ui.type_into("answer", "They talk about leaving for the city.");
            ui.type_into("note", "The group laughed, then went quiet.");
            ui.click("add-note");
            ui.click("save-answer");
            cards += 1;
        } else if ui.has("choice-friends") {
            // Picture choices: each answer has its drawing and its words.
            let html = ui.html();
            assert_eq!(
                html.matches("class=\"choice-picture\"").count(),
                5,
                "{html}"
            );
            ui.click("choice-friends");
            ui.click("choice-visitors");
            ui.click("save-answer");
            pictures = true;
        } else {
            ui.click("skip");
        }
    }
    assert!(pictures, "the picture choices were shown");
    assert!(ranked, "the ranking activity was asked");
    assert_eq!(cards, 3, "every picture card was shown");
    assert!(ui.text().contains("Rapport checkpoint"), "{}", ui.text());
    ui.click("rapport-confirm");
    ui.click("skip-section");
    ui.click("finish");
    assert!(ui.has("queued"), "{}", ui.text());
    drop(ui);

    let vault = phone::vault(dir.path());
    let outbox = vault.outbox().unwrap();
    let Some(OutboxItem::Record(record)) = &outbox[0].item else {
        panic!("a record");
    };
    let kinds: Vec<&EventKind> = record.events.iter().map(|e| &e.kind).collect();
    let joined = kinds
        .iter()
        .filter(|k| matches!(k, EventKind::ParticipantAdded { .. }))
        .count();
    assert_eq!(joined, 4);
    assert!(kinds.iter().any(|k| matches!(k,
        EventKind::Answered { question_id, value: Value::Ranking(order) }
            if question_id == "danger_ranking" && order[..2] == ["fishing".to_owned(), "mining".to_owned()])));
    let notes = kinds
        .iter()
        .filter(|k| matches!(k, EventKind::NoteAdded { .. }))
        .count();
    assert_eq!(notes, 3, "one note per card");
}

#[test]
fn a_typed_answer_does_not_carry_over_to_the_next_questions() {
    let dir = tempfile::tempdir().unwrap();
    phone::set_up(dir.path());
    let mut ui = phone::unlocked(dir.path());
    ui.click("start-focus-group-visualisation");
    ui.click("session-lang-en");
    ui.click("begin");
    ui.click("intro-done");
    ui.click("data-use-done");
    for _ in 1..=4 {
        ui.type_into("participant-age", "12");
        ui.click("add-participant");
        ui.click("consent-yes");
        ui.click("consent-yes");
    }
    while ui.text().contains("Screening") {
        ui.click("screen-no");
    }
    let mut typed = false;
    for _ in 0..80 {
        if !ui.has("question-text") {
            break;
        }
        let html = ui.html();
        if ui.has("choice-mining") && ui.text().contains("most dangerous") {
            assert!(
                !ui.text().contains("1. "),
                "nothing ranked yet: {}",
                ui.text()
            );
            break;
        }
        if html.contains("id=\"answer\"") && !typed && html.contains("inputmode=\"decimal\"") {
            ui.type_into("answer", "12");
            ui.click("save-answer");
            typed = true;
            continue;
        }
        if typed && html.contains("id=\"answer\"") {
            assert_eq!(ui.shown("answer"), "", "the old answer is shown again");
        }
        ui.click("skip");
    }
    assert!(typed);
}

#[test]
fn a_late_participant_is_asked_for_consent_before_the_group_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    phone::set_up(dir.path());
    let mut ui = phone::unlocked(dir.path());
    ui.click("start-focus-group-visualisation");
    ui.click("session-lang-en");
    ui.click("begin");
    ui.click("intro-done");
    ui.click("data-use-done");
    for _ in 1..=4 {
        ui.type_into("participant-age", "12");
        ui.click("add-participant");
        ui.click("consent-yes");
        ui.click("consent-yes");
    }
    while ui.text().contains("Screening") {
        ui.click("screen-no");
    }
    let question = ui.text();
    assert!(ui.has("question-text"), "{question}");
    assert!(question.contains("Add participant P5"), "{question}");
    ui.click("add-participant-bar");
    let text = ui.text();
    assert!(
        text.contains("Does the guardian of participant P5 agree?"),
        "{text}"
    );
    ui.click("consent-yes");
    assert!(ui
        .text()
        .contains("Does participant P5 agree to take part?"));
    ui.click("consent-yes");
    // The screening saw four children, not five: asked again (R5).
    assert!(ui.has("screening-again"), "{}", ui.text());
    assert!(
        ui.text().contains("Someone joined since the screening"),
        "{}",
        ui.text()
    );
    while ui.text().contains("Screening") {
        ui.click("screen-no");
    }
    assert!(
        ui.has("question-text"),
        "back to the questions: {}",
        ui.text()
    );
    assert!(ui.text().contains("Add participant P6"));
}
