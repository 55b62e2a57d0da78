//! The operator's commands (`fieldkit-server protocol ...`, `device ...`,
//! `demo`), as functions over a [`Store`] so tests call them directly and
//! `main.rs` stays a thin argument parser.

use std::fmt::Write as _;
use std::path::Path;

use fieldkit_protocols::lint::{self, escape, Finding, Locator, Severity};
use fieldkit_protocols::media::{Bundle, CheckedBundle};
use fieldkit_protocols::study::{self, parse_study, Study};
use fieldkit_protocols::wire::WireSecret;
use fieldkit_protocols::{library, parse_protocol, Protocol};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::bundle_read::{read_bundle, BundleError};
use crate::secrets::{hash_secret, new_enrolment_code, normalise_code};
use crate::store::{
    Device, MediaBlob, NewEnrolment, PublishOutcome, PublishedProtocol, Store, StoreError,
};

/// The researcher name `demo` enrols.
pub const DEMO_RESEARCHER: &str = "Demo researcher";

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{}", escape(&.0.to_string()))]
    Parse(#[from] fieldkit_protocols::ParseError),
    #[error("{file} is the demo study: its organisation and contacts are not real, so it is only for `fieldkit-server demo`; copy protocols/library/study-template.toml and write this study's own values")]
    DemoStudy { file: String },
    #[error("{file}: not published, the protocol has lint errors (fix them first; run `fieldkit-server protocol lint {file}`):\n{report}")]
    LintErrors { file: String, report: String },
    #[error("{file}: protocol `{id}` version {version} is already published with other content (hash {existing}); a published version never changes (R4): raise `version` to publish the change")]
    VersionTaken {
        file: String,
        id: String,
        version: u32,
        existing: String,
    },
    #[error("no device with id {0}; `fieldkit-server device list` shows the ids")]
    NoSuchDevice(Uuid),
    #[error("--researcher must not be blank")]
    BlankResearcher,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}", escape(&.0.to_string()))]
    Bundle(#[from] BundleError),
}

fn read(path: &Path) -> Result<String, AdminError> {
    std::fs::read_to_string(path).map_err(|source| AdminError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// One line of lint output, also the JSON shape of `--format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LintLine {
    pub file: String,
    pub line: Option<usize>,
    pub code: String,
    pub severity: Severity,
    pub location: String,
    pub message: String,
}

impl LintLine {
    /// `file:line: error[R6] message`, with control characters escaped so
    /// a protocol cannot send escape sequences to the operator's terminal.
    pub fn render(&self) -> String {
        match self.line {
            Some(line) => format!(
                "{}:{line}: {}[{}] {}",
                escape(&self.file),
                self.severity,
                escape(&self.code),
                escape(&self.message)
            ),
            None => format!(
                "{}: {}[{}] {}: {}",
                escape(&self.file),
                self.severity,
                escape(&self.code),
                escape(&self.location),
                escape(&self.message)
            ),
        }
    }
}

/// A study file, read and parsed, with its name for lint lines.
#[derive(Debug, Clone)]
pub struct StudyFile {
    pub file: String,
    pub source: String,
    pub study: Study,
}

impl StudyFile {
    pub fn parse(file: &str, source: &str) -> Result<StudyFile, AdminError> {
        Ok(StudyFile {
            file: file.to_owned(),
            source: source.to_owned(),
            study: parse_study(file, source)?,
        })
    }

    pub fn read(path: &Path) -> Result<StudyFile, AdminError> {
        StudyFile::parse(&path.display().to_string(), &read(path)?)
    }

    /// The demo study shipped in the binary.
    pub fn demo() -> StudyFile {
        StudyFile {
            file: library::DEMO_STUDY_FILE.to_owned(),
            source: library::DEMO_STUDY.to_owned(),
            study: library::demo_study(),
        }
    }
}

/// A protocol ready to lint and publish: the template's own text, or the
/// template with a study merged in.
struct Prepared {
    protocol: Protocol,
    /// What is published.
    source: String,
}

fn prepare(file: &str, source: &str, study: Option<&StudyFile>) -> Result<Prepared, AdminError> {
    Ok(match study {
        Some(s) => {
            let merged = study::merge(file, source, &s.study)?;
            Prepared {
                protocol: merged.protocol,
                source: merged.source,
            }
        }
        None => Prepared {
            protocol: parse_protocol(file, source)?,
            source: source.to_owned(),
        },
    })
}

/// Lint lines for `protocol`, each at its line: in the study file when the
/// study supplied that part, else in the template. Both files are indexed
/// once, so this is linear in the findings.
fn lint_lines(
    file: &str,
    source: &str,
    findings: Vec<Finding>,
    study: Option<&StudyFile>,
) -> Vec<LintLine> {
    let template = Locator::new(source);
    let study_locator = study.map(|s| Locator::new(&s.source));
    findings
        .into_iter()
        .map(|finding: Finding| {
            let in_study = study.zip(study_locator.as_ref()).and_then(|(s, locator)| {
                s.study
                    .location(&finding.location)
                    .map(|at| (s.file.clone(), locator.line(&at), at))
            });
            let (file, line, location) = match in_study {
                Some(place) => place,
                None => (
                    file.to_owned(),
                    template.line(&finding.location),
                    finding.location.clone(),
                ),
            };
            // Escaped here, so the JSON output is as safe to print as the text.
            LintLine {
                file: escape(&file).into_owned(),
                line,
                code: escape(&finding.code).into_owned(),
                severity: finding.severity,
                location: escape(&location).into_owned(),
                message: escape(&finding.message).into_owned(),
            }
        })
        .collect()
}

fn parse_error_line(e: &fieldkit_protocols::ParseError) -> LintLine {
    LintLine {
        file: escape(&e.file).into_owned(),
        line: Some(e.line),
        code: "parse".to_owned(),
        severity: Severity::Error,
        location: format!("column {}", e.column),
        message: escape(&e.message).into_owned(),
    }
}

/// Lints one source text with no media; a parse error is one
/// `error[parse]` line.
pub fn lint_source(file: &str, source: &str) -> Vec<LintLine> {
    lint_with_study(file, source, &Bundle::default(), None)
}

/// Lints one template and its bundle's media, with a study merged in (or alone).
pub fn lint_with_study(
    file: &str,
    source: &str,
    bundle: &Bundle,
    study: Option<&StudyFile>,
) -> Vec<LintLine> {
    match parse_protocol(file, source) {
        Ok(mut protocol) => {
            if let Some(s) = study {
                s.study.apply(&mut protocol);
            }
            let (findings, _) = lint::lint_bundle(&protocol, bundle);
            lint_lines(file, source, findings, study)
        }
        Err(e) => vec![parse_error_line(&e)],
    }
}

/// Lints bundles (a folder, an archive, or a `.toml` with its media folder
/// beside it), with a study merged into each if given; a bundle that cannot
/// be read is reported like a finding.
pub fn lint_files(paths: &[impl AsRef<Path>], study: Option<&StudyFile>) -> Vec<LintLine> {
    let mut lines = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let file = path.display().to_string();
        match read_bundle(path) {
            Ok(read) => lines.extend(lint_with_study(
                &read.file,
                &read.source,
                &read.bundle,
                study,
            )),
            Err(e) => lines.push(LintLine {
                file,
                line: None,
                code: "unreadable".to_owned(),
                severity: Severity::Error,
                location: String::new(),
                message: e.to_string(),
            }),
        }
    }
    lines
}

/// Reads a study file for `lint --study`: a study that does not parse is
/// one `error[parse]` line rather than an abort, like a protocol's.
pub fn read_study(path: &Path) -> Result<StudyFile, Vec<LintLine>> {
    StudyFile::read(path).map_err(|e| match e {
        AdminError::Parse(p) => vec![parse_error_line(&p)],
        other => vec![LintLine {
            file: path.display().to_string(),
            line: None,
            code: "unreadable".to_owned(),
            severity: Severity::Error,
            location: String::new(),
            message: other.to_string(),
        }],
    })
}

pub fn has_errors(lines: &[LintLine]) -> bool {
    lines.iter().any(|l| l.severity == Severity::Error)
}

/// Publishes a protocol source unless it has lint errors or its version is
/// taken by other content (R4). Identical content is a no-op.
pub fn publish_source(
    store: &dyn Store,
    file: &str,
    source: &str,
    now: OffsetDateTime,
) -> Result<(Protocol, PublishOutcome), AdminError> {
    publish_prepared(store, file, source, &Bundle::default(), None, now)
}

/// Publishes a protocol with its bundle's media (see [`publish_prepared`]).
pub fn publish_bundle(
    store: &dyn Store,
    file: &str,
    source: &str,
    bundle: &Bundle,
    study: Option<&StudyFile>,
    now: OffsetDateTime,
) -> Result<(Protocol, PublishOutcome), AdminError> {
    if let Some(demo) = study.filter(|s| s.study.demo) {
        return Err(AdminError::DemoStudy {
            file: demo.file.clone(),
        });
    }
    publish_prepared(store, file, source, bundle, study, now)
}

/// Publishes a template with a study merged in (`protocol publish --study`).
/// The demo study is refused: its values are for `demo` only.
pub fn publish_with_study(
    store: &dyn Store,
    file: &str,
    source: &str,
    study: &StudyFile,
    now: OffsetDateTime,
) -> Result<(Protocol, PublishOutcome), AdminError> {
    publish_bundle(store, file, source, &Bundle::default(), Some(study), now)
}

/// Lints the protocol and its media, then publishes the version with the
/// media manifest appended to its source (so the content hash covers every
/// file, R4) and the cleaned files, in one transaction.
fn publish_prepared(
    store: &dyn Store,
    file: &str,
    source: &str,
    bundle: &Bundle,
    study: Option<&StudyFile>,
    now: OffsetDateTime,
) -> Result<(Protocol, PublishOutcome), AdminError> {
    let prepared = prepare(file, source, study)?;
    let (findings, media) = lint::lint_bundle(&prepared.protocol, bundle);
    let findings = lint_lines(file, source, findings, study);
    if has_errors(&findings) {
        let report = findings
            .iter()
            .map(LintLine::render)
            .collect::<Vec<_>>()
            .join("\n");
        return Err(AdminError::LintErrors {
            file: file.to_owned(),
            report,
        });
    }
    let (protocol, published_source) = with_manifest(file, &prepared.source, &media)?;
    let blobs: Vec<MediaBlob> = media
        .files
        .iter()
        .map(|(path, bytes)| {
            let entry = &media.manifest[path];
            MediaBlob {
                sha256: entry.sha256.clone(),
                mime: entry.kind.mime().to_owned(),
                bytes: bytes.clone(),
            }
        })
        .collect();
    let outcome = store.publish_with_media(
        &PublishedProtocol {
            protocol_id: protocol.id.clone(),
            version: protocol.version,
            content_hash: protocol.content_hash(),
            source_toml: published_source,
            published_at: now,
        },
        &blobs,
    )?;
    if let PublishOutcome::Refused { existing_hash } = &outcome {
        return Err(AdminError::VersionTaken {
            file: file.to_owned(),
            id: protocol.id,
            version: protocol.version,
            existing: existing_hash.to_string(),
        });
    }
    Ok((protocol, outcome))
}

/// The source as published (the manifest appended), parsed again so the
/// protocol returned is exactly what phones will hash.
fn with_manifest(
    file: &str,
    source: &str,
    media: &CheckedBundle,
) -> Result<(Protocol, String), AdminError> {
    let published = fieldkit_protocols::media::append_manifest(source, &media.manifest);
    let protocol = parse_protocol(file, &published)?;
    Ok((protocol, published))
}

/// `protocol publish [--study FILE] BUNDLE`: a folder, a zip or tar archive,
/// or a `.toml` with its media folder beside it.
pub fn publish_file(
    store: &dyn Store,
    path: &Path,
    study: Option<&StudyFile>,
    now: OffsetDateTime,
) -> Result<(Protocol, PublishOutcome), AdminError> {
    let read = read_bundle(path)?;
    publish_bundle(store, &read.file, &read.source, &read.bundle, study, now)
}

/// Makes a one-time enrolment code for a researcher. The code is returned
/// once and only its hash is stored.
pub fn enrol(
    store: &dyn Store,
    researcher: &str,
    languages: &[String],
    valid_days: u32,
    now: OffsetDateTime,
) -> Result<WireSecret, AdminError> {
    if researcher.trim().is_empty() {
        return Err(AdminError::BlankResearcher);
    }
    let code = new_enrolment_code();
    store.add_enrolment(&NewEnrolment {
        code_hash: hash_secret(&normalise_code(code.expose())),
        researcher: researcher.trim().to_owned(),
        languages: languages.to_vec(),
        expires_at: now + Duration::days(i64::from(valid_days)),
    })?;
    Ok(code)
}

pub fn revoke(store: &dyn Store, device_id: Uuid, now: OffsetDateTime) -> Result<(), AdminError> {
    if store.revoke_device(device_id, now)? {
        Ok(())
    } else {
        Err(AdminError::NoSuchDevice(device_id))
    }
}

/// `device list` as a table.
pub fn render_devices(devices: &[Device]) -> String {
    let mut out = String::from(
        "DEVICE ID                             ENROLLED    STATUS   LANGUAGES  CODE OF PRACTICE  RESEARCHER\n",
    );
    for d in devices {
        let status = if d.revoked_at.is_some() {
            "revoked"
        } else {
            "active"
        };
        // R15: when, and in which language, the researcher accepted it.
        let code_of_practice = d.code_of_practice.as_ref().map_or_else(
            || "not recorded".to_owned(),
            |ack| format!("{} {}", ack.accepted_at.date(), ack.language),
        );
        let _ = writeln!(
            out,
            "{}  {}  {:<7}  {:<9}  {:<16}  {}",
            d.device_id,
            d.enrolled_at.date(),
            status,
            d.languages.join(","),
            code_of_practice,
            d.researcher
        );
    }
    out
}

/// What `demo` did.
#[derive(Debug)]
pub struct DemoReport {
    pub published: Vec<(String, u32, PublishOutcome)>,
    pub code: WireSecret,
}

/// Publishes every shipped protocol with the demo study merged in (its
/// organisation and contacts say they are not real, and the app shows a
/// demo banner) and makes one demo enrolment code. Safe to run again:
/// protocols already there are left alone and the previous unused demo code
/// is replaced, so one code is ever outstanding.
pub fn demo(
    store: &dyn Store,
    valid_days: u32,
    now: OffsetDateTime,
) -> Result<DemoReport, AdminError> {
    let mut published = Vec::new();
    let study = StudyFile::demo();
    for shipped in library::SHIPPED {
        let (protocol, outcome) = publish_prepared(
            store,
            shipped.file,
            shipped.source,
            &library::bundle(shipped.file),
            Some(&study),
            now,
        )?;
        published.push((protocol.id, protocol.version, outcome));
    }
    store.drop_pending_enrolments(DEMO_RESEARCHER)?;
    let code = enrol(
        store,
        DEMO_RESEARCHER,
        &["en".to_owned(), "fr".to_owned()],
        valid_days,
        now,
    )?;
    Ok(DemoReport { published, code })
}

pub fn show_file(path: &Path, lang: Option<&str>) -> Result<String, AdminError> {
    let file = path.display().to_string();
    let protocol = parse_protocol(&file, &read(path)?)?;
    let lang = lang
        .unwrap_or_else(|| protocol.default_language())
        .to_owned();
    // Protocol texts go to a terminal: escape everything but line breaks.
    let outline = fieldkit_protocols::outline::outline(&protocol, &lang);
    Ok(outline
        .lines()
        .map(|l| format!("{}\n", escape(l)))
        .collect())
}
