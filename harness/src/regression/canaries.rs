//! A/A canaries: cells of a gated run, chosen at random, that run the
//! current artifacts against themselves through the whole gate. Nothing
//! changed between their arms, so any change the gate reports in them is
//! a false alarm; counted night after night, they measure the gate's
//! false-alarm rate on the lab's real noise, not only in simulation.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::paired_device::PairedCell;

/// The suffix of a canary's cell id: `<cell id>~canary`.
pub const CANARY_SUFFIX: &str = "~canary";

/// The id of the canary copy of cell `cell_id`.
pub fn canary_id(cell_id: &str) -> String {
    format!("{cell_id}{CANARY_SUFFIX}")
}

/// The cell a canary copies, when `id` is a canary's.
pub fn canary_of(id: &str) -> Option<&str> {
    id.strip_suffix(CANARY_SUFFIX)
}

/// Chooses `n` cells of `paired` (by device) to run again as canaries,
/// spread over the devices in turn, each device's cell drawn at random
/// from those not yet chosen (seeded by `seed`). Fewer when there are
/// fewer cells. The canaries are returned by device, with canary ids and
/// marked [`PairedCell::canary`].
pub fn pick(
    paired: &BTreeMap<String, Vec<PairedCell>>,
    n: usize,
    seed: u64,
) -> BTreeMap<String, Vec<PairedCell>> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xa5a5_5a5a_c3c3_3c3c);
    let mut pools: Vec<(&String, Vec<&PairedCell>)> = paired
        .iter()
        .map(|(d, cells)| {
            let mut pool: Vec<&PairedCell> = cells.iter().filter(|c| !c.canary).collect();
            pool.shuffle(&mut rng);
            (d, pool)
        })
        .filter(|(_, pool)| !pool.is_empty())
        .collect();
    // Which device goes first is drawn too, so a small `n` does not
    // always land on the first device by name.
    if !pools.is_empty() {
        let first = rng.random_range(0..pools.len());
        pools.rotate_left(first);
    }
    let mut out: BTreeMap<String, Vec<PairedCell>> = BTreeMap::new();
    let mut chosen = 0;
    while chosen < n && pools.iter().any(|(_, p)| !p.is_empty()) {
        for (device, pool) in &mut pools {
            if chosen == n {
                break;
            }
            if let Some(c) = pool.pop() {
                let mut canary = c.clone();
                canary.cell.id = canary_id(&c.cell.id);
                canary.canary = true;
                out.entry((*device).clone()).or_default().push(canary);
                chosen += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        assert_eq!(canary_of(&canary_id("ab12")), Some("ab12"));
        assert_eq!(canary_of("ab12"), None);
    }
}
