//! A uniform spatial hash over the tracker plane: which tracks are near a point. It keeps gating
//! and sweep bookkeeping linear in the number of plots instead of plots x tracks.
//!
//! Each track is filed under the cell of its position at some recent time; the tracker refiles
//! every track at each picture tick and after each update, so a query widens its radius by the
//! distance a track can have flown since (maximum speed x time since filing).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Cell coordinates.
pub(crate) type Cell = (i32, i32);

/// A small fast hasher for cell keys (the keys are not attacker-chosen: they come from our own
/// filtered positions).
#[derive(Default)]
pub(crate) struct CellHasher(u64);

impl Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_i32(&mut self, v: i32) {
        self.write_u64(u64::from(v as u32));
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

#[derive(Debug, Default)]
pub(crate) struct Grid {
    cell_m: f64,
    cells: HashMap<Cell, Vec<u32>, BuildHasherDefault<CellHasher>>,
}

impl Grid {
    pub fn new(cell_m: f64) -> Self {
        Self {
            cell_m: cell_m.max(1.0),
            cells: HashMap::default(),
        }
    }

    pub fn cell_of(&self, xy: [f64; 2]) -> Cell {
        // Saturating float-to-int casts keep absurd coordinates in the edge cells, never panic.
        (
            (xy[0] / self.cell_m).floor() as i32,
            (xy[1] / self.cell_m).floor() as i32,
        )
    }

    pub fn insert(&mut self, cell: Cell, slot: u32) {
        self.cells.entry(cell).or_default().push(slot);
    }

    pub fn remove(&mut self, cell: Cell, slot: u32) {
        if let Some(list) = self.cells.get_mut(&cell) {
            if let Some(pos) = list.iter().position(|&s| s == slot) {
                list.swap_remove(pos);
            }
            if list.is_empty() {
                self.cells.remove(&cell);
            }
        }
    }

    /// Calls `f` with every slot filed in a cell that intersects the axis-aligned box.
    pub fn for_each_in_box(&self, min: [f64; 2], max: [f64; 2], mut f: impl FnMut(u32)) {
        let (x0, y0) = self.cell_of(min);
        let (x1, y1) = self.cell_of(max);
        let n_cells = (i128::from(x1) - i128::from(x0) + 1) * (i128::from(y1) - i128::from(y0) + 1);
        if n_cells <= 0 {
            return;
        }
        if n_cells > self.cells.len() as i128 {
            // A box larger than the populated area: walk the populated cells instead.
            for (&(cx, cy), list) in &self.cells {
                if cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1 {
                    list.iter().for_each(|&s| f(s));
                }
            }
            return;
        }
        for cx in x0..=x1 {
            for cy in y0..=y1 {
                if let Some(list) = self.cells.get(&(cx, cy)) {
                    list.iter().for_each(|&s| f(s));
                }
            }
        }
    }

    /// Calls `f` with every slot filed within the square of half-side `radius_m` around `xy`.
    pub fn for_each_near(&self, xy: [f64; 2], radius_m: f64, f: impl FnMut(u32)) {
        self.for_each_in_box(
            [xy[0] - radius_m, xy[1] - radius_m],
            [xy[0] + radius_m, xy[1] + radius_m],
            f,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_nearby() {
        let mut g = Grid::new(10_000.0);
        g.insert(g.cell_of([5_000.0, 5_000.0]), 1);
        g.insert(g.cell_of([55_000.0, 5_000.0]), 2);
        g.insert(g.cell_of([-5_000.0, -5_000.0]), 3);
        let mut seen = Vec::new();
        g.for_each_near([0.0, 0.0], 8_000.0, |s| seen.push(s));
        seen.sort();
        assert_eq!(seen, vec![1, 3]);
        g.remove(g.cell_of([5_000.0, 5_000.0]), 1);
        seen.clear();
        g.for_each_near([0.0, 0.0], 8_000.0, |s| seen.push(s));
        assert_eq!(seen, vec![3]);
    }

    #[test]
    fn huge_boxes_do_not_blow_up() {
        let mut g = Grid::new(10_000.0);
        g.insert(g.cell_of([1e6, 1e6]), 7);
        let mut n = 0;
        g.for_each_in_box([-1e300, -1e300], [1e300, 1e300], |_| n += 1);
        assert_eq!(n, 1);
        g.for_each_near([f64::NAN, 0.0], 10.0, |_| n += 1);
    }
}
