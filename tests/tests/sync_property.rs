//! Property: whatever the interleaving of queuing, syncing through lost
//! answers, cut connections and 500s, resending already-acknowledged
//! records and restarting the device, one clean sync at the end leaves every
//! record on the server exactly once and the outbox empty.

use fieldkit_mobile::sync::{SyncClient, SyncConfig};
use fieldkit_tests::harness::{
    assert_exactly_once, patient, sync_until_drained, total_records, Device, InProcessServer,
};
use fieldkit_tests::interview::queue_records;
use fieldkit_tests::proxy::{Faults, Proxy};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Enqueue(usize),
    /// A sync through the proxy with this fault (0 none, 1 cuts, 2 lost answers, 3 500s).
    Sync(u8),
    /// Pretend the answer for the n-th record was lost: it goes again.
    Resend(usize),
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1usize..6).prop_map(Op::Enqueue),
        (0u8..4).prop_map(Op::Sync),
        (0usize..50).prop_map(Op::Resend),
        Just(Op::Restart),
    ]
}

fn faults(kind: u8) -> Faults {
    match kind {
        1 => Faults {
            cut_per_mille: 500,
            ..Faults::none()
        },
        2 => Faults {
            lost_answer_500_per_mille: 500,
            ..Faults::none()
        },
        3 => Faults {
            error_500_per_mille: 500,
            ..Faults::none()
        },
        _ => Faults::none(),
    }
}

async fn run(ops: Vec<Op>) {
    let server = InProcessServer::start().await;
    let proxy = Proxy::start(server.addr, Faults::none()).await;
    let mut phone = Device::new();
    let protocol = phone.enrol(&server.url(), &server.code("Amina")).await;
    phone.use_server(&proxy.url());
    let config = SyncConfig {
        batch_size: 3,
        max_attempts: 2,
        ..patient()
    };
    let mut records = Vec::new();
    let mut vault = phone.vault;
    for op in ops {
        match op {
            Op::Enqueue(n) => records.extend(queue_records(&mut vault, &protocol, n)),
            Op::Sync(kind) => {
                proxy.set_faults(faults(kind));
                let client = SyncClient::from_vault(&vault, config.clone()).unwrap();
                client.sync(&mut vault, |_| {}).await.unwrap();
            }
            Op::Resend(i) if !records.is_empty() => {
                let id = records[i % records.len()].record_id;
                vault.mark_sent(id).unwrap();
            }
            Op::Resend(_) => {}
            Op::Restart => {
                drop(vault);
                vault = Device::reopen(phone.dir.path());
            }
        }
    }
    proxy.set_faults(Faults::none());
    sync_until_drained(&mut vault, &config, 20).await;
    assert_exactly_once(&*server.store, &vault, &records);
    assert_eq!(total_records(&*server.store), records.len() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn every_interleaving_ends_with_each_record_stored_once(ops in prop::collection::vec(op(), 1..14)) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run(ops));
    }
}
