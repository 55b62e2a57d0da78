//! Screenshots of a validation session in the real app at 390x844, in
//! English and in French (issue 22): the start screen with the pinned
//! findings pack, and a finding shown to the group (bars, a suppressed row,
//! the sentence read aloud, the caveat). Run by `scripts/screenshot`
//! (FIELDKIT_SCREENSHOTS names the folder); ignored otherwise.

#![cfg(feature = "desktop")]

mod app_window_support;

use std::path::PathBuf;
use std::time::Duration;

use app_window_support::phone::enrolled_phone;
use app_window_support::{begin, home_tabs_to_protocol, shipped, App, Display, Mirror, PASSPHRASE};
use fieldkit_protocols::engine::Step;
use fieldkit_protocols::findings::{sentence, Finding, FindingRow, FindingsPack, PackListing};
use fieldkit_protocols::model::Text;
use time::macros::datetime;

const VALIDATION: &str = "findings-validation";

fn both(en: &str, fr: &str) -> Text {
    Text(
        [
            ("en".to_owned(), en.to_owned()),
            ("fr".to_owned(), fr.to_owned()),
        ]
        .into(),
    )
}

/// A pack as the server would publish it from the child rapid assessment.
fn pack() -> PackListing {
    let child = shipped("child-rapid-assessment");
    let q = child.question("work_type").unwrap();
    let label = |v: &str| {
        q.choices
            .iter()
            .find(|c| c.value == v)
            .unwrap()
            .label
            .clone()
    };
    let rows = vec![
        FindingRow {
            label: label("agriculture"),
            count: Some(9),
        },
        FindingRow {
            label: label("vending"),
            count: Some(6),
        },
        FindingRow {
            label: label("domestic"),
            count: Some(5),
        },
        FindingRow {
            label: label("mining"),
            count: None,
        },
    ];
    let languages = vec!["en".to_owned(), "fr".to_owned()];
    let pack = FindingsPack {
        site: "North district".into(),
        protocol_id: child.id.clone(),
        protocol_version: child.version,
        published_at: datetime!(2026-11-20 10:00 UTC),
        min_cell_size: 5,
        caveat: Some(both(
            "Rapid assessment: these results describe the children met, are not representative and must not be extrapolated to a wider population (R25).",
            "Évaluation rapide : ces résultats décrivent les enfants rencontrés, ne sont pas représentatifs et ne doivent pas être extrapolés à une population plus large (R25).",
        )),
        definitions: child.definitions.clone(),
        findings: vec![Finding {
            id: "child-rapid-assessment/work_type".into(),
            question: q.text.clone(),
            sentence: sentence(&rows, &languages),
            rows,
        }],
        languages,
    };
    PackListing {
        hash: pack.content_hash(),
        site: pack.site.clone(),
        pack_json: serde_json::to_string(&pack).unwrap(),
    }
}

#[test]
#[ignore = "writes screenshots; run by scripts/screenshot"]
fn a_finding_shown_to_the_group_at_phone_size() {
    if let Some(missing) = app_window_support::missing_tool() {
        panic!("`{missing}` is not installed: run scripts/setup");
    }
    let out = PathBuf::from(std::env::var("FIELDKIT_SCREENSHOTS").expect("FIELDKIT_SCREENSHOTS"));
    std::fs::create_dir_all(&out).unwrap();
    let validation = shipped(VALIDATION);
    for lang in ["en", "fr"] {
        let display = Display::start();
        let data = tempfile::tempdir().unwrap();
        let mut vault = enrolled_phone(&data.path().join("phone"), lang);
        assert_eq!(vault.pin_pack(&pack()).unwrap(), Ok(true));
        drop(vault);
        let app = App::start(&display, data.path(), "http://127.0.0.1:9", "");
        let shot = |name: &str| display.shoot(&out.join(format!("{name}-{lang}.png")));
        display.focus_top();
        display.type_text(PASSPHRASE);
        display.tabs(1);
        display.press_and_wait("Return", "home");
        display.settle();

        display.activate(home_tabs_to_protocol(VALIDATION), "the start form");
        display.settle();
        shot("31-validation-start");
        begin(&display, &validation, 12);

        let mut mirror = Mirror::new(&validation, 12);
        loop {
            if let Step::Question { question_id } = mirror.session.next() {
                if question_id == "work_type_agree" {
                    display.settle();
                    shot("31-validation-finding");
                    break;
                }
            }
            mirror.act(&display);
        }
        std::thread::sleep(Duration::from_millis(200));
        drop(app);
    }
}
