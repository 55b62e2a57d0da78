//! The operator's commands (`fieldkit-server protocol ...`, `device ...`,
//! `demo`), as functions over a [`Store`] so tests call them directly and
//! `main.rs` stays a thin argument parser.

use std::fmt::Write as _;
use std::path::Path;

use fieldkit_protocols::lint::{self, Finding, Severity};
use fieldkit_protocols::wire::WireSecret;
use fieldkit_protocols::{library, parse_protocol, Protocol};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::secrets::{hash_secret, new_enrolment_code, normalise_code};
use crate::store::{Device, NewEnrolment, PublishOutcome, PublishedProtocol, Store, StoreError};

/// The researcher name `demo` enrols.
pub const DEMO_RESEARCHER: &str = "Demo researcher";

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Parse(#[from] fieldkit_protocols::ParseError),
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
    fn from_finding(file: &str, source: &str, finding: &Finding) -> LintLine {
        LintLine {
            file: file.to_owned(),
            line: lint::locate(source, finding),
            code: finding.code.clone(),
            severity: finding.severity,
            location: finding.location.clone(),
            message: finding.message.clone(),
        }
    }

    /// `file:line: error[R6] message`
    pub fn render(&self) -> String {
        match self.line {
            Some(line) => format!(
                "{}:{line}: {}[{}] {}",
                self.file, self.severity, self.code, self.message
            ),
            None => format!(
                "{}: {}[{}] {}: {}",
                self.file, self.severity, self.code, self.location, self.message
            ),
        }
    }
}

/// Lints one source text; a parse error is one `error[parse]` line.
pub fn lint_source(file: &str, source: &str) -> Vec<LintLine> {
    match parse_protocol(file, source) {
        Ok(protocol) => lint::lint(&protocol)
            .iter()
            .map(|f| LintLine::from_finding(file, source, f))
            .collect(),
        Err(e) => vec![LintLine {
            file: file.to_owned(),
            line: Some(e.line),
            code: "parse".to_owned(),
            severity: Severity::Error,
            location: format!("column {}", e.column),
            message: e.message,
        }],
    }
}

/// Lints files; a file that cannot be read is reported like a finding.
pub fn lint_files(paths: &[impl AsRef<Path>]) -> Vec<LintLine> {
    let mut lines = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let file = path.display().to_string();
        match read(path) {
            Ok(source) => lines.extend(lint_source(&file, &source)),
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
    let protocol = parse_protocol(file, source)?;
    let findings = lint_source(file, source);
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
    let outcome = store.publish(&PublishedProtocol {
        protocol_id: protocol.id.clone(),
        version: protocol.version,
        content_hash: protocol.content_hash(),
        source_toml: source.to_owned(),
        published_at: now,
    })?;
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

pub fn publish_file(
    store: &dyn Store,
    path: &Path,
    now: OffsetDateTime,
) -> Result<(Protocol, PublishOutcome), AdminError> {
    publish_source(store, &path.display().to_string(), &read(path)?, now)
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

/// Publishes every shipped protocol and makes one demo enrolment code.
/// Safe to run again: protocols already there are left alone and the
/// previous unused demo code is replaced, so one code is ever outstanding.
pub fn demo(
    store: &dyn Store,
    valid_days: u32,
    now: OffsetDateTime,
) -> Result<DemoReport, AdminError> {
    let mut published = Vec::new();
    for shipped in library::SHIPPED {
        let (protocol, outcome) = publish_source(store, shipped.file, shipped.source, now)?;
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
    Ok(fieldkit_protocols::outline::outline(&protocol, &lang))
}
