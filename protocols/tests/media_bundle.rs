//! Protocol bundles: every file a phone will show is checked, cleaned of
//! metadata and hashed into the published version (R4). Cleaned pictures are
//! decoded again by independent decoders (`png`, `zune-jpeg`, `image-webp`).

use std::collections::BTreeMap;

use fieldkit_protocols::library::{self, demo_source};
use fieldkit_protocols::lint::{lint_bundle, Severity};
use fieldkit_protocols::media::{check_file, Bundle, MediaKind};
use fieldkit_protocols::parse_protocol;

const FOCUS: &str = "focus-group-visualisation.toml";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/media/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_shipped_focus_group_bundle_is_clean_and_every_file_is_in_the_manifest() {
    let protocol = parse_protocol(FOCUS, &demo_source(FOCUS)).unwrap();
    let bundle = library::bundle(FOCUS);
    assert_eq!(bundle.files.len(), 10);
    let (findings, prepared) = lint_bundle(&protocol, &bundle);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(
        !findings.iter().any(|f| f.code.starts_with("media")),
        "{findings:#?}"
    );
    assert_eq!(prepared.manifest.len(), 10);
    let card = &prepared.manifest["cards/job-offer.svg"];
    assert_eq!(card.kind, MediaKind::Svg);
    assert_eq!(
        card.sha256,
        fieldkit_protocols::ContentHash::of_bytes(&bundle.files["cards/job-offer.svg"])
    );
    // The shipped sounds were made with opusenc, which tags its own name:
    // stripped here like any other tag.
    assert!(prepared
        .stripped
        .iter()
        .any(|(p, what)| p == "audio/data-use-en.ogg" && what.contains("Opus comments")));
}

#[test]
fn the_content_hash_covers_every_media_byte() {
    let protocol = parse_protocol(FOCUS, &demo_source(FOCUS)).unwrap();
    let mut bundle = library::bundle(FOCUS);
    let manifest = |b: &Bundle| {
        let mut p = protocol.clone();
        p.media = lint_bundle(&protocol, b).1.manifest;
        p.content_hash()
    };
    let before = manifest(&bundle);
    let card = bundle.files.get_mut("cards/bus-departure.svg").unwrap();
    let at = card.iter().position(|&b| b == b'#').unwrap();
    card[at + 1] = if card[at + 1] == b'0' { b'1' } else { b'0' };
    assert_ne!(
        manifest(&bundle),
        before,
        "one changed colour in one card is a new version"
    );
}

#[test]
fn a_photo_loses_its_gps_owner_and_comments_and_still_decodes() {
    let photo = fixture("photo-with-gps.jpg");
    assert!(contains(&photo, b"Jane Doe") && contains(&photo, b"Exif"));
    let (clean, removed) = check_file(MediaKind::Jpeg, &photo).unwrap();
    assert!(
        !contains(&clean, b"Jane Doe") && !contains(&clean, b"Exif"),
        "the owner and GPS are gone"
    );
    assert!(
        removed.contains(&"EXIF") && removed.contains(&"comment"),
        "{removed:?}"
    );
    let mut decoder = zune_jpeg::JpegDecoder::new(std::io::Cursor::new(&clean));
    let pixels = decoder.decode().expect("the cleaned JPEG decodes");
    assert_eq!(decoder.dimensions(), Some((24, 16)));
    assert!(!pixels.is_empty());
}

#[test]
fn a_png_loses_its_text_and_exif_chunks_and_still_decodes() {
    let drawing = fixture("drawing-with-text.png");
    assert!(contains(&drawing, b"Jane Doe"));
    let (clean, removed) = check_file(MediaKind::Png, &drawing).unwrap();
    assert!(
        !contains(&clean, b"Jane Doe") && !contains(&clean, b"tEXt") && !contains(&clean, b"eXIf")
    );
    assert!(
        removed.contains(&"EXIF") && removed.contains(&"text chunks"),
        "{removed:?}"
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(&clean));
    let mut reader = decoder.read_info().expect("the cleaned PNG reads");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader
        .next_frame(&mut buf)
        .expect("the cleaned PNG decodes");
    assert_eq!((info.width, info.height), (24, 16));
}

#[test]
fn a_webp_loses_its_exif_and_its_header_stops_announcing_it() {
    let photo = fixture("photo-with-exif.webp");
    let (clean, removed) = check_file(MediaKind::Webp, &photo).unwrap();
    assert_eq!(removed, vec!["EXIF"]);
    assert!(!contains(&clean, b"Jane Doe"));
    let mut decoder =
        image_webp::WebPDecoder::new(std::io::Cursor::new(&clean)).expect("the cleaned WebP reads");
    assert_eq!(decoder.dimensions(), (24, 16));
    let mut buf = vec![0; decoder.output_buffer_size().unwrap()];
    decoder
        .read_image(&mut buf)
        .expect("the cleaned WebP decodes");
}

#[test]
fn a_damaged_picture_is_refused_with_what_to_do() {
    let mut png = fixture("drawing-with-text.png");
    let len = png.len();
    png[len / 2] ^= 0xFF;
    let (code, message) = check_file(MediaKind::Png, &png).unwrap_err();
    assert_eq!(code, "media-invalid");
    assert!(
        message.contains("damaged") && message.contains("export it again"),
        "{message}"
    );
    let (code, _) = check_file(MediaKind::Jpeg, &fixture("photo-with-gps.jpg")[..200]).unwrap_err();
    assert_eq!(code, "media-invalid");
    let (code, _) = check_file(MediaKind::Png, &fixture("photo-with-gps.jpg")).unwrap_err();
    assert_eq!(code, "media-invalid", "a JPEG named .png is refused");
}

fn svg(body: &str) -> Vec<u8> {
    format!(r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">{body}</svg>"#).into_bytes()
}

#[test]
fn hostile_svg_is_refused_with_the_reason() {
    let cases: &[(&str, &[u8], &str)] = &[
        ("script", &svg("<script>alert(1)</script>"), "<script>"),
        ("event attribute", &svg(r#"<rect width="5" height="5" onclick="steal()"/>"#), "event handler"),
        ("upper-case event", &svg(r#"<rect ONLOAD="x()"/>"#), "event handler"),
        ("foreignObject", &svg("<foreignObject><p>hi</p></foreignObject>"), "foreignObject"),
        ("external image", &svg(r#"<image href="https://tracker.example/p.png"/>"#), "<image>"),
        ("link", &svg(r#"<a href="https://example.org"><rect/></a>"#), "link"),
        ("external use", &svg(r#"<use xlink:href="https://example.org/x.svg#a"/>"#), "outside the picture"),
        ("javascript href, escaped", &svg(r##"<use href="&#106;avascript:alert(1)"/>"##), "outside the picture"),
        ("css url", &svg(r#"<rect style="fill: url(https://tracker.example/x)"/>"#), "url("),
        ("css import", &svg("<style>@import 'https://x.example/a.css';</style>"), "loads"),
        ("style via entity", &svg("<style>rect { fill: u&#114;l(http://x) }</style>"), "reference"),
        ("doctype", b"<!DOCTYPE svg [<!ENTITY a \"aaaa\">]><svg xmlns=\"http://www.w3.org/2000/svg\">&a;</svg>", "DOCTYPE"),
        ("not svg", b"<html><body/></html>", "root element"),
        ("processing instruction", &svg("<?xml-stylesheet href=\"https://x/a.css\"?>"), "processing instruction"),
        ("animation of href", &svg(r#"<set attributeName="href" to="javascript:x()"/>"#), "<set>"),
    ];
    for (what, bytes, reason) in cases {
        let (code, message) = check_file(MediaKind::Svg, bytes).unwrap_err();
        assert_eq!(code, "media-svg", "{what}: {message}");
        assert!(message.contains(reason), "{what}: {message}");
    }
    let (code, message) =
        check_file(MediaKind::Svg, &svg("<metadata><rdf:RDF/></metadata>")).unwrap_err();
    assert_eq!(code, "media-metadata", "{message}");
    let fine = svg(
        r##"<defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs><title>A card</title><rect fill="url(#g)" width="5" height="5"/><use href="#g"/>"##,
    );
    assert!(check_file(MediaKind::Svg, &fine).is_ok());
}

#[test]
fn opus_comments_are_removed_and_the_stream_stays_valid() {
    let sound = library::bundle(FOCUS).files["audio/data-use-fr.ogg"].clone();
    assert!(contains(&sound, b"ENCODER="));
    let (clean, removed) = check_file(MediaKind::Opus, &sound).unwrap();
    assert_eq!(removed, vec!["Opus comments"]);
    assert!(!contains(&clean, b"ENCODER="));
    // Checked again: every page checksum is right and no comment is left.
    let (again, removed) = check_file(MediaKind::Opus, &clean).unwrap();
    assert!(removed.is_empty());
    assert_eq!(again, clean);
    let mut damaged = clean.clone();
    let at = damaged.len() - 10;
    damaged[at] ^= 1;
    assert_eq!(
        check_file(MediaKind::Opus, &damaged).unwrap_err().0,
        "media-invalid"
    );
}

/// A made-up MPEG-1 layer III stream: frames of 128 kbit/s at 44.1 kHz.
fn mp3_frames(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..n {
        let mut frame = vec![0u8; 417];
        frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        out.extend_from_slice(&frame);
    }
    out
}

#[test]
fn id3_tags_are_removed_from_mp3() {
    let mut tagged = b"ID3\x04\x00\x00\x00\x00\x00\x08TPE1Jane".to_vec();
    tagged.extend_from_slice(&mp3_frames(5));
    let mut v1 = b"TAG".to_vec();
    v1.resize(128, b'x');
    tagged.extend_from_slice(&v1);
    let (clean, removed) = check_file(MediaKind::Mp3, &tagged).unwrap();
    assert_eq!(clean, mp3_frames(5));
    assert_eq!(removed, vec!["ID3 tag"]);
    assert_eq!(
        check_file(MediaKind::Mp3, b"not audio at all")
            .unwrap_err()
            .0,
        "media-invalid"
    );
}

#[test]
fn the_bundle_reports_missing_unused_wrong_kind_and_oversize_files() {
    let protocol = parse_protocol(FOCUS, &demo_source(FOCUS)).unwrap();
    let mut files: BTreeMap<String, Vec<u8>> = library::bundle(FOCUS).files;
    files.remove("cards/job-offer.svg");
    files.insert("cards/extra.svg".into(), svg("<rect/>"));
    let sound = files["audio/data-use-en.ogg"].clone();
    files.insert("choices/media.svg".into(), svg("<script/>"));
    files.insert(
        "cards/bus-departure.svg".into(),
        vec![b' '; 2 * 1024 * 1024],
    );
    files.insert("cards/phone-message.svg".into(), svg("<rect/>"));
    files.insert("notes.txt".into(), b"hello".to_vec());
    let mut protocol = protocol;
    protocol.sections[1].questions[5].card = Some(fieldkit_protocols::model::MediaRef::All(
        "audio/data-use-en.ogg".into(),
    ));
    assert_eq!(protocol.sections[1].questions[5].id, "card_phone_message");
    files.insert("audio/data-use-en.ogg".into(), sound);
    let (findings, prepared) = lint_bundle(&protocol, &Bundle { files });
    let has = |code: &str, at: &str| {
        findings
            .iter()
            .any(|f| f.code == code && f.location.contains(at))
    };
    assert!(has("media-missing", "card_job_offer.card"), "{findings:#?}");
    assert!(
        has("media-unused", "bundle.cards/extra.svg"),
        "{findings:#?}"
    );
    assert!(
        has("media-svg", "bundle.choices/media.svg"),
        "{findings:#?}"
    );
    assert!(
        has("media-size", "bundle.cards/bus-departure.svg"),
        "{findings:#?}"
    );
    assert!(
        has("media-kind", "card_phone_message.card"),
        "{findings:#?}"
    );
    assert!(has("media-kind", "bundle.notes.txt"), "{findings:#?}");
    assert!(
        !prepared.files.contains_key("cards/extra.svg"),
        "unused files are not published"
    );
}

#[test]
fn a_source_that_writes_its_own_manifest_is_refused() {
    let mut protocol = parse_protocol(FOCUS, &demo_source(FOCUS)).unwrap();
    protocol.media = lint_bundle(&protocol, &library::bundle(FOCUS)).1.manifest;
    let (findings, _) = lint_bundle(&protocol, &library::bundle(FOCUS));
    assert!(findings
        .iter()
        .any(|f| f.code == "media-manifest" && f.severity == Severity::Error));
}
