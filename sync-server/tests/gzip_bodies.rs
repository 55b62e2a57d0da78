//! Gzip request bodies (what phones send): stored like plain ones; a body
//! that unpacks past the limit (a zip bomb) is a clear 413, broken gzip a
//! clear 400, another encoding a clear 415, and nothing is stored.

mod support;

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::json;
use support::*;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn post_raw(
    server: &TestServer,
    token: &str,
    encoding: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let response = server
        .client
        .post(server.url("/api/v1/records"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("content-encoding", encoding)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_gzip_batch_is_stored_and_a_zip_bomb_is_refused() {
    let server = TestServer::start_with(|c| c.max_body_bytes = 256 * 1024).await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;

    let record = seal(device, &protocol, child_session(&protocol));
    let plain = serde_json::to_vec(&json!({ "wire_version": "v1", "records": [record] })).unwrap();
    let packed = gzip(&plain);
    assert!(packed.len() * 3 < plain.len(), "a record packs well");
    let (status, body) = post_raw(&server, &token, "gzip", packed).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "stored", "{body}");

    // 1 KB on the wire, 100 MB unpacked: refused once past the limit.
    let mut bomb = b"{\"wire_version\":\"v1\",\"records\":[],\"padding\":\"".to_vec();
    bomb.extend(std::iter::repeat_n(b'x', 100 * 1024 * 1024));
    let bomb = gzip(&bomb);
    assert!(bomb.len() < 200 * 1024, "{}", bomb.len());
    let (status, body) = post_raw(&server, &token, "gzip", bomb).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "body_too_large");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unpacked"));

    let (status, body) = post_raw(&server, &token, "gzip", b"not gzip at all".to_vec()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "unreadable_body");

    let (status, body) = post_raw(&server, &token, "br", plain).await;
    assert_eq!(status, 415, "{body}");
    assert_eq!(body["error"]["code"], "unsupported_encoding");

    let (_, status) = server.get("/api/v1/status", &token).await;
    assert_eq!(status["stored"], 1, "only the good batch was stored");
}
