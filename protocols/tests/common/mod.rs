//! A minimal protocol that passes every lint: a child interview in English
//! and French. Tests clone it and break one thing at a time.

#![allow(dead_code)] // each test file uses a different part

use fieldkit_protocols::lint::{lint, Finding, Severity};
use fieldkit_protocols::model::{
    Indicator, Method, Observation, Protocol, Question, Section, SiteType, Tally, Text, TimeWindow,
    Weekday,
};
use fieldkit_protocols::parse_protocol;
use fieldkit_protocols::Rule;

pub const VALID_CHILD_INTERVIEW: &str = r#"
id = "child-interview-test"
version = 1
title = { en = "Talking with children about work", fr = "Parler du travail avec les enfants" }
method = "child_interview"
languages = ["en", "fr"]
aim = { en = "Learn what work children do in the market.", fr = "Savoir quel travail font les enfants au marché." }
closing = { en = "Thank you for talking with me.", fr = "Merci d'avoir parlé avec moi." }

[[research_questions]]
id = "rq1"
text = { en = "What work do children do?", fr = "Quel travail font les enfants ?" }

[[definitions]]
term = { en = "child labour", fr = "travail des enfants" }
meaning = { en = "Work below the minimum age for it.", fr = "Travail avant l'âge minimum." }

[introduction]
organisation = "Safe Futures"
script = { en = "Hello, I am {interviewer} from {organisation}.", fr = "Bonjour, je suis {interviewer} de {organisation}." }

[data_use]
purpose = { en = "To plan help for children.", fr = "Pour préparer de l'aide aux enfants." }
who_sees = { en = "Only the research team.", fr = "Seulement l'équipe de recherche." }
protection = { en = "Your name is never sent.", fr = "Ton nom n'est jamais envoyé." }
results_return = { en = "We come back to tell you what we learned.", fr = "Nous revenons te dire ce que nous avons appris." }

[consent]
respondent = true
guardian_required_under = 18

[screening]
[[screening.items]]
id = "distress"
text = { en = "Is the child in acute distress?", fr = "L'enfant est-il en détresse aiguë ?" }

[referral]
pathway = { en = "Call the child protection focal point.", fr = "Appeler le point focal de protection." }
safety_notes = { en = "Work in pairs.", fr = "Travailler en binôme." }
# A number from the UK's range reserved for drama (Ofcom): real in shape, never anyone's.
contacts = [{ name = { en = "Child protection focal point", fr = "Point focal de protection de l'enfance" }, phone = "+44 20 7946 0321" }]

[[sections]]
id = "about_you"
title = { en = "About you", fr = "À propos de toi" }

[[sections.questions]]
id = "sex"
text = { en = "Are you a boy or a girl?", fr = "Es-tu un garçon ou une fille ?" }
kind = "single_choice"
purpose = "disaggregation"
disaggregation = "sex"
choices = [
  { value = "girl", label = { en = "Girl", fr = "Fille" } },
  { value = "boy", label = { en = "Boy", fr = "Garçon" } },
]

[[sections.questions]]
id = "age"
text = { en = "How old are you?", fr = "Quel âge as-tu ?" }
kind = "integer"
purpose = "disaggregation"
disaggregation = "age"
constraint = ". >= 5 and . <= 17"
constraint_message = { en = "Between 5 and 17.", fr = "Entre 5 et 17." }

[[sections.questions]]
id = "origin"
text = { en = "Where were you born?", fr = "Où es-tu né ?" }
kind = "coarse_location"
purpose = "disaggregation"
disaggregation = "origin"

[[sections.questions]]
id = "lives_with"
text = { en = "Who do you live with?", fr = "Avec qui vis-tu ?" }
kind = "multiple_choice"
purpose = "disaggregation"
disaggregation = "family"
choices = [
  { value = "parents", label = { en = "Parents", fr = "Parents" } },
  { value = "other", label = { en = "Someone else", fr = "Quelqu'un d'autre" } },
]

[[sections.questions]]
id = "group"
text = { en = "Which group do you belong to?", fr = "À quel groupe appartiens-tu ?" }
kind = "text"
required = false
purpose = "disaggregation"
disaggregation = "ethnicity"

[[sections.questions]]
id = "difficulty"
text = { en = "Do you have difficulty seeing, hearing or walking?", fr = "As-tu du mal à voir, entendre ou marcher ?" }
kind = "yes_no"
purpose = "disaggregation"
disaggregation = "disability"

[[sections]]
id = "work"
title = { en = "Your work", fr = "Ton travail" }

[[sections.questions]]
id = "works"
text = { en = "Do you do any work to earn money?", fr = "Fais-tu un travail pour gagner de l'argent ?" }
kind = "yes_no"
purpose = "rq1"

[[sections.questions]]
id = "hours"
text = { en = "How many hours did you work yesterday?", fr = "Combien d'heures as-tu travaillé hier ?" }
hint = { en = "Count all work.", fr = "Compter tout le travail." }
kind = "integer"
purpose = "rq1"
relevant = "works = true and age < 18"

[[sections.questions]]
id = "hurt"
text = { en = "Has anyone at work hurt you?", fr = "Quelqu'un au travail t'a-t-il fait du mal ?" }
kind = "yes_no"
purpose = "rq1"
sensitive = true
relevant = "works"
"#;

pub fn valid() -> Protocol {
    parse_protocol("valid.toml", VALID_CHILD_INTERVIEW).expect("the fixture parses")
}

pub fn section_mut<'a>(p: &'a mut Protocol, id: &str) -> &'a mut Section {
    p.sections
        .iter_mut()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("fixture has section {id}"))
}

pub fn question_mut<'a>(p: &'a mut Protocol, id: &str) -> &'a mut Question {
    p.sections
        .iter_mut()
        .flat_map(|s| s.questions.iter_mut())
        .find(|q| q.id == id)
        .unwrap_or_else(|| panic!("fixture has question {id}"))
}

pub fn text(en: &str, fr: &str) -> Text {
    Text(
        [("en", en), ("fr", fr)]
            .map(|(l, t)| (l.to_owned(), t.to_owned()))
            .into(),
    )
}

/// The fixture turned into a valid observation protocol: nobody is asked
/// anything, so consent, screening and disaggregation do not apply.
pub fn observation() -> Protocol {
    let mut p = valid();
    p.method = Method::DirectObservation;
    p.consent = None;
    p.screening = None;
    p.referral = None;
    p.sections.retain(|s| s.id == "work");
    let work = section_mut(&mut p, "work");
    work.questions.retain(|q| q.id == "works");
    work.questions[0].text = text(
        "Are children working here?",
        "Des enfants travaillent-ils ici ?",
    );
    p.observation = Some(Observation {
        site_types: vec![SiteType {
            id: "market".into(),
            label: text("Market", "Marché"),
        }],
        time_windows: vec![TimeWindow {
            label: text("Night", "Nuit"),
            days: vec![Weekday::Fri, Weekday::Sat],
            start: "22:00".into(),
            end: "02:00".into(),
        }],
        tallies: vec![Tally {
            id: "carrying".into(),
            label: text("Children carrying loads", "Enfants portant des charges"),
            purpose: "rq1".into(),
        }],
        age_groups: vec!["5-11".into(), "12-17".into()],
        indicators: vec![Indicator {
            id: "adult_watching".into(),
            text: text(
                "An adult watches the children",
                "Un adulte surveille les enfants",
            ),
            purpose: "rq1".into(),
        }],
    });
    p
}

pub fn with_code(p: &Protocol, code: &str) -> Vec<Finding> {
    lint(p).into_iter().filter(|f| f.code == code).collect()
}

/// The one finding with `code` at `location`; fails if it is missing.
pub fn expect(p: &Protocol, code: &str, severity: Severity, location: &str) -> Finding {
    let all = lint(p);
    let hit = all
        .iter()
        .find(|f| f.code == code && f.location == location)
        .unwrap_or_else(|| panic!("expected {code} at {location}, got {all:#?}"))
        .clone();
    assert_eq!(hit.severity, severity, "{hit:?}");
    if let Ok(rule) = code.parse::<Rule>() {
        assert_eq!(hit.rule, Some(rule));
        assert!(
            hit.message.contains(&format!("({code}: ")),
            "{}",
            hit.message
        );
    } else {
        assert_eq!(hit.rule, None);
    }
    hit
}

pub fn expect_none(p: &Protocol, code: &str) {
    let found = with_code(p, code);
    assert!(found.is_empty(), "expected no {code}, got {found:#?}");
}
