//! Issue 20's leftovers over real HTTP, on either backend: the interview
//! length a phone sends is checked like the rest of what the anonymiser
//! makes (R21) and feeds the team view's short-interview flag; opening the
//! team view is audited (R22); analysts' exports carry each record's review
//! state, rejected records included, and the codebook says so.

mod support;

use fieldkit_protocols::wire::RecordEnvelope;
use support::browser::*;
use support::*;
use uuid::Uuid;

/// A plain completed interview that the phone timed at `minutes`.
fn timed(
    device: Uuid,
    protocol: &std::sync::Arc<fieldkit_protocols::Protocol>,
    minutes: Option<u32>,
) -> RecordEnvelope {
    reseal(RecordEnvelope {
        duration_minutes: minutes,
        ..seal(device, protocol, child_session(protocol))
    })
}

/// The quality flags' list items that name `researcher`.
fn flags_of(html: &str, researcher: &str) -> Vec<String> {
    let list = &html[html.find("id=\"flags\"").unwrap()..];
    let list = &list[..list.find("</ul>").unwrap()];
    list.split("<li>")
        .filter(|item| item.starts_with(&format!("<strong>{researcher}</strong>")))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn interview_lengths_are_checked_then_short_interviews_are_flagged_and_the_view_audited() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (amina, amina_token) = server.enrol("Amina").await;
    let (kwame, kwame_token) = server.enrol("Kwame").await;
    let (efua, efua_token) = server.enrol("Efua").await;

    // Lengths the device never sends: finer than its steps, or longer than
    // the session's own day (its events are all dated today, R21).
    let finer = timed(kwame, &protocol, Some(12));
    let impossible = timed(kwame, &protocol, Some(24 * 60));
    let results = server.submit(&kwame_token, &[finer, impossible]).await;
    for (result, words) in results.iter().zip(["steps of 5 minutes", "event times"]) {
        assert_eq!(result["status"], "rejected", "{result}");
        assert_eq!(result["rule"], "R21", "{result}");
        let reason = result["reason"].as_str().unwrap();
        assert!(reason.contains(words), "{reason}");
    }

    let amina_records: Vec<_> = [35, 40, 45, 40]
        .into_iter()
        .map(|m| timed(amina, &protocol, Some(m)))
        .collect();
    let kwame_records: Vec<_> = [10, 10, 15]
        .into_iter()
        .map(|m| timed(kwame, &protocol, Some(m)))
        .collect();
    // An older phone sends no length: stored, and left out of the medians.
    let efua_records: Vec<_> = (0..3).map(|_| timed(efua, &protocol, None)).collect();
    for (token, records) in [
        (&amina_token, &amina_records),
        (&kwame_token, &kwame_records),
        (&efua_token, &efua_records),
    ] {
        let results = server.submit(token, records).await;
        assert!(
            results.iter().all(|r| r["status"] == "stored"),
            "{results:?}"
        );
    }
    let stored_length = server.store.query(&format!(
        "SELECT envelope FROM records WHERE record_id = '{}'",
        kwame_records[0].record_id
    ));
    let envelope = stored_length[0][0].as_deref().unwrap();
    assert!(envelope.contains("\"duration_minutes\":10"), "{envelope}");

    for (login, role) in [("sam", "supervisor"), ("root", "admin")] {
        add_user(&server, login, role);
    }
    let (b, _) = Browser::log_in(&server, "sam", PASSWORD).await;
    let (status, html) = b.get(&server.url("/web/team")).await;
    assert_eq!(status, 200, "{html}");
    // Seven timed interviews: 10, 10, 15, 35, 40, 40, 45; the median is 35.
    let kwame_flags = flags_of(&html, "Kwame");
    assert!(
        kwame_flags.iter().any(|f| f.contains(
            "3 completed interviews of child-rapid-assessment took 10 minutes at the median; \
             the team&#39;s usual interview of child-rapid-assessment takes 35 minutes"
        )),
        "{kwame_flags:?}"
    );
    assert!(
        kwame_flags
            .iter()
            .any(|f| f.contains("before drawing any conclusion")),
        "{kwame_flags:?}"
    );
    for calm in ["Amina", "Efua"] {
        let short: Vec<_> = flags_of(&html, calm)
            .into_iter()
            .filter(|f| f.contains("minutes at the median"))
            .collect();
        assert!(short.is_empty(), "{calm}: {short:?}");
    }
    assert!(html.contains("steps of 5 minutes"), "{html}");

    // Each opening is in the audit log, as an answer read is (R22).
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'view:team' \
                   AND target = 'child-rapid-assessment' AND actor LIKE '%sam%'";
    assert_eq!(server.store.count(audited), 1);
    b.get(&server.url("/web/team")).await;
    assert_eq!(server.store.count(audited), 2);
    let (root, _) = Browser::log_in(&server, "root", PASSWORD).await;
    let (_, audit) = root.get(&server.url("/web/audit?action=view:team")).await;
    assert!(
        audit.contains("view:team") && audit.contains("child-rapid-assessment"),
        "{audit}"
    );
}

#[tokio::test]
async fn exports_carry_each_records_review_state_and_keep_rejected_records() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let records: Vec<_> = (0..3)
        .map(|_| seal(device, &protocol, child_session(&protocol)))
        .collect();
    server.submit(&token, &records).await;
    let [approved, rejected, untouched] = [0, 1, 2].map(|i| records[i].record_id.to_string());
    for (login, role) in [("sam", "supervisor"), ("ana", "analyst")] {
        add_user(&server, login, role);
    }
    let (sam, _) = Browser::log_in(&server, "sam", PASSWORD).await;
    let (_, queue) = sam.get(&server.url("/web/review")).await;
    let csrf = hidden(&queue, "csrf");
    for (record, decision, note) in [
        (&approved, "approved", ""),
        (
            &rejected,
            "rejected",
            "Consent was recorded before the data use was read.",
        ),
    ] {
        let r = sam
            .post(
                &server.url("/web/review/decide"),
                &[
                    ("csrf", &csrf),
                    ("record", record),
                    ("decide", decision),
                    ("note", note),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
    }

    let (ana, _) = Browser::log_in(&server, "ana", PASSWORD).await;
    let export = |format: &str| {
        server.url(&format!(
            "/web/export?protocol=child-rapid-assessment&format={format}"
        ))
    };
    let (status, wide) = ana.get(&export("csv-wide")).await;
    assert_eq!(status, 200, "{wide}");
    let mut lines = wide.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|c| *c == "review_state").unwrap();
    let state_of = |id: &str| -> String {
        let row = wide.lines().find(|l| l.starts_with(id)).unwrap();
        row.split(',').nth(column).unwrap().to_owned()
    };
    assert_eq!(state_of(&approved), "approved");
    assert_eq!(state_of(&rejected), "rejected", "rejected records stay in");
    assert_eq!(state_of(&untouched), "received");

    let (_, long) = ana.get(&export("csv-long")).await;
    assert!(long.contains("record_id,question_id,status,value,review_state"));
    let rejected_rows: Vec<&str> = long.lines().filter(|l| l.starts_with(&*rejected)).collect();
    assert!(!rejected_rows.is_empty());
    assert!(
        rejected_rows.iter().all(|row| row.ends_with(",rejected")),
        "{rejected_rows:?}"
    );

    let (_, json) = ana.get(&export("json")).await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let states: Vec<(String, String)> = json["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["record_id"].as_str().unwrap().to_owned(),
                r["review_state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(states.len(), 3);
    for (id, state) in [
        (&approved, "approved"),
        (&rejected, "rejected"),
        (&untouched, "received"),
    ] {
        assert!(
            states.contains(&(id.clone(), state.to_owned())),
            "{states:?}"
        );
    }

    let (_, codebook) = ana.get(&export("codebook")).await;
    assert!(codebook.contains("`review_state`"), "{codebook}");
    assert!(
        codebook.contains("Rejected records are kept in every export"),
        "{codebook}"
    );
}
