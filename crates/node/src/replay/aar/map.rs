//! Maps of the area at key moments, as a list of shapes in one plane (800 × 520, y down) that
//! both renderers draw: national borders from the embedded Natural Earth file
//! (`liptako_geo`), operation areas, zones and protected sites, unit positions and their
//! trails, air tracks, border crossings. Equirectangular, scaled by the cosine of the middle
//! latitude, fitted to the area.

use liptako_geo::{Borders, NationIndex};
use liptako_model::{BBox, Nation, Policy};

/// Width of the map plane.
pub const WIDTH: f64 = 800.0;
/// Height of the map plane.
pub const HEIGHT: f64 = 520.0;
/// Beyond this distance outside the plane, lines are thinned to [`FAR_STEP`].
const FAR: f64 = 50.0;
/// The spacing of points kept far outside the plane (below `FAR`, so chords stay outside).
const FAR_STEP: f64 = 20.0;

/// A country: its code, its box and its rings (`[lon, lat]`).
type Country = (String, BBox, Vec<Vec<[f64; 2]>>);

/// The borders, loaded once per node: every country (drawn) and the confederation's members
/// indexed (which nation is under a unit, for its crossings).
pub struct Geography {
    countries: Vec<Country>,
    members: Option<NationIndex>,
}

impl Geography {
    /// Loads the embedded borders; without them (they always parse) the maps have no borders
    /// and no crossing is derived from unit positions.
    pub fn load(policy: &Policy) -> Geography {
        let Ok(borders) = Borders::natural_earth() else {
            tracing::warn!("the embedded borders do not parse: maps without borders");
            return Geography {
                countries: Vec::new(),
                members: None,
            };
        };
        let codes: Vec<&str> = policy
            .confederation()
            .members()
            .iter()
            .map(|nation| nation.as_str())
            .collect();
        let members = Some(borders.only(&codes).index(None));
        let countries = borders
            .countries
            .into_iter()
            .filter_map(|region| {
                let mut points = region.rings.iter().flatten();
                let first = *points.next()?;
                let mut bbox = BBox {
                    west: first[0],
                    south: first[1],
                    east: first[0],
                    north: first[1],
                };
                for point in points {
                    bbox.west = bbox.west.min(point[0]);
                    bbox.east = bbox.east.max(point[0]);
                    bbox.south = bbox.south.min(point[1]);
                    bbox.north = bbox.north.max(point[1]);
                }
                Some((region.name, bbox, region.rings))
            })
            .collect();
        Geography { countries, members }
    }

    /// The member nation under a point and the distance to its border, metres (searched up to
    /// `limit_m`).
    pub fn locate(&self, lat: f64, lon: f64, limit_m: f64) -> Option<(Option<Nation>, f64)> {
        let index = self.members.as_ref()?;
        let nation = index
            .nation_at(lat, lon)
            .and_then(|code| Nation::parse(code).ok());
        Some((nation, index.distance_to_border_m(lat, lon, limit_m)))
    }
}

/// An RGB colour, 0..255.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// A point of the map plane.
pub type Xy = (f64, f64);

/// What a marker looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    /// A unit.
    Square,
    /// A report.
    Circle,
    /// An air track.
    Triangle,
    /// A border crossing.
    Cross,
}

/// One thing to draw, in the map plane.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Rings (closed) or lines (open).
    Path {
        /// The rings or lines.
        rings: Vec<Vec<Xy>>,
        /// Closed rings (filled when `fill` is set).
        closed: bool,
        /// Outline: colour, width, dashed.
        stroke: Option<(Rgb, f64, bool)>,
        /// Fill colour.
        fill: Option<Rgb>,
    },
    /// A symbol at a point.
    Marker {
        /// Where.
        at: Xy,
        /// What.
        kind: MarkerKind,
        /// Its colour.
        fill: Rgb,
    },
    /// A short label beside a point.
    Label {
        /// Where the text starts.
        at: Xy,
        /// The text.
        text: String,
    },
}

/// The projection of an area onto the map plane.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    west: f64,
    north: f64,
    scale: f64,
    kx: f64,
}

impl Projection {
    /// Fits `bbox` (widened to the plane's proportions) into the plane.
    pub fn fit(bbox: BBox) -> Projection {
        let mid = ((bbox.south + bbox.north) / 2.0).to_radians();
        let kx = mid.cos().max(0.05);
        // At least about a kilometre each way: a point-sized area is shown around its point.
        let width = ((bbox.east - bbox.west) * kx).max(0.01);
        let height = (bbox.north - bbox.south).max(0.01);
        let scale = (WIDTH / width).min(HEIGHT / height);
        // Centre the area.
        let west = (bbox.west + bbox.east) / 2.0 - WIDTH / scale / kx / 2.0;
        let north = (bbox.south + bbox.north) / 2.0 + HEIGHT / scale / 2.0;
        Projection {
            west,
            north,
            scale,
            kx,
        }
    }

    /// The plane point of a longitude/latitude.
    pub fn xy(&self, lon: f64, lat: f64) -> Xy {
        (
            (lon - self.west) * self.kx * self.scale,
            (self.north - lat) * self.scale,
        )
    }

    /// The longitude/latitude of a plane point.
    pub fn lon_lat(&self, (x, y): Xy) -> (f64, f64) {
        (
            x / self.kx / self.scale + self.west,
            self.north - y / self.scale,
        )
    }

    /// The area the plane shows.
    pub fn shown(&self) -> BBox {
        BBox {
            west: self.west,
            north: self.north,
            east: self.west + WIDTH / self.scale / self.kx,
            south: self.north - HEIGHT / self.scale,
        }
    }

    /// A ring or line projected, without points closer than a pixel to the last one kept;
    /// far outside the plane (more than [`FAR`] away) points are kept only every
    /// [`FAR_STEP`]: a chord that short between two points that far out never reaches the
    /// plane, so what is seen is drawn exactly and a country's far coast costs little.
    pub fn line(&self, points: &[[f64; 2]]) -> Vec<Xy> {
        let mut out: Vec<Xy> = Vec::with_capacity(points.len().min(4096));
        let last = points.len().saturating_sub(1);
        let far = |(x, y): Xy| x < -FAR || y < -FAR || x > WIDTH + FAR || y > HEIGHT + FAR;
        for (idx, point) in points.iter().enumerate() {
            let xy = self.xy(point[0], point[1]);
            let keep = match out.last() {
                None => true,
                Some(prev) => {
                    let step = if far(*prev) && far(xy) { FAR_STEP } else { 1.0 };
                    idx == last || (prev.0 - xy.0).hypot(prev.1 - xy.1) >= step
                }
            };
            if keep {
                out.push(xy);
            }
        }
        out
    }
}

/// A colour per nation: the confederation's members in order, then grey.
pub fn nation_colour(policy: &Policy, nation: Nation) -> Rgb {
    const PALETTE: [Rgb; 6] = [
        Rgb(0, 122, 61),
        Rgb(200, 16, 46),
        Rgb(224, 122, 0),
        Rgb(0, 84, 166),
        Rgb(120, 60, 160),
        Rgb(0, 140, 140),
    ];
    policy
        .confederation()
        .members()
        .iter()
        .position(|member| *member == nation)
        .and_then(|idx| PALETTE.get(idx % PALETTE.len()).copied())
        .unwrap_or(Rgb(90, 90, 90))
}

/// The colour of an air track by identity.
pub fn identity_colour(identity: &str) -> Rgb {
    match identity {
        "assumed_friend" => Rgb(0, 112, 192),
        "neutral" => Rgb(0, 150, 70),
        "suspect" => Rgb(210, 0, 0),
        "unknown" => Rgb(230, 150, 0),
        _ => Rgb(140, 140, 140),
    }
}

/// The country borders inside the shown area: light fills, grey outlines, members tinted.
pub fn countries(geography: &Geography, projection: &Projection, policy: &Policy) -> Vec<Shape> {
    let shown = projection.shown();
    let mut shapes = Vec::new();
    for (name, bbox, rings) in &geography.countries {
        if !bbox.intersects(&shown) {
            continue;
        }
        let member = Nation::parse(name)
            .ok()
            .filter(|nation| policy.confederation().is_member(*nation));
        let fill = match member {
            Some(_) => Rgb(246, 242, 228),
            None => Rgb(236, 236, 236),
        };
        let rings: Vec<Vec<Xy>> = rings
            .iter()
            .map(|ring| projection.line(ring))
            .filter(|ring| ring.len() >= 3)
            .collect();
        if rings.is_empty() {
            continue;
        }
        shapes.push(Shape::Path {
            rings,
            closed: true,
            stroke: Some((Rgb(110, 110, 110), 1.0, false)),
            fill: Some(fill),
        });
    }
    shapes
}

/// The confederation's members named on the map, each at the middle of the part of the plane
/// it covers (sampled on a grid).
pub fn nation_labels(geography: &Geography, projection: &Projection) -> Vec<Shape> {
    let Some(index) = geography.members.as_ref() else {
        return Vec::new();
    };
    let mut cells: std::collections::BTreeMap<String, (f64, f64, u32)> =
        std::collections::BTreeMap::new();
    const COLUMNS: u32 = 24;
    const ROWS: u32 = 16;
    for column in 0..COLUMNS {
        for row in 0..ROWS {
            let xy = (
                (f64::from(column) + 0.5) * WIDTH / f64::from(COLUMNS),
                (f64::from(row) + 0.5) * HEIGHT / f64::from(ROWS),
            );
            let (lon, lat) = projection.lon_lat(xy);
            if let Some(code) = index.nation_at(lat, lon) {
                let cell = cells.entry(code.to_owned()).or_insert((0.0, 0.0, 0));
                cell.0 += xy.0;
                cell.1 += xy.1;
                cell.2 += 1;
            }
        }
    }
    cells
        .into_iter()
        .filter(|(_, (_, _, n))| *n >= 3)
        .map(|(code, (x, y, n))| Shape::Label {
            at: (x / f64::from(n) - 12.0, y / f64::from(n)),
            text: code,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_area_fits_the_plane_and_keeps_its_proportions() {
        let bbox = BBox {
            west: 0.0,
            south: 14.0,
            east: 4.0,
            north: 16.0,
        };
        let projection = Projection::fit(bbox);
        for (lon, lat) in [(0.0, 14.0), (4.0, 16.0), (2.0, 15.0)] {
            let (x, y) = projection.xy(lon, lat);
            assert!((-0.01..=WIDTH + 0.01).contains(&x), "{x}");
            assert!((-0.01..=HEIGHT + 0.01).contains(&y), "{y}");
        }
        let (lon, lat) = projection.lon_lat(projection.xy(1.5, 14.5));
        assert!((lon - 1.5).abs() < 1e-9 && (lat - 14.5).abs() < 1e-9);
        let (cx, cy) = projection.xy(2.0, 15.0);
        assert!((cx - WIDTH / 2.0).abs() < 1e-6 && (cy - HEIGHT / 2.0).abs() < 1e-6);
        // North is up.
        assert!(projection.xy(2.0, 16.0).1 < cy);
    }
}
