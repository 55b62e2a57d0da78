//! Findings packs download (issue 22): every published pack is checked
//! against its hash and the shared rules (R4, R27) and pinned in the vault,
//! after the protocols. A server without packs (an older one) is not an
//! error: the phone simply has none.

use fieldkit_protocols::findings::PackListing;

use super::transport::Transport;
use super::SyncError;
use crate::vault::Vault;

/// What a pack download did: `(pinned now, refused with reasons)`.
pub(super) async fn download(
    transport: &Transport,
    vault: &mut Vault,
) -> Result<(usize, Vec<String>), SyncError> {
    let listings: Vec<PackListing> = match transport
        .get_json("/api/v1/packs", "download the findings packs")
        .await
    {
        Ok(listings) => listings,
        Err(error @ SyncError::Refused { .. }) => {
            tracing::warn!(%error, "findings packs not downloaded");
            return Ok((0, vec![error.to_string()]));
        }
        // Offline like the media: the packs wait for the next sync, and
        // what this sync pinned before them stays pinned and reported.
        Err(SyncError::Unreachable { reason, .. }) => {
            tracing::info!(%reason, "findings packs wait for the next sync");
            return Ok((0, Vec::new()));
        }
        Err(error) => return Err(error),
    };
    let mut pinned = 0;
    let mut refused = Vec::new();
    for listing in &listings {
        match vault.pin_pack(listing)? {
            Ok(true) => pinned += 1,
            Ok(false) => {}
            Err(why) => {
                tracing::warn!(pack = %listing.hash.short(), "downloaded findings pack refused");
                refused.push(why);
            }
        }
    }
    Ok((pinned, refused))
}
