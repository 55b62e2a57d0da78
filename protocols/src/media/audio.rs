//! Sounds: Ogg/Opus walked page by page (with the Ogg checksum) and MP3
//! frame by frame. Tags that can name a speaker, a place or a date (Opus
//! comments, ID3) must not travel: ID3 is dropped; the Opus comment header
//! is rewritten with no comments (its pages are rebuilt, the later pages
//! renumbered and their checksums computed again).

use super::{invalid, Checked, MediaKind};

type Outcome = Result<Checked, (&'static str, String)>;

/// The Ogg page checksum: CRC-32, polynomial 0x04C11DB7, not reflected,
/// over the page with its checksum field zeroed.
fn ogg_crc(page: &[u8]) -> u32 {
    let mut crc = 0u32;
    for (i, &byte) in page.iter().enumerate() {
        let byte = if (22..26).contains(&i) { 0 } else { byte };
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

pub(super) fn opus(bytes: &[u8]) -> Outcome {
    let bad = |why: &str| invalid(MediaKind::Opus, why);
    let mut at = 0;
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut current = Vec::new();
    let mut serial = None;
    // (start, end) of each page, and the index of the page ending the headers.
    let mut pages: Vec<(usize, usize)> = Vec::new();
    let mut headers_end_page = None;
    while at < bytes.len() {
        let header = bytes
            .get(at..at + 27)
            .ok_or_else(|| bad("a page is cut short"))?;
        if &header[..4] != b"OggS" || header[4] != 0 {
            return Err(bad("a page does not start with OggS"));
        }
        let this_serial = &header[14..18];
        if *serial.get_or_insert(this_serial) != this_serial {
            return Err(bad("more than one stream: keep one voice track"));
        }
        let segments = usize::from(header[26]);
        let table = bytes
            .get(at + 27..at + 27 + segments)
            .ok_or_else(|| bad("a page is cut short"))?;
        let body_len: usize = table.iter().map(|&s| usize::from(s)).sum();
        let end = at + 27 + segments + body_len;
        let page = bytes
            .get(at..end)
            .ok_or_else(|| bad("a page is cut short"))?;
        let crc = u32::from_le_bytes(header[22..26].try_into().expect("4 bytes"));
        if ogg_crc(page) != crc {
            return Err(bad("a page's checksum is wrong: the file is damaged"));
        }
        // Only the first two packets (the headers) are needed whole.
        let mut body = &page[27 + segments..];
        for &lace in table {
            let (part, rest) = body.split_at(usize::from(lace));
            body = rest;
            if packets.len() < 2 {
                current.extend_from_slice(part);
                if lace < 255 {
                    packets.push(std::mem::take(&mut current));
                    if packets.len() == 2 {
                        headers_end_page = Some(pages.len());
                    }
                }
            }
        }
        pages.push((at, end));
        at = end;
    }
    let (Some(head), Some(tags), Some(tags_last)) =
        (packets.first(), packets.get(1), headers_end_page)
    else {
        return Err(bad("no Opus headers"));
    };
    if !head.starts_with(b"OpusHead") || head.len() < 19 {
        return Err(bad(
            "not Opus audio inside the Ogg file; encode the sound with Opus",
        ));
    }
    if !tags.starts_with(b"OpusTags") || tags.len() < 16 {
        return Err(bad("no Opus comment header"));
    }
    if pages.len() < tags_last + 2 || pages[0].1 - pages[0].0 != 27 + 1 + head.len() {
        return Err(bad("the headers do not sit on pages of their own"));
    }
    let vendor_len = u32::from_le_bytes(tags[8..12].try_into().expect("4 bytes")) as usize;
    let count_at = 12 + vendor_len;
    let count = tags
        .get(count_at..count_at + 4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .ok_or_else(|| bad("the comment header is cut short"))?;
    if count == 0 {
        return Ok(Checked {
            kind: MediaKind::Opus,
            bytes: bytes.to_vec(),
            removed: Vec::new(),
        });
    }
    // The comment header again, with the vendor kept and no comments.
    let mut clean_tags = tags[..count_at].to_vec();
    clean_tags.extend_from_slice(&0u32.to_le_bytes());
    let mut out = bytes[..pages[0].1].to_vec();
    let template = &bytes[pages[1].0..pages[1].0 + 27];
    let mut page = template.to_vec();
    page[5] = 0; // a fresh packet, not a continuation
    page[18..22].copy_from_slice(&1u32.to_le_bytes());
    let mut lacing = vec![255u8; clean_tags.len() / 255];
    lacing.push(u8::try_from(clean_tags.len() % 255).expect("below 255"));
    page[26] = u8::try_from(lacing.len()).map_err(|_| bad("the comment header is too long"))?;
    page.extend_from_slice(&lacing);
    page.extend_from_slice(&clean_tags);
    let crc = ogg_crc(&page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&page);
    let dropped = u32::try_from(tags_last - 1).expect("few pages");
    for &(start, end) in &pages[tags_last + 1..] {
        let mut page = bytes[start..end].to_vec();
        let seq = u32::from_le_bytes(page[18..22].try_into().expect("4 bytes")) - dropped;
        page[18..22].copy_from_slice(&seq.to_le_bytes());
        let crc = ogg_crc(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&page);
    }
    Ok(Checked {
        kind: MediaKind::Opus,
        bytes: out,
        removed: vec!["Opus comments"],
    })
}

/// The length of the MPEG audio frame starting at `h`, if it is one.
fn mp3_frame_len(h: &[u8]) -> Option<usize> {
    if h.len() < 4 || h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    let layer = (h[1] >> 1) & 3; // 1: layer III
    if version == 1 || layer != 1 {
        return None;
    }
    let bitrate_index = usize::from(h[2] >> 4);
    let rate_index = usize::from((h[2] >> 2) & 3);
    let padding = usize::from((h[2] >> 1) & 1);
    if bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    const V1: [usize; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const V2: [usize; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let (kbps, rate, factor) = match version {
        3 => (V1[bitrate_index], [44_100, 48_000, 32_000][rate_index], 144),
        2 => (V2[bitrate_index], [22_050, 24_000, 16_000][rate_index], 72),
        _ => (V2[bitrate_index], [11_025, 12_000, 8_000][rate_index], 72),
    };
    Some(factor * kbps * 1000 / rate + padding)
}

pub(super) fn mp3(bytes: &[u8]) -> Outcome {
    let bad = |why: &str| invalid(MediaKind::Mp3, why);
    let mut removed = Vec::new();
    let mut audio = bytes;
    if audio.starts_with(b"ID3") && audio.len() >= 10 {
        let size = audio[6..10]
            .iter()
            .fold(0usize, |acc, &b| (acc << 7) | usize::from(b & 0x7F));
        let footer = if audio[5] & 0x10 != 0 { 10 } else { 0 };
        audio = audio
            .get(10 + size + footer..)
            .ok_or_else(|| bad("the ID3 tag is cut short"))?;
        removed.push("ID3 tag");
    }
    if audio.len() >= 128 && audio[audio.len() - 128..].starts_with(b"TAG") {
        audio = &audio[..audio.len() - 128];
        removed.push("ID3 tag");
    }
    if audio.windows(8).any(|w| w == b"APETAGEX") {
        return Err(("media-metadata", "carries an APE tag; remove it (`ffmpeg -i IN -map_metadata -1 -c copy OUT.mp3`) and publish again".to_owned()));
    }
    let mut at = 0;
    let mut frames = 0;
    while at < audio.len() {
        let len = mp3_frame_len(&audio[at..]).ok_or_else(|| bad("a frame header is damaged"))?;
        if at + len > audio.len() {
            // A last frame cut short is common and harmless: drop it.
            break;
        }
        at += len;
        frames += 1;
    }
    if frames < 2 {
        return Err(bad("fewer than two audio frames"));
    }
    removed.dedup();
    Ok(Checked {
        kind: MediaKind::Mp3,
        bytes: audio[..at].to_vec(),
        removed,
    })
}
