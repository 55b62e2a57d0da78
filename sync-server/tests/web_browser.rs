//! The pages in a real headless Chromium, driven through chromedriver:
//! a supervisor logs in and sees a known finding; an analyst sees a table
//! and downloads an export whose rows are checked. Screenshots of both pages
//! go to docs/screenshots/ when `scripts/screenshot` runs this test.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use fieldkit_sync_server::admin_web;
use support::*;
use time::OffsetDateTime;

const PASSWORD: &str = "correct horse battery staple";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_chromedriver() -> (Driver, u16) {
    assert!(
        Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
        "{CHROMEDRIVER} or {CHROMIUM} is missing: run scripts/setup (it installs chromium and chromium-driver; CI does the same)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    (Driver(child), port)
}

async fn connect(port: u16, downloads: &Path, profile: &Path) -> Client {
    // Two TLS backends are compiled in (ring for the server, aws-lc via fantoccini); pick ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1400,1000", format!("--user-data-dir={}", profile.display())],
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false
            }
        }),
    );
    // chromedriver takes a moment to listen; retry the connection, not a timing assertion.
    let mut last = None;
    for _ in 0..100 {
        match ClientBuilder::rustls()
            .expect("rustls client")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return client,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not talk to chromedriver on port {port}: {last:?}");
}

async fn log_in(client: &Client, server: &TestServer, login: &str) {
    client.goto(&server.url("/login")).await.unwrap();
    type_into(client, Locator::Id("login"), login).await;
    type_into(client, Locator::Id("password"), PASSWORD).await;
    click(client, Locator::Id("sign-in")).await;
    // The click only starts the form post; wait for the signed-in page, or
    // the next `goto` cancels the post before its cookie is set.
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("header form button"))
        .await
        .unwrap();
}

/// The folder `scripts/screenshot` names in FIELDKIT_SCREENSHOTS, else a
/// scratch folder, so an ordinary test run leaves the checkout clean.
fn screenshots() -> PathBuf {
    let dir = if let Some(dir) = std::env::var_os("FIELDKIT_SCREENSHOTS") {
        PathBuf::from(dir)
    } else {
        std::env::temp_dir().join("fieldkit-web-screenshots")
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Clicks the element `at` points to.
async fn click(client: &Client, at: Locator<'_>) {
    client.find(at).await.unwrap().click().await.unwrap();
}

/// Types `text` into the field `at` points to.
async fn type_into(client: &Client, at: Locator<'_>, text: &str) {
    client
        .find(at)
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// The text of the element `at` points to, on the page as it is.
async fn text_of(client: &Client, at: Locator<'_>) -> String {
    client.find(at).await.unwrap().text().await.unwrap()
}

/// The text of the element `at` points to, once it is there (a page that
/// is still loading gets up to 30 s).
async fn wait_text(client: &Client, at: Locator<'_>) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(at)
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Saves the window as `name` in the screenshots folder.
async fn shoot(client: &Client, name: &str) {
    std::fs::write(screenshots().join(name), client.screenshot().await.unwrap()).unwrap();
}

/// Waits for a finished download (Chromium writes `.crdownload` first).
async fn downloaded(dir: &Path, name: &str) -> String {
    let file = dir.join(name);
    for _ in 0..200 {
        if file.exists() {
            if let Ok(text) = std::fs::read_to_string(&file) {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} was not downloaded", file.display());
}

#[tokio::test]
async fn supervisor_and_analyst_pages_in_a_real_browser() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let mut records = Vec::new();
    for _ in 0..6 {
        records.push(seal(device, &protocol, child_session(&protocol)));
    }
    let mut start = start(&protocol, Some(15));
    start.interviewer_languages = vec!["fr".to_owned()];
    records.push(seal(device, &protocol, completed_session(&protocol, start)));
    server.submit(&token, &records).await;
    let now = OffsetDateTime::now_utc();
    admin_web::add_user(&*server.store, "sam", "supervisor", PASSWORD, now).unwrap();
    admin_web::add_user(&*server.store, "ana", "analyst", PASSWORD, now).unwrap();

    let (_driver, port) = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let client = connect(port, downloads.path(), profile.path()).await;

    log_in(&client, &server, "sam").await;
    client.goto(&server.url("/web/compliance")).await.unwrap();
    let log = text_of(&client, Locator::Id("deviations")).await;
    assert!(log.contains("R14"), "deviation log: {log}");
    assert!(log.contains("same language as the children"));
    shoot(&client, "web-compliance.png").await;
    // R15: the supervisor sees each researcher's code-of-practice acceptance.
    client.goto(&server.url("/web/devices")).await.unwrap();
    let devices = text_of(&client, Locator::Id("devices")).await;
    assert!(
        devices.contains("accepted 2026-01-05 (en)"),
        "devices: {devices}"
    );
    shoot(&client, "web-devices.png").await;
    click(&client, Locator::Css("header form button")).await;
    // Let the log-out land before signing in again, or its cleared cookie
    // could arrive after the new one.
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id("sign-in"))
        .await
        .unwrap();

    log_in(&client, &server, "ana").await;
    client
        .goto(&server.url("/web/tables?ages=0-11,12-14,15-17"))
        .await
        .unwrap();
    let caveat = text_of(&client, Locator::Id("caveat")).await;
    assert!(caveat.contains("not representative"));
    let first_table = text_of(&client, Locator::Css("table.disaggregated")).await;
    // The age question says 12 for every session: 7 is at least 5, so it is shown.
    assert!(first_table.contains("12-14 7 7"), "{first_table}");
    shoot(&client, "web-analyst-table.png").await;

    click(&client, Locator::Id("dl-csv-wide")).await;
    let csv = downloaded(downloads.path(), "child-rapid-assessment-csv-wide.csv").await;
    let rows: Vec<&str> = csv.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(rows.len(), 1 + 7, "header and seven sessions:\n{csv}");
    assert_eq!(rows.iter().filter(|r| r.contains(",12-14,")).count(), 7);
    client.close().await.unwrap();
}

/// Issue 16 in the browser: the stylesheet still applies under the strict
/// CSP, an admin finds an analyst's export in the audit log by filtering,
/// and disables the analyst, whose open session ends at once. Screenshots
/// of the audit and users pages.
#[tokio::test]
async fn admin_reads_the_audit_and_disables_a_user_in_a_real_browser() {
    use support::browser::Browser;

    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    server
        .submit(&token, &[seal(device, &protocol, child_session(&protocol))])
        .await;
    let now = OffsetDateTime::now_utc();
    admin_web::add_user(&*server.store, "ana", "analyst", PASSWORD, now).unwrap();
    admin_web::add_user(&*server.store, "root", "admin", PASSWORD, now).unwrap();
    // The analyst exports over HTTP and keeps her session open.
    let (analyst, status) = Browser::log_in(&server, "ana", PASSWORD).await;
    assert_eq!(status, 303);
    let (status, _) = analyst
        .get(&server.url("/web/export?protocol=child-rapid-assessment&format=csv-long"))
        .await;
    assert_eq!(status, 200);

    let (_driver, port) = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let client = connect(port, downloads.path(), profile.path()).await;
    log_in(&client, &server, "root").await;
    client.goto(&server.url("/web/audit")).await.unwrap();
    // The CSP allows the stylesheet from this server and nothing inline.
    let header_colour = client
        .execute(
            "return getComputedStyle(document.querySelector('header')).backgroundColor;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        header_colour, "rgb(29, 53, 87)",
        "the stylesheet did not apply"
    );
    type_into(&client, Locator::Id("action"), "export").await;
    click(&client, Locator::Id("filter")).await;
    // The unfiltered page has an #audit table too: wait for the filtered page.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !client
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("action=export")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the filter never loaded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let table = wait_text(&client, Locator::Id("audit")).await;
    assert!(
        table.contains("Analyst:ana") && table.contains("export:csv-long"),
        "{table}"
    );
    assert!(!table.contains("login_ok"), "filtered to exports: {table}");
    shoot(&client, "web-audit.png").await;

    client.goto(&server.url("/web/users")).await.unwrap();
    click(
        &client,
        Locator::Css("form[action='/web/users/disable'] button"),
    )
    .await;
    let notice = wait_text(&client, Locator::Id("notice")).await;
    assert!(notice.contains("ana is disabled"), "{notice}");
    let users = text_of(&client, Locator::Id("users")).await;
    assert!(users.contains("ana analyst disabled"), "{users}");
    shoot(&client, "web-users.png").await;
    // Her open session ended with the click.
    assert_eq!(analyst.get(&server.url("/web/tables")).await.0, 303);
    client.close().await.unwrap();
}

/// Issue 20 in the browser: the supervisor's review queue puts the record
/// with a finding first, a record is ticked from the keyboard, rejected with
/// a note tied to R6, and the counts and the record's page follow; the team
/// view shows each researcher. Screenshots of the queue, the record's review
/// and the team view.
#[tokio::test]
async fn supervisor_reviews_from_the_queue_in_a_real_browser() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let (other, other_token) = server.enrol("Kwame").await;
    // Amina's interviews take 40 minutes, Kwame's 10: the phone sends each
    // length in steps of five minutes.
    let timed = |envelope: fieldkit_protocols::wire::RecordEnvelope, minutes: u32| {
        reseal(fieldkit_protocols::wire::RecordEnvelope {
            duration_minutes: Some(minutes),
            ..envelope
        })
    };
    let mut records = Vec::new();
    for _ in 0..3 {
        records.push(timed(seal(device, &protocol, child_session(&protocol)), 40));
    }
    let mut start = start(&protocol, Some(13));
    start.interviewer_languages = vec!["fr".to_owned()];
    let flagged = timed(
        seal(device, &protocol, completed_session(&protocol, start)),
        40,
    );
    records.push(flagged.clone());
    server.submit(&token, &records).await;
    let short: Vec<_> = (0..3)
        .map(|_| timed(seal(other, &protocol, child_session(&protocol)), 10))
        .collect();
    let results = server.submit(&other_token, &short).await;
    assert!(
        results.iter().all(|r| r["status"] == "stored"),
        "{results:?}"
    );
    let now = OffsetDateTime::now_utc();
    admin_web::add_user(&*server.store, "sam", "supervisor", PASSWORD, now).unwrap();

    let (_driver, port) = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let client = connect(port, downloads.path(), profile.path()).await;
    log_in(&client, &server, "sam").await;
    client.goto(&server.url("/web/review")).await.unwrap();
    let first_row = text_of(&client, Locator::Css("#queue tr:nth-child(2)")).await;
    assert!(
        first_row.contains("R14") && first_row.contains(&flagged.respondent),
        "{first_row}"
    );
    let counts = text_of(&client, Locator::Id("counts")).await;
    assert!(counts.contains("Received: 7"), "{counts}");

    // Tick the flagged record with the keyboard, as a supervisor tabbing
    // through the queue would.
    type_into(
        &client,
        Locator::Id(&format!("pick-{}", flagged.record_id)),
        " ",
    )
    .await;
    click(&client, Locator::Css("#decide option[value='rejected']")).await;
    click(&client, Locator::Css("#note-rule option[value='R6']")).await;
    type_into(&client, Locator::Id("note"), "The questions about work came before rapport was confirmed. Confirm rapport first, then ask them.").await;
    shoot(&client, "web-review-queue.png").await;
    click(&client, Locator::Id("apply")).await;
    let notice = wait_text(&client, Locator::Id("notice")).await;
    assert!(notice.contains("1 record marked rejected."), "{notice}");
    let counts = text_of(&client, Locator::Id("counts")).await;
    assert!(
        counts.contains("Received: 6") && counts.contains("Rejected: 1"),
        "{counts}"
    );

    client
        .goto(&server.url(&format!("/web/review/record?id={}", flagged.record_id)))
        .await
        .unwrap();
    let notes = text_of(&client, Locator::Id("notes")).await;
    assert!(
        notes.contains("R6") && notes.contains("not read yet"),
        "{notes}"
    );
    let history = text_of(&client, Locator::Id("history")).await;
    assert!(
        history.contains("Supervisor:sam") && history.contains("rejected"),
        "{history}"
    );
    shoot(&client, "web-review-record.png").await;

    // The team view: a row and a chart per researcher, flags explained.
    client.goto(&server.url("/web/team")).await.unwrap();
    let team = text_of(&client, Locator::Id("team")).await;
    assert!(
        team.contains("Amina 4 4 0 0") && team.contains("Kwame 3 3 0 0"),
        "{team}"
    );
    let flags = text_of(&client, Locator::Id("flags")).await;
    assert!(flags.contains("exactly the same"), "{flags}");
    assert!(
        flags.contains("Kwame: 3 completed interviews of child-rapid-assessment took 10 minutes at the median; the team's usual interview of child-rapid-assessment takes 40 minutes."),
        "{flags}"
    );
    assert!(!flags.contains("Amina: 4 completed"), "{flags}");
    shoot(&client, "web-team.png").await;
    client.close().await.unwrap();
}

/// Issue 22 in the browser: an analyst publishes a findings pack from the
/// tables page (a count under the threshold stays out of it), a group's
/// verdict comes back from a validation session, and the tables page shows
/// it beside the finding. Screenshots of the published pack and of the
/// finding with its validation.
#[tokio::test]
async fn analyst_publishes_a_pack_and_sees_the_groups_verdict_in_a_real_browser() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let validation = server.publish_shipped("findings-validation.toml");
    let (device, token) = server.enrol("Amina").await;
    let mut records = Vec::new();
    for n in 0..7 {
        // Five say they farm, two that they sell in the street.
        let work = if n < 5 { "agriculture" } else { "vending" };
        records.push(seal(
            device,
            &protocol,
            support::validation::child_who_works(&protocol, work),
        ));
    }
    let results = server.submit(&token, &records).await;
    assert!(
        results.iter().all(|r| r["status"] == "stored"),
        "{results:?}"
    );
    let now = OffsetDateTime::now_utc();
    admin_web::add_user(&*server.store, "ana", "analyst", PASSWORD, now).unwrap();

    let (_driver, port) = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let client = connect(port, downloads.path(), profile.path()).await;
    log_in(&client, &server, "ana").await;
    client
        .goto(&server.url("/web/tables?question=work_type"))
        .await
        .unwrap();
    type_into(&client, Locator::Id("pack-site"), "North district").await;
    type_into(&client, Locator::Id("pack-questions"), "work_type").await;
    click(&client, Locator::Id("pack-publish")).await;
    let published = wait_text(&client, Locator::Id("pack-hash")).await;
    assert!(published.contains("North district"), "{published}");
    let page = text_of(&client, Locator::Css("main")).await;
    assert!(page.contains("Farm, plantation or herding 5"), "{page}");
    assert!(
        page.contains("Selling things in the street or market <5"),
        "{page}"
    );
    shoot(&client, "web-findings-pack.png").await;

    let hash = server.store.packs().unwrap()[0].hash.clone();
    let verdict = seal(
        device,
        &validation,
        support::validation::validation_session(&validation, &hash),
    );
    let results = server.submit(&token, &[verdict]).await;
    assert_eq!(results[0]["status"], "stored", "{results:?}");

    client
        .goto(&server.url("/web/tables?question=work_type#validation-work_type"))
        .await
        .unwrap();
    let said = wait_text(&client, Locator::Id("validation-work_type")).await;
    assert!(said.contains("4 agree"), "{said}");
    assert!(said.contains("2 disagree"), "{said}");
    assert!(
        said.contains("Girls here also work in the market."),
        "{said}"
    );
    shoot(&client, "web-finding-validated.png").await;
    client.close().await.unwrap();
}

/// Issue 18, item 6 in the browser: an analyst sees the focus group's image
/// choices by their pictures (served from the stored media by hash, allowed
/// by the CSP) and their text, on the codebook page and in the table of
/// the question. Screenshot of the codebook page.
#[tokio::test]
async fn analyst_sees_image_choices_by_their_pictures_in_a_real_browser() {
    const FOCUS: &str = "focus-group-visualisation.toml";
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(FOCUS);
    let (device, token) = server.enrol("Amina").await;
    let start = start(&protocol, None);
    let answers = server
        .submit(
            &token,
            &[seal(device, &protocol, completed_session(&protocol, start))],
        )
        .await;
    assert_eq!(answers[0]["status"], "stored", "{answers:?}");
    admin_web::add_user(
        &*server.store,
        "ana",
        "analyst",
        PASSWORD,
        OffsetDateTime::now_utc(),
    )
    .unwrap();

    let (_driver, port) = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let client = connect(port, downloads.path(), profile.path()).await;
    log_in(&client, &server, "ana").await;

    // Every picture on the page loaded (complete, with a width): the CSP let
    // it through and the server sent an image the browser could draw.
    let pictures_drawn = "return Array.from(document.querySelectorAll(arguments[0]))\
        .map(i => i.complete && i.naturalWidth > 0);";
    async fn drawn(client: &Client, script: &str, selector: &str) -> Vec<bool> {
        for _ in 0..100 {
            let v = client
                .execute(script, vec![serde_json::json!(selector)])
                .await
                .unwrap();
            let flags: Vec<bool> = serde_json::from_value(v).unwrap();
            if !flags.is_empty() && flags.iter().all(|f| *f) {
                return flags;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let v = client
            .execute(script, vec![serde_json::json!(selector)])
            .await
            .unwrap();
        serde_json::from_value(v).unwrap()
    }

    client
        .goto(&server.url("/web/codebook?protocol=focus-group-visualisation"))
        .await
        .unwrap();
    let row = wait_text(&client, Locator::Id("q-ideas_sources")).await;
    assert!(
        row.contains("friends = Friends") && row.contains("visitors = Visitors offering work"),
        "{row}"
    );
    assert_eq!(
        drawn(
            &client,
            pictures_drawn,
            "#q-ideas_sources img.choice-picture"
        )
        .await,
        vec![true; 5],
        "the five choice pictures are drawn"
    );
    client
        .execute(
            "document.getElementById('q-ideas_sources').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    shoot(&client, "web-codebook.png").await;

    client
        .goto(&server.url("/web/tables?protocol=focus-group-visualisation&question=ideas_sources"))
        .await
        .unwrap();
    let tables = wait_text(&client, Locator::Css("main")).await;
    assert!(tables.contains("Friends"), "{tables}");
    assert_eq!(
        drawn(
            &client,
            pictures_drawn,
            "table.disaggregated img.choice-picture"
        )
        .await,
        vec![true],
        "the answered choice is shown by its picture"
    );
    client.close().await.unwrap();
}
