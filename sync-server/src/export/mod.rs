//! Exports for analysts and reports: CSV (wide and long), JSON, a codebook
//! and a methodology summary (R26). Rows stream from the store's scan to the
//! writer as they are read, so memory stays flat however many records there
//! are. Every export is written to the audit log (R22).

pub mod ages;
pub mod calculated;
pub mod csv;
pub mod docs;
pub mod facts;
pub mod rows;

use std::io::Write;
use std::str::FromStr;

use fieldkit_protocols::{parse_protocol, Protocol};
use time::OffsetDateTime;

use crate::access::{allows, Access, Principal};
use crate::store::{PublishedProtocol, ScanPurpose, Store, StoreError};
pub use ages::AgeGroups;
use facts::{read_scanned, QuestionIndex, SessionFacts};

/// The caveat every page and export of a rapid assessment carries (R25).
pub const RAPID_ASSESSMENT_CAVEAT: &str = "Rapid assessment: these results describe the children met, are not representative and must not be extrapolated to a wider population (R25).";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CsvWide,
    CsvLong,
    Json,
    Codebook,
    Methodology,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::CsvWide,
        Format::CsvLong,
        Format::Json,
        Format::Codebook,
        Format::Methodology,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::CsvWide => "csv-wide",
            Format::CsvLong => "csv-long",
            Format::Json => "json",
            Format::Codebook => "codebook",
            Format::Methodology => "methodology",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::CsvWide | Format::CsvLong => "text/csv; charset=utf-8",
            Format::Json => "application/json",
            Format::Codebook | Format::Methodology => "text/markdown; charset=utf-8",
        }
    }

    pub fn file_name(self, protocol_id: &str) -> String {
        let ext = match self {
            Format::CsvWide | Format::CsvLong => "csv",
            Format::Json => "json",
            Format::Codebook | Format::Methodology => "md",
        };
        format!("{protocol_id}-{}.{ext}", self.name())
    }

    /// Whether this export contains answers (and so needs the analyst role).
    pub fn has_answers(self) -> bool {
        matches!(self, Format::CsvWide | Format::CsvLong | Format::Json)
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!("unknown export format `{s}`: use csv-wide, csv-long, json, codebook or methodology")
            })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "no published protocol `{0}`; `fieldkit-server protocol list` shows what is published"
    )]
    NoProtocol(String),
    #[error("published protocol {0} does not parse: {1}")]
    BadProtocol(String, String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Record(#[from] facts::UnreadableRecord),
    #[error("could not write the export: {0}")]
    Io(#[from] std::io::Error),
}

/// Every published version of a protocol, and the newest one parsed: its
/// questions name the export's columns.
pub fn latest_protocol(
    store: &dyn Store,
    protocol_id: &str,
) -> Result<(Protocol, Vec<PublishedProtocol>), ExportError> {
    let versions: Vec<PublishedProtocol> = store
        .protocols()?
        .into_iter()
        .filter(|p| p.protocol_id == protocol_id)
        .collect();
    let newest = versions
        .last()
        .ok_or_else(|| ExportError::NoProtocol(protocol_id.to_owned()))?;
    let name = format!("{protocol_id} v{}", newest.version);
    let protocol = parse_protocol(&name, &newest.source_toml)
        .map_err(|e| ExportError::BadProtocol(name.clone(), e.to_string()))?;
    Ok((protocol, versions))
}

/// Calls `each` with the facts of every stored session of `protocol`.
/// Answer reads need the analyst role and are audited as `action`; process
/// facts alone (`answers == false`) need the compliance right or answers.
pub fn for_each_session(
    store: &dyn Store,
    who: &Principal,
    protocol: &Protocol,
    answers: bool,
    action: &str,
    now: OffsetDateTime,
    each: &mut dyn FnMut(&SessionFacts) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    let index = QuestionIndex::new(protocol);
    let purpose = if !answers && allows(who.role, Access::ReadCompliance) {
        ScanPurpose::Compliance
    } else {
        ScanPurpose::Answers { action }
    };
    // Two stages on two threads: the scan reads rows and parses each
    // envelope's JSON (the costly part) while this thread formats and writes
    // the previous ones. The channel is bounded, so memory stays flat and a
    // slow writer slows the scan.
    let (send, receive) = std::sync::mpsc::sync_channel::<Result<SessionFacts, _>>(64);
    std::thread::scope(|scope| {
        let scan = scope.spawn(move || {
            store.scan_records(who, purpose, &protocol.id, now, &mut |row| {
                send.send(read_scanned(row, &index))
                    .map_err(|_| StoreError::Corrupt("export stopped".to_owned()))
            })
        });
        let mut failure: Option<ExportError> = None;
        for facts in &receive {
            if let Err(e) = facts.map_err(ExportError::from).and_then(|f| each(&f)) {
                failure = Some(e);
                break;
            }
        }
        // Dropping the receiver ends a scan stopped early: its next send fails.
        drop(receive);
        let scanned = scan.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        match (scanned, failure) {
            (_, Some(e)) => Err(e),
            (Ok(n), None) => Ok(n),
            (Err(e), None) => Err(e.into()),
        }
    })
}

/// Writes one export of `protocol_id` to `out`, audited. Returns how many
/// records it covered.
pub fn write_export(
    store: &dyn Store,
    who: &Principal,
    protocol_id: &str,
    format: Format,
    groups: &AgeGroups,
    out: &mut dyn Write,
    now: OffsetDateTime,
) -> Result<u64, ExportError> {
    let (protocol, versions) = latest_protocol(store, protocol_id)?;
    let action = format!("export:{}", format.name());
    let count = match format {
        Format::CsvWide => rows::csv_wide(store, who, &protocol, groups, &action, out, now)?,
        Format::CsvLong => rows::csv_long(store, who, &protocol, &action, out, now)?,
        Format::Json => rows::json(store, who, &protocol, groups, &action, out, now)?,
        Format::Codebook => {
            store.audit(who, &action, protocol_id, now)?;
            docs::codebook(&protocol, &versions, out)?;
            0
        }
        Format::Methodology => {
            if allows(who.role, Access::ReadCompliance) {
                store.audit(who, &action, protocol_id, now)?;
            }
            docs::methodology(store, who, &protocol, &versions, groups, &action, out, now)?
        }
    };
    out.flush()?;
    tracing::info!(
        protocol = protocol_id,
        format = format.name(),
        records = count,
        "export written"
    );
    Ok(count)
}
