//! Pictures: structural checks and metadata stripping without decoding
//! pixels. Each format is walked chunk by chunk (PNG with its CRCs), its
//! size read from the header, and every chunk that can carry who took a
//! photo, where, or with what (EXIF, XMP, text, IPTC, comments) is dropped
//! whole. What remains is the picture, byte for byte.

use super::{invalid, Checked, MediaKind, LIMITS};

type Outcome = Result<Checked, (&'static str, String)>;

fn too_large(w: u32, h: u32) -> Option<(&'static str, String)> {
    if w == 0 || h == 0 {
        return Some((
            "media-invalid",
            "has no pixels (width or height 0)".to_owned(),
        ));
    }
    (w > LIMITS.max_side || h > LIMITS.max_side).then(|| {
        (
            "media-size",
            format!(
                "is {w} x {h} pixels; at most {} on a side: scale it down (a phone screen is about 1000 pixels across)",
                LIMITS.max_side
            ),
        )
    })
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

pub(super) fn png(bytes: &[u8]) -> Outcome {
    let bad = |why: &str| invalid(MediaKind::Png, why);
    let rest = bytes
        .strip_prefix(PNG_SIGNATURE)
        .ok_or_else(|| bad("no PNG signature"))?;
    let mut out = PNG_SIGNATURE.to_vec();
    let mut removed = Vec::new();
    let mut at = 0;
    let mut first = true;
    let mut seen_end = false;
    let mut seen_data = false;
    while at < rest.len() {
        let header = rest
            .get(at..at + 8)
            .ok_or_else(|| bad("a chunk is cut short"))?;
        let len = u32::from_be_bytes(header[..4].try_into().expect("4 bytes")) as usize;
        let name: [u8; 4] = header[4..8].try_into().expect("4 bytes");
        let end = at + 12 + len;
        let chunk = rest
            .get(at..end)
            .ok_or_else(|| bad("a chunk is cut short"))?;
        let crc = u32::from_be_bytes(chunk[8 + len..].try_into().expect("4 bytes"));
        if crc32fast::hash(&chunk[4..8 + len]) != crc {
            return Err(bad("a chunk's checksum is wrong: the file is damaged"));
        }
        if first {
            if &name != b"IHDR" || len != 13 {
                return Err(bad("the first chunk is not the header"));
            }
            let w = u32::from_be_bytes(chunk[8..12].try_into().expect("4 bytes"));
            let h = u32::from_be_bytes(chunk[12..16].try_into().expect("4 bytes"));
            if let Some(e) = too_large(w, h) {
                return Err(e);
            }
            first = false;
        }
        match &name {
            b"tEXt" | b"zTXt" | b"iTXt" => removed.push("text chunks"),
            b"eXIf" => removed.push("EXIF"),
            b"tIME" => removed.push("time stamp"),
            _ => {
                if &name == b"IDAT" {
                    seen_data = true;
                }
                out.extend_from_slice(chunk);
            }
        }
        at = end;
        if &name == b"IEND" {
            seen_end = true;
            break;
        }
    }
    if !seen_data || !seen_end {
        return Err(bad("no image data or no end chunk"));
    }
    if at != rest.len() {
        removed.push("bytes after the end");
    }
    removed.dedup();
    Ok(Checked {
        kind: MediaKind::Png,
        bytes: out,
        removed,
    })
}

pub(super) fn jpeg(bytes: &[u8]) -> Outcome {
    let bad = |why: &str| invalid(MediaKind::Jpeg, why);
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err(bad("no JPEG start marker"));
    }
    let mut out = vec![0xFF, 0xD8];
    let mut removed = Vec::new();
    let mut at = 2;
    let mut size = None;
    loop {
        if bytes.get(at) != Some(&0xFF) {
            return Err(bad("a segment does not start with a marker"));
        }
        let marker = *bytes.get(at + 1).ok_or_else(|| bad("cut short"))?;
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        let len_bytes = bytes.get(at + 2..at + 4).ok_or_else(|| bad("cut short"))?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err(bad("a segment has an impossible length"));
        }
        let end = at + 2 + len;
        let segment = bytes
            .get(at..end)
            .ok_or_else(|| bad("a segment is cut short"))?;
        let body = &segment[4..];
        match marker {
            // Start of frame (not DHT 0xC4, JPG 0xC8, DAC 0xCC): the size.
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if body.len() < 5 {
                    return Err(bad("the frame header is cut short"));
                }
                let h = u32::from(u16::from_be_bytes([body[1], body[2]]));
                let w = u32::from(u16::from_be_bytes([body[3], body[4]]));
                if let Some(e) = too_large(w, h) {
                    return Err(e);
                }
                size = Some((w, h));
                out.extend_from_slice(segment);
            }
            0xE1 => removed.push(if body.starts_with(b"Exif") {
                "EXIF"
            } else {
                "XMP"
            }),
            0xE2 if body.starts_with(b"ICC_PROFILE\0") => out.extend_from_slice(segment),
            0xE0 | 0xEE => out.extend_from_slice(segment), // JFIF, Adobe colour
            0xE2..=0xEF => removed.push("application data"),
            0xFE => removed.push("comment"),
            0xDA => {
                // Start of scan: entropy-coded data runs to the end marker.
                if size.is_none() {
                    return Err(bad("image data before the frame header"));
                }
                let data = &bytes[at..];
                let eoi = data
                    .windows(2)
                    .rposition(|w| w == [0xFF, 0xD9])
                    .ok_or_else(|| bad("no end marker: the file is cut short"))?;
                out.extend_from_slice(&data[..eoi + 2]);
                if at + eoi + 2 != bytes.len() {
                    removed.push("bytes after the end");
                }
                removed.dedup();
                return Ok(Checked {
                    kind: MediaKind::Jpeg,
                    bytes: out,
                    removed,
                });
            }
            _ => out.extend_from_slice(segment),
        }
        at = end;
    }
}

pub(super) fn webp(bytes: &[u8]) -> Outcome {
    let bad = |why: &str| invalid(MediaKind::Webp, why);
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WEBP" {
        return Err(bad("no RIFF WEBP header"));
    }
    let riff_len = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
    if riff_len + 8 != bytes.len() {
        return Err(bad("the file's length does not match its header"));
    }
    let mut body = Vec::new();
    let mut removed = Vec::new();
    let mut at = 12;
    let mut size = None;
    let mut vp8x_at = None;
    while at < bytes.len() {
        let header = bytes
            .get(at..at + 8)
            .ok_or_else(|| bad("a chunk is cut short"))?;
        let name: [u8; 4] = header[..4].try_into().expect("4 bytes");
        let len = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes")) as usize;
        let end = at + 8 + len + (len & 1);
        let chunk = bytes
            .get(at..end)
            .ok_or_else(|| bad("a chunk is cut short"))?;
        let data = &chunk[8..8 + len];
        match &name {
            b"EXIF" => removed.push("EXIF"),
            b"XMP " => removed.push("XMP"),
            _ => {
                match &name {
                    b"VP8X" if data.len() >= 10 => {
                        vp8x_at = Some(body.len() + 8);
                        let w = 1 + u32::from_le_bytes([data[4], data[5], data[6], 0]);
                        let h = 1 + u32::from_le_bytes([data[7], data[8], data[9], 0]);
                        size = Some((w, h));
                    }
                    b"VP8 " if data.len() >= 10 && size.is_none() => {
                        if data[3..6] != [0x9D, 0x01, 0x2A] {
                            return Err(bad("the lossy frame has no start code"));
                        }
                        let w = u32::from(u16::from_le_bytes([data[6], data[7]]) & 0x3FFF);
                        let h = u32::from(u16::from_le_bytes([data[8], data[9]]) & 0x3FFF);
                        size = Some((w, h));
                    }
                    b"VP8L" if data.len() >= 5 && size.is_none() => {
                        if data[0] != 0x2F {
                            return Err(bad("the lossless frame has no signature"));
                        }
                        let bits = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
                        size = Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1));
                    }
                    _ => {}
                }
                body.extend_from_slice(chunk);
            }
        }
        at = end;
    }
    let (w, h) = size.ok_or_else(|| bad("no image frame"))?;
    if let Some(e) = too_large(w, h) {
        return Err(e);
    }
    if let Some(flags) = vp8x_at {
        // The extended header announces EXIF (bit 3) and XMP (bit 2).
        body[flags] &= !0b0000_1100;
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(
        &u32::try_from(body.len() + 4)
            .expect("under 1 MiB")
            .to_le_bytes(),
    );
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&body);
    removed.dedup();
    Ok(Checked {
        kind: MediaKind::Webp,
        bytes: out,
        removed,
    })
}
