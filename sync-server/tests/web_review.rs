//! The review pages over real HTTP: the queue puts records with findings
//! first and counts states, one decision reviews several records, rejecting
//! without a reason is refused with the typed note kept, a note is scrubbed
//! before it is stored, the record's page shows notes and history, and only
//! supervisors review (R22).

mod support;

use support::browser::*;
use support::*;
use uuid::Uuid;

/// A server with a plain child interview and one with an R14 finding.
async fn server_with_records() -> (TestServer, Uuid, Uuid) {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let plain = seal(device, &protocol, child_session(&protocol));
    let mut start = start(&protocol, Some(12));
    start.interviewer_languages = vec!["fr".to_owned()];
    let mismatch = seal(device, &protocol, completed_session(&protocol, start));
    let results = server
        .submit(&token, &[plain.clone(), mismatch.clone()])
        .await;
    assert!(
        results.iter().all(|r| r["status"] == "stored"),
        "{results:?}"
    );
    for (login, role) in [("sam", "supervisor"), ("ana", "analyst"), ("root", "admin")] {
        add_user(&server, login, role);
    }
    (server, plain.record_id, mismatch.record_id)
}

fn count(html: &str, state: &str) -> String {
    let at = html.find(&format!("id=\"count-{state}\"")).unwrap();
    let text = &html[at..];
    let text = &text[text.find('>').unwrap() + 1..text.find("</a>").unwrap()];
    text.rsplit(' ').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_supervisor_reviews_two_records_at_once_and_the_note_is_scrubbed() {
    let (server, plain, mismatch) = server_with_records().await;
    let (b, _) = Browser::log_in(&server, "sam", PASSWORD).await;
    let (status, html) = b.get(&server.url("/web/review")).await;
    assert_eq!(status, 200);
    let (first, second) = (
        html.find(&mismatch.to_string()).unwrap(),
        html.find(&plain.to_string()).unwrap(),
    );
    assert!(first < second, "the record with a finding is not first");
    assert!(html.contains(">R14</abbr>"), "{html}");
    assert_eq!(count(&html, "received"), "2");
    let csrf = hidden(&html, "csrf");

    // Rejecting without a reason changes nothing and keeps nothing typed lost.
    let (p, m) = (plain.to_string(), mismatch.to_string());
    let r = b
        .post(
            &server.url("/web/review/decide"),
            &[
                ("csrf", &csrf),
                ("record", &p),
                ("decide", "rejected"),
                ("note", " "),
            ],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("needs a reason"), "{html}");
    assert_eq!(count(&html, "received"), "2");

    let r = b
        .post(
            &server.url("/web/review/decide"),
            &[
                ("csrf", &csrf),
                ("record", &p),
                ("record", &m),
                ("decide", "has_issues"),
                ("note_rule", "R6"),
                (
                    "note",
                    "Rapport before the sensitive part. Ring me: +44 7700 900123",
                ),
                ("rule", "R14"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("2 records marked has issues."), "{html}");
    assert!(html.contains("1 identifying detail"), "{html}");
    assert_eq!(count(&html, "has_issues"), "2");
    assert_eq!(count(&html, "received"), "0");
    // The filter the supervisor was looking at is kept: R14 only.
    assert!(
        html.contains(&m) && !html.contains(&format!("pick-{p}")),
        "{html}"
    );

    let (status, page) = b
        .get(&server.url(&format!("/web/review/record?id={m}")))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Has issues"));
    // The page also holds random record ids and form tokens, which may
    // contain any run of digits: look for the number as it was written.
    assert!(
        page.contains("Ring me: [phone]") && !page.contains("7700 900123"),
        "{page}"
    );
    assert!(page.contains("not read yet"));
    assert!(
        page.contains("state received \u{2192} has_issues"),
        "{page}"
    );
    assert!(page.contains("note written (R6)"));
    assert!(page.contains("Supervisor:sam"));
    // Every change is in the audit log (R22).
    let (_, audit) = Browser::log_in(&server, "root", PASSWORD)
        .await
        .0
        .get(&server.url("/web/audit?action=review_state"))
        .await;
    assert!(audit.contains(&m) && audit.contains(&p), "{audit}");
}

#[tokio::test]
async fn only_supervisors_review_and_a_decision_needs_the_form_token() {
    let (server, plain, _) = server_with_records().await;
    for (login, home) in [("ana", "/web/tables"), ("root", "/web/users")] {
        let (b, _) = Browser::log_in(&server, login, PASSWORD).await;
        assert_eq!(b.get(&server.url("/web/review")).await.0, 403, "{login}");
        let (_, any) = b.get(&server.url(home)).await;
        let token = hidden(&any, "csrf");
        let r = b
            .post(
                &server.url("/web/review/decide"),
                &[
                    ("csrf", &token),
                    ("record", &plain.to_string()),
                    ("decide", "approved"),
                ],
            )
            .await;
        assert_eq!(r.status(), 403, "{login}");
    }
    let (b, _) = Browser::log_in(&server, "sam", PASSWORD).await;
    let r = b
        .post(
            &server.url("/web/review/decide"),
            &[
                ("csrf", "forged"),
                ("record", &plain.to_string()),
                ("decide", "approved"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    let (_, html) = b.get(&server.url("/web/review")).await;
    assert_eq!(count(&html, "approved"), "0");
}

#[tokio::test]
async fn the_team_view_counts_per_researcher_and_flags_identical_answers_without_showing_them() {
    let (server, _, _) = server_with_records().await;
    let (b, _) = Browser::log_in(&server, "sam", PASSWORD).await;
    let (status, html) = b.get(&server.url("/web/team")).await;
    assert_eq!(status, 200, "{html}");
    let row = &html[html.find("<td>Amina</td>").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    let cells: Vec<&str> = row
        .split("<td class=\"n\">")
        .skip(1)
        .map(|c| &c[..c.find('<').unwrap()])
        .collect();
    assert_eq!(
        cells,
        ["2", "2", "0", "0"],
        "sessions, completed, stops, refusals"
    );
    // One R14 finding in two sessions: 5.0 per 10 sessions.
    assert!(row.contains(">R14</abbr> 5.0"), "{row}");
    assert!(
        row.contains("<svg") && row.contains("sessions 0, 0, 0, 0, 0, 0, 0, 2"),
        "{row}"
    );
    // The two test sessions give the very same answers: flagged, explained,
    // and not one answer shown.
    let flags = &html[html.find("id=\"flags\"").unwrap()..];
    assert!(
        flags.contains("2 sessions of child-rapid-assessment have exactly the same 18 answers"),
        "{flags}"
    );
    assert!(html.contains("never an automatic sanction"));
    // The age answered in both sessions (12) is nowhere on the page.
    assert!(!html.contains(">12<"), "{html}");
    for login in ["ana", "root"] {
        let (b, _) = Browser::log_in(&server, login, PASSWORD).await;
        assert_eq!(b.get(&server.url("/web/team")).await.0, 403, "{login}");
    }
}
