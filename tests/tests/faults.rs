//! Sync under faults. After each, every record is on the server exactly
//! once with its content hash and every device's outbox is empty. Loops are
//! bounded in count and time; the numbers of injected faults are asserted, so a
//! proxy that injected nothing cannot pass for one that did.

use std::sync::atomic::Ordering;
use std::time::Duration;

use fieldkit_mobile::sync::{SyncClient, SyncConfig};
use fieldkit_tests::harness::{
    assert_exactly_once, patient, prepare, sync_until_drained, total_records, unfinished, Backend,
    BinaryServer, Device, InProcessServer,
};
use fieldkit_tests::interview::queue_records;
use fieldkit_tests::proxy::{Faults, Proxy};
use rand::Rng;

fn batches_of(n: usize) -> SyncConfig {
    SyncConfig {
        batch_size: n,
        ..patient()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_killed_mid_batch_twenty_times() {
    let backend = Backend::new();
    let code = prepare(&*backend.open(), "Amina");
    let mut server = BinaryServer::start(&backend).await;
    let mut phone = Device::new();
    let protocol = phone.enrol(&server.url(), &code).await;
    let records = queue_records(&mut phone.vault, &protocol, 400);
    let device = phone.vault.device_id().unwrap().unwrap();
    let watcher = backend.open();

    let mut vault = phone.vault;
    let syncing = tokio::spawn(async move {
        let offline = sync_until_drained(&mut vault, &batches_of(10), 400).await;
        (vault, offline)
    });
    let mut kills = 0;
    let mut seen = 0;
    for _ in 0..20 {
        // Kill as soon as another batch landed: the next one is in flight.
        for _ in 0..2000 {
            let stored = watcher.sync_status(device).unwrap().stored;
            if stored > seen || syncing.is_finished() {
                seen = stored;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if syncing.is_finished() {
            break;
        }
        server.kill().await;
        kills += 1;
        tokio::time::sleep(Duration::from_millis(rand::thread_rng().gen_range(0..100))).await;
        server.restart().await;
    }
    let (vault, offline) = syncing.await.unwrap();
    println!("server kills: {kills}, syncs that ended offline: {offline}");
    assert_eq!(kills, 20, "the sync finished before 20 kills; add records");
    assert_exactly_once(&*watcher, &vault, &records);
    assert_eq!(total_records(&*watcher), 400);
    server.kill().await;
}

/// One device, `count` records, through a proxy with `faults`.
async fn through_proxy(faults: Faults, count: usize, batch: usize) -> Proxy {
    fieldkit_tests::harness::init_logs();
    let server = InProcessServer::start().await;
    let proxy = Proxy::start(server.addr, Faults::none()).await;
    let mut phone = Device::new();
    let protocol = phone.enrol(&server.url(), &server.code("Amina")).await;
    let records = queue_records(&mut phone.vault, &protocol, count);
    phone.use_server(&proxy.url());
    proxy.set_faults(faults);
    sync_until_drained(&mut phone.vault, &batches_of(batch), 300).await;
    assert_exactly_once(&*server.store, &phone.vault, &records);
    assert_eq!(total_records(&*server.store), count as u64);
    proxy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_cut_at_random_byte_offsets() {
    let faults = Faults {
        cut_per_mille: 350,
        ..Faults::none()
    };
    // 40 batches and their retries: fewer than 5 cuts is then vanishingly rare.
    let proxy = through_proxy(faults, 600, 15).await;
    let cuts = proxy.counts.cuts.load(Ordering::Relaxed);
    println!("connections cut: {cuts}");
    assert!(cuts >= 5, "only {cuts} cuts were injected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_throttled_network() {
    let faults = Faults {
        delay_ms: (0, 3),
        chunk: 4096,
        ..Faults::none()
    };
    let proxy = through_proxy(faults, 120, 20).await;
    assert!(proxy.counts.connections.load(Ordering::Relaxed) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answering_500s_before_and_after_doing_the_work() {
    let faults = Faults {
        error_500_per_mille: 250,
        lost_answer_500_per_mille: 250,
        ..Faults::none()
    };
    // 40 batches and their retries, so each kind of 500 happens several times.
    let proxy = through_proxy(faults, 600, 15).await;
    let (_, _, errors, lost) = proxy.counts.snapshot();
    println!("500s before the server: {errors}, answers replaced by 500: {lost}");
    assert!(errors >= 3 && lost >= 3, "{errors} / {lost} 500s injected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_restarted_in_the_middle_of_a_sync() {
    let server = InProcessServer::start().await;
    // A slow link keeps each sync in flight long enough to be interrupted.
    let proxy = Proxy::start(
        server.addr,
        Faults {
            delay_ms: (1, 3),
            chunk: 8192,
            ..Faults::none()
        },
    )
    .await;
    let mut phone = Device::new();
    let protocol = phone.enrol(&server.url(), &server.code("Amina")).await;
    let records = queue_records(&mut phone.vault, &protocol, 400);
    phone.use_server(&proxy.url());
    let dir = phone.dir;
    let mut vault = phone.vault;
    let mut interrupted = 0;
    for _ in 0..12 {
        let config = batches_of(10);
        // Restarted once a batch's answers are kept, while the next batches
        // are with the server, and a moment later or not: a sync that ran
        // for a fixed time would, on a fast machine, be over before it.
        let (kept, on_kept) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let client = SyncClient::from_vault(&vault, config).unwrap();
            let mut kept = Some(kept);
            let _ = client
                .sync(&mut vault, |progress| {
                    if let Some(kept) = kept.take_if(|_| progress.done > 0) {
                        let _ = kept.send(());
                    }
                })
                .await;
        });
        // An error means the sync ended first; the assertions below tell.
        let _ = on_kept.await;
        tokio::time::sleep(Duration::from_millis(rand::thread_rng().gen_range(0..4))).await;
        task.abort();
        // The app is gone: its vault handle with it. Open the folder again.
        if task.await.is_err_and(|e| e.is_cancelled()) {
            interrupted += 1;
        }
        vault = Device::reopen(dir.path());
    }
    println!("syncs cut short by a restart: {interrupted}");
    assert!(
        interrupted >= 6,
        "only {interrupted} restarts hit a running sync"
    );
    // The restarts fell in the middle of the work: some batches landed
    // before them, and records were still waiting after them.
    let landed = total_records(&*server.store);
    println!("records on the server before the last sync: {landed} of 400");
    assert!(landed > 0, "no sync got a batch through before its restart");
    assert!(
        unfinished(&vault) > 0,
        "the restarts came too late to cut a sync short"
    );
    sync_until_drained(&mut vault, &batches_of(10), 50).await;
    assert_exactly_once(&*server.store, &vault, &records);
}

/// 5 devices at once through a proxy that cuts, delays and fails requests.
/// 5 x 200 records by default, so `cargo test` stays quick on a 2-core
/// machine; the full soak of 5 x 2,000 records runs only with
/// FIELDKIT_SOAK=1 (a CI job that wants it sets the variable).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_five_devices_through_a_faulty_network() {
    let per_device = if std::env::var("FIELDKIT_SOAK").is_ok_and(|v| v == "1") {
        2000
    } else {
        200
    };
    let server = InProcessServer::start().await;
    let proxy = Proxy::start(server.addr, Faults::none()).await;
    let mut tasks = Vec::new();
    for n in 0..5 {
        let mut phone = Device::new();
        let protocol = phone
            .enrol(&server.url(), &server.code(&format!("Researcher {n}")))
            .await;
        let records = queue_records(&mut phone.vault, &protocol, per_device);
        phone.use_server(&proxy.url());
        tasks.push((phone, records));
    }
    // High enough rates that each kind of fault happens many times in the
    // ~60 requests of the default size (a rate of 6% once injected none).
    proxy.set_faults(Faults {
        cut_per_mille: 150,
        error_500_per_mille: 150,
        lost_answer_500_per_mille: 150,
        delay_ms: (0, 1),
        chunk: 16 * 1024,
        ..Faults::none()
    });
    let handles: Vec<_> = tasks
        .into_iter()
        .map(|(mut phone, records)| {
            tokio::spawn(async move {
                sync_until_drained(&mut phone.vault, &batches_of(20), 400).await;
                (phone, records)
            })
        })
        .collect();
    for handle in handles {
        let (phone, records) = handle.await.unwrap();
        assert_exactly_once(&*server.store, &phone.vault, &records);
    }
    assert_eq!(total_records(&*server.store), 5 * per_device as u64);
    let (connections, cuts, errors, lost) = proxy.counts.snapshot();
    println!("soak: {connections} connections, {cuts} cuts, {errors} + {lost} injected 500s");
    assert!(cuts > 0 && errors > 0 && lost > 0);
}
