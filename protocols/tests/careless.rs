//! A careless author's protocols, each breaking one thing: every case is the
//! clean fixture with one edit, and asserts the exact findings it gets (code,
//! severity and the line the CLI would print), and nothing else.

mod common;

use common::VALID_CHILD_INTERVIEW;
use fieldkit_protocols::lint::{lint, Locator, Severity};
use fieldkit_protocols::parse_protocol;

use Severity::{Error, Warning};

/// One careless edit: replace `from` by `to` (the first occurrence), and the
/// findings expected, each with the text of the line it must point at.
struct Case {
    name: &'static str,
    from: &'static str,
    to: String,
    expect: Vec<(&'static str, Severity, &'static str)>,
}

fn case(
    name: &'static str,
    from: &'static str,
    to: impl Into<String>,
    expect: &[(&'static str, Severity, &'static str)],
) -> Case {
    Case {
        name,
        from,
        to: to.into(),
        expect: expect.to_vec(),
    }
}

fn cases() -> Vec<Case> {
    let chain = vec!["works = true"; 90_000].join(" or ");
    vec![
        case("placeholder organisation", "organisation = \"Safe Futures\"", "organisation = \"REPLACE: name of the organisation\"",
            &[("placeholder", Error, "organisation = \"REPLACE")]),
        case("placeholder in French", "fr = \"Quel travail font les enfants ?\"", "fr = \"À REMPLACER : la question de recherche\"",
            &[("placeholder", Error, "À REMPLACER")]),
        case("TODO in a question", "en = \"How many hours did you work yesterday?\"", "en = \"TODO: how many hours did you work yesterday?\"",
            &[("placeholder", Error, "TODO: how many")]),
        case("angle-bracket slot", "\"What work do children do?\"", "\"What work do children do in <town>?\"",
            &[("placeholder", Error, "<town>")]),
        case("xxx", "\"Only the research team.\"", "\"Only the research team at xxx.\"",
            &[("placeholder", Error, "at xxx")]),
        case("a number of zeros", "phone = \"+44 20 7946 0321\"", "phone = \"+000 0000 0000\"",
            &[("placeholder", Error, "+000 0000 0000")]),
        case("a number counting up", "phone = \"+44 20 7946 0321\"", "phone = \"123456789\"",
            &[("placeholder", Error, "123456789")]),
        case("a name for a number", "phone = \"+44 20 7946 0321\"", "phone = \"call the office\"",
            &[("placeholder", Error, "call the office")]),
        case("no contacts", "contacts = [{ name = { en = \"Child protection focal point\", fr = \"Point focal de protection de l'enfance\" }, phone = \"+44 20 7946 0321\" }]", "contacts = []",
            &[("R18", Error, "contacts = []")]),
        case("a statement part of `.`", "purpose = { en = \"To plan help for children.\"", "purpose = { en = \".\"",
            &[("R3", Error, "purpose = { en = \".\"")]),
        case("who sees: n/a", "who_sees = { en = \"Only the research team.\"", "who_sees = { en = \"n/a\"",
            &[("R3", Error, "who_sees = { en = \"n/a\"")]),
        case("results return: TBD in French", "fr = \"Nous revenons te dire ce que nous avons appris.\"", "fr = \"à voir\"",
            &[("R17", Error, "fr = \"à voir\"")]),
        case("a zero-width space for a pathway", "pathway = { en = \"Call the child protection focal point.\"", "pathway = { en = \"\u{200B}\"",
            &[("missing-translation", Error, "pathway = { en =")]),
        case("a screening item of `-`", "text = { en = \"Is the child in acute distress?\"", "text = { en = \"-\"",
            &[("missing-translation", Error, "text = { en = \"-\"")]),
        case("a research question of one word", "text = { en = \"What work do children do?\"", "text = { en = \"Work?\"",
            &[("R16", Error, "text = { en = \"Work?\"")]),
        case("a definition that says nothing", "meaning = { en = \"Work below the minimum age for it.\"", "meaning = { en = \"TBD\"",
            &[("R19", Error, "meaning = { en = \"TBD\""), ("placeholder", Error, "meaning = { en = \"TBD\"")]),
        case("French identical to English", "fr = \"Pour préparer de l'aide aux enfants.\"", "fr = \"To plan help for children.\"",
            &[("missing-translation", Error, "fr = \"To plan help for children.\"")]),
        case("min_cell_size of 1", "[consent]\n", "[privacy]\nmin_cell_size = 1\n\n[consent]\n",
            &[("R27", Error, "min_cell_size = 1")]),
        case("min_cell_size of 4 with no reason", "[consent]\n", "[privacy]\nmin_cell_size = 4\n\n[consent]\n",
            &[("R27", Error, "min_cell_size = 4")]),
        case("min_cell_size of 4 with a reason", "[consent]\n", "[privacy]\nmin_cell_size = 4\nmin_cell_size_reason = \"Only four villages exist in the district and each is reported separately by law.\"\n\n[consent]\n",
            &[("R27", Warning, "min_cell_size = 4")]),
        case("location to 8 decimals", "[consent]\n", "[privacy]\nlocation_decimals = 8\n\n[consent]\n",
            &[("R21", Error, "location_decimals = 8")]),
        case("ages 0 to 200", "constraint = \". >= 5 and . <= 17\"", "constraint = \". >= 0 and . <= 200\"",
            &[("R23", Error, "constraint = \". >= 0 and . <= 200\"")]),
        case("an age with no bounds", "constraint = \". >= 5 and . <= 17\"\n", "",
            &[("R23", Error, "id = \"age\"")]),
        case("adults on a child interview", "languages = [\"en\", \"fr\"]", "respondents = \"adults\"\nlanguages = [\"en\", \"fr\"]",
            &[("R2", Error, "respondents = \"adults\""), ("R2", Error, "constraint = \". >= 5 and . <= 17\"")]),
        case("nobody on an interview", "languages = [\"en\", \"fr\"]", "respondents = \"nobody\"\nlanguages = [\"en\", \"fr\"]",
            &[("R1", Error, "respondents = \"nobody\"")]),
        case("guardian under 0", "guardian_required_under = 18", "guardian_required_under = 0",
            &[("R2", Error, "guardian_required_under = 0")]),
        case("why, with a no-break space", "en = \"How many hours did you work yesterday?\"", "en = \"Why\u{00A0}did you work so long yesterday?\"",
            &[("R10", Warning, "work so long yesterday")]),
        case("admit, with a Cyrillic a", "en = \"How many hours did you work yesterday?\"", "en = \"Do you \u{0430}dmit you worked yesterday?\"",
            &[("R10", Warning, "worked yesterday"), ("mixed-script", Warning, "worked yesterday")]),
        case("pourquoi as‑tu, with a non-breaking hyphen", "fr = \"Combien d'heures as-tu travaillé hier ?\"", "fr = \"Pourquoi as\u{2011}tu travaillé si longtemps hier ?\"",
            &[("R10", Warning, "si longtemps hier")]),
        case("an undefined term in the manual's words", "en = \"Do you do any work to earn money?\"", "en = \"Have you dropped out of school to earn money?\"",
            &[("R19", Warning, "dropped out of school")]),
        case("a name, not marked identifying", "en = \"Which group do you belong to?\"", "en = \"What is your full name?\"",
            &[("R21", Error, "What is your full name?")]),
        case("the employer's name in French", "fr = \"Fais-tu un travail pour gagner de l'argent ?\"", "fr = \"Quel est le nom de ton employeur ?\"",
            &[("R21", Error, "nom de ton employeur")]),
        case("a duplicate id, at the repeat", "id = \"hurt\"", "id = \"works\"",
            &[("duplicate-id", Error, "id = \"works\"\ntext = { en = \"Has anyone")]),
        case("an id against the pattern", "id = \"hours\"", "id = \"Hours\"",
            &[("bad-id", Error, "id = \"Hours\"")]),
        case("a 90,000-term chain", "relevant = \"works = true and age < 18\"", format!("relevant = \"{chain}\""),
            &[("bad-expression", Error, "relevant = \"works = true or")]),
        case("a language listed twice", "languages = [\"en\", \"fr\"]", "languages = [\"en\", \"fr\", \"fr\"]",
            &[("bad-language", Error, "languages = [")]),
    ]
}

/// The 1-based line where `marker` starts (a marker may span lines).
fn line_of(source: &str, marker: &str) -> usize {
    let at = source
        .find(marker)
        .unwrap_or_else(|| panic!("marker {marker:?} not in the edited source"));
    source[..at].matches('\n').count() + 1
}

#[test]
fn the_fixture_is_clean() {
    let p = parse_protocol("valid.toml", VALID_CHILD_INTERVIEW).unwrap();
    assert_eq!(lint(&p), vec![]);
}

#[test]
fn each_careless_protocol_gets_exactly_its_finding_at_its_line() {
    let mut failures = Vec::new();
    for c in cases() {
        assert!(
            VALID_CHILD_INTERVIEW.contains(c.from),
            "{}: `from` not in the fixture",
            c.name
        );
        let source = VALID_CHILD_INTERVIEW.replacen(c.from, &c.to, 1);
        let protocol = match parse_protocol(c.name, &source) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: does not parse: {e}", c.name));
                continue;
            }
        };
        let locator = Locator::new(&source);
        let mut got: Vec<(String, Severity, Option<usize>)> = lint(&protocol)
            .into_iter()
            .map(|f| {
                let line = locator.line(&f.location);
                (f.code, f.severity, line)
            })
            .collect();
        let mut want: Vec<(String, Severity, Option<usize>)> = c
            .expect
            .iter()
            .map(|(code, severity, marker)| {
                (
                    (*code).to_owned(),
                    *severity,
                    Some(line_of(&source, marker)),
                )
            })
            .collect();
        got.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
        want.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
        if got != want {
            failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}", c.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Deeply nested TOML is refused with a located error, not a crash.
#[test]
fn deep_toml_nesting_is_an_error_not_a_crash() {
    for deep in [
        format!(
            "{}{}",
            "x = ".to_owned() + &"[".repeat(100_000),
            "]".repeat(100_000)
        ),
        format!("x = {}1{}", "{ a = ".repeat(100_000), " }".repeat(100_000)),
    ] {
        let source = format!("{VALID_CHILD_INTERVIEW}\n{deep}\n");
        let err = parse_protocol("deep.toml", &source).unwrap_err();
        assert!(err.line > 100, "{err}");
    }
}
