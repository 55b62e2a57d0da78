//! Several server instances, one PostgreSQL database: one phone's batches
//! go to two `fieldkit-server serve` processes in turn, through the faulty
//! proxy (cut connections, lost answers), while one instance is killed and
//! restarted again and again. Afterwards every record is stored exactly
//! once and the outbox is empty, as with one server.
//!
//! Needs a PostgreSQL server (`FIELDKIT_TEST_POSTGRES`, set by the second
//! pass of `scripts/test`); on the SQLite pass it says so and returns.

use std::time::Duration;

use fieldkit_mobile::sync::SyncConfig;
use fieldkit_tests::harness::{
    assert_exactly_once, patient, prepare, sync_until_drained, total_records, Backend,
    BinaryServer, Device,
};
use fieldkit_tests::interview::queue_records;
use fieldkit_tests::proxy::{Faults, Proxy};

const RECORDS: usize = 300;
const RESTARTS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_phone_through_two_instances_one_killed_and_restarted_stores_each_record_once() {
    let Some(backend) = Backend::postgres() else {
        eprintln!("skipped: several instances need PostgreSQL; scripts/test runs this on its PostgreSQL pass");
        return;
    };
    let code = prepare(&*backend.open(), "Amina");
    let steady = BinaryServer::start(&backend).await;
    let mut flaky = BinaryServer::start(&backend).await;
    let mut phone = Device::new();
    // Enrolled through one instance, known to the other at once.
    let protocol = phone.enrol(&steady.url(), &code).await;
    let records = queue_records(&mut phone.vault, &protocol, RECORDS);
    let device = phone.vault.device_id().unwrap().unwrap();
    let proxy = Proxy::start_balanced(
        vec![steady.addr, flaky.addr],
        Faults {
            cut_per_mille: 100,
            lost_answer_500_per_mille: 100,
            ..Faults::none()
        },
    )
    .await;
    phone.use_server(&proxy.url());
    let watcher = backend.open();

    let mut vault = phone.vault;
    let syncing = tokio::spawn(async move {
        let config = SyncConfig {
            batch_size: 10,
            ..patient()
        };
        let offline = sync_until_drained(&mut vault, &config, 400).await;
        (vault, offline)
    });
    let mut restarts = 0;
    let mut seen = 0;
    for _ in 0..RESTARTS {
        // Kill once more batches have landed: others are in flight.
        for _ in 0..2000 {
            let stored = watcher.sync_status(device).unwrap().stored;
            if stored >= seen + 20 || syncing.is_finished() {
                seen = stored;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if syncing.is_finished() {
            break;
        }
        flaky.kill().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        flaky.restart().await;
        restarts += 1;
    }
    let (vault, offline) = syncing.await.unwrap();
    let (_, cuts, _, lost) = proxy.counts.snapshot();
    let per_instance = proxy.counts.per_upstream.lock().unwrap().clone();
    println!(
        "restarts: {restarts}, offline syncs: {offline}, cuts: {cuts}, lost answers: {lost}, requests per instance: {per_instance:?}"
    );
    assert_eq!(restarts, RESTARTS, "the sync finished first; add records");
    assert!(cuts > 0 && lost > 0, "the proxy injected no faults");
    assert!(
        per_instance.iter().all(|&n| n >= 10),
        "both instances should have served requests: {per_instance:?}"
    );
    assert_exactly_once(&*watcher, &vault, &records);
    assert_eq!(total_records(&*watcher), RECORDS as u64);
}
