//! TLS when a certificate is configured, and the per-device rate limit.

mod support;

use std::io::Write;

use fieldkit_sync_server::Config;
use support::{accepted, TestServer};

#[tokio::test]
async fn with_a_certificate_the_server_speaks_https() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::File::create(&cert_path)
        .unwrap()
        .write_all(cert.cert.pem().as_bytes())
        .unwrap();
    std::fs::File::create(&key_path)
        .unwrap()
        .write_all(cert.signing_key.serialize_pem().as_bytes())
        .unwrap();
    let config = Config {
        data: dir.path().join("data"),
        tls_cert: Some(cert_path),
        tls_key: Some(key_path),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(fieldkit_sync_server::serve_until(
        config,
        listener,
        async move {
            let _ = stopped.await;
        },
    ));

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let mut answered = None;
    for _ in 0..50 {
        match client
            .get(format!("https://localhost:{port}/healthz"))
            .send()
            .await
        {
            Ok(response) => {
                answered = Some(response);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    let answered = answered.expect("no HTTPS answer");
    assert_eq!(answered.status(), 200);
    // Terminating TLS itself, the server tells browsers to keep to HTTPS.
    assert_eq!(
        answered.headers()["strict-transport-security"],
        "max-age=63072000"
    );
    // Plain HTTP on the TLS port gets no API answer.
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    assert!(plain.map_or(true, |r| r.status() != 200));

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_missing_certificate_stops_the_server_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data: dir.path().to_owned(),
        tls_cert: Some(dir.path().join("nope.pem")),
        tls_key: Some(dir.path().join("nope.key")),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = fieldkit_sync_server::serve_until(config, listener, std::future::pending())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope.pem"), "{err}");
}

#[tokio::test]
async fn a_device_over_its_rate_is_asked_to_slow_down() {
    let server = TestServer::start_with(|c| {
        c.rate_burst = 3;
        c.rate_per_minute = 0;
    })
    .await;
    let (_, token) = server.enrol("Amina").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(server.get("/api/v1/status", &token).await);
    }
    assert!(statuses[..3].iter().all(|(s, _)| *s == 200), "{statuses:?}");
    assert_eq!(statuses[3].0, 429);
    assert_eq!(statuses[3].1["error"]["code"], "rate_limited");
    // Another device is not slowed by the first.
    let (_, other) = server.enrol("Bo").await;
    assert_eq!(server.get("/api/v1/status", &other).await.0, 200);
}

#[tokio::test]
async fn guessing_enrolment_codes_is_slowed_down_for_the_guesser() {
    let server = TestServer::start_with(|c| {
        c.enrol_per_minute_per_source = 3;
    })
    .await;
    let code = fieldkit_sync_server::admin::enrol(
        &*server.store,
        "Amina",
        &["en".to_owned()],
        1,
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    let attempt = |code: String| {
        let server = &server;
        async move {
            server
                .post(
                    "/api/v1/enrol",
                    "",
                    &serde_json::json!({ "code": code, "device_name": "phone", "code_of_practice": accepted() }),
                )
                .await
        }
    };
    for guess in [
        "AAAA-AAAA-AAAA-AAAA",
        "BBBB-BBBB-BBBB-BBBB",
        "CCCC-CCCC-CCCC-CCCC",
    ] {
        let (status, body) = attempt(guess.to_owned()).await;
        assert_eq!(status, 401, "{body}");
    }
    // The guesser's address waits now, even with the right code, which is
    // not used up (another address is not held up: `web_hardening.rs`).
    let (status, body) = attempt(code.expose().to_owned()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again in"),
        "{body}"
    );
    assert!(server.store.devices().unwrap().is_empty());
}
