//! The CLI (`device enrol`, `protocol publish`) and a running server open the
//! same SQLite file; opening it at the same moment, even while it is being
//! created, must wait for the other opener instead of failing "locked".

use fieldkit_sync_server::store::{SqliteStore, Store};

#[test]
fn many_openers_of_a_new_data_folder_at_once_all_succeed() {
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let barrier = std::sync::Barrier::new(6);
        std::thread::scope(|scope| {
            let openers: Vec<_> = (0..6)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        let store = SqliteStore::open_dir(dir.path())?;
                        store.protocols().map(|p| p.len())
                    })
                })
                .collect();
            for opener in openers {
                assert_eq!(opener.join().unwrap().unwrap(), 0);
            }
        });
    }
}
