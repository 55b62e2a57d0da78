//! Bundles on the server: `protocol publish` of a folder, a zip and a tar
//! (hostile archives refused, metadata stripped before anything is stored),
//! and the device API serving each media file by hash, with byte ranges.
//! Every test runs on the run's backend (SQLite, or PostgreSQL on the second
//! pass of `scripts/test`).

mod support;

use std::io::Write;

use fieldkit_protocols::{library, parse_protocol, ContentHash};
use fieldkit_sync_server::admin;
use fieldkit_sync_server::store::{MediaBlob, PublishOutcome, PublishedProtocol};
use support::{TestServer, TestStore};
use time::OffsetDateTime;

const FOCUS: &str = "focus-group-visualisation.toml";

fn hex(hash: &ContentHash) -> &str {
    hash.as_str().strip_prefix("sha256:").unwrap()
}

#[tokio::test]
async fn a_published_bundle_serves_every_file_by_hash_with_ranges() {
    let server = TestServer::start().await;
    let published = server.publish_shipped(FOCUS);
    assert_eq!(
        published.media.len(),
        10,
        "the manifest is in the published protocol"
    );
    let (_, token) = server.enrol("Awa").await;
    let (status, listings) = server.get("/api/v1/protocols", &token).await;
    assert_eq!(status, 200);
    let listing = listings
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["protocol_id"] == "focus-group-visualisation")
        .unwrap();
    let source = listing["source_toml"].as_str().unwrap();
    let protocol = parse_protocol(FOCUS, source).unwrap();
    assert_eq!(
        protocol.content_hash().as_str(),
        listing["content_hash"].as_str().unwrap()
    );
    for (path, entry) in &protocol.media {
        let response = server
            .client
            .get(server.url(&format!("/api/v1/media/{}", hex(&entry.sha256))))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["accept-ranges"], "bytes");
        let bytes = response.bytes().await.unwrap();
        assert_eq!(ContentHash::of_bytes(&bytes), entry.sha256, "{path}");
        assert_eq!(bytes.len() as u64, entry.bytes);
    }
    let card = &protocol.media["cards/job-offer.svg"];
    let url = server.url(&format!("/api/v1/media/{}", hex(&card.sha256)));
    let whole = server
        .client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let tail = server
        .client
        .get(&url)
        .bearer_auth(&token)
        .header("Range", "bytes=100-")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.headers()["content-range"],
        format!("bytes 100-{}/{}", whole.len() - 1, whole.len()).as_str()
    );
    assert_eq!(tail.bytes().await.unwrap(), whole[100..]);
    let past = server
        .client
        .get(&url)
        .bearer_auth(&token)
        .header("Range", format!("bytes={}-", whole.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 416);
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{}", whole.len()).as_str()
    );
    let unknown = server
        .client
        .get(server.url(&format!("/api/v1/media/{}", "0".repeat(64))))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let bad = server
        .client
        .get(server.url("/api/v1/media/sha256:abc"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let anonymous = server.client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

fn photo_bundle_files() -> Vec<(String, Vec<u8>)> {
    let source = library::demo_source(FOCUS).replace("cards/job-offer.svg", "cards/job-offer.jpg");
    let mut files: Vec<(String, Vec<u8>)> = library::bundle(FOCUS)
        .files
        .into_iter()
        .filter(|(p, _)| p != "cards/job-offer.svg")
        .collect();
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../protocols/tests/fixtures/media/photo-with-gps.jpg"
    ))
    .unwrap();
    files.push(("cards/job-offer.jpg".into(), photo));
    files.push(("README.md".into(), b"Licence: CC0".to_vec()));
    files.push(("focus.toml".into(), source.into_bytes()));
    files
}

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        out.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A ustar archive, written here by hand (the reader under test is ours).
fn tar_of(files: &[(String, Vec<u8>, u8)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, bytes, kind) in files {
        let mut header = [0u8; 512];
        header[..name.len()].copy_from_slice(name.as_bytes());
        header[100..107].copy_from_slice(b"0000644");
        header[124..135].copy_from_slice(format!("{:011o}", bytes.len()).as_bytes());
        header[156] = *kind;
        header[257..263].copy_from_slice(b"ustar\0");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(bytes);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

#[test]
fn publish_takes_a_zip_strips_the_photo_and_stores_only_clean_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new();
    let archive = dir.path().join("focus.zip");
    std::fs::write(&archive, zip_of(&photo_bundle_files())).unwrap();
    let (protocol, _) =
        admin::publish_file(&*store, &archive, None, OffsetDateTime::now_utc()).unwrap();
    let entry = &protocol.media["cards/job-offer.jpg"];
    let stored = store.media_blob(&entry.sha256).unwrap().unwrap();
    assert_eq!(stored.mime, "image/jpeg");
    let has = |needle: &[u8]| stored.bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        !has(b"Jane Doe") && !has(b"Exif"),
        "no GPS or owner reaches a phone"
    );
    assert!(!protocol.media.contains_key("README.md"));
}

#[test]
fn publish_takes_a_tar_and_a_folder_and_both_give_the_same_version() {
    let dir = tempfile::tempdir().unwrap();
    let files = photo_bundle_files();
    let tar = dir.path().join("focus.tar");
    std::fs::write(
        &tar,
        tar_of(
            &files
                .iter()
                .map(|(n, b)| (n.clone(), b.clone(), b'0'))
                .collect::<Vec<_>>(),
        ),
    )
    .unwrap();
    let folder = dir.path().join("focus");
    for (name, bytes) in &files {
        let path = folder.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let (a, b) = (TestStore::new(), TestStore::new());
    let (from_tar, _) = admin::publish_file(&*a, &tar, None, OffsetDateTime::now_utc()).unwrap();
    let (from_folder, _) =
        admin::publish_file(&*b, &folder, None, OffsetDateTime::now_utc()).unwrap();
    assert_eq!(from_tar.content_hash(), from_folder.content_hash());
}

#[test]
fn hostile_archives_are_refused_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new();
    let mut files = photo_bundle_files();
    let publish = |name: &str, bytes: Vec<u8>| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        admin::publish_file(&*store, &path, None, OffsetDateTime::now_utc())
            .unwrap_err()
            .to_string()
    };
    let mut climbing = files.clone();
    climbing.push(("../../etc/passwd".into(), b"x".to_vec()));
    assert!(publish("climb.zip", zip_of(&climbing)).contains("climbs out"));
    let mut tar = files
        .iter()
        .map(|(n, b)| (n.clone(), b.clone(), b'0'))
        .collect::<Vec<_>>();
    tar.push(("cards/link.svg".into(), Vec::new(), b'2'));
    assert!(publish("link.tar", tar_of(&tar)).contains("is a link"));
    let many: Vec<(String, Vec<u8>)> = (0..600)
        .map(|i| (format!("f{i}.svg"), Vec::new()))
        .collect();
    assert!(publish("many.zip", zip_of(&many)).contains("more than 500 entries"));
    files.push(("cards/huge.png".into(), vec![0; 5 * 1024 * 1024]));
    assert!(publish("big.zip", zip_of(&files)).contains("larger than 4 MiB"));
    let hostile = photo_bundle_files()
        .into_iter()
        .map(|(n, b)| {
            if n == "choices/media.svg" {
                (
                    n,
                    b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>x()</script></svg>"
                        .to_vec(),
                )
            } else {
                (n, b)
            }
        })
        .collect::<Vec<_>>();
    let message = publish("hostile.zip", zip_of(&hostile));
    assert!(
        message.contains("media-svg") && message.contains("<script>"),
        "{message}"
    );
    assert!(store.protocols().unwrap().is_empty());
}

#[cfg(unix)]
#[test]
fn a_link_inside_a_bundle_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("focus");
    std::fs::create_dir_all(folder.join("cards")).unwrap();
    for (name, bytes) in photo_bundle_files() {
        let path = folder.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    std::os::unix::fs::symlink("/etc/passwd", folder.join("cards/secret.svg")).unwrap();
    let store = TestStore::new();
    let error = admin::publish_file(&*store, &folder, None, OffsetDateTime::now_utc())
        .unwrap_err()
        .to_string();
    assert!(error.contains("is a link"), "{error}");
}

/// The store's side of R4: a version and its files are written together,
/// files only with a new version; the same version again, or other content
/// under its number, writes none of the files it brings.
#[test]
fn media_are_stored_only_with_a_new_version() {
    let store = TestStore::new();
    let blob = |bytes: &[u8]| MediaBlob {
        sha256: ContentHash::of_bytes(bytes),
        mime: "image/svg+xml".to_owned(),
        bytes: bytes.to_vec(),
    };
    let version = |hash: &[u8], source: &str| PublishedProtocol {
        protocol_id: "cards".to_owned(),
        version: 1,
        content_hash: ContentHash::of_bytes(hash),
        source_toml: source.to_owned(),
        published_at: OffsetDateTime::now_utc(),
    };
    let (first, later, refused) = (
        blob(b"<svg/>"),
        blob(b"<svg>2</svg>"),
        blob(b"<svg>3</svg>"),
    );
    assert_eq!(
        store
            .publish_with_media(&version(b"a", "a"), std::slice::from_ref(&first))
            .unwrap(),
        PublishOutcome::Published
    );
    assert_eq!(
        store.media_blob(&first.sha256).unwrap(),
        Some(first.clone())
    );
    // The same version again brings a file it did not have: not stored.
    assert_eq!(
        store
            .publish_with_media(&version(b"a", "a"), &[first, later.clone()])
            .unwrap(),
        PublishOutcome::AlreadyPublished
    );
    assert_eq!(store.media_blob(&later.sha256).unwrap(), None);
    // Other content under the same number: refused, and nothing of it kept.
    assert!(matches!(
        store
            .publish_with_media(&version(b"b", "b"), std::slice::from_ref(&refused))
            .unwrap(),
        PublishOutcome::Refused { .. }
    ));
    assert_eq!(store.media_blob(&refused.sha256).unwrap(), None);
    assert_eq!(store.protocols().unwrap().len(), 1);
}

/// Issue 18, item 6 over HTTP: the pages show an image choice by its
/// picture, served from the stored media by hash to logged-in users only,
/// as an image (never a sound), under the pages' security headers; the
/// Markdown codebook names each picture.
#[tokio::test]
async fn the_pages_show_image_choices_by_their_stored_pictures() {
    use support::browser::{add_user, Browser};

    let server = TestServer::start().await;
    let protocol = server.publish_shipped(FOCUS);
    add_user(&server, "ana", "analyst");
    let friends = &protocol.media["choices/friends.svg"];
    let sound = &protocol.media["audio/data-use-en.ogg"];
    let picture = server.url(&format!("/web/media/{}", hex(&friends.sha256)));

    // Logged out: the login page, not the picture.
    let anonymous = Browser::new();
    let response = anonymous.get_response(&picture).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login");

    let (analyst, status) = Browser::log_in(&server, "ana", support::browser::PASSWORD).await;
    assert_eq!(status, 303);
    let response = analyst.get_response(&picture).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("img-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(ContentHash::of_bytes(&bytes), friends.sha256);
    // A sound, an unknown hash and a malformed one are not pictures.
    for path in [
        format!("/web/media/{}", hex(&sound.sha256)),
        format!("/web/media/{}", "0".repeat(64)),
        "/web/media/..%2F..%2Fetc".to_owned(),
    ] {
        let (status, _) = analyst.get(&server.url(&path)).await;
        assert_eq!(status, 404, "{path}");
    }

    // The codebook page: each image choice with its picture and its text.
    let (status, page) = analyst
        .get(&server.url("/web/codebook?protocol=focus-group-visualisation"))
        .await;
    assert_eq!(status, 200);
    for choice in protocol.question("ideas_sources").unwrap().choices.iter() {
        let path = match choice.image.as_ref().unwrap() {
            fieldkit_protocols::media::MediaRef::All(path) => path,
            other => panic!("{other:?}"),
        };
        let img = format!(
            "<img class=\"choice-picture\" src=\"/web/media/{}\" alt=\"\" width=\"64\" height=\"64\"> <code>{}</code> = {}</li>",
            hex(&protocol.media[path].sha256),
            choice.value,
            choice.label.show("en")
        );
        assert!(page.contains(&img), "{img} not in the codebook page");
    }
    // The Markdown codebook names the picture beside the text.
    let (status, markdown) = analyst
        .get(&server.url("/web/export?protocol=focus-group-visualisation&format=codebook"))
        .await;
    assert_eq!(status, 200);
    assert!(
        markdown.contains(&format!(
            "`friends` = Friends (picture `choices/friends.svg`, {})",
            friends.sha256.short()
        )),
        "{markdown}"
    );
}
