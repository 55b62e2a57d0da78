//! The study file through the built binary: a template alone is refused at
//! each placeholder's line, the study's own mistakes are located in the study
//! file, the demo study is for `demo` only, and nothing a protocol holds can
//! send escape sequences to the operator's terminal.

use std::path::Path;
use std::process::{Command, Output};

use fieldkit_protocols::library;

const BIN: &str = env!("CARGO_BIN_EXE_fieldkit-server");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("FIELDKIT_DATA")
        .env_remove("FIELDKIT_LISTEN")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

const CHILD: &str = "child-rapid-assessment.toml";

fn template(dir: &Path) -> String {
    let shipped = library::SHIPPED.iter().find(|s| s.file == CHILD).unwrap();
    write(dir, CHILD, shipped.source)
}

/// The 1-based line of the first line of `source` containing `needle`.
fn line_of(source: &str, needle: &str) -> usize {
    source.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_template_alone_is_refused_at_each_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    let file = template(dir.path());
    let source = std::fs::read_to_string(&file).unwrap();
    let output = run(&["protocol", "lint", &file]);
    assert!(!output.status.success());
    let out = text(&output);
    let organisation = format!(
        "{file}:{}: error[placeholder]",
        line_of(&source, "organisation = \"REPLACE")
    );
    let phone = format!(
        "{file}:{}: error[placeholder]",
        line_of(&source, "phone = \"+000 0000 0000\"")
    );
    assert!(out.contains(&organisation), "{out}");
    assert!(out.contains(&phone), "{out}");

    let data = dir.path().join("data");
    let refused = run(&[
        "protocol",
        "publish",
        &file,
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("placeholder"), "{}", text(&refused));
    let list = run(&["protocol", "list", "--data", data.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8_lossy(&list.stdout).lines().count(),
        0,
        "nothing was published"
    );
}

#[test]
fn a_studys_own_mistakes_are_located_in_the_study_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = template(dir.path());
    let study_text = "organisation = \"Safe Futures Trust\"\n\n[[contacts]]\nname = { en = \"Child protection focal point\", fr = \"Point focal de protection de l'enfance\" }\nphone = \"+44 20 7946 0321\"\n\n[[contacts]]\nname = { en = \"Helpline\", fr = \"Ligne d'écoute\" }\nphone = \"000 000 0000\"\n";
    let study = write(dir.path(), "study.toml", study_text);
    let output = run(&["protocol", "lint", "--study", &study, &file]);
    assert!(!output.status.success());
    let out = text(&output);
    assert!(
        out.contains(&format!("{study}:9: error[placeholder]")),
        "the fake number is on line 9 of the study file:\n{out}"
    );
    assert_eq!(out.matches("error[").count(), 1, "{out}");

    // Fixed, it publishes every protocol given, and the phone gets the study's values.
    let fixed = write(
        dir.path(),
        "study.toml",
        &study_text.replace("000 000 0000", "+44 20 7946 0999"),
    );
    let data = dir.path().join("data");
    let other = dir.path().join("school-survey.toml");
    std::fs::write(
        &other,
        library::SHIPPED
            .iter()
            .find(|s| s.file == "school-survey.toml")
            .unwrap()
            .source,
    )
    .unwrap();
    let published = run(&[
        "protocol",
        "publish",
        "--study",
        &fixed,
        &file,
        other.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(published.status.success(), "{}", text(&published));
    assert_eq!(
        String::from_utf8_lossy(&published.stdout)
            .matches(": published")
            .count(),
        2
    );
}

#[test]
fn the_demo_study_is_only_for_demo() {
    let dir = tempfile::tempdir().unwrap();
    let file = template(dir.path());
    let study = write(dir.path(), "demo-study.toml", library::DEMO_STUDY);
    let data = dir.path().join("data");
    let refused = run(&[
        "protocol",
        "publish",
        "--study",
        &study,
        &file,
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("is the demo study"),
        "{}",
        text(&refused)
    );
    // Linting with it is fine: that is how an author sees what `demo` publishes.
    let linted = run(&["protocol", "lint", "--study", &study, &file]);
    assert!(linted.status.success(), "{}", text(&linted));
}

#[test]
fn lint_output_escapes_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = library::SHIPPED.iter().find(|s| s.file == CHILD).unwrap();
    // An escape sequence that would clear the screen and a direction override.
    let hostile = shipped.source.replacen(
        "id = \"sex\"",
        "id = \"sex\\u001b[2J\\u001b[31mall good\\u202e\"",
        1,
    );
    let file = write(dir.path(), "hostile.toml", &hostile);
    for format in ["text", "json"] {
        let output = run(&["protocol", "lint", "--format", format, &file]);
        let out = text(&output);
        assert!(!out.contains('\u{1b}'), "{format}: raw escape in output");
        assert!(
            !out.contains('\u{202e}'),
            "{format}: raw direction override in output"
        );
    }
    let output = run(&["protocol", "lint", &file]);
    assert!(text(&output).contains("\\u{1b}[2J"), "{}", text(&output));
    let shown = run(&["protocol", "show", &file]);
    assert!(!text(&shown).contains('\u{1b}'));
}
