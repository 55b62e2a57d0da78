//! Reading a protocol bundle from disk for `protocol lint` and `protocol
//! publish`: a folder, a zip or a tar archive holding one protocol TOML at
//! its top level and the media it names. Everything in an archive is
//! hostile until read: paths that climb out (`..`, absolute), links,
//! devices, duplicate names, too many entries and oversize files are
//! refused with the entry's name; nothing is ever written to disk.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use fieldkit_protocols::media::Bundle;

/// What an archive or folder may hold. A bundle's media are at most 16 MiB
/// once checked (`media::LIMITS`); these stop reading long before a
/// hostile archive can fill memory.
pub const MAX_ENTRIES: usize = 500;
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
pub const MAX_TOTAL_BYTES: u64 = 32 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {why}")]
    Refused { path: String, why: String },
}

/// A bundle as read: the protocol's file name and source, its media, and
/// the files left out (documentation, hidden files) to tell the operator.
#[derive(Debug, Clone)]
pub struct ReadBundle {
    pub file: String,
    pub source: String,
    pub bundle: Bundle,
    pub left_out: Vec<String>,
}

fn refused(path: &str, why: impl Into<String>) -> BundleError {
    BundleError::Refused {
        path: path.to_owned(),
        why: why.into(),
    }
}

/// Reads a bundle from a folder, a `.zip`, a `.tar`, or a `name.toml`
/// whose media, if any, are in the folder `name/` beside it (the layout
/// of `protocols/library/`).
pub fn read_bundle(path: &Path) -> Result<ReadBundle, BundleError> {
    let shown = path.display().to_string();
    let io = |source| BundleError::Io {
        path: shown.clone(),
        source,
    };
    let meta = std::fs::symlink_metadata(path).map_err(io)?;
    let entries = if meta.is_dir() {
        read_folder(path)?
    } else {
        let name = shown.to_ascii_lowercase();
        let bytes = read_capped(
            std::fs::File::open(path).map_err(io)?,
            &shown,
            MAX_TOTAL_BYTES,
        )?;
        if name.ends_with(".zip") {
            read_zip(&shown, bytes)?
        } else if name.ends_with(".tar") {
            read_tar(&shown, &bytes)?
        } else {
            let source =
                String::from_utf8(bytes).map_err(|_| refused(&shown, "is not UTF-8 text"))?;
            // `name.toml` keeps its media in the folder `name/` beside it.
            let beside = path.with_extension("");
            let mut read = ReadBundle {
                file: shown,
                source,
                bundle: Bundle::default(),
                left_out: Vec::new(),
            };
            if beside.is_dir() && beside != path {
                for (name, bytes) in read_folder(&beside)? {
                    if is_left_out(&name) {
                        read.left_out.push(name);
                    } else {
                        read.bundle.files.insert(name, bytes);
                    }
                }
            }
            return Ok(read);
        }
    };
    assemble(&shown, entries)
}

/// Splits the entries into the one protocol, the media and what is left out.
fn assemble(shown: &str, entries: Vec<(String, Vec<u8>)>) -> Result<ReadBundle, BundleError> {
    let mut protocol = None;
    let mut files = BTreeMap::new();
    let mut left_out = Vec::new();
    for (name, bytes) in entries {
        if !name.contains('/') && name.to_ascii_lowercase().ends_with(".toml") {
            if protocol.is_some() {
                return Err(refused(shown, "holds more than one protocol (.toml) at its top level; publish one protocol per bundle"));
            }
            let source =
                String::from_utf8(bytes).map_err(|_| refused(&name, "is not UTF-8 text"))?;
            protocol = Some((name, source));
        } else if is_left_out(&name) {
            left_out.push(name);
        } else if files.insert(name.clone(), bytes).is_some() {
            return Err(refused(&name, "appears twice in the archive"));
        }
    }
    let (file, source) = protocol.ok_or_else(|| {
        refused(shown, "holds no protocol: put the protocol's .toml file at the top level, beside its media folders")
    })?;
    Ok(ReadBundle {
        file: format!("{shown}/{file}"),
        source,
        bundle: Bundle { files },
        left_out,
    })
}

/// Documentation (README, licence) and hidden files (`.DS_Store`,
/// `__MACOSX/`) travel in bundles but are not media: never published.
fn is_left_out(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    base.starts_with("readme")
        || base.starts_with("licen")
        || base.starts_with("copying")
        || base.ends_with(".md")
        || base.ends_with(".txt")
        || name
            .split('/')
            .any(|c| c.starts_with('.') || c == "__MACOSX")
}

fn read_capped(reader: impl Read, name: &str, cap: u64) -> Result<Vec<u8>, BundleError> {
    let mut bytes = Vec::new();
    reader
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| BundleError::Io {
            path: name.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > cap {
        return Err(refused(
            name,
            format!("is larger than {} MiB", cap / (1024 * 1024)),
        ));
    }
    Ok(bytes)
}

/// Checks one entry's name: relative, no `..`, no empty part.
fn entry_name(shown: &str, raw: &str) -> Result<String, BundleError> {
    let name = raw.trim_start_matches("./").trim_end_matches('/');
    if name.starts_with('/')
        || name.contains('\\')
        || name.split('/').any(|c| c == ".." || c.is_empty())
    {
        return Err(refused(
            shown,
            format!(
                "entry `{}` climbs out of the bundle or has an empty path part; refused",
                fieldkit_protocols::lint::escape(raw)
            ),
        ));
    }
    Ok(name.to_owned())
}

struct Budget {
    entries: usize,
    total: u64,
}

impl Budget {
    fn take(&mut self, shown: &str, name: &str, size: u64) -> Result<(), BundleError> {
        self.entries += 1;
        self.total += size;
        if self.entries > MAX_ENTRIES {
            return Err(refused(shown, format!("has more than {MAX_ENTRIES} entries; a bundle holds one protocol and its media")));
        }
        if size > MAX_FILE_BYTES {
            return Err(refused(
                name,
                format!("is larger than {} MiB", MAX_FILE_BYTES / (1024 * 1024)),
            ));
        }
        if self.total > MAX_TOTAL_BYTES {
            return Err(refused(
                shown,
                format!("holds more than {} MiB", MAX_TOTAL_BYTES / (1024 * 1024)),
            ));
        }
        Ok(())
    }
}

fn read_folder(root: &Path) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let shown = root.display().to_string();
    let mut out = Vec::new();
    let mut budget = Budget {
        entries: 0,
        total: 0,
    };
    let mut pending = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let io = |source| BundleError::Io {
            path: dir.display().to_string(),
            source,
        };
        let mut children: Vec<_> = std::fs::read_dir(&dir)
            .map_err(io)?
            .collect::<Result<_, _>>()
            .map_err(io)?;
        children.sort_by_key(std::fs::DirEntry::file_name);
        for child in children {
            let name = child.file_name().into_string().map_err(|_| {
                refused(
                    &shown,
                    format!("a file name in {} is not UTF-8", dir.display()),
                )
            })?;
            let relative = format!("{prefix}{name}");
            let kind = child.file_type().map_err(io)?;
            if kind.is_symlink() {
                return Err(refused(
                    &relative,
                    "is a link; copy the file into the bundle instead",
                ));
            }
            if kind.is_dir() {
                budget.take(&shown, &relative, 0)?;
                pending.push((child.path(), format!("{relative}/")));
            } else if kind.is_file() {
                let size = child.metadata().map_err(io)?.len();
                budget.take(&shown, &relative, size)?;
                let file = std::fs::File::open(child.path()).map_err(io)?;
                out.push((
                    relative.clone(),
                    read_capped(file, &relative, MAX_FILE_BYTES)?,
                ));
            } else {
                return Err(refused(&relative, "is not a plain file"));
            }
        }
    }
    Ok(out)
}

fn read_zip(shown: &str, bytes: Vec<u8>) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let bad =
        |e: zip::result::ZipError| refused(shown, format!("is not a readable zip archive ({e})"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(bad)?;
    if archive.len() > MAX_ENTRIES {
        return Err(refused(
            shown,
            format!(
                "has more than {MAX_ENTRIES} entries; a bundle holds one protocol and its media"
            ),
        ));
    }
    let mut budget = Budget {
        entries: 0,
        total: 0,
    };
    let mut out = Vec::new();
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(bad)?;
        let raw = entry.name().map_err(bad)?.into_owned();
        let name = entry_name(shown, &raw)?;
        if entry.is_symlink() {
            return Err(refused(
                &name,
                "is a link; put the file itself in the archive",
            ));
        }
        if entry.is_dir() {
            budget.take(shown, &name, 0)?;
            continue;
        }
        if entry
            .unix_mode()
            .is_some_and(|mode| mode & 0o170_000 != 0o100_000 && mode & 0o170_000 != 0)
        {
            return Err(refused(&name, "is not a plain file"));
        }
        budget.take(shown, &name, entry.size())?;
        // The declared size can lie (a zip bomb): the read is capped too.
        let bytes = read_capped(entry, &name, MAX_FILE_BYTES)?;
        out.push((name, bytes));
    }
    Ok(out)
}

/// A ustar/GNU tar reader: plain files and folders only.
fn read_tar(shown: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let bad = |why: &str| refused(shown, format!("is not a readable tar archive ({why})"));
    let mut budget = Budget {
        entries: 0,
        total: 0,
    };
    let mut out = Vec::new();
    let mut at = 0;
    let mut long_name: Option<String> = None;
    while at + 512 <= bytes.len() {
        let header = &bytes[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let stored: u32 = header[148..156]
            .iter()
            .take_while(|&&b| b != 0 && b != b' ')
            .try_fold(0u32, |acc, &b| {
                (b'0'..=b'7')
                    .contains(&b)
                    .then(|| acc * 8 + u32::from(b - b'0'))
            })
            .ok_or_else(|| bad("a header checksum is not octal"))?;
        let sum: u32 = header
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(b)
                }
            })
            .sum();
        if sum != stored {
            return Err(bad("a header checksum is wrong"));
        }
        let field = |range: std::ops::Range<usize>| {
            let raw = &header[range];
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            String::from_utf8(raw[..end].to_vec()).map_err(|_| bad("a name is not UTF-8"))
        };
        let size_text = field(124..136)?;
        let size =
            u64::from_str_radix(size_text.trim(), 8).map_err(|_| bad("a size is not octal"))?;
        let data_start = at + 512;
        let data_end = usize::try_from(size)
            .ok()
            .and_then(|s| data_start.checked_add(s))
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| bad("an entry is cut short"))?;
        let data = &bytes[data_start..data_end];
        at = data_start + (data_end - data_start).div_ceil(512) * 512;
        let mut raw = field(0..100)?;
        if &header[257..262] == b"ustar" {
            let prefix = field(345..500)?;
            if !prefix.is_empty() {
                raw = format!("{prefix}/{raw}");
            }
        }
        if let Some(long) = long_name.take() {
            raw = long;
        }
        match header[156] {
            b'L' => {
                // GNU long name: the next entry's name.
                budget.take(shown, "long name", size)?;
                long_name = Some(
                    String::from_utf8(data.split(|&b| b == 0).next().unwrap_or_default().to_vec())
                        .map_err(|_| bad("a name is not UTF-8"))?,
                );
            }
            b'x' | b'g' => {} // pax headers: attributes (times, owners) are not kept
            b'0' | 0 => {
                let name = entry_name(shown, &raw)?;
                budget.take(shown, &name, size)?;
                out.push((name, data.to_vec()));
            }
            b'5' => {
                let name = entry_name(shown, &raw)?;
                budget.take(shown, &name, 0)?;
            }
            b'1' | b'2' => {
                return Err(refused(
                    &raw,
                    "is a link; put the file itself in the archive",
                ))
            }
            _ => return Err(refused(&raw, "is not a plain file or folder")),
        }
    }
    Ok(out)
}
