//! A protocol bundle's journey: published with its media, downloaded by a
//! phone over a link that drops every long answer partway (the download
//! resumes with byte ranges), every file checked by hash and pinned sealed
//! in the vault; a file edited on the server after publishing is refused.

use std::sync::atomic::Ordering;

use fieldkit_mobile::sync;
use fieldkit_protocols::{library, ContentHash};
use fieldkit_sync_server::admin;
use fieldkit_tests::harness::{patient, Device, InProcessServer};
use fieldkit_tests::proxy::{Faults, Proxy};
use time::OffsetDateTime;

const FOCUS: &str = "focus-group-visualisation.toml";

async fn publish_and_enrol(server: &InProcessServer, phone: &mut Device) {
    let now = OffsetDateTime::now_utc();
    admin::publish_bundle(
        &*server.store,
        FOCUS,
        &library::demo_source(FOCUS),
        &library::bundle(FOCUS),
        None,
        now,
    )
    .unwrap();
    let code = admin::enrol(&*server.store, "Amina", &["en".into()], 14, now).unwrap();
    sync::enrol(
        &mut phone.vault,
        &server.url(),
        &code,
        "field phone",
        &patient(),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_resumes_through_cut_connections_and_every_file_is_pinned_by_hash() {
    let server = InProcessServer::start().await;
    let mut phone = Device::new();
    publish_and_enrol(&server, &mut phone).await;
    // Every answer longer than 32 KiB is cut there: the protocol listing
    // passes, each sound (about 65 KiB) needs three ranged requests.
    let proxy = Proxy::start(
        server.addr,
        Faults {
            cut_answers_after: Some(32 * 1024),
            ..Faults::none()
        },
    )
    .await;
    phone.use_server(&proxy.url());
    let report = phone
        .client(patient())
        .download_protocols(&mut phone.vault)
        .await
        .unwrap();
    assert!(
        report.refused.is_empty() && report.media.refused.is_empty(),
        "{report:?}"
    );
    assert_eq!(
        (report.media.pinned, report.media.waiting),
        (10, 0),
        "{report:?}"
    );
    assert!(
        proxy.counts.cuts.load(Ordering::Relaxed) >= 2,
        "the sounds were cut and resumed"
    );
    let protocol = phone.vault.pinned_protocols().unwrap()[0]
        .protocol()
        .unwrap();
    assert!(phone.vault.missing_media(&protocol).unwrap().is_empty());
    for (path, entry) in &protocol.media {
        let bytes = phone.vault.media(&entry.sha256).unwrap().expect(path);
        assert_eq!(ContentHash::of_bytes(&bytes), entry.sha256, "{path}");
    }
    // Nothing of a card is readable in the vault's files: sealed like the rest.
    let svg = library::bundle(FOCUS).files["cards/job-offer.svg"].clone();
    for file in std::fs::read_dir(phone.dir.path()).unwrap() {
        let raw = std::fs::read(file.unwrap().path()).unwrap();
        assert!(
            !raw.windows(40).any(|w| w == &svg[..40]),
            "a card is in the clear on disk"
        );
    }
    // A second download finds nothing to fetch.
    phone.use_server(&server.url());
    let again = phone
        .client(patient())
        .download_protocols(&mut phone.vault)
        .await
        .unwrap();
    assert_eq!((again.media.pinned, again.media.bytes), (0, 0));
}

/// The signal goes halfway through a sound and the sync ends: what arrived
/// is kept sealed in the vault (never in the clear on disk), and the NEXT
/// sync, on a good link, asks only for the rest, then checks the whole file
/// by hash before pinning it. Progress is reported as the bytes arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_cut_in_one_sync_resumes_at_the_next_from_sealed_partial_bytes() {
    let server = InProcessServer::start().await;
    let mut phone = Device::new();
    publish_and_enrol(&server, &mut phone).await;
    // The first sound (paths in order: audio/ first) is cut at 32 KiB, then
    // no connection gets through until the phone is somewhere else.
    let proxy = Proxy::start(
        server.addr,
        Faults {
            cut_answers_after: Some(32 * 1024),
            down_after_cuts: Some(1),
            ..Faults::none()
        },
    )
    .await;
    phone.use_server(&proxy.url());
    let short = sync::SyncConfig {
        max_attempts: 2,
        ..patient()
    };
    let first = phone
        .client(short)
        .download_protocols(&mut phone.vault)
        .await
        .unwrap();
    assert!(first.media.waiting > 0, "{first:?}");
    assert_eq!(first.media.pinned + first.media.waiting, 10, "{first:?}");
    let protocol = phone.vault.pinned_protocols().unwrap()[0]
        .protocol()
        .unwrap();
    let missing = phone.vault.missing_media(&protocol).unwrap();
    let mut kept = 0u64;
    let mut partials = Vec::new();
    for path in &missing {
        let entry = &protocol.media[path];
        if let Some(partial) = phone.vault.partial_media(&entry.sha256).unwrap() {
            assert!(
                !partial.is_empty() && (partial.len() as u64) < entry.bytes,
                "{path}: {} of {}",
                partial.len(),
                entry.bytes
            );
            kept += partial.len() as u64;
            partials.push(partial.to_vec());
        }
    }
    assert!(!partials.is_empty(), "the cut sound left its first bytes");
    // Sealed: no 64-byte stretch of what arrived is readable in the files.
    for file in std::fs::read_dir(phone.dir.path()).unwrap() {
        let raw = std::fs::read(file.unwrap().path()).unwrap();
        for partial in &partials {
            let probe = &partial[partial.len() / 2..partial.len() / 2 + 64];
            assert!(
                !raw.windows(64).any(|w| w == probe),
                "partial media bytes are in the clear on disk"
            );
        }
    }

    // The next sync, on a good link and after the app restarted.
    let dir = phone.dir.path().to_owned();
    phone.vault.lock();
    phone.vault = Device::reopen(&dir);
    phone.use_server(&server.url());
    let wanted: u64 = missing.iter().map(|p| protocol.media[p].bytes).sum();
    let mut seen = Vec::new();
    let second = phone
        .client(patient())
        .download_protocols_with(&mut phone.vault, |p| seen.push(p))
        .await
        .unwrap();
    assert_eq!(
        (second.media.pinned, second.media.waiting),
        (missing.len(), 0),
        "{second:?}"
    );
    assert!(second.media.refused.is_empty(), "{second:?}");
    assert_eq!(
        second.media.bytes,
        wanted - kept,
        "only the bytes not kept at the first sync are fetched again"
    );
    for (path, entry) in &protocol.media {
        let bytes = phone.vault.media(&entry.sha256).unwrap().expect(path);
        assert_eq!(ContentHash::of_bytes(&bytes), entry.sha256, "{path}");
        assert!(phone.vault.partial_media(&entry.sha256).unwrap().is_none());
    }
    // Progress: starts at what was kept, ends with every file and byte.
    let (start, end) = (seen.first().unwrap(), seen.last().unwrap());
    assert_eq!((start.files_done, start.files_total), (0, missing.len()));
    assert_eq!(start.bytes_total, wanted);
    assert_eq!((end.files_done, end.bytes_done), (missing.len(), wanted));
    assert!(
        seen.iter()
            .any(|p| p.bytes_done >= kept && p.files_done == 0),
        "the resumed bytes count as done: {seen:?}"
    );
    assert!(seen.windows(2).all(|w| w[0].bytes_done <= w[1].bytes_done));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_media_file_edited_after_publishing_is_refused_and_the_protocol_not_offered() {
    let server = InProcessServer::start().await;
    let mut phone = Device::new();
    publish_and_enrol(&server, &mut phone).await;
    // Someone swaps a card in the server's database after publishing.
    let published = server.store.protocols().unwrap();
    let protocol = fieldkit_protocols::parse_protocol(FOCUS, &published[0].source_toml).unwrap();
    let card = &protocol.media["cards/bus-departure.svg"];
    edit_stored_file(&server, card.sha256.as_str());
    let report = phone
        .client(patient())
        .download_protocols(&mut phone.vault)
        .await
        .unwrap();
    assert_eq!(report.media.refused.len(), 1, "{report:?}");
    assert!(
        report.media.refused[0].contains("cards/bus-departure.svg")
            && report.media.refused[0].contains("R4"),
        "{report:?}"
    );
    assert_eq!(
        phone.vault.missing_media(&protocol).unwrap(),
        vec!["cards/bus-departure.svg".to_owned()]
    );
    assert!(!phone.vault.has_media(&card.sha256).unwrap());
}

/// Changes one stored file's bytes behind the server's back, in whichever
/// database this run's server keeps them.
fn edit_stored_file(server: &InProcessServer, sha256: &str) {
    match &server.backend.db {
        Some(db) => {
            let changed = db
                .query(&format!(
                    "UPDATE media SET bytes = convert_to(replace(convert_from(bytes, 'UTF8'), \
                     'fill=', 'fill = '), 'UTF8') WHERE sha256 = '{sha256}' RETURNING 1"
                ))
                .unwrap();
            assert_eq!(changed.len(), 1);
        }
        None => {
            let conn =
                rusqlite::Connection::open(server.backend.dir.path().join("fieldkit.sqlite3"))
                    .unwrap();
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .unwrap();
            let changed = conn
                .execute(
                    "UPDATE media SET bytes = CAST(replace(CAST(bytes AS TEXT), 'fill=', 'fill = ') AS BLOB) WHERE sha256 = ?1",
                    [sha256],
                )
                .unwrap();
            assert_eq!(changed, 1);
        }
    }
}
