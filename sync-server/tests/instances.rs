//! Two server instances over one store (on PostgreSQL runs, one database;
//! on SQLite runs, one file): what one instance learns, the other knows.

mod support;

use fieldkit_protocols::{parse_protocol, to_toml};
use fieldkit_sync_server::admin;
use serde_json::json;
use support::*;
use time::OffsetDateTime;

/// A phone enrolled through one instance sends through the other, and a
/// version published while both run is listed and verified by both: each
/// instance's protocol cache loads what it has not seen from the store.
#[tokio::test(flavor = "multi_thread")]
async fn a_version_published_while_two_instances_run_is_verified_by_both() {
    let server = TestServer::start().await;
    let other = server.another_instance().await;
    let first = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;

    let batch = |protocol: &fieldkit_protocols::Protocol| {
        let protocol = std::sync::Arc::new(protocol.clone());
        json!({ "wire_version": "v1", "records": [seal(device, &protocol, child_session(&protocol))] })
    };
    let (status, body) = server
        .post_to(&other, "/api/v1/records", &token, &batch(&first))
        .await;
    assert_eq!(
        (status, &body["results"][0]["status"]),
        (200, &json!("stored")),
        "{body}"
    );

    // Version 2, published by an operator while both instances run (and
    // after both have cached version 1).
    let mut second = (*first).clone();
    second.version = first.version + 1;
    let (second, _) = admin::publish_source(
        &*server.store,
        "v2.toml",
        &to_toml(&second),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert_eq!(
        second,
        parse_protocol("v2", &to_toml(&second)).unwrap(),
        "the published text reads back the same"
    );
    let (_, listing) = server.get("/api/v1/protocols", &token).await;
    assert_eq!(listing.as_array().unwrap().len(), 2, "{listing}");
    for instance in [None, Some(&other)] {
        let body = batch(&second);
        let (status, answer) = match instance {
            None => server.post("/api/v1/records", &token, &body).await,
            Some(other) => {
                server
                    .post_to(other, "/api/v1/records", &token, &body)
                    .await
            }
        };
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["results"][0]["status"], "stored", "{answer}");
    }
    let status = server.store.sync_status(device).unwrap();
    assert_eq!(status.stored, 3, "{} store", server.store.backend());
}
