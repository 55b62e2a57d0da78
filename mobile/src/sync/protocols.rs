//! Protocol download: every published version is checked against its
//! announced hashes and pinned in the vault. A pinned version is never
//! replaced (R4); one that arrives with other content is refused.

use fieldkit_protocols::wire::ProtocolListing;

use super::media::{pin_missing, wanted, MediaProgress, MediaReport};
use super::transport::Transport;
use super::{SyncConfig, SyncError};
use crate::vault::{PinnedProtocol, Vault};

/// What a download did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtocolsReport {
    /// `(protocol id, version)` pinned now.
    pub pinned: Vec<(String, u32)>,
    /// Versions this device already had, unchanged.
    pub unchanged: usize,
    /// Versions not used, each with the reason to show.
    pub refused: Vec<String>,
    /// Pictures and sounds of pinned versions: fetched now, still waiting,
    /// refused (a protocol is offered only once all of its media are pinned).
    pub media: MediaReport,
    /// Findings packs pinned now (issue 22); refused ones are in `refused`.
    pub packs_pinned: usize,
}

/// Downloads with a one-off connection (e.g. right after enrolment).
pub async fn download_protocols(
    vault: &mut Vault,
    config: &SyncConfig,
) -> Result<ProtocolsReport, SyncError> {
    super::SyncClient::from_vault(vault, config.clone())?
        .download_protocols(vault)
        .await
}

pub(super) async fn download(
    transport: &Transport,
    vault: &mut Vault,
    progress: &mut dyn FnMut(MediaProgress),
) -> Result<ProtocolsReport, SyncError> {
    let listings: Vec<ProtocolListing> = transport
        .get_json("/api/v1/protocols", "download the protocols")
        .await?;
    let mut report = ProtocolsReport::default();
    for listing in &listings {
        if let Err(error) = listing.protocol() {
            tracing::warn!(protocol = %listing.protocol_id, version = listing.version, "downloaded protocol refused");
            report.refused.push(error.to_string());
            continue;
        }
        let pinned = PinnedProtocol::from_listing(listing);
        match vault.pinned_protocol(&listing.protocol_id, listing.version)? {
            Some(existing) if existing.content_hash == pinned.content_hash => {
                report.unchanged += 1;
            }
            Some(existing) => report.refused.push(format!(
                "protocol `{}` version {} changed on the server (pinned {}, offered {}): keeping the pinned copy; ask the coordinator (R4)",
                listing.protocol_id, listing.version, existing.content_hash, pinned.content_hash
            )),
            None => {
                vault.pin_protocol(&pinned)?;
                report
                    .pinned
                    .push((listing.protocol_id.clone(), listing.version));
            }
        }
    }
    // Media of every pinned version, new or pinned before with files
    // missing, as one plan so the screen can say how far it is.
    let protocols: Vec<_> = vault
        .pinned_protocols()?
        .iter()
        .filter_map(|pinned| pinned.protocol().ok())
        .filter(|protocol| !protocol.media.is_empty())
        .collect();
    let files = wanted(vault, &protocols)?;
    report.media = pin_missing(transport, vault, &files, transport.deadline(), progress).await?;
    let (packs, refused) = super::packs::download(transport, vault).await?;
    report.packs_pinned = packs;
    report.refused.extend(refused);
    Ok(report)
}
