//! Optimal 2-D assignment (global nearest neighbour) with costs for leaving a track or a
//! measurement unassigned.
//!
//! [`solve_square`] is the shortest-augmenting-path method of Jonker and Volgenant (the
//! Hungarian method with row/column potentials and Dijkstra-like searches), `O(n^3)`. The tracker
//! only ever calls it on one gated cluster at a time, so `n` is small; forbidden pairs are
//! `f64::INFINITY`. [`assign`] poses the gated problem with non-assignment costs as a square one
//! by the usual augmentation: `n` tracks, `m` measurements, a matrix of size `n + m` whose
//! off-block has the miss cost of each track on its diagonal, the new-track cost of each
//! measurement on its diagonal, and zeros where two dummies meet.

/// Minimum-cost perfect matching of a square cost matrix (row-major, `n * n`).
/// Returns `col_of_row`, or `None` if no finite-cost matching exists or the input is not square.
pub fn solve_square(n: usize, cost: &[f64]) -> Option<Vec<usize>> {
    if cost.len() != n.checked_mul(n)? {
        return None;
    }
    if n == 0 {
        return Some(Vec::new());
    }
    let inf = f64::INFINITY;
    // 1-based arrays with slot 0 as the virtual start column, as the method is usually written.
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; n + 1];
    let mut row_of_col = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    let mut minv = vec![inf; n + 1];
    let mut used = vec![false; n + 1];
    for row in 1..=n {
        row_of_col[0] = row;
        let mut col0 = 0usize;
        minv.iter_mut().for_each(|m| *m = inf);
        used.iter_mut().for_each(|b| *b = false);
        loop {
            used[col0] = true;
            let row0 = row_of_col[col0];
            let mut delta = inf;
            let mut col1 = 0usize;
            for col in 1..=n {
                if used[col] {
                    continue;
                }
                let c = cost[(row0 - 1) * n + (col - 1)];
                let reduced = c - u[row0] - v[col];
                if reduced < minv[col] {
                    minv[col] = reduced;
                    way[col] = col0;
                }
                if minv[col] < delta {
                    delta = minv[col];
                    col1 = col;
                }
            }
            if col1 == 0 || !delta.is_finite() {
                // Every remaining column is forbidden for the rows reached: no matching.
                return None;
            }
            for col in 0..=n {
                if used[col] {
                    u[row_of_col[col]] += delta;
                    v[col] -= delta;
                } else {
                    minv[col] -= delta;
                }
            }
            col0 = col1;
            if row_of_col[col0] == 0 {
                break;
            }
        }
        // Flip the augmenting path.
        loop {
            let col1 = way[col0];
            row_of_col[col0] = row_of_col[col1];
            col0 = col1;
            if col0 == 0 {
                break;
            }
        }
    }
    let mut col_of_row = vec![0usize; n];
    for (col, &row) in row_of_col.iter().enumerate().skip(1) {
        if row >= 1 {
            col_of_row[row - 1] = col - 1;
        }
    }
    Some(col_of_row)
}

/// Gated assignment of `n_tracks` tracks to `n_meas` measurements.
///
/// `pair_cost(t, m)` is the cost of assigning measurement `m` to track `t`, or `None` if the pair
/// is outside the gate. `miss_cost[t]` is the cost of leaving track `t` without a measurement
/// and `new_cost[m]` of leaving measurement `m` unassigned. Returns, per track, the measurement
/// it gets (if any), minimising the total cost.
pub fn assign(
    n_tracks: usize,
    n_meas: usize,
    pair_cost: impl Fn(usize, usize) -> Option<f64>,
    miss_cost: &[f64],
    new_cost: &[f64],
) -> Vec<Option<usize>> {
    let mut out = vec![None; n_tracks];
    if n_tracks == 0 || n_meas == 0 {
        return out;
    }
    let n = n_tracks + n_meas;
    let inf = f64::INFINITY;
    let mut cost = vec![inf; n * n];
    for t in 0..n_tracks {
        for m in 0..n_meas {
            if let Some(c) = pair_cost(t, m).filter(|c| c.is_finite()) {
                cost[t * n + m] = c;
            }
        }
        cost[t * n + n_meas + t] = miss_cost.get(t).copied().unwrap_or(0.0);
    }
    for m in 0..n_meas {
        let row = n_tracks + m;
        cost[row * n + m] = new_cost.get(m).copied().unwrap_or(0.0);
        for t in 0..n_tracks {
            cost[row * n + n_meas + t] = 0.0;
        }
    }
    // The dummy diagonals make a finite matching always exist; if rounding ever defeats that,
    // leaving everything unassigned is the safe answer.
    if let Some(col_of_row) = solve_square(n, &cost) {
        for (t, slot) in out.iter_mut().enumerate() {
            if let Some(&col) = col_of_row.get(t)
                && col < n_meas
            {
                *slot = Some(col);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_force(n: usize, cost: &[f64]) -> f64 {
        fn go(row: usize, n: usize, cost: &[f64], used: &mut Vec<bool>) -> f64 {
            if row == n {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for col in 0..n {
                if !used[col] {
                    used[col] = true;
                    let c = cost[row * n + col] + go(row + 1, n, cost, used);
                    used[col] = false;
                    best = best.min(c);
                }
            }
            best
        }
        go(0, n, cost, &mut vec![false; n])
    }

    #[test]
    fn small_known_case() {
        let cost = [4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0];
        let sol = solve_square(3, &cost).expect("solution");
        let total: f64 = sol.iter().enumerate().map(|(r, &c)| cost[r * 3 + c]).sum();
        assert_eq!(total, 5.0);
    }

    #[test]
    fn infeasible_is_none() {
        let inf = f64::INFINITY;
        let cost = [1.0, inf, 2.0, inf];
        assert!(solve_square(2, &cost).is_none());
    }

    #[test]
    fn gated_assignment_prefers_global_optimum() {
        // Track 0 is close to both; track 1 only to measurement 0. Greedy would give m0 to t0.
        let costs = [[Some(1.0), Some(2.0)], [Some(1.5), None]];
        let out = assign(2, 2, |t, m| costs[t][m], &[10.0, 10.0], &[10.0, 10.0]);
        assert_eq!(out, vec![Some(1), Some(0)]);
    }

    #[test]
    fn expensive_pairs_stay_unassigned() {
        let out = assign(1, 1, |_, _| Some(30.0), &[10.0], &[10.0]);
        assert_eq!(out, vec![None]);
    }

    proptest::proptest! {
        #[test]
        fn matches_brute_force(n in 1usize..6, seed in proptest::collection::vec(-50i32..50, 36)) {
            let cost: Vec<f64> = (0..n * n).map(|i| seed[i] as f64 * 0.5).collect();
            let sol = solve_square(n, &cost).expect("finite matrix always solvable");
            let mut seen = vec![false; n];
            for &c in &sol { proptest::prop_assert!(!seen[c]); seen[c] = true; }
            let total: f64 = sol.iter().enumerate().map(|(r, &c)| cost[r * n + c]).sum();
            proptest::prop_assert!((total - brute_force(n, &cost)).abs() < 1e-9);
        }

        #[test]
        fn gated_assignment_is_optimal(
            n_tracks in 1usize..4, n_meas in 1usize..4,
            raw in proptest::collection::vec(proptest::option::of(0u8..40), 16),
            miss in proptest::collection::vec(0u8..20, 4),
            new in proptest::collection::vec(0u8..20, 4),
        ) {
            let pair = |t: usize, m: usize| raw[t * 4 + m].map(f64::from);
            let miss: Vec<f64> = miss.iter().map(|&c| f64::from(c)).collect();
            let new: Vec<f64> = new.iter().map(|&c| f64::from(c)).collect();
            let out = assign(n_tracks, n_meas, pair, &miss[..n_tracks], &new[..n_meas]);
            let total = |a: &[Option<usize>]| -> f64 {
                let mut used = vec![false; n_meas];
                let mut c = 0.0;
                for (t, s) in a.iter().enumerate() {
                    match s { Some(m) => { used[*m] = true; c += pair(t, *m).unwrap_or(f64::INFINITY); }
                              None => c += miss[t] }
                }
                c + (0..n_meas).filter(|m| !used[*m]).map(|m| new[m]).sum::<f64>()
            };
            // Enumerate every partial injection to find the true optimum.
            fn all(t: usize, n_t: usize, n_m: usize, used: &mut Vec<bool>, cur: &mut Vec<Option<usize>>, f: &mut dyn FnMut(&[Option<usize>])) {
                if t == n_t { f(cur); return; }
                cur.push(None); all(t + 1, n_t, n_m, used, cur, f); cur.pop();
                for m in 0..n_m { if !used[m] { used[m] = true; cur.push(Some(m)); all(t + 1, n_t, n_m, used, cur, f); cur.pop(); used[m] = false; } }
            }
            let mut best = f64::INFINITY;
            all(0, n_tracks, n_meas, &mut vec![false; n_meas], &mut Vec::new(), &mut |a| best = best.min(total(a)));
            proptest::prop_assert!((total(&out) - best).abs() < 1e-9);
        }
    }
}
