//! Findings packs pinned on this phone (issue 22): one sealed setting under
//! a keyed name holding every pack, since a phone holds a handful. A pack
//! is pinned only when its JSON hashes to its listed hash and passes the
//! shared check (no count under the threshold, R27); a pinned pack is never
//! replaced (R4).

use fieldkit_protocols::findings::{FindingsPack, PackListing};
use fieldkit_protocols::ContentHash;
use serde::{Deserialize, Serialize};

use super::records::{get_setting_json, put_setting_json};
use super::{Vault, VaultError};

const PACKS: &str = "findings_packs";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Pinned {
    packs: Vec<PackListing>,
}

impl Vault {
    /// Every pinned pack, oldest first, checked again as it is read.
    pub fn pinned_packs(&self) -> Result<Vec<(ContentHash, FindingsPack)>, VaultError> {
        let open = self.open()?;
        let pinned: Pinned =
            get_setting_json(&open.conn, &open.key, &open.sub, PACKS)?.unwrap_or_default();
        Ok(pinned
            .packs
            .iter()
            .filter_map(|l| l.pack().ok().map(|p| (l.hash.clone(), p)))
            .collect())
    }

    /// Pins a listed pack. `Ok(true)` when new, `Ok(false)` when already
    /// pinned; `Err` text (to show) when it does not check out.
    pub fn pin_pack(&mut self, listing: &PackListing) -> Result<Result<bool, String>, VaultError> {
        if let Err(why) = listing.pack() {
            return Ok(Err(why));
        }
        let open = self.open()?;
        let mut pinned: Pinned =
            get_setting_json(&open.conn, &open.key, &open.sub, PACKS)?.unwrap_or_default();
        if pinned.packs.iter().any(|p| p.hash == listing.hash) {
            return Ok(Ok(false));
        }
        pinned.packs.push(listing.clone());
        self.open_mut()?
            .write(|w| put_setting_json(w, PACKS, &pinned))?;
        Ok(Ok(true))
    }
}
