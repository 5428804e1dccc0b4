//! A set of catalog keys, and the one computation of a user's effective permissions.

use super::catalog::{Perm, ALL};

/// A set of [`Perm`]s, stored as a bitmask (the catalog has fewer than 64 keys).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PermSet(u64);

impl PermSet {
    pub const EMPTY: PermSet = PermSet(0);

    /// Every key of the catalog.
    pub fn all() -> PermSet {
        ALL.iter().copied().collect()
    }

    pub fn contains(self, p: Perm) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn insert(&mut self, p: Perm) {
        self.0 |= p.bit();
    }

    pub fn remove(&mut self, p: Perm) {
        self.0 &= !p.bit();
    }

    pub fn union(self, other: PermSet) -> PermSet {
        PermSet(self.0 | other.0)
    }

    pub fn difference(self, other: PermSet) -> PermSet {
        PermSet(self.0 & !other.0)
    }

    pub fn is_subset(self, other: PermSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The keys in catalog order.
    pub fn iter(self) -> impl Iterator<Item = Perm> {
        ALL.iter().copied().filter(move |p| self.contains(*p))
    }

    /// Whether any action of the module is in the set.
    pub fn any_in_module(self, module: &str) -> bool {
        self.iter().any(|p| p.module() == module)
    }

    /// Builds a set from stored `module.action` keys, ignoring keys the catalog no longer has.
    pub fn from_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> PermSet {
        keys.into_iter().filter_map(Perm::from_key).collect()
    }

    /// The keys as `module.action` strings.
    pub fn keys(self) -> Vec<&'static str> {
        self.iter().map(Perm::key).collect()
    }
}

impl FromIterator<Perm> for PermSet {
    fn from_iter<I: IntoIterator<Item = Perm>>(iter: I) -> Self {
        let mut s = PermSet::EMPTY;
        for p in iter {
            s.insert(p);
        }
        s
    }
}

/// Effective permissions (SPEC 2.3): (union of held presets ∪ grants) − revokes.
///
/// This is the only place the rule is written; every permission check uses its result.
pub fn effective(presets: &[PermSet], grants: PermSet, revokes: PermSet) -> PermSet {
    presets.iter().fold(PermSet::EMPTY, |acc, p| acc.union(*p)).union(grants).difference(revokes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Any set of catalog keys.
    fn any_set() -> impl Strategy<Value = PermSet> {
        proptest::collection::vec(proptest::sample::select(ALL), 0..ALL.len())
            .prop_map(|keys| keys.into_iter().collect())
    }

    proptest! {
        #[test]
        fn effective_follows_the_rule(
            presets in proptest::collection::vec(any_set(), 0..5),
            grants in any_set(),
            revokes in any_set(),
            seed in any::<u64>(),
        ) {
            let result = effective(&presets, grants, revokes);
            let union = presets.iter().fold(grants, |acc, p| acc.union(*p));
            // Nothing comes from nowhere.
            prop_assert!(result.is_subset(union));
            for p in ALL.iter().copied() {
                // A revoked key is never present.
                if revokes.contains(p) {
                    prop_assert!(!result.contains(p), "{} revoked but present", p);
                }
                // A key granted or in a held preset, and not revoked, is present.
                let given = grants.contains(p) || presets.iter().any(|s| s.contains(p));
                if given && !revokes.contains(p) {
                    prop_assert!(result.contains(p), "{} given but missing", p);
                }
            }
            // The order of the held presets does not matter.
            let mut shuffled = presets.clone();
            let n = shuffled.len();
            if n > 1 {
                shuffled.rotate_left((seed as usize) % n);
                shuffled.swap(0, (seed as usize / 7) % n);
            }
            shuffled.reverse();
            prop_assert_eq!(effective(&shuffled, grants, revokes), result);
        }
    }
}
