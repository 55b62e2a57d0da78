//! The client against servers that are not ours: broken, hostile or slow
//! ones on 127.0.0.1 that answer each request as a test says.

use std::sync::Arc;

use fieldkit_protocols::wire::{RecordBatch, RecordEnvelope};
use uuid::Uuid;

use super::*;

/// A broken or hostile server on 127.0.0.1: answers every POST with what
/// `answer` makes of the request's JSON body (status, answer text). Each
/// request is answered on a thread of its own, so a slow answer does not
/// hold back the next request.
async fn fake_server(
    answer: impl Fn(&serde_json::Value) -> (u16, String) + Send + Sync + 'static,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((connection, _)) = listener.accept().await {
            tokio::spawn(serve_one(connection, Arc::clone(&answer)));
        }
    });
    url
}

async fn serve_one(
    mut connection: tokio::net::TcpStream,
    answer: Arc<impl Fn(&serde_json::Value) -> (u16, String) + Send + Sync + 'static>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = Vec::new();
    let mut chunk = [0u8; 8192];
    // Headers, then as many body bytes as Content-Length says.
    let body = loop {
        let n = connection.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        request.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&request);
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let length: usize = text[..end]
            .lines()
            .find_map(|line| {
                line.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap_or(0))
            })
            .unwrap_or(0);
        if request.len() >= end + 4 + length {
            break request[end + 4..end + 4 + length].to_vec();
        }
    };
    // The client sends gzip (`Content-Encoding: gzip`), as to the real server.
    let mut plain = Vec::new();
    let body = match std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&body[..]),
        &mut plain,
    ) {
        Ok(_) => plain,
        Err(_) => body,
    };
    let json = serde_json::from_slice(&body).unwrap_or_default();
    let Ok((status, text)) = tokio::task::spawn_blocking(move || answer(&json)).await else {
        return;
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = connection.write_all(response.as_bytes()).await;
}

/// Every record in `body` answered `stored`.
fn all_stored(body: &serde_json::Value) -> (u16, String) {
    let results: Vec<_> = sent_ids(body)
        .into_iter()
        .map(|id| serde_json::json!({"record_id": id, "status": "stored"}))
        .collect();
    (200, serde_json::json!({ "results": results }).to_string())
}

/// An enrolled vault with `n` records waiting, pointed at `url`.
async fn waiting_for(url: String, n: usize, dir: &std::path::Path) -> (Vault, Vec<Uuid>) {
    let server = server().await;
    let (mut vault, _, protocol) = enrolled(&server, dir).await;
    let device = vault.device_id().unwrap().unwrap();
    let mut ids = Vec::new();
    for _ in 0..n {
        let record = refusal(&protocol, device);
        ids.push(record.record_id);
        vault.enqueue(&record).unwrap();
    }
    vault
        .set_setting(&crate::vault::Setting::ServerUrl(url))
        .unwrap();
    (vault, ids)
}

fn sent_ids(body: &serde_json::Value) -> Vec<String> {
    body["records"]
        .as_array()
        .map(|records| {
            records
                .iter()
                .map(|r| r["record_id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_answer_that_is_not_json_is_an_error_and_every_record_waits() {
    let url = fake_server(|_| (200, "<html>captive portal: please log in</html>".into())).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = waiting_for(url, 3, dir.path()).await;
    let client = SyncClient::from_vault(&vault, quick()).unwrap();
    let error = client.sync(&mut vault, |_| {}).await.unwrap_err();
    assert!(
        matches!(error, SyncError::BadAnswer { .. }),
        "expected a bad answer, got {error:?}"
    );
    assert!(error.to_string().contains("/api/v1/records"), "{error}");
    assert_eq!(vault.pending_count().unwrap(), 3, "every record waits");
}

#[tokio::test]
async fn an_answer_for_a_record_not_sent_marks_nothing_delivered() {
    // Batches of one: each answer says "stored" for the *other* record, one
    // that waits in the same outbox but was not in this batch.
    let outbox = Arc::new(std::sync::Mutex::new(Vec::<Uuid>::new()));
    let known = Arc::clone(&outbox);
    let url = fake_server(move |body| {
        let sent = sent_ids(body);
        let other = known
            .lock()
            .unwrap()
            .iter()
            .map(Uuid::to_string)
            .find(|id| !sent.contains(id))
            .unwrap_or_default();
        (
            200,
            format!(r#"{{"results":[{{"record_id":"{other}","status":"stored"}}]}}"#),
        )
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, ids) = waiting_for(url, 2, dir.path()).await;
    *outbox.lock().unwrap() = ids;
    let config = SyncConfig {
        batch_size: 1,
        ..quick()
    };
    let client = SyncClient::from_vault(&vault, config).unwrap();
    let error = client.sync(&mut vault, |_| {}).await.unwrap_err();
    assert!(error.to_string().contains("did not send"), "{error}");
    assert_eq!(vault.pending_count().unwrap(), 2);
    assert!(vault.outbox().unwrap().iter().all(|e| e.item.is_some()));
}

#[tokio::test]
async fn records_the_answer_leaves_out_stay_pending_for_the_next_sync() {
    // Answers for the first record of each batch only.
    let url = fake_server(|body| {
        let results: Vec<String> = sent_ids(body)
            .iter()
            .take(1)
            .map(|id| format!(r#"{{"record_id":"{id}","status":"stored"}}"#))
            .collect();
        (200, format!(r#"{{"results":[{}]}}"#, results.join(",")))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, ids) = waiting_for(url, 3, dir.path()).await;
    let client = SyncClient::from_vault(&vault, quick()).unwrap();
    let outcome = client.sync(&mut vault, |_| {}).await.unwrap();
    assert_eq!(outcome.report().stored, 1, "{outcome:?}");
    let pending: Vec<Uuid> = vault
        .pending(10)
        .unwrap()
        .iter()
        .map(|e| e.record_id)
        .collect();
    assert_eq!(
        pending,
        ids[1..],
        "the two unanswered records wait, in order"
    );
}

#[tokio::test]
async fn batches_on_the_wire_are_slices_of_the_queue_in_order() {
    let bodies = Arc::new(std::sync::Mutex::new(Vec::<serde_json::Value>::new()));
    let seen = Arc::clone(&bodies);
    let url = fake_server(move |body| {
        seen.lock().unwrap().push(body.clone());
        all_stored(body)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = waiting_for(url, 3, dir.path()).await;
    let queued: Vec<RecordEnvelope> = (vault.outbox().unwrap().into_iter())
        .filter_map(|entry| match entry.item {
            Some(crate::vault::OutboxItem::Record(record)) => Some(record),
            _ => None,
        })
        .collect();
    let config = SyncConfig {
        batch_size: 2,
        ..quick()
    };
    let client = SyncClient::from_vault(&vault, config).unwrap();
    let outcome = client.sync(&mut vault, |_| {}).await.unwrap();
    assert_eq!(outcome.report().stored, 3, "{outcome:?}");
    let expected: Vec<_> = queued
        .chunks(2)
        .map(|chunk| serde_json::to_value(RecordBatch::new(chunk.to_vec())).unwrap())
        .collect();
    // Two batches may be with the server at once, so the second can arrive
    // first; each must still be its slice of the queue, in queue order.
    let mut bodies = bodies.lock().unwrap().clone();
    let place = |body: &serde_json::Value| {
        let first = sent_ids(body).first().cloned().unwrap_or_default();
        queued.iter().position(|r| r.record_id.to_string() == first)
    };
    bodies.sort_by_key(place);
    assert_eq!(bodies, expected);
}

/// While a slow server works on one batch, the next is already on its way
/// (the server never waits for the phone between two), and never a third:
/// a bad network holds at most two batches' entries unanswered.
#[tokio::test]
async fn the_next_batch_goes_while_the_server_works_on_one_never_a_third() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (at_once, seen) = (Arc::clone(&now), Arc::clone(&most));
    let url = fake_server(move |body| {
        seen.fetch_max(at_once.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(150));
        at_once.fetch_sub(1, Ordering::SeqCst);
        all_stored(body)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = waiting_for(url, 12, dir.path()).await;
    let config = SyncConfig {
        batch_size: 2,
        ..quick()
    };
    let client = SyncClient::from_vault(&vault, config).unwrap();
    let outcome = client.sync(&mut vault, |_| {}).await.unwrap();
    assert_eq!(outcome.report().stored, 12, "{outcome:?}");
    assert_eq!(vault.pending_count().unwrap(), 0);
    assert_eq!(
        most.load(Ordering::SeqCst),
        2,
        "batches with the server at once"
    );
}
