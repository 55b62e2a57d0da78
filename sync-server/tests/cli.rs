//! The built `fieldkit-server` binary, as an operator runs it. Commands that
//! keep data run against the SQLite data folder, or against a scratch
//! PostgreSQL database when `FIELDKIT_TEST_POSTGRES` names a server.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use fieldkit_protocols::{library, parse_protocol, to_toml};
use fieldkit_sync_server::store::postgres::scratch::ScratchDatabase;

const BIN: &str = env!("CARGO_BIN_EXE_fieldkit-server");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("FIELDKIT_DATA")
        .env_remove("FIELDKIT_LISTEN")
        .output()
        .unwrap()
}

/// The binary with `FIELDKIT_DATABASE` naming the test's scratch database,
/// if there is one (else the `--data` folder's SQLite file is used).
fn command_in(db: Option<&ScratchDatabase>) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("FIELDKIT_DATA")
        .env_remove("FIELDKIT_LISTEN");
    match db {
        Some(db) => command.env("FIELDKIT_DATABASE", &db.url),
        None => command.env_remove("FIELDKIT_DATABASE"),
    };
    command
}

fn run_in(db: Option<&ScratchDatabase>, args: &[&str]) -> Output {
    command_in(db).args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The shipped child protocol with its first question marked sensitive:
/// a sensitive question before non-sensitive ones (R6).
fn write_bad_protocol(dir: &Path) -> String {
    let mut protocol = parse_protocol("child", library::SHIPPED[0].source).unwrap();
    protocol.sections[0].questions[0].sensitive = true;
    let path = dir.join("bad.toml");
    std::fs::write(&path, to_toml(&protocol)).unwrap();
    path.display().to_string()
}

/// The shipped child template: clean once a study fills in its placeholders.
fn write_good_protocol(dir: &Path) -> String {
    let path = dir.join("good.toml");
    std::fs::write(&path, library::SHIPPED[0].source).unwrap();
    path.display().to_string()
}

/// A study file with real-looking values: the organisation, and numbers from
/// the UK's range reserved for drama (never anyone's).
const STUDY: &str = r#"organisation = "Safe Futures Trust"

[[contacts]]
name = { en = "Child protection focal point", fr = "Point focal de protection de l'enfance" }
phone = "+44 20 7946 0321"

[[contacts]]
name = { en = "Emergency services", fr = "Services d'urgence" }
phone = "+44 20 7946 0999"
"#;

fn write_study(dir: &Path) -> String {
    let path = dir.join("study.toml");
    std::fs::write(&path, STUDY).unwrap();
    path.display().to_string()
}

#[test]
fn lint_reports_file_line_and_rule_and_fails_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_bad_protocol(dir.path());
    let output = run(&["protocol", "lint", &bad]);
    assert!(!output.status.success());
    let text = stdout(&output);
    let line = text
        .lines()
        .find(|l| l.contains("error[R6]"))
        .unwrap_or_else(|| panic!("no R6 error in:\n{text}"));
    let prefix = format!("{bad}:");
    assert!(line.starts_with(&prefix), "{line}");
    let number: usize = line[prefix.len()..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let source = std::fs::read_to_string(&bad).unwrap();
    assert!(number >= 1 && number <= source.lines().count(), "{line}");

    let json = run(&["protocol", "lint", "--format", "json", &bad]);
    assert!(!json.status.success());
    let findings: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(findings
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "R6" && f["severity"] == "error" && f["line"].is_number()));

    let good = write_good_protocol(dir.path());
    let study = write_study(dir.path());
    let clean = run(&["protocol", "lint", "--study", &study, &good]);
    assert!(clean.status.success(), "{}", stdout(&clean));
}

#[test]
fn a_file_that_does_not_parse_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.toml");
    std::fs::write(&path, "id = \"x\"\nversion = \"one\"\n").unwrap();
    let output = run(&["protocol", "lint", path.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stdout(&output).contains(&format!("{}:2: error[parse]", path.display())),
        "{}",
        stdout(&output)
    );
}

#[test]
fn publish_refuses_lint_errors_and_changed_content_under_the_same_version() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let db = ScratchDatabase::from_env();
    let bad = write_bad_protocol(dir.path());
    let refused = run_in(db.as_ref(), &["protocol", "publish", &bad, "--data", data]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("lint errors"),
        "{}",
        stderr(&refused)
    );

    let good = write_good_protocol(dir.path());
    let study = write_study(dir.path());
    let first = run_in(
        db.as_ref(),
        &[
            "protocol", "publish", "--study", &study, &good, "--data", data,
        ],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("published"));
    let again = run_in(
        db.as_ref(),
        &[
            "protocol", "publish", "--study", &study, &good, "--data", data,
        ],
    );
    assert!(again.status.success());
    assert!(
        stdout(&again).contains("already published"),
        "{}",
        stdout(&again)
    );

    // Same id and version, a changed (still clean) text: R4.
    let changed = std::fs::read_to_string(&good).unwrap().replacen(
        "Rapid assessment: interview",
        "Rapid assessment, interview",
        1,
    );
    assert_ne!(
        changed,
        std::fs::read_to_string(&good).unwrap(),
        "the fixture text moved"
    );
    std::fs::write(&good, changed).unwrap();
    let taken = run_in(
        db.as_ref(),
        &[
            "protocol", "publish", "--study", &study, &good, "--data", data,
        ],
    );
    assert!(!taken.status.success());
    assert!(stderr(&taken).contains("R4"), "{}", stderr(&taken));

    let list = run_in(db.as_ref(), &["protocol", "list", "--data", data]);
    assert_eq!(stdout(&list).lines().count(), 1, "{}", stdout(&list));
}

#[test]
fn show_prints_the_outline() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_good_protocol(dir.path());
    let output = run(&["protocol", "show", &good]);
    assert!(output.status.success(), "{}", stderr(&output));
    let protocol = parse_protocol("child", library::SHIPPED[0].source).unwrap();
    let first = &protocol.sections[0].questions[0];
    assert!(
        stdout(&output).contains(first.text.show("en")),
        "{}",
        stdout(&output)
    );
}

#[test]
fn demo_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let db = ScratchDatabase::from_env();
    let first = run_in(db.as_ref(), &["demo", "--data", data]);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = run_in(db.as_ref(), &["demo", "--data", data]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(stdout(&second).contains("already published"));
    let code = |o: &Output| {
        stdout(o)
            .lines()
            .last()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_ne!(code(&first), code(&second));
    let list = run_in(db.as_ref(), &["protocol", "list", "--data", data]);
    assert_eq!(stdout(&list).lines().count(), library::SHIPPED.len());
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn serve_with_listen_and_data_answers_and_admin_commands_share_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let db = ScratchDatabase::from_env();
    let enrol = run_in(
        db.as_ref(),
        &[
            "device",
            "enrol",
            "--researcher",
            "Amina",
            "--languages",
            "en,fr",
            "--data",
            data,
        ],
    );
    assert!(enrol.status.success(), "{}", stderr(&enrol));
    let code = stdout(&enrol)
        .lines()
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();

    let address = format!("127.0.0.1:{}", free_port());
    let _server = Server(
        command_in(db.as_ref())
            .args(["serve", "--listen", &address, "--data", data])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let base = format!("http://{address}");
    let mut health = None;
    for _ in 0..100 {
        match client.get(format!("{base}/healthz")).send().await {
            Ok(response) => {
                health = Some(response);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let health = health.expect("the server never answered on /healthz");
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<serde_json::Value>().await.unwrap()["status"],
        "ok"
    );

    let enrolled: serde_json::Value = client
        .post(format!("{base}/api/v1/enrol"))
        .json(&serde_json::json!({
            "code": code,
            "device_name": "phone",
            "code_of_practice": { "language": "fr", "accepted_at": "2026-01-05T09:00:00Z" },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = enrolled["token"].as_str().unwrap();
    let device = enrolled["device_id"].as_str().unwrap();

    let list = run_in(db.as_ref(), &["device", "list", "--data", data]);
    assert!(
        stdout(&list).contains(device)
            && stdout(&list).contains("active")
            && stdout(&list).contains("2026-01-05 fr"),
        "{}",
        stdout(&list)
    );
    let revoke = run_in(db.as_ref(), &["device", "revoke", device, "--data", data]);
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    assert!(stdout(&run_in(db.as_ref(), &["device", "list", "--data", data])).contains("revoked"));

    let status = client
        .get(format!("{base}/api/v1/status"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
}

#[test]
fn import_xlsform_writes_a_toml_draft_and_a_checklist() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("survey").unwrap();
    for (c, cell) in ["type", "name", "label"].iter().enumerate() {
        sheet
            .write_string(0, u16::try_from(c).unwrap(), *cell)
            .unwrap();
    }
    for (c, cell) in ["integer", "age", "How old are you?"].iter().enumerate() {
        sheet
            .write_string(1, u16::try_from(c).unwrap(), *cell)
            .unwrap();
    }
    let form = dir.path().join("form.xlsx");
    book.save(&form).unwrap();
    let out = dir.path().join("draft.toml");
    let output = run(&[
        "protocol",
        "import-xlsform",
        form.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let draft = parse_protocol("draft.toml", &std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(draft.question("age").is_some());
    // A bare form lacks the ethics parts: the author gets a to-do list.
    assert!(
        stderr(&output).contains("Before publishing"),
        "{}",
        stderr(&output)
    );

    let missing = run(&[
        "protocol",
        "import-xlsform",
        dir.path().join("none.xlsx").to_str().unwrap(),
    ]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("none.xlsx"));
}

#[test]
fn import_xlsform_reads_a_choices_file_beside_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("survey").unwrap();
    let rows = [
        ["type", "name", "label"],
        ["select_one_from_file towns.csv", "town", "Which town?"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(u32::try_from(r).unwrap(), u16::try_from(c).unwrap(), *cell)
                .unwrap();
        }
    }
    let form = dir.path().join("form.xlsx");
    book.save(&form).unwrap();
    let import = || run(&["protocol", "import-xlsform", form.to_str().unwrap()]);
    let refused = import();
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("the file `towns.csv` is not beside the form"),
        "{}",
        stderr(&refused)
    );
    std::fs::write(
        dir.path().join("towns.csv"),
        "name,label\ntamale,Tamale\nho,Ho\n",
    )
    .unwrap();
    let output = import();
    assert!(output.status.success(), "{}", stderr(&output));
    let draft = parse_protocol("draft.toml", &String::from_utf8(output.stdout).unwrap()).unwrap();
    let values: Vec<&str> = draft
        .question("town")
        .unwrap()
        .choices
        .iter()
        .map(|c| c.value.as_str())
        .collect();
    assert_eq!(values, ["tamale", "ho"]);
}
