//! The adversarial suite, withdrawals (R9, issue 14): a withdrawal belongs
//! to the record's owner and is final. Device B cannot pre-empt or undo
//! device A's records with tombstones of its own, and a withdrawn id is
//! never stored again, by anyone. Each step checks the HTTP status, the
//! outcome and the SQLite file.

mod adversary_client;
mod adversary_world;
mod support;

use adversary_client::*;
use adversary_world::*;
use serde_json::{json, Value as Json};

/// Sends a tombstone for `record_id` naming `names` as its device, with
/// `sender`'s token; the HTTP status and the answer.
async fn withdraw(w: &World, sender: &Device, names: &Device, record_id: &str) -> (u16, Json) {
    let body = tombstone(&w.fresh_id(), record_id, &names.id, &today()[..10]);
    post(
        &w.client,
        &w.server.url("/api/v1/tombstones"),
        &sender.token,
        body,
    )
    .await
}

async fn tombstone_status(w: &World, device: &Device, record_id: &str) -> String {
    let (status, answer) = withdraw(w, device, device, record_id).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["record_id"], json!(record_id));
    answer["results"][0]["status"].as_str().unwrap().to_owned()
}

/// The same interview under another device's name (same record id).
fn copy_for(envelope: &Envelope, device: &Device) -> Envelope {
    let mut copy = envelope.clone();
    copy.fields.set("device_id", v(json!(device.id)));
    copy
}

#[tokio::test]
async fn another_devices_tombstone_neither_deletes_nor_pre_empts_a_record() {
    let w = World::new().await;
    // B withdraws A's stored record: nothing happens to it.
    let stored = w.interview(&w.a);
    w.case("A's record", &w.a, &stored, STORED, &[]).await;
    let id = stored.record_id();
    assert_eq!(tombstone_status(&w, &w.b, &id).await, "unknown");
    assert_eq!(
        w.rows("records", &id),
        1,
        "B's tombstone deleted A's record"
    );

    // B names A's device: refused outright.
    let (status, answer) = withdraw(&w, &w.b, &w.a, &id).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "not_your_record");
    assert_eq!(w.rows("records", &id), 1);

    // B withdraws an id before A sends it: A's record is still stored.
    let later = w.interview(&w.a);
    assert_eq!(
        tombstone_status(&w, &w.b, &later.record_id()).await,
        "unknown"
    );
    w.case("A's record after B's tombstone", &w.a, &later, STORED, &[])
        .await;

    // A's own tombstone does delete it, and only then.
    assert_eq!(tombstone_status(&w, &w.a, &id).await, "deleted");
    assert_eq!(w.rows("records", &id), 0);
    assert_eq!(w.rows("compliance_findings", &id), 0);
    assert_eq!(tombstone_status(&w, &w.a, &id).await, "already_deleted");
}

#[tokio::test]
async fn a_withdrawn_id_is_never_stored_again_by_anyone() {
    let w = World::new().await;
    // A stores, then withdraws.
    let record = w.interview(&w.a);
    let id = record.record_id();
    w.case("stored", &w.a, &record, STORED, &[]).await;
    assert_eq!(tombstone_status(&w, &w.a, &id).await, "deleted");
    // A resends it; B sends its own record under the same id; a changed
    // copy from A; B withdraws it too and sends again: all refused.
    w.case("A resends", &w.a, &record, rejected("R9"), &[])
        .await;
    let from_b = copy_for(&record, &w.b);
    w.case("B reuses the id", &w.b, &from_b, rejected("R9"), &[])
        .await;
    let mut changed = record.clone();
    changed.events()[16].set("text", v(json!("Another note.")));
    w.case(
        "A sends other content under it",
        &w.a,
        &changed,
        rejected("R9"),
        &[],
    )
    .await;
    assert_eq!(tombstone_status(&w, &w.b, &id).await, "unknown");
    w.case(
        "B after its own tombstone",
        &w.b,
        &from_b,
        rejected("R9"),
        &[],
    )
    .await;

    // A withdraws an id the server has not seen (the phone deleted the
    // record before it synced): kept for A, and final once A sends it.
    let unsent = w.interview(&w.a);
    let unsent_id = unsent.record_id();
    assert_eq!(tombstone_status(&w, &w.a, &unsent_id).await, "unknown");
    w.case(
        "A sends what it withdrew",
        &w.a,
        &unsent,
        rejected("R9"),
        &[],
    )
    .await;
    assert_eq!(
        tombstone_status(&w, &w.a, &unsent_id).await,
        "already_deleted"
    );
    let unsent_from_b = copy_for(&unsent, &w.b);
    w.case(
        "then B under that id",
        &w.b,
        &unsent_from_b,
        rejected("R9"),
        &[],
    )
    .await;

    // Nothing of either id is in the database; only the tombstones are.
    for gone in [&id, &unsent_id] {
        assert_eq!(w.rows("records", gone), 0);
        assert_eq!(w.rows("conflicts", gone), 0);
        assert!(w.rows("tombstones", gone) >= 1);
    }
    let (_, status) = w.server.get("/api/v1/status", &w.a.token).await;
    assert_eq!(status["stored"], 0, "{status}");
}

#[tokio::test]
async fn a_session_stopped_by_the_child_takes_nothing_more() {
    let w = World::new().await;
    let at = today();
    let stopped_early = |reason: &str, after: J| {
        let mut envelope = w.interview(&w.a);
        let events = envelope.events();
        events.truncate(13);
        events.push(stopped(0, &at, reason));
        events.push(after);
        envelope.renumber();
        envelope
    };
    for (reason, after) in [
        ("withdrew", answered(0, &at, "ethnicity", text("Baoulé"))),
        (
            "withdrew",
            event(0, &at, "note_added", vec![("text", v(json!("she left")))]),
        ),
        ("safety", answered(0, &at, "ethnicity", text("Baoulé"))),
        (
            "interviewer_ended",
            event(0, &at, "rapport_confirmed", vec![]),
        ),
        ("withdrew", event(0, &at, "completed", vec![])),
    ] {
        let envelope = stopped_early(reason, after);
        w.case(
            &format!("after a stop ({reason})"),
            &w.a,
            &envelope,
            rejected("R9"),
            &[],
        )
        .await;
    }
}
