//! The pages over real HTTP on 127.0.0.1: login and CSRF, what each role may
//! see, the compliance page's findings, and a streamed export's rows.

mod support;

use support::browser::*;
use support::*;

/// A server with one normal child interview and one in a language the
/// researcher did not declare (an R14 finding).
async fn server_with_records() -> TestServer {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let normal = seal(device, &protocol, child_session(&protocol));
    let mut start = start(&protocol, Some(12));
    start.interviewer_languages = vec!["fr".to_owned()];
    let mismatch = seal(device, &protocol, completed_session(&protocol, start));
    let results = server.submit(&token, &[normal, mismatch]).await;
    assert!(
        results.iter().all(|r| r["status"] == "stored"),
        "{results:?}"
    );
    for (login, role) in [("sam", "supervisor"), ("ana", "analyst"), ("root", "admin")] {
        add_user(&server, login, role);
    }
    server
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_and_refuses_wrong_passwords() {
    let server = server_with_records().await;
    let (_, status) = Browser::log_in(&server, "sam", "wrong password!").await;
    assert_eq!(status, 401);
    // Logged in, on a page that warns of the failed try in between.
    let (b, status) = Browser::log_in(&server, "sam", PASSWORD).await;
    assert_eq!(status, 200);
    let session = b
        .cookies
        .iter()
        .find(|c| c.starts_with("fk_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    // Without a cookie, pages send you to the login form.
    let (status, _) = Browser::new().get(&server.url("/web/compliance")).await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn login_without_the_form_token_is_refused() {
    let server = server_with_records().await;
    let b = Browser::new();
    let r = b
        .post(
            &server.url("/login"),
            &[("login", "sam"), ("password", PASSWORD), ("csrf", "x")],
        )
        .await;
    assert_eq!(r.status(), 403);
}

/// A phone with a flat-battery clock: its session is kept, and the
/// supervisor sees the time finding with both times (issue 14, R26).
#[tokio::test]
async fn supervisor_sees_a_session_dated_by_a_wrong_clock_with_both_times() {
    let server = server_with_records().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Kwame").await;
    let mut events = child_session(&protocol);
    for event in &mut events {
        event.at = time::macros::datetime!(2000-01-01 00:00 UTC);
    }
    let record = seal(device, &protocol, events);
    let results = server.submit(&token, &[record]).await;
    assert_eq!(results[0]["status"], "stored", "{results:?}");
    let (b, _) = Browser::log_in(&server, "sam", PASSWORD).await;
    let (_, html) = b.get(&server.url("/web/compliance")).await;
    let published = server.store.protocols().unwrap()[0].published_at;
    assert!(html.contains("R26"), "{html}");
    assert!(html.contains("2000-01-01 00:00 UTC"), "{html}");
    assert!(
        html.contains(&fieldkit_sync_server::timing::show(published)),
        "{html}"
    );
    assert!(
        html.contains("before its protocol version was published"),
        "{html}"
    );
    assert!(html.contains("Kwame"), "{html}");
}

#[tokio::test]
async fn supervisor_sees_the_language_finding_with_its_principle_but_no_answers() {
    let server = server_with_records().await;
    let (b, _) = Browser::log_in(&server, "sam", PASSWORD).await;
    let (status, html) = b.get(&server.url("/web/compliance")).await;
    assert_eq!(status, 200);
    assert!(html.contains("R14"), "{html}");
    assert!(html.contains("The researcher should speak the same language as the children."));
    assert!(html.contains("Amina"));
    // The overview counts both sessions and one language mismatch.
    let row = &html[html.find("<td>Amina</td>").unwrap()..];
    let cells: Vec<&str> = row
        .split("<td class=\"n\">")
        .skip(1)
        .map(|c| &c[..c.find('<').unwrap()])
        .take(10)
        .collect();
    assert_eq!(cells[0], "2", "sessions: {cells:?}");
    assert_eq!(cells[8], "1", "language mismatches: {cells:?}");
    // No key-informant session cross-checks either child (R12).
    assert_eq!(cells[9], "2", "missing cross-checks: {cells:?}");
    // Answers are not for supervisors (R22).
    assert_eq!(b.get(&server.url("/web/tables")).await.0, 403);
    let export = b
        .get(&server.url("/web/export?protocol=child-rapid-assessment&format=csv-wide"))
        .await;
    assert_eq!(export.0, 403);
    // Supervisors may look at devices but not revoke them.
    let (status, devices) = b.get(&server.url("/web/devices")).await;
    assert_eq!(status, 200);
    assert!(devices.contains("Amina") && !devices.contains("Revoke"));
    // R15: the researcher's acceptance of the code of practice, as sent.
    assert!(devices.contains("Code of practice (R15)"), "{devices}");
    assert!(devices.contains("accepted 2026-01-05 (en)"), "{devices}");
}

#[tokio::test]
async fn analyst_cannot_reach_devices_or_compliance() {
    let server = server_with_records().await;
    let (b, _) = Browser::log_in(&server, "ana", PASSWORD).await;
    assert_eq!(b.get(&server.url("/web/devices")).await.0, 403);
    assert_eq!(b.get(&server.url("/web/compliance")).await.0, 403);
}

#[tokio::test]
async fn analyst_tables_suppress_small_cells_and_carry_the_caveat() {
    let server = server_with_records().await;
    let (b, _) = Browser::log_in(&server, "ana", PASSWORD).await;
    let (status, html) = b.get(&server.url("/web/tables?ages=0-11,12-17")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("not representative"), "R25 caveat missing");
    // Two sessions, both aged 12: the 12-17 cell is 2, below 5, so hidden.
    assert!(html.contains("<th>12-17</th>"));
    assert!(html.contains("&lt;5"));
    assert!(
        !html.contains("<td class=\"n\">2</td>"),
        "a cell of 2 was shown"
    );
    assert!(html.contains("<svg"));
    let audit = fieldkit_sync_server::store::Store::audit_log(
        &*server.store,
        &fieldkit_sync_server::access::Principal {
            role: fieldkit_sync_server::access::Role::Admin,
            id: "t".into(),
        },
    )
    .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "view:tables" && e.actor.contains("ana")));
}

#[tokio::test]
async fn analyst_downloads_a_wide_csv_with_one_row_per_session_and_it_is_audited() {
    let server = server_with_records().await;
    let (b, _) = Browser::log_in(&server, "ana", PASSWORD).await;
    let (status, csv) = b
        .get(
            &server
                .url("/web/export?protocol=child-rapid-assessment&format=csv-wide&ages=0-11,12-17"),
        )
        .await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("# Rapid assessment"), "{}", lines[0]);
    assert!(lines[1].starts_with("record_id,protocol_version,respondent"));
    assert_eq!(lines.len(), 4, "caveat, header and two sessions:\n{csv}");
    assert!(lines[2].contains(",12-17,"));
    let admin = fieldkit_sync_server::access::Principal {
        role: fieldkit_sync_server::access::Role::Admin,
        id: "t".into(),
    };
    let audit = server.store.audit_log(&admin).unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "export:csv-wide" && e.target == "child-rapid-assessment"));
}

#[tokio::test]
async fn admin_revokes_a_device_only_with_the_form_token() {
    let server = server_with_records().await;
    let (b, _) = Browser::log_in(&server, "root", PASSWORD).await;
    let (_, html) = b.get(&server.url("/web/devices")).await;
    let csrf = hidden(&html, "csrf");
    let device = hidden(&html, "device_id");
    let forged = b
        .post(
            &server.url("/web/devices/revoke"),
            &[("csrf", "forged"), ("device_id", &device)],
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert!(b
        .get(&server.url("/web/devices"))
        .await
        .1
        .contains("Revoke"));
    let real = b
        .post(
            &server.url("/web/devices/revoke"),
            &[("csrf", &csrf), ("device_id", &device)],
        )
        .await;
    assert_eq!(real.status(), 200);
    assert!(real.text().await.unwrap().contains("revoked"));
}
