//! Driving the real `fieldkit` binary in a test-owned Xvfb display with
//! xdotool, for `app_window*.rs`.
//!
//! The webview cannot be inspected from outside (WebDriver needs automation
//! switched on in the WebContext, which dioxus-desktop does not do), so the
//! keyboard is used: a click on the app name puts the focus start at the top
//! of the page, then Tab counts reach each control in document order. Which
//! step the app shows is known by running the same engine beside it
//! ([`Mirror`]). After each action the driver waits, with a deadline, for
//! the screen to change.

#![allow(dead_code)] // Each test file uses a different part.

// One file for both harnesses; a test that uses both loads it twice, harmlessly.
#[allow(clippy::duplicate_mod)]
#[path = "../ui_harness/enrolment.rs"]
pub mod enrolment;
pub mod phone;
pub mod skewed_clock;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fieldkit_protocols::engine::{
    Consenter, Decision, EventKind, Session, SessionKind, SessionStart, SkipReason, Step,
};
use fieldkit_protocols::model::{Method, QuestionKind};
use fieldkit_protocols::{library, Protocol, Value};
use time::OffsetDateTime;

pub const PASSPHRASE: &str = "river lamp quietly orange";

/// The tools the driver needs, or the first one missing.
pub fn missing_tool() -> Option<&'static str> {
    ["Xvfb", "xdotool", "import"].into_iter().find(|tool| {
        !Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An X display of phone size, private to this test.
pub struct Display {
    pub name: String,
    xvfb: Child,
    // Xvfb's stdout, kept open for its lifetime (it wrote the display number there).
    _announce: std::process::ChildStdout,
}

impl Display {
    /// Starts Xvfb on a display number it picks itself (`-displayfd`): X's own
    /// lock files make the choice atomic, so tests (and other suites on the
    /// same machine) starting displays at the same moment never share one.
    pub fn start() -> Display {
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "390x844x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let mut announce = xvfb.stdout.take().expect("Xvfb's stdout");
        // Xvfb writes the number once it accepts connections.
        let mut number = String::new();
        let mut byte = [0u8; 1];
        while let Ok(1) = std::io::Read::read(&mut announce, &mut byte) {
            if byte[0] == b'\n' {
                break;
            }
            number.push(byte[0] as char);
        }
        let number = number.trim();
        assert!(
            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
            "Xvfb did not announce a display number (got {number:?})"
        );
        Display {
            name: format!(":{number}"),
            xvfb,
            _announce: announce,
        }
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
    pub fn screen(&self) -> Vec<u8> {
        self.run("import", &["-window", "root", "png:-"])
    }

    /// Saves the screen (the whole 390x844 phone) to `path`.
    pub fn shoot(&self, path: &Path) {
        std::thread::sleep(Duration::from_millis(400)); // the focus ring settles
        std::fs::write(path, self.screen()).unwrap();
        eprintln!("screenshot: {}", path.display());
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["key", "--delay", "60"];
        args.extend_from_slice(keys);
        self.run("xdotool", &args);
    }

    pub fn tabs(&self, n: usize) {
        if n > 0 {
            self.keys(&vec!["Tab"; n]);
        }
    }

    /// At xdotool's full speed, no delay between keys: faster than any
    /// thumb, as a loaded phone delivers a burst. Fields are uncontrolled
    /// (`ui/text_field.rs`), so none may be lost; [`App::typed`] checks.
    /// Then it waits for the screen to settle, as a person looks before the
    /// next tap: a button the text enables joins the Tab order only then.
    pub fn type_text(&self, text: &str) {
        self.run("xdotool", &["type", "--delay", "0", text]);
        self.settle();
    }

    /// Puts the focus start above everything: the next Tab reaches the
    /// quick-lock button, the one after it the screen's first control.
    pub fn focus_top(&self) {
        self.run("xdotool", &["mousemove", "40", "28", "click", "1"]);
        std::thread::sleep(Duration::from_millis(200));
        self.tabs(1);
    }

    /// From the top, `n` more Tabs, then Return; waits for the next screen.
    pub fn activate(&self, n: usize, what: &str) {
        self.focus_top();
        self.tabs(n);
        self.press_and_wait("Return", what);
    }

    /// Waits until the screen has stopped changing (a late repaint).
    pub fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = self.screen();
        let mut still = 0;
        while still < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(300));
            let now = self.screen();
            still = if now == last { still + 1 } else { 0 };
            last = now;
        }
    }

    /// Presses `key` and waits until the screen shows something else.
    pub fn press_and_wait(&self, key: &str, what: &str) {
        assert!(
            self.press_and_see(key, Duration::from_secs(60)),
            "waited 60s for {what}"
        );
    }

    /// Presses `key`; true once the screen changed within `limit`.
    pub fn press_and_see(&self, key: &str, limit: Duration) -> bool {
        std::thread::sleep(Duration::from_millis(200)); // the focus ring settles
        let before = self.screen();
        self.keys(&[key]);
        self.changes_from(&before, limit)
    }

    /// True once the screen differs from `before`, within `limit`.
    pub fn changes_from(&self, before: &[u8], limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.screen() == before {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(300)); // the new screen finishes painting
        true
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// The app process; killed (and its log shown on failure) when dropped.
pub struct App {
    child: Child,
    log: PathBuf,
}

impl App {
    /// Starts the binary on `display` with its vault in `data/phone`, and
    /// waits until its first screen is painted.
    pub fn start(display: &Display, data: &Path, server: &str, code: &str) -> App {
        let log = data.join("app.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_fieldkit"))
            .env("DISPLAY", &display.name)
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("FIELDKIT_PREVIEW")
            .env("FIELDKIT_DATA", data.join("phone"))
            .env("FIELDKIT_SERVER", server)
            .env("FIELDKIT_ENROL_CODE", code)
            .env("XDG_CACHE_HOME", data.join("cache"))
            // Text fields log their length (never their text) at trace.
            .env(
                "RUST_LOG",
                "warn,fieldkit_mobile=info,fieldkit_mobile::ui::text_field=trace",
            )
            .env("NO_COLOR", "1")
            .env("XDG_DATA_HOME", data.join("share"))
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("start the fieldkit binary");
        let app = App { child, log };
        wait_for("the Fieldkit window", Duration::from_secs(90), || {
            Command::new("xdotool")
                .args(["search", "--name", "^Fieldkit$"])
                .env("DISPLAY", &display.name)
                .output()
                .is_ok_and(|o| o.status.success())
        });
        // The webview paints after the window maps.
        let blank = display.screen();
        wait_for("the first screen to paint", Duration::from_secs(60), || {
            std::thread::sleep(Duration::from_millis(300));
            display.screen() != blank
        });
        std::thread::sleep(Duration::from_millis(500));
        app
    }
}

impl App {
    /// Waits until the app's log (stderr) holds `line`.
    pub fn wait_for_log(&self, line: &str, limit: Duration) {
        wait_for(&format!("`{line}` in the app's log"), limit, || {
            std::fs::read_to_string(&self.log).is_ok_and(|log| log.contains(line))
        });
    }
}

impl App {
    /// Waits until the field with this id has held `chars` characters: every
    /// key typed at full speed arrived (the log has lengths, never text).
    pub fn typed(&self, field: &str, chars: usize) {
        self.wait_for_log(
            &format!("field={field} chars={chars}"),
            Duration::from_secs(20),
        );
    }
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

/// Language, passphrase, code of practice, enrolment (prefilled from the
/// environment); ends on home. `shoot` sees each first-run screen.
pub fn first_run(display: &Display, app: &App, shoot: &mut dyn FnMut(&str)) {
    // quick-lock, English, Français, Continue.
    display.activate(3, "the passphrase step");
    // passphrase, confirmation, Back, Continue (a disabled Continue is not
    // in the Tab order, so a lost keystroke shows up as a timeout here).
    display.focus_top();
    display.tabs(1);
    display.type_text(PASSPHRASE);
    display.tabs(1);
    display.type_text(PASSPHRASE);
    // The strength meter enables Continue once it has judged the passphrase:
    // on a loaded machine, Tab before that skips it.
    display.settle();
    display.tabs(2);
    display.press_and_wait("Return", "the code of practice");
    // "Creating your encrypted vault…" first, while the key is derived off
    // the screen; then the code of practice.
    app.wait_for_log("vault created", Duration::from_secs(60));
    display.settle();
    // tick, accept.
    display.focus_top();
    display.tabs(1);
    display.keys(&["space"]);
    display.tabs(1);
    display.press_and_wait("Return", "the enrolment step");
    shoot("enrol");
    // server, code, Enrol: "Connecting…", then home once the app's log
    // says the enrolment (which runs off the screen) is over.
    display.activate(3, "the enrolment to start");
    let connecting = display.screen();
    app.wait_for_log("enrolled and protocols pinned", Duration::from_secs(90));
    // Home replaces "Connecting…", unless it already had.
    display.changes_from(&connecting, Duration::from_secs(5));
    display.settle();
}

pub fn shipped(id: &str) -> Arc<Protocol> {
    library::load_all()
        .into_iter()
        .find(|p| p.id == id)
        .map(Arc::new)
        .unwrap_or_else(|| panic!("protocol {id} is shipped"))
}

/// Tabs from the quick-lock button to a protocol's start button on home,
/// which lists pinned protocols by id after "open sync" and "sync now".
pub fn home_tabs_to_protocol(id: &str) -> usize {
    let mut ids: Vec<String> = library::load_all().into_iter().map(|p| p.id).collect();
    ids.sort();
    2 + 1 + ids.iter().position(|x| x == id).expect("shipped")
}

/// Fills the start form (reference prefilled; age unless observing) and begins.
pub fn begin(display: &Display, protocol: &Protocol, age: u8) {
    display.focus_top();
    display.tabs(1); // reference
    let observing = protocol.observation.is_some();
    if observing {
        display.tabs(1); // site: the first one is chosen
    } else {
        display.tabs(1);
        display.type_text(&age.to_string());
    }
    // A validation session's pinned pack (one), each session language, Home, Begin.
    let packs = usize::from(protocol.method == Method::Validation);
    display.tabs(packs + protocol.languages.len() + 2);
    display.press_and_wait("Return", "the first step");
}

/// The same engine the app runs, fed the same actions, says which step
/// the app shows next.
pub struct Mirror {
    pub session: Session,
    /// Answer the screening's first item "yes" (to reach the referral).
    pub positive_screen: bool,
    answered_age: bool,
}

impl Mirror {
    pub fn new(protocol: &Arc<Protocol>, age: u8) -> Mirror {
        let mut session = Session::new(Arc::clone(protocol));
        let site_type = protocol
            .observation
            .as_ref()
            .and_then(|o| o.site_types.first())
            .map(|s| s.id.clone());
        let start = SessionStart {
            session_id: uuid::Uuid::new_v4(),
            protocol_id: protocol.id.clone(),
            protocol_version: protocol.version,
            protocol_hash: protocol.content_hash(),
            language: "en".into(),
            interviewer_languages: vec!["en".into()],
            kind: SessionKind::Full,
            respondent: "R-TEST".into(),
            respondent_age: protocol.observation.is_none().then_some(age),
            linked_child: None,
            site_type,
            weekday: None,
            // The mirror only predicts steps: any pack will do.
            findings_pack: (protocol.method == Method::Validation)
                .then(|| fieldkit_protocols::ContentHash::of_bytes(b"mirror")),
        };
        session
            .record(EventKind::SessionStarted(start), OffsetDateTime::now_utc())
            .unwrap();
        Mirror {
            session,
            positive_screen: false,
            // An observation sheet has no age to give.
            answered_age: protocol.observation.is_some(),
        }
    }

    fn record(&mut self, kind: EventKind) {
        self.session
            .record(kind, OffsetDateTime::now_utc())
            .expect("the app would accept this too");
    }

    fn protocol(&self) -> &Protocol {
        self.session.protocol()
    }

    /// quick-lock, [others present], Home, Stop, [add a late participant
    /// to a focus group]: then the step's controls.
    fn frame(&self) -> usize {
        let late_joiner = self
            .protocol()
            .focus_group
            .as_ref()
            .is_some_and(|g| self.session.roster().len() < usize::from(g.max_participants))
            && self.session.next() != Step::Roster;
        let base = if self.protocol().observation.is_some() {
            2
        } else {
            3
        };
        base + usize::from(late_joiner)
    }

    /// Does what a researcher would on the current step: intro, data use,
    /// consents given, screening negative (or positive), the first whole
    /// number answered, every other question declined, rapport confirmed,
    /// the sensitive section skipped, finish.
    pub fn act(&mut self, display: &Display) {
        let frame = self.frame();
        match self.session.next() {
            Step::Introduction => {
                let audio = usize::from(self.protocol().introduction.audio.is_some());
                display.activate(frame + audio + 1, "the data-use statement");
                self.record(EventKind::IntroductionGiven);
            }
            Step::DataUse => {
                // The "listen" button comes before the statement.
                let audio = usize::from(self.protocol().data_use.audio.is_some());
                display.activate(frame + audio + 1, "the consent question");
                let statement_hash = self.protocol().data_use_hash();
                self.record(EventKind::DataUseExplained { statement_hash });
            }
            Step::Consent { from } => {
                let rules = self.protocol().consent_rules().unwrap();
                display.activate(frame + usize::from(rules.audio_recording) + 2, "next");
                self.record(EventKind::ConsentRecorded {
                    by: from,
                    decision: Decision::Given,
                    audio_recording: false,
                });
            }
            Step::Roster => {
                display.focus_top();
                display.tabs(frame + 1);
                display.type_text("12");
                display.tabs(1);
                display.press_and_wait("Return", "the participant's consent");
                let code = format!("P{}", self.session.roster().len() + 1);
                self.record(EventKind::ParticipantAdded {
                    code,
                    age: Some(12),
                });
            }
            Step::Screening { item_id } => {
                let positive = self.positive_screen;
                display.activate(frame + if positive { 1 } else { 2 }, "next");
                self.record(EventKind::ScreeningAnswered { item_id, positive });
                if positive {
                    self.record(EventKind::Stopped {
                        reason: fieldkit_protocols::engine::StopReason::ScreeningPositive,
                    });
                }
            }
            Step::Question { question_id } => {
                let q = self.protocol().question(&question_id).unwrap().clone();
                if !self.answered_age && q.kind == QuestionKind::Integer {
                    display.focus_top();
                    display.tabs(frame + 1);
                    display.type_text("12");
                    display.tabs(3); // Skip, Don't know, Save
                    display.press_and_wait("Return", "the question after the age");
                    self.record(EventKind::Answered {
                        question_id,
                        value: Value::Integer(12),
                    });
                    self.answered_age = true;
                } else {
                    let inputs = match q.kind {
                        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
                            q.choices.len()
                        }
                        QuestionKind::Ranking => q.choices.len() + 1,
                        QuestionKind::YesNo => 2,
                        _ => 1,
                    };
                    // The card (a button: full-screen) and a "listen" button.
                    let inputs = inputs
                        + usize::from(q.card.is_some() || q.image.is_some())
                        + usize::from(q.audio.is_some());
                    display.activate(frame + inputs + 1, "the question after a skip");
                    self.record(EventKind::Skipped {
                        question_id,
                        reason: SkipReason::DeclinedToAnswer,
                    });
                }
            }
            Step::RapportCheckpoint => {
                display.activate(frame + 1, "the sensitive section");
                self.record(EventKind::RapportConfirmed);
            }
            Step::SensitiveSection { .. } => {
                display.activate(frame + 1, "the closing");
                // "Skip this section" declines every sensitive question.
                while let Step::SensitiveSection {
                    first_question_id: id,
                }
                | Step::Question { question_id: id } = self.session.next()
                {
                    self.record(EventKind::Skipped {
                        question_id: id,
                        reason: SkipReason::DeclinedToAnswer,
                    });
                }
            }
            Step::Closing => {
                display.activate(frame + 1, "the finished screen");
                self.record(EventKind::Completed);
            }
            other => panic!("no default action on {other:?}"),
        }
    }

    pub fn answered_age(&self) -> bool {
        self.answered_age
    }

    /// Whether the step is one of the consent steps of `who`.
    pub fn is_consent_of(step: &Step, who: &Consenter) -> bool {
        matches!(step, Step::Consent { from } if from == who)
    }
}
