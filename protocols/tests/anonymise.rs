//! Anonymisation (R21): what leaves the device has no identity in it, and
//! still replays through the engine the way the server will replay it.

mod anonymise_support;

use std::sync::Arc;

use anonymise_support::{consent, note, protocol, stopped, strings, text, Recorder};
use fieldkit_protocols::anonymise::{anonymise, Anonymised, RedactionReport, Scrubber};
use fieldkit_protocols::engine::{
    Consenter, Decision, Event, EventKind, OthersPresent, Session, Sex, Status, StopReason,
};
use fieldkit_protocols::model::TimestampPrecision;
use fieldkit_protocols::{Protocol, Value};
use proptest::prelude::*;
use time::macros::datetime;

const CHILD: &str = "K7QM-2XHD-P";

fn identity() -> Vec<String> {
    strings(&["Aminata Traoré", "Kofi Mensah", "Koko"])
}

/// Replays like the server does; panics with the engine's reason if not.
fn replay(protocol: &Arc<Protocol>, anonymised: &Anonymised) -> Session {
    Session::replay(protocol.clone(), anonymised.events.clone())
        .unwrap_or_else(|e| panic!("the anonymised log does not replay: {e}"))
}

fn scrub(text: &str, identity: &[&str]) -> (String, RedactionReport) {
    let mut report = RedactionReport::default();
    let out = Scrubber::new(&strings(identity)).scrub(text, &mut report);
    (out, report)
}

fn completed_interview(protocol: &Arc<Protocol>) -> Vec<Event> {
    let mut r = Recorder::start(protocol.clone(), CHILD, Some(12));
    r.consent()
        .record(EventKind::ScreeningAnswered {
            item_id: "distress".to_owned(),
            positive: false,
        })
        .answer("age", Value::Integer(12))
        .answer("first_name", text("Aminata"))
        .record(EventKind::Amended {
            question_id: "first_name".to_owned(),
            value: text("Aminata T."),
            reason: "Traoré is her family name, not a first name".to_owned(),
        })
        .answer(
            "home_area",
            Value::Location {
                lat: 9.458_12,
                lon: -5.629_47,
            },
        )
        .answer(
            "journey",
            text("Aminata (12) said her uncle Kofi Mensah brought her from Korhogo; his number is +225 07 12 34 56 78"),
        )
        .record(note(
            "AMINATA dit que Mme TRAORE l'appelle « Koko ». Écrire à kofi.mensah@mail.ci ou au (022) 555-1234 ; passeport du tonton : CI0012345.",
        ))
        .record(EventKind::Completed);
    r.events()
}

#[test]
fn a_completed_interview_leaves_without_identity_and_still_replays() {
    let protocol = protocol();
    let original = completed_interview(&protocol);
    let anonymised = anonymise(&protocol, &original, &identity());

    let session = replay(&protocol, &anonymised);
    assert_eq!(session.status(), Status::Completed);
    assert_eq!(anonymised.events.len(), original.len());
    for (before, after) in original.iter().zip(&anonymised.events) {
        assert_eq!(before.seq, after.seq);
        assert_eq!(after.at, datetime!(2026-03-12 00:00 UTC), "day precision");
    }

    let kinds: Vec<&EventKind> = anonymised.events.iter().map(|e| &e.kind).collect();
    let withheld = EventKind::AnswerWithheld {
        question_id: "first_name".to_owned(),
    };
    assert_eq!(kinds[7], &withheld, "the answer to an identifying question");
    assert_eq!(kinds[8], &withheld, "its amendment, reason and all");
    assert_eq!(
        kinds[9],
        &EventKind::Answered {
            question_id: "home_area".to_owned(),
            value: Value::Location {
                lat: 9.46,
                lon: -5.63
            },
        }
    );
    assert_eq!(
        kinds[10],
        &EventKind::Answered {
            question_id: "journey".to_owned(),
            value: text(
                "[name] (12) said her uncle [name] brought her from Korhogo; his number is [phone]"
            ),
        }
    );
    assert_eq!(
        kinds[11],
        &note("[name] dit que Mme [name] l'appelle « [name] ». Écrire à [email] ou au [phone] ; passeport du tonton : [id-number].")
    );
    assert!(session.withheld().contains("first_name"));
    assert_eq!(session.answers().get("age"), Some(&Value::Integer(12)));

    assert_eq!(
        anonymised.report,
        RedactionReport {
            identifying_answers_withheld: 2,
            names: 5,
            phones: 2,
            emails: 1,
            id_numbers: 1,
            locations_coarsened: 1,
            notes_dropped: 0,
        }
    );

    let json = serde_json::to_string(&anonymised).unwrap().to_lowercase();
    for gone in [
        "aminata", "traor", "kofi", "mensah", "koko", "56 78", "555-1234", "0012345",
    ] {
        assert!(
            !json.contains(gone),
            "`{gone}` survived anonymisation: {json}"
        );
    }
    assert!(
        json.contains(&CHILD.to_lowercase()),
        "the reference number stays"
    );
}

#[test]
fn the_report_serialises_counts_and_nothing_else() {
    let protocol = protocol();
    let anonymised = anonymise(&protocol, &completed_interview(&protocol), &identity());
    let report = serde_json::to_value(anonymised.report).unwrap();
    assert_eq!(
        report,
        serde_json::json!({
            "identifying_answers_withheld": 2,
            "names": 5,
            "phones": 2,
            "emails": 1,
            "id_numbers": 1,
            "locations_coarsened": 1,
            "notes_dropped": 0
        })
    );
}

#[test]
fn a_refused_consent_leaves_only_an_anonymous_refusal() {
    let protocol = protocol();
    let mut r = Recorder::start(protocol.clone(), CHILD, Some(11));
    let hash = protocol.data_use_hash();
    r.record(EventKind::IntroductionGiven)
        .record(EventKind::DataUseExplained {
            statement_hash: hash,
        })
        .record(consent(Consenter::Guardian, Decision::Given))
        .record(consent(Consenter::Respondent, Decision::Refused))
        .record(stopped(StopReason::Refused));
    let original = r.events();

    let anonymised = anonymise(&protocol, &original, &identity());

    assert_eq!(anonymised.events.len(), original.len());
    let EventKind::SessionStarted(start) = &anonymised.events[0].kind else {
        panic!("the log starts with SessionStarted");
    };
    assert_eq!(start.respondent, "");
    assert_eq!(start.respondent_age, None);
    assert_eq!(
        anonymised.events.last().map(|e| &e.kind),
        Some(&stopped(StopReason::Refused))
    );
    let session = replay(&protocol, &anonymised);
    assert_eq!(session.status(), Status::Stopped(StopReason::Refused));
    assert_eq!(anonymised.report, RedactionReport::default());
    assert!(!serde_json::to_string(&anonymised).unwrap().contains("K7QM"));
}

#[test]
fn a_positive_screen_keeps_only_the_screening_who_was_present_and_the_stop() {
    let protocol = protocol();
    let mut r = Recorder::start(protocol.clone(), CHILD, Some(9));
    r.consent()
        .record(note("Aminata was crying; her aunt's number is 0712345678"))
        .record(EventKind::OthersPresentChanged {
            present: OthersPresent::Parent,
        })
        .record(EventKind::ScreeningAnswered {
            item_id: "distress".to_owned(),
            positive: true,
        })
        .record(stopped(StopReason::ScreeningPositive));
    let original = r.events();

    let anonymised = anonymise(&protocol, &original, &identity());

    let kinds: Vec<&EventKind> = anonymised.events.iter().map(|e| &e.kind).collect();
    assert!(matches!(kinds[0], EventKind::SessionStarted(_)));
    assert_eq!(
        &kinds[5..],
        [
            &EventKind::OthersPresentChanged {
                present: OthersPresent::Parent
            },
            &EventKind::ScreeningAnswered {
                item_id: "distress".to_owned(),
                positive: true
            },
            &stopped(StopReason::ScreeningPositive),
        ]
    );
    let seqs: Vec<u64> = anonymised.events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (0..8).collect::<Vec<u64>>(),
        "renumbered without gaps"
    );
    assert_eq!(
        anonymised.report,
        RedactionReport {
            notes_dropped: 1,
            ..RedactionReport::default()
        }
    );
    let session = replay(&protocol, &anonymised);
    assert_eq!(
        session.status(),
        Status::Stopped(StopReason::ScreeningPositive)
    );
    assert_eq!(session.notes_count(), 0);
}

fn with_precision(precision: TimestampPrecision) -> Arc<Protocol> {
    let mut protocol = (*protocol()).clone();
    protocol.privacy.timestamp_precision = precision;
    Arc::new(protocol)
}

fn short_interview(protocol: &Arc<Protocol>, start: time::OffsetDateTime) -> Vec<Event> {
    let mut r = Recorder::start_at(protocol.clone(), CHILD, Some(14), start);
    r.consent()
        .record(EventKind::ScreeningAnswered {
            item_id: "distress".to_owned(),
            positive: false,
        })
        .answer("age", Value::Integer(14))
        .record(EventKind::Skipped {
            question_id: "first_name".to_owned(),
            reason: fieldkit_protocols::engine::SkipReason::DeclinedToAnswer,
        })
        .record(EventKind::Skipped {
            question_id: "home_area".to_owned(),
            reason: fieldkit_protocols::engine::SkipReason::DeclinedToAnswer,
        })
        .answer("journey", text("By bus."))
        .record(EventKind::Completed);
    r.events()
}

#[test]
fn weeks_start_on_monday_in_utc_and_order_is_kept() {
    let protocol = with_precision(TimestampPrecision::Week);
    // Monday 01:55 in Abidjan+2 is still Sunday 23:55 UTC; the interview runs
    // past midnight UTC, into the next week.
    let original = short_interview(&protocol, datetime!(2026-11-23 01:55 +02:00));
    let anonymised = anonymise(&protocol, &original, &[]);
    let times: Vec<_> = anonymised.events.iter().map(|e| e.at).collect();
    assert_eq!(times[..5], [datetime!(2026-11-16 00:00 UTC); 5]);
    assert_eq!(times[5..], [datetime!(2026-11-23 00:00 UTC); 6]);
    replay(&protocol, &anonymised);
}

#[test]
fn hours_are_cut_to_the_hour() {
    let protocol = with_precision(TimestampPrecision::Hour);
    let original = short_interview(&protocol, datetime!(2026-03-12 16:55 +02:00));
    let anonymised = anonymise(&protocol, &original, &[]);
    let times: Vec<_> = anonymised.events.iter().map(|e| e.at).collect();
    assert_eq!(times[..5], [datetime!(2026-03-12 14:00 UTC); 5]);
    assert_eq!(times[5..], [datetime!(2026-03-12 15:00 UTC); 6]);
    replay(&protocol, &anonymised);
}

#[test]
fn a_scrubbed_answer_is_cut_back_to_fit_its_length_constraint() {
    // `[name]` is longer than `Ali`: without the cut, the server's replay
    // would refuse the answer for breaking the protocol's constraint.
    let mut protocol = (*protocol()).clone();
    let journey = protocol.sections[0]
        .questions
        .iter_mut()
        .find(|q| q.id == "journey")
        .unwrap();
    journey.constraint = Some("length(.) <= 60".to_owned());
    let protocol = Arc::new(protocol);
    let said = "Kofi and Ali took me from Korhogo to Bouaké, then to a farm.";
    assert_eq!(said.chars().count(), 60);
    let mut r = Recorder::start(protocol.clone(), CHILD, Some(10));
    r.consent()
        .record(EventKind::ScreeningAnswered {
            item_id: "distress".to_owned(),
            positive: false,
        })
        .answer("age", Value::Integer(10))
        .answer("first_name", text("Ami"))
        .answer(
            "home_area",
            Value::Location {
                lat: 9.4,
                lon: -5.6,
            },
        )
        .answer("journey", text(said))
        .record(EventKind::Completed);

    let anonymised = anonymise(&protocol, &r.events(), &strings(&["Kofi", "Ali"]));

    let session = replay(&protocol, &anonymised);
    assert_eq!(
        session.answers().get("journey"),
        Some(&text(
            "[name] and [name] took me from Korhogo to Bouaké, then to a "
        ))
    );
    assert_eq!(anonymised.report.names, 2);
}

#[test]
fn an_observation_sheet_keeps_its_counts_and_loses_the_phone_number_in_its_note() {
    let protocol = Arc::new(
        fieldkit_protocols::library::load_all()
            .into_iter()
            .find(|p| p.id == "observation-transport-hub")
            .expect("the shipped observation protocol"),
    );
    let mut r = Recorder::start_at(
        protocol.clone(),
        "visit-3",
        None,
        datetime!(2026-03-13 21:47 +00:00),
    );
    r.record(EventKind::Tallied {
        tally_id: "alone".to_owned(),
        sex: Sex::Female,
        age_group: "under_13".to_owned(),
        delta: 2,
    })
    .record(EventKind::IndicatorChecked {
        indicator_id: "arrivals_collected".to_owned(),
        observed: true,
    })
    .record(note("A man wrote 0712345678 on the girls' hands."))
    .record(stopped(StopReason::InterviewerEnded));

    let anonymised = anonymise(&protocol, &r.events(), &[]);

    let session = replay(&protocol, &anonymised);
    assert_eq!(session.tallies().values().sum::<i64>(), 2);
    assert_eq!(
        anonymised.events[3].kind,
        note("A man wrote [phone] on the girls' hands.")
    );
    assert!(anonymised
        .events
        .iter()
        .all(|e| e.at == datetime!(2026-03-13 21:00 UTC)));
    assert_eq!(anonymised.report.phones, 1);
}

#[test]
fn french_notes_lose_names_with_or_without_accents() {
    let (out, report) = scrub(
        "Aicha dit que Monsieur HERVE l'a amenée à Abidjan. Contact : herve.yao@mail.ci, tél. 07 07 12 34 56. Carte 1234 5678 90, passeport C00123456. Née le 12/03/2014, payée 150 000 FCFA.",
        &["Aïcha Koné", "Hervé Yao"],
    );
    assert_eq!(
        out,
        "[name] dit que Monsieur [name] l'a amenée à Abidjan. Contact : [email], tél. [phone]. Carte [id-number], passeport [id-number]. Née le 12/03/2014, payée 150 000 FCFA."
    );
    assert_eq!(
        report,
        RedactionReport {
            names: 2,
            phones: 1,
            emails: 1,
            id_numbers: 2,
            ..RedactionReport::default()
        }
    );
}

#[test]
fn phone_formats_people_write() {
    for (written, expected) in [
        ("call +225 07 12 34 56 78 now", "call [phone] now"),
        ("call 0712345678 now", "call [phone] now"),
        ("call (022) 555-1234 now", "call [phone] now"),
        ("call +233-24-123-4567 now", "call [phone] now"),
        ("call 555-1234 now", "call [phone] now"),
        (
            "id 123456 and 123.456.789",
            "id [id-number] and [id-number]",
        ),
        (
            "passport AB1234567 or p1234567x",
            "passport [id-number] or [id-number]",
        ),
        ("aged 12, 3 siblings, 2019", "aged 12, 3 siblings, 2019"),
    ] {
        assert_eq!(scrub(written, &[]).0, expected, "in `{written}`");
    }
}

#[test]
fn each_long_part_of_a_name_is_scrubbed_but_short_ones_are_not() {
    let (out, report) = scrub(
        "Jean-Baptiste Ouédraogo came with Ba; Ouedraogo's brother Jean stayed. Jean de la Fontaine wrote.",
        &["Jean-Baptiste Ouédraogo", "Ba"],
    );
    assert_eq!(
        out,
        "[name] came with [name]; [name]'s brother [name] stayed. [name] de la Fontaine wrote."
    );
    assert_eq!(report.names, 5);
}

fn name_part() -> impl Strategy<Value = String> {
    "[A-Z][a-zéèïôç]{2,8}".prop_filter("not a particle or a placeholder word", |p| {
        // Compared without accents, as the scrubber compares: "Thè" is "the".
        let lower = strip_accents(&p.to_lowercase());
        ![
            "des", "del", "della", "van", "von", "der", "den", "bin", "ben", "ibn", "the", "and",
            "les", "dos", "das", "sur", "name", "phone", "email", "number",
        ]
        .contains(&lower.as_str())
    })
}

fn strip_accents(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' | 'è' => 'e',
            'ï' => 'i',
            'ô' => 'o',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

const FILLER: &[&str] = &[
    "the", "girl", "said", "her", "uncle", "came", "from", "market", "la", "fille", "dit", "que",
    "son", "oncle", "est", "venu", "du", "marché", "bus", "12", "ans", "years",
];
const SEPARATORS: &[&str] = &[" ", ", ", ". ", " (", ") ", "'", "\n", " « ", " » ", ": "];

proptest! {
    /// Wherever a name, one of its parts, or a case or accent variant of
    /// them lands in a note, none of its words survive.
    #[test]
    fn inserted_identity_names_never_survive(
        names in prop::collection::vec(prop::collection::vec(name_part(), 1..4), 1..3),
        pieces in prop::collection::vec((0..FILLER.len(), 0..SEPARATORS.len(), any::<bool>(), 0..4u8, any::<prop::sample::Index>()), 1..25),
    ) {
        let identity: Vec<String> = names.iter().map(|parts| parts.join(" ")).collect();
        let mut note = String::new();
        for (filler, sep, insert, variant, pick) in &pieces {
            note.push_str(FILLER[*filler]);
            note.push_str(SEPARATORS[*sep]);
            if *insert {
                let parts = &names[pick.index(names.len())];
                let chosen = if *variant % 2 == 0 { parts.join(" ") } else { parts[pick.index(parts.len())].clone() };
                let written = match variant {
                    0 | 1 => chosen,
                    2 => chosen.to_uppercase(),
                    _ => strip_accents(&chosen).to_lowercase(),
                };
                note.push_str(&written);
                note.push_str(SEPARATORS[(*sep + 1) % SEPARATORS.len()]);
            }
        }
        let (out, _) = scrub(&note, &identity.iter().map(String::as_str).collect::<Vec<_>>());
        let words: Vec<String> = out
            .split(|c: char| !c.is_alphabetic())
            .map(|w| strip_accents(&w.to_lowercase()))
            .collect();
        for part in names.iter().flatten() {
            let part = strip_accents(&part.to_lowercase());
            prop_assert!(!words.contains(&part), "`{}` survived in `{}`", part, out);
        }
    }

    /// Whatever the child says, the anonymised log replays and no identity
    /// word from the identity store is left in it.
    #[test]
    fn any_anonymised_interview_replays(
        journey in "[ -~éàèç]{0,80}",
        remark in "[ -~éàèç]{0,80}",
        name in name_part(),
        lat in -90.0f64..90.0,
        lon in -180.0f64..180.0,
    ) {
        let protocol = protocol();
        let mut r = Recorder::start(protocol.clone(), CHILD, Some(13));
        r.consent()
            .record(EventKind::ScreeningAnswered { item_id: "distress".to_owned(), positive: false })
            .answer("age", Value::Integer(13))
            .answer("first_name", text(&name))
            .answer("home_area", Value::Location { lat, lon })
            .answer("journey", text(&format!("{journey} {name} {journey}")))
            .record(note(&format!("{remark} ({name})")))
            .record(EventKind::Completed);
        let anonymised = anonymise(&protocol, &r.events(), std::slice::from_ref(&name));
        let session = Session::replay(protocol, anonymised.events.clone());
        prop_assert!(session.is_ok(), "{:?}", session.err());
        prop_assert_eq!(anonymised.report.identifying_answers_withheld, 1);
        let json = serde_json::to_string(&anonymised.events).unwrap();
        let words: Vec<&str> = json.split(|c: char| !c.is_alphabetic()).collect();
        prop_assert!(!words.contains(&name.as_str()));
    }
}
