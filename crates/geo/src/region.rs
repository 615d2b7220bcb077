//! Point-in-polygon for many polygons at once: which regions (countries, zones) contain a
//! longitude/latitude point, and how far the point is from the nearest boundary.
//!
//! [`RegionIndex`] rasterises every polygon edge into a uniform longitude/latitude grid and
//! stores, per cell, the edges crossing it and the set of regions containing the cell centre
//! (computed once per grid row by a horizontal sweep over all edges crossing the row's centre
//! line). A query toggles the centre's membership for every edge crossed by the segment from the
//! centre to the point, so it costs a handful of segment tests, whatever the size of the
//! polygons. Rings follow the even-odd rule (holes are rings too); boundaries follow half-open
//! conventions so a shared vertex is never counted twice.

/// A longitude/latitude point in degrees, `[lon, lat]` (x first, as the grid works).
pub type LonLat = [f64; 2];

/// A named region made of rings (outer rings and holes alike; even-odd rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub name: String,
    pub rings: Vec<Vec<LonLat>>,
}

/// A longitude/latitude box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoBox {
    pub min_lon_deg: f64,
    pub min_lat_deg: f64,
    pub max_lon_deg: f64,
    pub max_lat_deg: f64,
}

impl GeoBox {
    /// The box around a point, `radius_deg` degrees of latitude (and the corresponding
    /// longitude at that latitude) each way, clamped to the globe.
    pub fn around(lat_deg: f64, lon_deg: f64, radius_m: f64) -> Self {
        let dlat = radius_m / 111_000.0;
        let dlon = dlat / lat_deg.to_radians().cos().max(0.05);
        Self {
            min_lon_deg: (lon_deg - dlon).max(-180.0),
            min_lat_deg: (lat_deg - dlat).max(-90.0),
            max_lon_deg: (lon_deg + dlon).min(180.0),
            max_lat_deg: (lat_deg + dlat).min(90.0),
        }
    }

    pub fn union(self, other: GeoBox) -> GeoBox {
        GeoBox {
            min_lon_deg: self.min_lon_deg.min(other.min_lon_deg),
            min_lat_deg: self.min_lat_deg.min(other.min_lat_deg),
            max_lon_deg: self.max_lon_deg.max(other.max_lon_deg),
            max_lat_deg: self.max_lat_deg.max(other.max_lat_deg),
        }
    }

    pub fn contains(&self, p: LonLat) -> bool {
        p[0] >= self.min_lon_deg
            && p[0] <= self.max_lon_deg
            && p[1] >= self.min_lat_deg
            && p[1] <= self.max_lat_deg
    }

    fn of_ring(ring: &[LonLat]) -> Option<GeoBox> {
        let first = ring.first()?;
        let mut b = GeoBox {
            min_lon_deg: first[0],
            min_lat_deg: first[1],
            max_lon_deg: first[0],
            max_lat_deg: first[1],
        };
        for p in ring {
            b.min_lon_deg = b.min_lon_deg.min(p[0]);
            b.min_lat_deg = b.min_lat_deg.min(p[1]);
            b.max_lon_deg = b.max_lon_deg.max(p[0]);
            b.max_lat_deg = b.max_lat_deg.max(p[1]);
        }
        Some(b)
    }
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    a: LonLat,
    b: LonLat,
    region: u32,
}

/// The grid index over a set of regions (see module doc).
#[derive(Debug, Clone)]
pub struct RegionIndex {
    names: Vec<String>,
    area: GeoBox,
    cell_deg: f64,
    nx: usize,
    ny: usize,
    edges: Vec<Edge>,
    /// Per cell, a range into `cell_edges` (CSR layout).
    cell_start: Vec<u32>,
    cell_edges: Vec<u32>,
    /// Per cell, an index into `sets`: the regions containing the cell centre.
    cell_set: Vec<u32>,
    /// Interned sorted region sets.
    sets: Vec<Vec<u32>>,
    /// Bounding box per region, to skip regions quickly outside the grid area.
    region_boxes: Vec<Option<GeoBox>>,
    /// Per region, its edges' range in `edges` (edges are stored region by region).
    region_edges: Vec<std::ops::Range<usize>>,
}

/// Target number of grid cells; the cell size adapts to the area.
const TARGET_CELLS: f64 = 400_000.0;
/// Finest cell, degrees (about 5.5 km): finer cells only cost memory.
const MIN_CELL_DEG: f64 = 0.05;
/// Most cells on one side of the grid.
const MAX_SIDE: f64 = 4096.0;

impl RegionIndex {
    /// Builds the index for `regions`, gridded over `area` (or the regions' own bounding box).
    /// Points outside the gridded area are still answered, by a slower direct test.
    pub fn new(regions: &[Region], area: Option<GeoBox>) -> Self {
        let mut edges = Vec::new();
        let mut region_boxes = Vec::with_capacity(regions.len());
        let mut region_edges = Vec::with_capacity(regions.len());
        let mut all_box: Option<GeoBox> = None;
        for (ri, region) in regions.iter().enumerate() {
            let first_edge = edges.len();
            let mut rbox: Option<GeoBox> = None;
            for ring in &region.rings {
                let Some(b) = GeoBox::of_ring(ring) else {
                    continue;
                };
                rbox = Some(rbox.map_or(b, |x| x.union(b)));
                let n = ring.len();
                for i in 0..n {
                    let a = ring[i];
                    let b = ring[(i + 1) % n];
                    if a != b && a.iter().chain(b.iter()).all(|v| v.is_finite()) {
                        edges.push(Edge {
                            a,
                            b,
                            region: ri as u32,
                        });
                    }
                }
            }
            if let Some(b) = rbox {
                all_box = Some(all_box.map_or(b, |x| x.union(b)));
            }
            region_boxes.push(rbox);
            region_edges.push(first_edge..edges.len());
        }
        let default_area = GeoBox {
            min_lon_deg: -1.0,
            min_lat_deg: -1.0,
            max_lon_deg: 1.0,
            max_lat_deg: 1.0,
        };
        let area = area.or(all_box).unwrap_or(default_area);
        let width = (area.max_lon_deg - area.min_lon_deg).max(1e-6);
        let height = (area.max_lat_deg - area.min_lat_deg).max(1e-6);
        // Square-ish cells near the target count, but never more than MAX_SIDE cells on a side
        // (a long thin area would otherwise ask for a huge row).
        let cell_deg = (width * height / TARGET_CELLS)
            .sqrt()
            .max(width / MAX_SIDE)
            .max(height / MAX_SIDE)
            .max(MIN_CELL_DEG);
        let nx = ((width / cell_deg).ceil() as usize).max(1);
        let ny = ((height / cell_deg).ceil() as usize).max(1);
        let mut index = Self {
            names: regions.iter().map(|r| r.name.clone()).collect(),
            area,
            cell_deg,
            nx,
            ny,
            edges,
            cell_start: Vec::new(),
            cell_edges: Vec::new(),
            cell_set: Vec::new(),
            sets: vec![Vec::new()],
            region_boxes,
            region_edges,
        };
        index.rasterise();
        index.classify_centres();
        index
    }

    pub fn region_names(&self) -> &[String] {
        &self.names
    }

    pub fn name(&self, region: u32) -> Option<&str> {
        self.names.get(region as usize).map(String::as_str)
    }

    fn cell_box(&self, cx: usize, cy: usize) -> GeoBox {
        let x0 = self.area.min_lon_deg + cx as f64 * self.cell_deg;
        let y0 = self.area.min_lat_deg + cy as f64 * self.cell_deg;
        GeoBox {
            min_lon_deg: x0,
            min_lat_deg: y0,
            max_lon_deg: x0 + self.cell_deg,
            max_lat_deg: y0 + self.cell_deg,
        }
    }

    fn cell_range(&self, lo: f64, hi: f64, origin: f64, n: usize) -> Option<(usize, usize)> {
        let a = ((lo - origin) / self.cell_deg).floor();
        let b = ((hi - origin) / self.cell_deg).floor();
        if b < 0.0 || a >= n as f64 {
            return None;
        }
        Some((a.max(0.0) as usize, (b as usize).min(n - 1)))
    }

    /// Files every edge under each cell its segment passes through.
    fn rasterise(&mut self) {
        let mut per_cell: Vec<Vec<u32>> = vec![Vec::new(); self.nx * self.ny];
        for (ei, e) in self.edges.iter().enumerate() {
            let (lo_x, hi_x) = (e.a[0].min(e.b[0]), e.a[0].max(e.b[0]));
            let (lo_y, hi_y) = (e.a[1].min(e.b[1]), e.a[1].max(e.b[1]));
            let Some((x0, x1)) = self.cell_range(lo_x, hi_x, self.area.min_lon_deg, self.nx) else {
                continue;
            };
            let Some((y0, y1)) = self.cell_range(lo_y, hi_y, self.area.min_lat_deg, self.ny) else {
                continue;
            };
            let single = x0 == x1 && y0 == y1;
            for cy in y0..=y1 {
                for cx in x0..=x1 {
                    if single || segment_touches_box(e.a, e.b, &self.cell_box(cx, cy)) {
                        per_cell[cy * self.nx + cx].push(ei as u32);
                    }
                }
            }
        }
        self.cell_start = Vec::with_capacity(per_cell.len() + 1);
        self.cell_start.push(0);
        for list in &per_cell {
            self.cell_edges.extend_from_slice(list);
            self.cell_start.push(self.cell_edges.len() as u32);
        }
    }

    /// Region sets at every cell centre, by one horizontal sweep per grid row.
    fn classify_centres(&mut self) {
        // Bucket edges by the rows whose centre line they cross, over their whole extent (also
        // west of the area: those crossings set the parity at the area's western edge).
        let mut by_row: Vec<Vec<u32>> = vec![Vec::new(); self.ny];
        for (ei, e) in self.edges.iter().enumerate() {
            let (lo, hi) = (e.a[1].min(e.b[1]), e.a[1].max(e.b[1]));
            let first = ((lo - self.area.min_lat_deg) / self.cell_deg - 0.5).ceil();
            let last = ((hi - self.area.min_lat_deg) / self.cell_deg - 0.5).floor();
            if last < 0.0 || first >= self.ny as f64 {
                continue;
            }
            let first = first.max(0.0) as usize;
            let last = (last as usize).min(self.ny - 1);
            for row in by_row.iter_mut().take(last + 1).skip(first) {
                row.push(ei as u32);
            }
        }
        self.cell_set = vec![0; self.nx * self.ny];
        let mut crossings: Vec<(f64, u32)> = Vec::new();
        let mut current: Vec<u32> = Vec::new();
        for (cy, row_edges) in by_row.iter().enumerate() {
            let yc = self.area.min_lat_deg + (cy as f64 + 0.5) * self.cell_deg;
            crossings.clear();
            for &ei in row_edges {
                let e = self.edges[ei as usize];
                if (e.a[1] > yc) != (e.b[1] > yc) {
                    let x = e.a[0] + (yc - e.a[1]) * (e.b[0] - e.a[0]) / (e.b[1] - e.a[1]);
                    crossings.push((x, e.region));
                }
            }
            crossings.sort_by(|a, b| a.0.total_cmp(&b.0));
            current.clear();
            let mut current_id = 0;
            let mut next = 0;
            for cx in 0..self.nx {
                let xc = self.area.min_lon_deg + (cx as f64 + 0.5) * self.cell_deg;
                let mut changed = false;
                while let Some(&(x, region)) = crossings.get(next) {
                    if x >= xc {
                        break;
                    }
                    toggle(&mut current, region);
                    changed = true;
                    next += 1;
                }
                if changed {
                    current_id = self.intern(&current);
                }
                self.cell_set[cy * self.nx + cx] = current_id;
            }
        }
    }

    fn intern(&mut self, set: &[u32]) -> u32 {
        // Few distinct sets exist (mostly empty or one region); a linear scan of the recent ones
        // is enough, with a full scan as fallback.
        if let Some(pos) = self.sets.iter().rposition(|s| s.as_slice() == set) {
            return pos as u32;
        }
        self.sets.push(set.to_vec());
        (self.sets.len() - 1) as u32
    }

    fn cell_of(&self, p: LonLat) -> Option<(usize, usize)> {
        if !self.area.contains(p) {
            return None;
        }
        let cx = ((p[0] - self.area.min_lon_deg) / self.cell_deg) as usize;
        let cy = ((p[1] - self.area.min_lat_deg) / self.cell_deg) as usize;
        Some((cx.min(self.nx - 1), cy.min(self.ny - 1)))
    }

    fn cell_edge_ids(&self, cell: usize) -> &[u32] {
        let start = self.cell_start.get(cell).copied().unwrap_or(0) as usize;
        let end = self.cell_start.get(cell + 1).copied().unwrap_or(0) as usize;
        self.cell_edges.get(start..end).unwrap_or(&[])
    }

    /// The regions containing `p` (sorted region indices), written into `out`.
    pub fn locate_into(&self, p: LonLat, out: &mut Vec<u32>) {
        out.clear();
        if !p[0].is_finite() || !p[1].is_finite() {
            return;
        }
        let Some((cx, cy)) = self.cell_of(p) else {
            self.locate_slow(p, out);
            return;
        };
        let cell = cy * self.nx + cx;
        let centre = [
            self.area.min_lon_deg + (cx as f64 + 0.5) * self.cell_deg,
            self.area.min_lat_deg + (cy as f64 + 0.5) * self.cell_deg,
        ];
        let set_id = self.cell_set.get(cell).copied().unwrap_or(0) as usize;
        out.extend_from_slice(self.sets.get(set_id).map(Vec::as_slice).unwrap_or(&[]));
        for &ei in self.cell_edge_ids(cell) {
            let Some(e) = self.edges.get(ei as usize) else {
                continue;
            };
            if segments_cross(centre, p, e.a, e.b) {
                toggle(out, e.region);
            }
        }
    }

    /// The regions containing `p`.
    pub fn locate(&self, p: LonLat) -> Vec<u32> {
        let mut out = Vec::new();
        self.locate_into(p, &mut out);
        out
    }

    /// The edges of the regions whose bounding box, grown by `margin_deg`, holds `p`.
    fn edges_of_regions_near(&self, p: LonLat, margin_deg: f64) -> impl Iterator<Item = &Edge> {
        self.region_boxes
            .iter()
            .zip(&self.region_edges)
            .filter(move |(b, _)| {
                b.is_some_and(|b| {
                    p[0] >= b.min_lon_deg - margin_deg
                        && p[0] <= b.max_lon_deg + margin_deg
                        && p[1] >= b.min_lat_deg - margin_deg
                        && p[1] <= b.max_lat_deg + margin_deg
                })
            })
            .flat_map(|(_, range)| self.edges.get(range.clone()).unwrap_or(&[]))
    }

    /// Direct even-odd test against the regions whose box holds the point (outside the grid).
    fn locate_slow(&self, p: LonLat, out: &mut Vec<u32>) {
        let mut parity = vec![false; self.names.len()];
        for e in self.edges_of_regions_near(p, 0.0) {
            if (e.a[1] > p[1]) != (e.b[1] > p[1]) {
                let x = e.a[0] + (p[1] - e.a[1]) * (e.b[0] - e.a[0]) / (e.b[1] - e.a[1]);
                if x < p[0]
                    && let Some(flag) = parity.get_mut(e.region as usize)
                {
                    *flag = !*flag;
                }
            }
        }
        out.extend(
            parity
                .iter()
                .enumerate()
                .filter(|(_, f)| **f)
                .map(|(i, _)| i as u32),
        );
    }

    /// Distance in metres from `p` to the nearest boundary of any region, searching up to
    /// `limit_m`; returns `limit_m` when nothing is closer. Uses a local equirectangular scale,
    /// accurate to well under a percent over the few kilometres it is asked about.
    pub fn distance_to_boundary_m(&self, p: LonLat, limit_m: f64) -> f64 {
        let m_per_deg_lat = 111_132.0;
        let m_per_deg_lon = m_per_deg_lat * p[1].to_radians().cos().max(1e-6);
        let dlon = limit_m / m_per_deg_lon;
        let dlat = limit_m / m_per_deg_lat;
        let mut best = limit_m;
        let mut consider = |e: &Edge| {
            let a = [
                (e.a[0] - p[0]) * m_per_deg_lon,
                (e.a[1] - p[1]) * m_per_deg_lat,
            ];
            let b = [
                (e.b[0] - p[0]) * m_per_deg_lon,
                (e.b[1] - p[1]) * m_per_deg_lat,
            ];
            best = best.min(point_segment_distance([0.0, 0.0], a, b));
        };
        let search = GeoBox {
            min_lon_deg: p[0] - dlon,
            min_lat_deg: p[1] - dlat,
            max_lon_deg: p[0] + dlon,
            max_lat_deg: p[1] + dlat,
        };
        let inside = self.area.contains([search.min_lon_deg, search.min_lat_deg])
            && self.area.contains([search.max_lon_deg, search.max_lat_deg]);
        if !inside {
            let margin_deg = dlon.max(dlat);
            self.edges_of_regions_near(p, margin_deg)
                .for_each(&mut consider);
            return best;
        }
        let Some((x0, x1)) = self.cell_range(
            search.min_lon_deg,
            search.max_lon_deg,
            self.area.min_lon_deg,
            self.nx,
        ) else {
            return best;
        };
        let Some((y0, y1)) = self.cell_range(
            search.min_lat_deg,
            search.max_lat_deg,
            self.area.min_lat_deg,
            self.ny,
        ) else {
            return best;
        };
        for cy in y0..=y1 {
            for cx in x0..=x1 {
                for &ei in self.cell_edge_ids(cy * self.nx + cx) {
                    if let Some(e) = self.edges.get(ei as usize) {
                        consider(e);
                    }
                }
            }
        }
        best
    }
}

/// Adds `region` to the sorted set, or removes it if present (one boundary crossing).
fn toggle(set: &mut Vec<u32>, region: u32) {
    match set.binary_search(&region) {
        Ok(pos) => {
            set.remove(pos);
        }
        Err(pos) => set.insert(pos, region),
    }
}

fn cross(o: LonLat, a: LonLat, b: LonLat) -> f64 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

/// Whether segment `p0 -> p1` crosses edge `a -> b`. Edge endpoints lying exactly on the line of
/// `p0 -> p1` count as being on its negative side, so two edges sharing a vertex on that line
/// are counted consistently (once if the boundary crosses there, zero or twice if it touches).
fn segments_cross(p0: LonLat, p1: LonLat, a: LonLat, b: LonLat) -> bool {
    let side_a = cross(p0, p1, a) > 0.0;
    let side_b = cross(p0, p1, b) > 0.0;
    if side_a == side_b {
        return false;
    }
    let d0 = cross(a, b, p0);
    let d1 = cross(a, b, p1);
    (d0 > 0.0) != (d1 > 0.0)
}

/// Conservative test: does the segment touch the box (used only to file edges under cells)?
fn segment_touches_box(a: LonLat, b: LonLat, cell: &GeoBox) -> bool {
    // Liang-Barsky clipping of the segment against the (slightly grown) box.
    let eps = 1e-12;
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    let d = [b[0] - a[0], b[1] - a[1]];
    let bounds = [
        (-d[0], a[0] - (cell.min_lon_deg - eps)),
        (d[0], (cell.max_lon_deg + eps) - a[0]),
        (-d[1], a[1] - (cell.min_lat_deg - eps)),
        (d[1], (cell.max_lat_deg + eps) - a[1]),
    ];
    for (p, q) in bounds {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

fn point_segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let ab = [b[0] - a[0], b[1] - a[1]];
    let ap = [p[0] - a[0], p[1] - a[1]];
    let len2 = ab[0] * ab[0] + ab[1] * ab[1];
    let t = if len2 > 0.0 {
        ((ap[0] * ab[0] + ap[1] * ab[1]) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let q = [a[0] + t * ab[0] - p[0], a[1] + t * ab[1] - p[1]];
    q[0].hypot(q[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(name: &str, x0: f64, y0: f64, size: f64) -> Region {
        Region {
            name: name.into(),
            rings: vec![vec![
                [x0, y0],
                [x0 + size, y0],
                [x0 + size, y0 + size],
                [x0, y0 + size],
            ]],
        }
    }

    /// Even-odd ray test, for comparison.
    fn brute(regions: &[Region], p: LonLat) -> Vec<u32> {
        let mut out = Vec::new();
        for (ri, r) in regions.iter().enumerate() {
            let mut inside = false;
            for ring in &r.rings {
                let n = ring.len();
                for i in 0..n {
                    let (a, b) = (ring[i], ring[(i + 1) % n]);
                    if (a[1] > p[1]) != (b[1] > p[1]) {
                        let x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
                        if x < p[0] {
                            inside = !inside;
                        }
                    }
                }
            }
            if inside {
                out.push(ri as u32);
            }
        }
        out
    }

    fn star() -> Region {
        let mut ring = Vec::new();
        for k in 0..14 {
            let a = k as f64 * std::f64::consts::PI / 7.0;
            let r = if k % 2 == 0 { 3.0 } else { 1.2 };
            ring.push([1.0 + r * a.cos(), 14.0 + r * a.sin()]);
        }
        Region {
            name: "STAR".into(),
            rings: vec![
                ring,
                vec![[0.8, 13.8], [1.2, 13.8], [1.2, 14.2], [0.8, 14.2]],
            ],
        }
    }

    #[test]
    fn squares_side_by_side() {
        let regions = vec![square("AAA", 0.0, 0.0, 1.0), square("BBB", 1.0, 0.0, 1.0)];
        let idx = RegionIndex::new(&regions, None);
        assert_eq!(idx.locate([0.5, 0.5]), vec![0]);
        assert_eq!(idx.locate([1.5, 0.5]), vec![1]);
        assert!(idx.locate([2.5, 0.5]).is_empty());
        assert!(idx.locate([-0.5, 0.5]).is_empty());
        let d = idx.distance_to_boundary_m([0.99, 0.5], 10_000.0);
        assert!((d - 1111.0).abs() < 20.0, "{d}");
    }

    #[test]
    fn matches_brute_force_on_a_star_with_a_hole() {
        let regions = vec![star(), square("SQ", 0.5, 13.0, 2.0)];
        for area in [
            None,
            Some(GeoBox {
                min_lon_deg: 0.0,
                min_lat_deg: 13.0,
                max_lon_deg: 2.0,
                max_lat_deg: 15.0,
            }),
        ] {
            let idx = RegionIndex::new(&regions, area);
            let mut state = 12345u64;
            for _ in 0..20_000 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let x = -3.0 + 8.0 * ((state >> 11) as f64 / (1u64 << 53) as f64);
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let y = 10.0 + 8.0 * ((state >> 11) as f64 / (1u64 << 53) as f64);
                assert_eq!(idx.locate([x, y]), brute(&regions, [x, y]), "at {x} {y}");
            }
        }
    }

    #[test]
    fn segment_crossing_rules() {
        assert!(segments_cross(
            [0.0, 0.0],
            [2.0, 0.0],
            [1.0, -1.0],
            [1.0, 1.0]
        ));
        assert!(!segments_cross(
            [0.0, 0.0],
            [0.5, 0.0],
            [1.0, -1.0],
            [1.0, 1.0]
        ));
    }
}
