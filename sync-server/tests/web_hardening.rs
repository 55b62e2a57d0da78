//! Issue 16 over real HTTP on 127.0.0.1: formula-safe CSV, login
//! throttling and its audit, security headers, the audit log's page, CSV
//! and command, user lifecycle ending sessions, fair enrolment limits and
//! `Retry-After`.

mod support;

use fieldkit_protocols::engine::EventKind;
use fieldkit_protocols::Value;
use fieldkit_sync_server::access::{Principal, Role};
use fieldkit_sync_server::admin_web;
use fieldkit_sync_server::store::{AuditEntry, AuditFilter};
use serde_json::json;
use support::browser::*;
use support::*;
use time::{Duration, OffsetDateTime};

const BIN: &str = env!("CARGO_BIN_EXE_fieldkit-server");
const FORMULA: &str = "=HYPERLINK(\"http://e.x\",\"y\")";

fn admin() -> Principal {
    Principal {
        role: Role::Admin,
        id: "test".into(),
    }
}

fn audit(server: &TestServer, action: &str) -> Vec<AuditEntry> {
    server
        .store
        .audit_entries(
            &admin(),
            &AuditFilter {
                action: Some(action.to_owned()),
                ..AuditFilter::default()
            },
        )
        .unwrap()
}

/// A server with one interview whose free-text answer is a spreadsheet
/// formula, and an analyst, a supervisor and an admin.
async fn server_with_formula() -> TestServer {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let mut events = child_session(&protocol);
    let i = position(
        &events,
        |k| matches!(k, EventKind::Skipped { question_id, .. } if question_id == "ethnicity"),
    );
    events[i].kind = EventKind::Answered {
        question_id: "ethnicity".into(),
        value: Value::Text(FORMULA.into()),
    };
    let results = server
        .submit(&token, &[seal(device, &protocol, renumber(events))])
        .await;
    assert_eq!(results[0]["status"], "stored", "{results:?}");
    for (login, role) in [("ana", "analyst"), ("sam", "supervisor"), ("root", "admin")] {
        add_user(&server, login, role);
    }
    server
}

/// The cell of `column` in the first data row of a CSV, as written.
fn has_neutralised_formula(csv: &str) -> bool {
    csv.contains("\"'=HYPERLINK(\"\"http://e.x\"\",\"\"y\"\")\"")
        && !csv.contains(",\"=HYPERLINK")
        && !csv.lines().any(|l| l.starts_with('='))
}

#[tokio::test]
async fn a_formula_answer_is_neutralised_in_every_csv_and_untouched_in_json() {
    let server = server_with_formula().await;
    let (b, _) = Browser::log_in(&server, "ana", PASSWORD).await;
    for format in ["csv-wide", "csv-long"] {
        let (status, csv) = b
            .get(&server.url(&format!(
                "/web/export?protocol=child-rapid-assessment&format={format}"
            )))
            .await;
        assert_eq!(status, 200);
        assert!(
            has_neutralised_formula(&csv),
            "{format} from the web:\n{csv}"
        );
        // The command line writes the same.
        let out = server.dir().join(format!("{format}.csv"));
        admin_web::export(
            &*server.store,
            "child-rapid-assessment",
            format,
            fieldkit_sync_server::export::ages::DEFAULT_AGE_GROUPS,
            Some(&out),
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        let csv = std::fs::read_to_string(&out).unwrap();
        assert!(
            has_neutralised_formula(&csv),
            "{format} from the CLI:\n{csv}"
        );
    }
    // Numbers stay numbers: the age answer (12) is written as it is.
    let (_, wide) = b
        .get(&server.url("/web/export?protocol=child-rapid-assessment&format=csv-wide"))
        .await;
    assert!(wide.lines().nth(2).unwrap().contains(",12,") || wide.contains(",12\n"));
    let (_, json) = b
        .get(&server.url("/web/export?protocol=child-rapid-assessment&format=json"))
        .await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["records"][0]["answers"]["ethnicity"]["value"], FORMULA);
    let (_, codebook) = b
        .get(&server.url("/web/export?protocol=child-rapid-assessment&format=codebook"))
        .await;
    assert!(
        codebook.contains("remove that one leading `'`"),
        "{codebook}"
    );
}

#[tokio::test]
async fn the_sixth_wrong_login_is_slowed_and_the_lock_is_audited() {
    let server = server_with_formula().await;
    let mut b = Browser::new();
    for _ in 0..5 {
        assert_eq!(b.log_in_page(&server, "sam", "wrong password").await.0, 401);
    }
    // The sixth try, right away, is not even checked: wait, says the page.
    let (status, page) = b.log_in_page(&server, "sam", PASSWORD).await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("Wait 2 seconds"), "{page}");
    let failed = audit(&server, "login_failed");
    assert_eq!(failed.len(), 5);
    assert!(failed.iter().all(|e| e.target == "sam"
        && e.actor == "Supervisor:sam"
        && e.source.as_deref() == Some("127.0.0.1")));
    assert_eq!(audit(&server, "login_throttled").len(), 1);

    // Four more failures, spread over the last minutes as the waits allow,
    // then a tenth over HTTP locks the login, and the lock is audited.
    let now = OffsetDateTime::now_utc();
    for minutes in [4, 3, 2, 1] {
        server
            .store
            .write_audit(&AuditEntry {
                actor: "Supervisor:sam".into(),
                action: "login_failed".into(),
                target: "sam".into(),
                at: now - Duration::minutes(minutes),
                source: Some("127.0.0.1".into()),
            })
            .unwrap();
    }
    let (b2, status) = Browser::new()
        .try_log_in(&server, "sam", "wrong again")
        .await;
    assert_eq!(status, 401);
    let locked = audit(&server, "login_locked");
    assert_eq!(locked.len(), 1, "{locked:?}");
    assert_eq!(locked[0].source.as_deref(), Some("127.0.0.1"));
    // Locked: the right password does not help, and the page says why.
    let mut b2 = b2;
    let response_page = b2.log_in_page(&server, "sam", PASSWORD).await;
    assert_eq!(response_page.0, 429);
    assert!(
        response_page.1.contains("locked for 15 minutes"),
        "{}",
        response_page.1
    );
    // Another login from the same address is not locked out.
    assert_eq!(Browser::log_in(&server, "ana", PASSWORD).await.1, 303);
    // An admin setting a new password lifts the lock.
    admin_web::add_user(
        &*server.store,
        "keeper",
        "admin",
        PASSWORD,
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    fieldkit_sync_server::admin_users::set_password(
        &*server.store,
        &fieldkit_sync_server::admin_users::console(),
        "sam",
        "river lamp quietly tomorrow",
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    let (status, page) = b2
        .log_in_page(&server, "sam", "river lamp quietly tomorrow")
        .await;
    // Logged in, and warned about the failures before the reset? No: the
    // reset started the count again, so no warning; a plain redirect.
    assert_eq!(status, 303, "{page}");
}

#[tokio::test]
async fn the_next_login_warns_of_failed_attempts_on_the_account() {
    let server = server_with_formula().await;
    let mut other = Browser::new();
    other
        .extra
        .push(("x-forwarded-for", "198.51.100.7".to_owned()));
    for _ in 0..2 {
        assert_eq!(
            other.log_in_page(&server, "root", "guess guess").await.0,
            401
        );
    }
    let mut b = Browser::new();
    let (status, page) = b.log_in_page(&server, "root", PASSWORD).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("failed to log in as you 2 time(s)"), "{page}");
    // Without trusted_proxies, the forwarded header is ignored.
    assert!(page.contains("from 127.0.0.1"), "{page}");
    // It is said once: the next login is quiet.
    let (_, status) = Browser::new().try_log_in(&server, "root", PASSWORD).await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn every_page_download_and_api_answer_carries_the_security_headers() {
    let server = server_with_formula().await;
    let (analyst, _) = Browser::log_in(&server, "ana", PASSWORD).await;
    let (root, _) = Browser::log_in(&server, "root", PASSWORD).await;
    let (sam, _) = Browser::log_in(&server, "sam", PASSWORD).await;
    let pages = [
        (&analyst, "/web/tables"),
        (
            &analyst,
            "/web/export?protocol=child-rapid-assessment&format=csv-wide",
        ),
        (
            &analyst,
            "/web/export?protocol=child-rapid-assessment&format=json",
        ),
        (&sam, "/web/compliance"),
        (&sam, "/web/coverage"),
        (&sam, "/web/devices"),
        (&sam, "/web/audit"),
        (
            &sam,
            "/web/export?protocol=child-rapid-assessment&format=methodology",
        ),
        (&root, "/web/users"),
        (&root, "/web/audit.csv"),
        (&root, "/login"),
        (&root, "/web/nothing-here"),
        (&root, "/api/v1/status"),
        (&root, "/api/v1/openapi.json"),
    ];
    for (browser, path) in pages {
        let r = browser.get_response(&server.url(path)).await;
        let h = r.headers();
        let header = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        let csp = header("content-security-policy");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains("script-src"),
            "{path}: no script at all: {csp}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("cache-control"), "no-store", "{path}");
        // No TLS here, so no HSTS (it would be a lie over plain HTTP).
        assert!(h.get("strict-transport-security").is_none(), "{path}");
    }
    // The pages use no inline style either: one stylesheet, from here.
    let (_, html) = sam.get(&server.url("/web/compliance")).await;
    assert!(html.contains("href=\"/web/style.css\"") && !html.contains("<style"));
    assert!(!html.contains("<script"));
}

#[tokio::test]
async fn the_audit_page_csv_and_command_list_an_export_just_made() {
    let server = server_with_formula().await;
    let (analyst, _) = Browser::log_in(&server, "ana", PASSWORD).await;
    let (status, _) = analyst
        .get(&server.url("/web/export?protocol=child-rapid-assessment&format=csv-long"))
        .await;
    assert_eq!(status, 200);
    // The analyst may not read the audit log.
    assert_eq!(analyst.get(&server.url("/web/audit")).await.0, 403);

    let (root, _) = Browser::log_in(&server, "root", PASSWORD).await;
    let (status, html) = root
        .get(&server.url("/web/audit?who=ana&action=export"))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<td>Analyst:ana</td><td>export:csv-long</td>"),
        "{html}"
    );
    assert!(!html.contains("login_ok"), "filtered by action:\n{html}");
    // Admins see logins too, with their source.
    let (_, logins) = root.get(&server.url("/web/audit?action=login_ok")).await;
    assert!(logins.contains("<td>127.0.0.1</td>"), "{logins}");
    // A supervisor sees the read but not the logins.
    let (sam, _) = Browser::log_in(&server, "sam", PASSWORD).await;
    let (status, html) = sam.get(&server.url("/web/audit")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("export:csv-long") && !html.contains("login_ok"),
        "{html}"
    );
    // A date filter that excludes today finds nothing; a bad date is refused.
    let (_, html) = root.get(&server.url("/web/audit?to=2020-01-01")).await;
    assert!(html.contains("No entries match"), "{html}");
    assert_eq!(
        root.get(&server.url("/web/audit?from=yesterday")).await.0,
        400
    );

    let r = root
        .get_response(&server.url("/web/audit.csv?action=export"))
        .await;
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("at,actor,action,target,source\n"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.contains(",Analyst:ana,export:csv-long,child-rapid-assessment,")),
        "{csv}"
    );

    // The command line lists it too.
    let out = server
        .store
        .cli(BIN)
        .args([
            "audit",
            "list",
            "--action",
            "export:csv-long",
            "--who",
            "ana",
            "--data",
        ])
        .arg(server.dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(listed.lines().count(), 2, "header and one entry:\n{listed}");
    assert!(listed.contains("Analyst:ana") && listed.contains("child-rapid-assessment"));
}

#[tokio::test]
async fn disabling_a_user_or_changing_their_password_ends_their_session_at_once() {
    let server = server_with_formula().await;
    let (analyst, _) = Browser::log_in(&server, "ana", PASSWORD).await;
    assert_eq!(analyst.get(&server.url("/web/tables")).await.0, 200);
    let (root, _) = Browser::log_in(&server, "root", PASSWORD).await;
    let (_, page) = root.get(&server.url("/web/users")).await;
    let csrf = hidden(&page, "csrf");
    // A forged form changes nothing.
    let forged = root
        .post(
            &server.url("/web/users/disable"),
            &[("csrf", "x"), ("login", "ana")],
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(analyst.get(&server.url("/web/tables")).await.0, 200);

    let r = root
        .post(
            &server.url("/web/users/disable"),
            &[("csrf", &csrf), ("login", "ana")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("ana is disabled"));
    // The open session is over: the next page sends ana to the login form.
    assert_eq!(analyst.get(&server.url("/web/tables")).await.0, 303);
    assert_eq!(Browser::log_in(&server, "ana", PASSWORD).await.1, 401);
    assert_eq!(audit(&server, "disable_web_user")[0].actor, "Admin:root");

    // Enabled again, logged in again; a new password ends that session too.
    root.post(
        &server.url("/web/users/enable"),
        &[("csrf", &csrf), ("login", "ana")],
    )
    .await;
    let (analyst, status) = Browser::log_in(&server, "ana", PASSWORD).await;
    assert_eq!(status, 303);
    // A weak password is refused with what to change.
    let weak = root
        .post(
            &server.url("/web/users/password"),
            &[
                ("csrf", &csrf),
                ("login", "ana"),
                ("password", "            "),
            ],
        )
        .await;
    assert_eq!(weak.status(), 400);
    assert!(weak.text().await.unwrap().contains("too easy to guess"));
    assert_eq!(analyst.get(&server.url("/web/tables")).await.0, 200);
    let changed = root
        .post(
            &server.url("/web/users/password"),
            &[
                ("csrf", &csrf),
                ("login", "ana"),
                ("password", "copper kettle winter garden"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(analyst.get(&server.url("/web/tables")).await.0, 303);
    // Only admins manage users.
    assert_eq!(analyst.get(&server.url("/web/users")).await.0, 303);
    let (sam, _) = Browser::log_in(&server, "sam", PASSWORD).await;
    assert_eq!(sam.get(&server.url("/web/users")).await.0, 403);
}

async fn enrol_from(server: &TestServer, source: &str, code: &str) -> reqwest::Response {
    server
        .client
        .post(server.url("/api/v1/enrol"))
        .header("x-forwarded-for", source)
        .json(&json!({
            "code": code,
            "device_name": "phone",
            "code_of_practice": accepted(),
        }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_codes_from_one_address_do_not_block_enrolment_from_another() {
    // Behind a reverse proxy on this machine, as an operator would set it.
    let server = TestServer::start_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    server.publish_shipped(CHILD_FILE);
    let mut refused = None;
    for _ in 0..20 {
        let r = enrol_from(&server, "203.0.113.1", "WRONG-CODE-0000").await;
        if r.status() == 429 {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status(), 401);
    }
    let refused = refused.expect("one address is limited");
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // A researcher elsewhere enrols with a real code.
    let code = fieldkit_sync_server::admin::enrol(
        &*server.store,
        "Amina",
        &["en".to_owned()],
        14,
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    let r = enrol_from(&server, "198.51.100.20", code.expose()).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_device_over_its_rate_is_told_when_to_retry() {
    let server = TestServer::start_with(|c| {
        c.rate_burst = 2;
        c.rate_per_minute = 6;
    })
    .await;
    let (_, token) = server.enrol("Amina").await;
    let mut last = None;
    for _ in 0..3 {
        last = Some(
            server
                .client
                .get(server.url("/api/v1/status"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        );
    }
    let last = last.unwrap();
    assert_eq!(last.status(), 429);
    let retry: u64 = last.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
}

#[tokio::test]
async fn a_password_typed_as_the_login_never_reaches_the_audit_log() {
    let server = server_with_formula().await;
    let typed = "copper kettle winter garden";
    for _ in 0..2 {
        let (_, status) = Browser::new().try_log_in(&server, typed, typed).await;
        assert_eq!(status, 401);
    }
    let failed = audit(&server, "login_failed");
    assert_eq!(failed.len(), 2);
    // Grouped under one short hash, so repeated tries still show.
    assert_eq!(failed[0].target, failed[1].target);
    assert!(failed[0].target.starts_with("unknown:"));
    let everything = fieldkit_sync_server::admin_users::entries_csv(&audit(&server, ""));
    assert!(!everything.contains("copper"), "{everything}");
}

#[tokio::test]
async fn device_enrolment_and_revocation_on_the_command_line_are_audited() {
    let server = TestServer::start().await;
    let (device, _) = server.enrol("Amina").await;
    let run = |args: &[&str]| {
        let out = server
            .store
            .cli(BIN)
            .args(args)
            .arg("--data")
            .arg(server.dir())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["device", "enrol", "--researcher", "Kofi"]);
    run(&["device", "revoke", &device.to_string()]);
    let enrolled = audit(&server, "enrol_device");
    assert_eq!(
        (enrolled[0].actor.as_str(), enrolled[0].target.as_str()),
        ("Admin:cli", "Kofi")
    );
    let revoked = audit(&server, "revoke_device");
    assert_eq!(revoked[0].target, device.to_string());
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_is_throttled_like_a_sequence() {
    let server = server_with_formula().await;
    let mut tries = Vec::new();
    for _ in 0..12 {
        let server = &server;
        tries.push(async move {
            Browser::new()
                .try_log_in(server, "sam", "parallel guess")
                .await
                .1
        });
    }
    let statuses = futures_util::future::join_all(tries).await;
    // Only the five free tries had their password checked.
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(audit(&server, "login_failed").len(), 5);
}
