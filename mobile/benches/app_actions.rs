//! Action to screen: how long the real `App` takes from a tap to the next
//! rendered screen, for the longest shipped protocol (the child rapid
//! assessment), on a real vault in a temporary folder. No window: the
//! VirtualDom handles the event, writes the session event to the vault (one
//! synced transaction) and renders the mutations, as it does under the
//! webview. The ceiling is that one vault write alone (`vault/append_event`
//! in the same `scripts/bench` run): what is left is the engine and the
//! render. Target: under 16 ms per action in a release build.
//!
//! Each sample prepares the screen before the action (untimed) and times
//! only the action, through the screen tests' harness.

#[path = "../tests/ui_harness/mod.rs"]
mod ui_harness;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use ui_harness::{phone, Ui, STRONG};

/// Home, then a new child interview up to the introduction.
fn to_introduction(ui: &mut Ui) {
    // From a session's frame, or from the screen that ends one.
    for home in ["go-home-frame", "go-home"] {
        if !ui.has("start-child-rapid-assessment") && ui.has(home) {
            ui.click(home);
        }
    }
    ui.click("start-child-rapid-assessment");
    ui.type_into("age", "12");
    ui.click("session-lang-en");
    ui.click("begin");
}

/// From the introduction to the first question after the age.
fn to_questions(ui: &mut Ui) {
    ui.click("intro-done");
    ui.click("data-use-done");
    ui.click("consent-yes"); // guardian
    ui.click("consent-yes"); // the child
    while ui.text().contains("Screening") {
        ui.click("screen-no");
    }
}

/// A question the researcher can skip, starting a new interview when the
/// current one has run out of them.
fn at_a_question(ui: &mut Ui) {
    if ui.has("skip") {
        return;
    }
    to_introduction(ui);
    to_questions(ui);
    ui.type_into("answer", "12");
    ui.click("save-answer");
    assert!(ui.has("skip"), "no question to skip:\n{}", ui.text());
}

/// Times `action` `iters` times, each after an untimed `prepare`.
fn timed(ui: &mut Ui, iters: u64, prepare: fn(&mut Ui), action: fn(&mut Ui)) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        prepare(ui);
        let start = Instant::now();
        action(ui);
        total += start.elapsed();
    }
    total
}

fn actions(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    phone::set_up(dir.path());
    let mut ui = phone::unlocked(dir.path());
    let mut group = c.benchmark_group("app");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));

    // Next: the introduction read, the data-use statement shown (R3, R11).
    group.bench_function("next", |b| {
        b.iter_custom(|iters| timed(&mut ui, iters, to_introduction, |ui| ui.click("intro-done")));
    });
    // Answer: the age typed and saved; the first question rendered.
    group.bench_function("answer", |b| {
        b.iter_custom(|iters| {
            timed(
                &mut ui,
                iters,
                |ui| {
                    to_introduction(ui);
                    to_questions(ui);
                    ui.type_into("answer", "12");
                },
                |ui| ui.click("save-answer"),
            )
        });
    });
    // Skip: a question declined, the next one rendered.
    group.bench_function("skip", |b| {
        b.iter_custom(|iters| timed(&mut ui, iters, at_a_question, |ui| ui.click("skip")));
    });
    // Stop: the child withdrew; the session ends and its screen shows.
    group.bench_function("stop", |b| {
        b.iter_custom(|iters| {
            timed(
                &mut ui,
                iters,
                |ui| {
                    at_a_question(ui);
                    ui.click("stop");
                },
                |ui| {
                    ui.click("stop-withdrew");
                    assert!(!ui.has("skip"), "the session did not stop");
                },
            )
        });
    });
    // Lock: quick-lock from a question; the lock screen shows.
    group.bench_function("lock", |b| {
        b.iter_custom(|iters| {
            timed(
                &mut ui,
                iters,
                |ui| {
                    if ui.has("unlock-passphrase") {
                        ui.type_into("unlock-passphrase", STRONG);
                        ui.click("unlock");
                    }
                    at_a_question(ui);
                },
                |ui| {
                    ui.click("quick-lock");
                    assert!(ui.has("unlock-passphrase"), "not locked");
                },
            )
        });
    });
    group.finish();
}

criterion_group!(benches, actions);
criterion_main!(benches);
