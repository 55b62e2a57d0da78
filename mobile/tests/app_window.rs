//! The real app binary in a real window: a test-owned Xvfb display, the
//! `fieldkit` executable in a temporary data folder, a real sync server on
//! 127.0.0.1 with the demo project, and xdotool as the researcher's hands.
//! It walks the first run, enrols, runs one child interview to its closing,
//! presses "Sync now", and checks that the server stored the record.
//!
//! The webview cannot be inspected from outside (WebDriver needs automation
//! switched on in the WebContext, which dioxus-desktop does not do), so the
//! keyboard is used: a click on the app name puts the focus start at the top
//! of the page, then Tab counts reach each control in document order. Which
//! step the app shows is known by running the same engine beside it. After
//! each action the test waits, with a deadline, for the screen to change.
//!
//! Needs Xvfb, xdotool and ImageMagick (`scripts/setup` installs them); on
//! a machine without them the test says so and does nothing.

#![cfg(feature = "desktop")]

mod ui_harness;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fieldkit_protocols::engine::{
    Consenter, Decision, EventKind, Session, SessionKind, SessionStart, SkipReason, Step,
};
use fieldkit_protocols::model::QuestionKind;
use fieldkit_protocols::{library, Protocol, Value};
use fieldkit_sync_server::store::Store;
use time::OffsetDateTime;
use ui_harness::server::DemoServer;

const CHILD: &str = "child-rapid-assessment";

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// An X display of phone size, private to this test.
struct Display {
    name: String,
    xvfb: Child,
}

impl Display {
    fn start() -> Display {
        let number = (60..400)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .expect("a free X display number");
        let name = format!(":{number}");
        let xvfb = Command::new("Xvfb")
            .args([
                name.as_str(),
                "-screen",
                "0",
                "390x844x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let display = Display { name, xvfb };
        let socket = format!("/tmp/.X11-unix/X{number}");
        wait_for("Xvfb to listen", Duration::from_secs(20), || {
            Path::new(&socket).exists()
        });
        display
    }

    fn run(&self, program: &str, args: &[&str]) -> Vec<u8> {
        let out = Command::new(program)
            .args(args)
            .env("DISPLAY", &self.name)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// The whole screen as PNG bytes.
    fn screen(&self) -> Vec<u8> {
        self.run("import", &["-window", "root", "png:-"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["key", "--delay", "60"];
        args.extend_from_slice(keys);
        self.run("xdotool", &args);
    }

    fn tabs(&self, n: usize) {
        self.keys(&vec!["Tab"; n]);
    }

    /// Slowly: each keystroke re-renders the field.
    fn type_text(&self, text: &str) {
        self.run("xdotool", &["type", "--delay", "120", text]);
    }

    /// Puts the focus start above everything: the next Tab reaches the
    /// quick-lock button, the one after it the screen's first control.
    fn focus_top(&self) {
        self.run("xdotool", &["mousemove", "40", "28", "click", "1"]);
        std::thread::sleep(Duration::from_millis(200));
        self.tabs(1);
    }

    /// Presses `key` and waits until the screen shows something else.
    fn press_and_wait(&self, key: &str, what: &str) {
        std::thread::sleep(Duration::from_millis(200)); // the focus ring settles
        let before = self.screen();
        self.keys(&[key]);
        wait_for(what, Duration::from_secs(60), || self.screen() != before);
        std::thread::sleep(Duration::from_millis(300)); // the new screen finishes painting
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The app process; killed (and its log shown) when the test ends.
struct App {
    child: Child,
    log: PathBuf,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("--- app log ---\n{log}");
        }
    }
}

/// The same engine the app runs, fed the same actions, says which step
/// the app shows next.
struct Mirror {
    session: Session,
}

impl Mirror {
    fn new(protocol: &Arc<Protocol>, age: u8) -> Mirror {
        let mut session = Session::new(Arc::clone(protocol));
        let start = SessionStart {
            session_id: uuid::Uuid::new_v4(),
            protocol_id: protocol.id.clone(),
            protocol_version: protocol.version,
            protocol_hash: protocol.content_hash(),
            language: "en".into(),
            interviewer_languages: vec!["en".into()],
            kind: SessionKind::Full,
            respondent: "R-TEST".into(),
            respondent_age: Some(age),
            linked_child: None,
            site_type: None,
            weekday: None,
        };
        session
            .record(EventKind::SessionStarted(start), OffsetDateTime::now_utc())
            .unwrap();
        Mirror { session }
    }

    fn record(&mut self, kind: EventKind) {
        self.session
            .record(kind, OffsetDateTime::now_utc())
            .expect("the app would accept this too");
    }

    fn protocol(&self) -> &Protocol {
        self.session.protocol()
    }
}

/// Focusable controls before a question's Skip button.
fn inputs_before_skip(kind: QuestionKind, choices: usize) -> usize {
    match kind {
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => choices,
        QuestionKind::Ranking => choices + 1,
        QuestionKind::YesNo => 2,
        _ => 1,
    }
}

#[test]
fn one_interview_in_the_real_window_reaches_the_server() {
    let tools = ["Xvfb", "xdotool", "import"];
    if let Some(missing) = tools.iter().find(|t| !have(t)) {
        eprintln!("skipped: `{missing}` is not installed (scripts/setup installs it)");
        return;
    }
    let server = DemoServer::start();
    let display = Display::start();
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("app.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_fieldkit"))
        .env("DISPLAY", &display.name)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("FIELDKIT_PREVIEW")
        .env("FIELDKIT_DATA", data.path().join("phone"))
        .env("FIELDKIT_SERVER", &server.url)
        .env("FIELDKIT_ENROL_CODE", server.code.expose())
        .env("XDG_CACHE_HOME", data.path().join("cache"))
        .env("XDG_DATA_HOME", data.path().join("share"))
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .expect("start the fieldkit binary");
    let _app = App { child, log };

    wait_for("the Fieldkit window", Duration::from_secs(90), || {
        Command::new("xdotool")
            .args(["search", "--name", "^Fieldkit$"])
            .env("DISPLAY", &display.name)
            .output()
            .is_ok_and(|o| o.status.success())
    });
    // The webview paints after the window maps: wait for text on screen.
    let blank = display.screen();
    wait_for("the first screen to paint", Duration::from_secs(60), || {
        std::thread::sleep(Duration::from_millis(300));
        display.screen() != blank
    });
    std::thread::sleep(Duration::from_millis(500));

    // First run: language (quick-lock, English, Français, Continue).
    display.focus_top();
    display.tabs(3);
    display.press_and_wait("Return", "the passphrase step");
    // Passphrase, confirmation, then Back and Continue.
    display.focus_top();
    display.tabs(1);
    display.type_text("river lamp quietly orange");
    display.tabs(1);
    display.type_text("river lamp quietly orange");
    display.tabs(2);
    display.press_and_wait("Return", "the code of practice");
    // Code of practice: tick, accept.
    display.focus_top();
    display.tabs(1);
    display.keys(&["space"]);
    display.tabs(1);
    display.press_and_wait("Return", "the enrolment step");
    // Enrolment, prefilled from the environment: server, code, Enrol.
    display.focus_top();
    display.tabs(3);
    display.press_and_wait("Return", "home after enrolment");

    // Home: open-sync, sync-now, then the first pinned protocol.
    let protocol = library::load_all()
        .into_iter()
        .find(|p| p.id == CHILD)
        .map(Arc::new)
        .unwrap();
    let first_protocol = library::load_all()
        .iter()
        .map(|p| p.id.clone())
        .min()
        .unwrap();
    assert_eq!(first_protocol, CHILD, "home lists protocols by id");
    display.focus_top();
    display.tabs(3);
    display.press_and_wait("Return", "the start form");
    // Start: reference (prefilled), age, en, fr, Home, Begin.
    display.focus_top();
    display.tabs(2);
    display.type_text("12");
    display.tabs(4);
    display.press_and_wait("Return", "the introduction");

    let mut mirror = Mirror::new(&protocol, 12);
    let mut answered_age = false;
    for turn in 0..200 {
        let step = mirror.session.next();
        // quick-lock, others present, Home, Stop: then the step's controls.
        let frame = || {
            display.focus_top();
            display.tabs(3);
        };
        match step {
            Step::Introduction => {
                frame();
                display.tabs(1);
                display.press_and_wait("Return", "the data-use statement");
                mirror.record(EventKind::IntroductionGiven);
            }
            Step::DataUse => {
                frame();
                display.tabs(1);
                display.press_and_wait("Return", "the consent question");
                let statement_hash = mirror.protocol().data_use_hash();
                mirror.record(EventKind::DataUseExplained { statement_hash });
            }
            Step::Consent { from } => {
                assert!(matches!(from, Consenter::Guardian | Consenter::Respondent));
                let audio = usize::from(mirror.protocol().consent_rules().unwrap().audio_recording);
                frame();
                display.tabs(audio + 2);
                display.press_and_wait("Return", "the next consent or screening");
                mirror.record(EventKind::ConsentRecorded {
                    by: from,
                    decision: Decision::Given,
                    audio_recording: false,
                });
            }
            Step::Screening { item_id } => {
                frame();
                display.tabs(2);
                display.press_and_wait("Return", "the next screening item");
                mirror.record(EventKind::ScreeningAnswered {
                    item_id,
                    positive: false,
                });
            }
            Step::Question { question_id } => {
                let q = mirror.protocol().question(&question_id).unwrap().clone();
                frame();
                if !answered_age && q.kind == QuestionKind::Integer {
                    display.tabs(1);
                    display.type_text("12");
                    display.tabs(3);
                    display.press_and_wait("Return", "the question after the age");
                    mirror.record(EventKind::Answered {
                        question_id,
                        value: Value::Integer(12),
                    });
                    answered_age = true;
                } else {
                    display.tabs(inputs_before_skip(q.kind, q.choices.len()) + 1);
                    display.press_and_wait("Return", "the question after a skip");
                    mirror.record(EventKind::Skipped {
                        question_id,
                        reason: SkipReason::DeclinedToAnswer,
                    });
                }
            }
            Step::RapportCheckpoint => {
                frame();
                display.tabs(1);
                display.press_and_wait("Return", "the sensitive section");
                mirror.record(EventKind::RapportConfirmed);
            }
            Step::SensitiveSection { .. } => {
                frame();
                display.tabs(1);
                display.press_and_wait("Return", "the closing");
                // "Skip this section" declines every sensitive question.
                while let Step::SensitiveSection {
                    first_question_id: id,
                }
                | Step::Question { question_id: id } = mirror.session.next()
                {
                    mirror.record(EventKind::Skipped {
                        question_id: id,
                        reason: SkipReason::DeclinedToAnswer,
                    });
                }
            }
            Step::Closing => {
                frame();
                display.tabs(1);
                display.press_and_wait("Return", "the finished screen");
                mirror.record(EventKind::Completed);
                break;
            }
            other => panic!("turn {turn}: the child interview reached {other:?}"),
        }
    }
    assert!(answered_age, "the age question was answered");

    // Finished: quick-lock, Home. Then home: quick-lock, open-sync, Sync now.
    display.focus_top();
    display.tabs(1);
    display.press_and_wait("Return", "home");
    display.focus_top();
    display.tabs(2);
    display.keys(&["Return"]);

    let device = server.store.devices().unwrap()[0].device_id;
    wait_for("the record on the server", Duration::from_secs(90), || {
        server.store.sync_status(device).unwrap().stored == 1
    });
    assert_eq!(server.store.sync_status(device).unwrap().rejected, 0);
}
