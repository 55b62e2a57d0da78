//! The server's logs, read from the running binary: they name records and
//! outcomes, never answers, free text, researchers, tokens or the database
//! password; SIGTERM stops it gracefully. On either backend.

mod support;

use std::io::Read;
use std::process::{Command, Stdio};

use fieldkit_protocols::engine::{Event, EventKind};
use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_fieldkit-server");
const NOTE: &str = "NOTE-TEXT-she-sleeps-at-the-bus-depot";
const RESEARCHER: &str = "Zanele Researchername";
const PASSWORD: &str = "copper kettle winter garden";
const QUERY_VALUE: &str = "QUERYVALUEnotlogged";
/// In the PostgreSQL URL (the test cluster trusts loopback, so it is
/// never checked, only carried).
const DB_PASSWORD: &str = "DBPASSWORDnotlogged";

/// The binary on the test's store; on PostgreSQL, through a URL that
/// carries [`DB_PASSWORD`].
fn binary(store: &TestStore) -> Command {
    let mut command = store.cli(BIN);
    if let Some(db) = &store.db {
        command.env(
            "FIELDKIT_DATABASE",
            db.url.replacen('@', &format!(":{DB_PASSWORD}@"), 1),
        );
    }
    command
}

fn admin(store: &TestStore, args: &[&str]) -> String {
    let output = binary(store).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn logs_carry_no_answers_notes_names_or_tokens_and_sigterm_stops_gracefully() {
    let store = TestStore::new();
    let dir = &store.dir;
    let data = dir.path().to_str().unwrap();
    admin(&store, &["demo", "--data", data]);
    let enrolled = admin(
        &store,
        &[
            "device",
            "enrol",
            "--researcher",
            RESEARCHER,
            "--data",
            data,
        ],
    );
    let code = enrolled
        .lines()
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = binary(&store)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data",
            data,
        ])
        // Asks for the driver's debug lines too: they stay capped.
        .env("RUST_LOG", "debug,tokio_postgres=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let enrolled: serde_json::Value = client
        .post(format!("{base}/api/v1/enrol"))
        .json(&serde_json::json!({
            "code": code,
            "device_name": "phone",
            "code_of_practice": { "language": "en", "accepted_at": "2026-01-05T09:00:00Z" },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = enrolled["token"].as_str().unwrap().to_owned();
    let device = enrolled["device_id"].as_str().unwrap().parse().unwrap();

    let protocol = std::sync::Arc::new(shipped_protocol(CHILD_FILE));
    let mut events = child_session(&protocol);
    let end = events.pop().unwrap();
    events.push(Event {
        kind: EventKind::NoteAdded { text: NOTE.into() },
        ..end.clone()
    });
    events.push(end);
    let stored = seal(device, &protocol, renumber(events.clone()));
    // And one rejected (R7), whose reason the log must not carry either.
    let answered = position(&events, |k| matches!(k, EventKind::Answered { .. }));
    events.insert(answered + 1, events[answered].clone());
    let rejected = seal(device, &protocol, renumber(events));
    let results: serde_json::Value = client
        .post(format!("{base}/api/v1/records"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "wire_version": "v1", "records": [stored, rejected] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(results["results"][0]["status"], "stored", "{results}");
    assert_eq!(results["results"][1]["status"], "rejected", "{results}");

    // A web login and a filtered page: one log line each, with the path and
    // the query's names, never the password or the values.
    let pass = dir.path().join("pass");
    std::fs::write(&pass, format!("{PASSWORD}\n")).unwrap();
    admin(
        &store,
        &[
            "user",
            "add",
            "amina",
            "--role",
            "admin",
            "--password-file",
            pass.to_str().unwrap(),
            "--data",
            data,
        ],
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client.get(format!("{base}/login")).send().await.unwrap();
    let cookie = support::browser::cookie_value(&form, "fk_login").unwrap();
    let csrf = support::browser::hidden(&form.text().await.unwrap(), "csrf");
    let login = client
        .post(format!("{base}/login"))
        .header("cookie", cookie.split(';').next().unwrap())
        .form(&[("login", "amina"), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    let session = support::browser::cookie_value(&login, "fk_session").unwrap();
    let audit = client
        .get(format!("{base}/web/audit?who={QUERY_VALUE}"))
        .header("cookie", session.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(audit.status(), 200);

    // `kill` as the shell's builtin: present wherever /bin/sh is.
    let status = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        exit.success(),
        "server did not stop cleanly: {exit:?}\n{log}"
    );
    assert!(log.contains("stopped"), "{log}");
    assert!(
        log.contains(&stored.record_id.to_string()),
        "records are named by id:\n{log}"
    );
    let lines = |path: &str| {
        log.lines()
            .filter(|l| l.contains(&format!("path={path} ")))
            .count()
    };
    assert_eq!(lines("/login"), 2, "GET and POST /login:\n{log}");
    assert!(
        log.lines().any(|l| l.contains("path=/web/audit")
            && l.contains("query=\"who\"")
            && l.contains("status=200")),
        "{log}"
    );
    for secret in [
        NOTE,
        RESEARCHER,
        token.as_str(),
        "7K2M-Q",
        code.as_str(),
        PASSWORD,
        QUERY_VALUE,
        DB_PASSWORD,
    ] {
        assert!(!log.contains(secret), "the log contains `{secret}`:\n{log}");
    }
}
