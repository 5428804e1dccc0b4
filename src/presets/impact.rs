//! What an edit of a preset does to each of its holders.

use super::records::{holders, Holder};
use crate::permissions::{store, PermSet};
use diesel::prelude::*;

/// How an edit of a preset changes one holder's effective permissions.
#[derive(Debug, Clone)]
pub struct Impact {
    pub holder: Holder,
    pub gains: PermSet,
    pub losses: PermSet,
}

impl Impact {
    pub fn changes(&self) -> bool {
        !self.gains.is_empty() || !self.losses.is_empty()
    }
}

/// The effective permissions of every holder of a preset, before and after its keys become
/// `new_keys` (the one computation of effective permissions, with the preset substituted).
/// Three queries, whatever the number of holders.
pub fn impact(conn: &mut PgConnection, preset_id: i64, new_keys: PermSet) -> QueryResult<Vec<Impact>> {
    let holders = holders(conn, preset_id)?;
    let ids: Vec<i64> = holders.iter().map(|h| h.id).collect();
    let mut sources = store::sources_many(conn, &ids)?;
    Ok(holders
        .into_iter()
        .map(|holder| {
            let now = sources.remove(&holder.id).unwrap_or_default();
            let mut then = now.clone();
            for held in then.presets.iter_mut().filter(|p| p.0 == preset_id) {
                held.2 = new_keys;
            }
            let (before, after) = (now.effective(), then.effective());
            Impact { holder, gains: after.difference(before), losses: before.difference(after) }
        })
        .collect())
}

/// A fingerprint of a previewed edit: a confirmation is saved only if the preset's version,
/// the new keys and every holder's gains and losses are still what the preview showed.
pub fn impact_digest(version: i32, keys: PermSet, impact: &[Impact]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(format!("v{version};{}", keys.keys().join(",")));
    for i in impact {
        h.update(format!("|{}:+{}:-{}", i.holder.id, i.gains.keys().join(","), i.losses.keys().join(",")));
    }
    hex::encode(h.finalize())
}
