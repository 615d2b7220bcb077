//! Positions, polygons and bounding boxes, in WGS-84 degrees, GeoJSON-compatible.
//!
//! Points are written `{"lat": .., "lon": ..}` in the API (what people type), polygons as GeoJSON
//! `Polygon` coordinates (`[lon, lat]` pairs, rings closed), and [`Geometry`] is the GeoJSON
//! geometry of any object, used for GeoJSON output and bounding-box queries.

use serde::{Deserialize, Serialize};

/// A position on the WGS-84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// Latitude in degrees, -90 to 90.
    #[cfg_attr(feature = "openapi", schema(example = 14.2, minimum = -90, maximum = 90))]
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    #[cfg_attr(feature = "openapi", schema(example = 0.9, minimum = -180, maximum = 180))]
    pub lon: f64,
    /// Height above the ellipsoid in metres, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_m: Option<f64>,
}

impl Point {
    /// A point at height unknown.
    pub fn new(lat: f64, lon: f64) -> Point {
        Point {
            lat,
            lon,
            alt_m: None,
        }
    }

    /// Checks ranges and finiteness.
    pub fn check(&self) -> Result<(), GeoError> {
        check_lat_lon(self.lat, self.lon)?;
        match self.alt_m {
            Some(alt) if !alt.is_finite() || !(-1.0e4..=1.0e6).contains(&alt) => {
                Err(GeoError(format!("alt_m {alt} is out of range")))
            }
            _ => Ok(()),
        }
    }
}

/// A GeoJSON polygon: an outer ring then holes, each a closed list of `[lon, lat]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Polygon {
    /// Always `"Polygon"`.
    #[serde(rename = "type")]
    pub kind: PolygonTag,
    /// Rings of `[lon, lat]` positions; the first is the outer boundary.
    pub coordinates: Vec<Vec<[f64; 2]>>,
}

/// The GeoJSON type tag of [`Polygon`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PolygonTag {
    /// GeoJSON `Polygon`.
    Polygon,
}

/// Largest number of positions accepted in one polygon.
pub const MAX_POLYGON_POSITIONS: usize = 100_000;

impl Polygon {
    /// A polygon from its outer ring of `(lat, lon)` pairs; closes the ring if needed.
    pub fn from_lat_lon(ring: &[(f64, f64)]) -> Polygon {
        let mut coordinates: Vec<[f64; 2]> = ring.iter().map(|&(lat, lon)| [lon, lat]).collect();
        if let (Some(first), Some(last)) = (coordinates.first(), coordinates.last())
            && first != last
        {
            coordinates.push(*first);
        }
        Polygon {
            kind: PolygonTag::Polygon,
            coordinates: vec![coordinates],
        }
    }

    /// Checks that there is an outer ring, every ring is closed with at least four positions,
    /// and every position is in range.
    pub fn check(&self) -> Result<(), GeoError> {
        if self.coordinates.is_empty() {
            return Err(GeoError("polygon has no ring".into()));
        }
        let n_positions: usize = self.coordinates.iter().map(Vec::len).sum();
        if n_positions > MAX_POLYGON_POSITIONS {
            return Err(GeoError(format!(
                "polygon has {n_positions} positions, more than {MAX_POLYGON_POSITIONS}"
            )));
        }
        for (ring_idx, ring) in self.coordinates.iter().enumerate() {
            if ring.len() < 4 {
                return Err(GeoError(format!(
                    "polygon ring {ring_idx} has {} positions; at least 4 are needed",
                    ring.len()
                )));
            }
            if ring.first() != ring.last() {
                return Err(GeoError(format!(
                    "polygon ring {ring_idx} is not closed (first and last positions differ)"
                )));
            }
            for &[lon, lat] in ring {
                check_lat_lon(lat, lon)?;
            }
        }
        Ok(())
    }

    /// The outer ring, as `[lon, lat]`.
    pub fn outer(&self) -> &[[f64; 2]] {
        self.coordinates.first().map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether the point is inside the polygon (inside the outer ring and outside every hole).
    pub fn contains(&self, point: Point) -> bool {
        let mut rings = self.coordinates.iter();
        let Some(outer) = rings.next() else {
            return false;
        };
        ring_contains(outer, point.lon, point.lat)
            && !rings.any(|hole| ring_contains(hole, point.lon, point.lat))
    }
}

/// Even-odd rule on a planar ring of `[x, y]`.
fn ring_contains(ring: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut inside = false;
    for pair in ring.windows(2) {
        let ([x1, y1], [x2, y2]) = (pair[0], pair[1]);
        if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
            inside = !inside;
        }
    }
    inside
}

fn check_lat_lon(lat: f64, lon: f64) -> Result<(), GeoError> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(GeoError(format!("latitude {lat} is outside -90..90")));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(GeoError(format!("longitude {lon} is outside -180..180")));
    }
    Ok(())
}

/// An area that may be in several parts (an operation's area, which may span borders): a
/// GeoJSON `Polygon` or `MultiPolygon`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Area {
    /// One polygon: rings of `[lon, lat]`, the first the outer boundary.
    Polygon {
        /// The rings.
        coordinates: Vec<Vec<[f64; 2]>>,
    },
    /// Several polygons.
    MultiPolygon {
        /// The polygons, each its rings.
        coordinates: Vec<Vec<Vec<[f64; 2]>>>,
    },
}

impl Area {
    /// Its polygons.
    pub fn polygons(&self) -> Vec<Polygon> {
        let polygon = |coordinates: &Vec<Vec<[f64; 2]>>| Polygon {
            kind: PolygonTag::Polygon,
            coordinates: coordinates.clone(),
        };
        match self {
            Area::Polygon { coordinates } => vec![polygon(coordinates)],
            Area::MultiPolygon { coordinates } => coordinates.iter().map(polygon).collect(),
        }
    }

    /// Checks every polygon (see [`Polygon::check`]) and the total number of positions.
    pub fn check(&self) -> Result<(), GeoError> {
        let polygons = self.polygons();
        if polygons.is_empty() {
            return Err(GeoError("multipolygon has no polygon".into()));
        }
        let n_positions: usize = polygons
            .iter()
            .flat_map(|polygon| polygon.coordinates.iter())
            .map(Vec::len)
            .sum();
        if n_positions > MAX_POLYGON_POSITIONS {
            return Err(GeoError(format!(
                "area has {n_positions} positions, more than {MAX_POLYGON_POSITIONS}"
            )));
        }
        for (polygon_idx, polygon) in polygons.iter().enumerate() {
            polygon.check().map_err(|err| match self {
                Area::Polygon { .. } => err,
                Area::MultiPolygon { .. } => GeoError(format!("polygon {polygon_idx}: {}", err.0)),
            })?;
        }
        Ok(())
    }

    /// Whether the point is inside one of the polygons.
    pub fn contains(&self, point: Point) -> bool {
        self.polygons()
            .iter()
            .any(|polygon| polygon.contains(point))
    }

    /// The GeoJSON geometry.
    pub fn geometry(&self) -> Geometry {
        match self {
            Area::Polygon { coordinates } => Geometry::Polygon {
                coordinates: coordinates.clone(),
            },
            Area::MultiPolygon { coordinates } => Geometry::MultiPolygon {
                coordinates: coordinates.clone(),
            },
        }
    }
}

/// A GeoJSON geometry of an object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Geometry {
    /// `[lon, lat]` or `[lon, lat, alt]`.
    Point { coordinates: Vec<f64> },
    /// Rings of `[lon, lat]`.
    Polygon { coordinates: Vec<Vec<[f64; 2]>> },
    /// Polygons, each rings of `[lon, lat]`.
    MultiPolygon {
        coordinates: Vec<Vec<Vec<[f64; 2]>>>,
    },
}

impl Geometry {
    /// The bounding box, if the geometry has any position.
    pub fn bbox(&self) -> Option<BBox> {
        match self {
            Geometry::Point { coordinates } => match coordinates.as_slice() {
                [lon, lat, ..] => Some(BBox {
                    west: *lon,
                    south: *lat,
                    east: *lon,
                    north: *lat,
                }),
                _ => None,
            },
            Geometry::Polygon { coordinates } => bbox_of(coordinates.iter().flatten()),
            Geometry::MultiPolygon { coordinates } => {
                bbox_of(coordinates.iter().flatten().flatten())
            }
        }
    }
}

fn bbox_of<'a>(mut positions: impl Iterator<Item = &'a [f64; 2]>) -> Option<BBox> {
    let &[lon, lat] = positions.next()?;
    let mut bbox = BBox {
        west: lon,
        south: lat,
        east: lon,
        north: lat,
    };
    for &[lon, lat] in positions {
        bbox.west = bbox.west.min(lon);
        bbox.east = bbox.east.max(lon);
        bbox.south = bbox.south.min(lat);
        bbox.north = bbox.north.max(lat);
    }
    Some(bbox)
}

impl From<Point> for Geometry {
    fn from(point: Point) -> Geometry {
        let mut coordinates = vec![point.lon, point.lat];
        coordinates.extend(point.alt_m);
        Geometry::Point { coordinates }
    }
}

/// A box in degrees, as GeoJSON and OGC write it: west, south, east, north.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// Smallest longitude.
    pub west: f64,
    /// Smallest latitude.
    pub south: f64,
    /// Largest longitude.
    pub east: f64,
    /// Largest latitude.
    pub north: f64,
}

impl BBox {
    /// Parses `west,south,east,north` (the `bbox=` query parameter).
    pub fn parse(text: &str) -> Result<BBox, GeoError> {
        let parts: Vec<f64> = text
            .split(',')
            .map(|part| part.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| GeoError(format!("bbox {text:?}: expected west,south,east,north")))?;
        let &[west, south, east, north] = parts.as_slice() else {
            return Err(GeoError(format!(
                "bbox {text:?}: expected four numbers west,south,east,north"
            )));
        };
        check_lat_lon(south, west)?;
        check_lat_lon(north, east)?;
        if west > east || south > north {
            return Err(GeoError(format!(
                "bbox {text:?}: west must not exceed east, nor south north"
            )));
        }
        Ok(BBox {
            west,
            south,
            east,
            north,
        })
    }

    /// Whether two boxes share any point.
    pub fn intersects(&self, other: &BBox) -> bool {
        self.west <= other.east
            && other.west <= self.east
            && self.south <= other.north
            && other.south <= self.north
    }
}

/// A position, polygon or box that is out of range or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GeoError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygon_contains_and_holes() {
        let mut square =
            Polygon::from_lat_lon(&[(0.0, 0.0), (0.0, 10.0), (10.0, 10.0), (10.0, 0.0)]);
        assert!(square.check().is_ok());
        assert!(square.contains(Point::new(5.0, 5.0)));
        assert!(!square.contains(Point::new(11.0, 5.0)));
        square.coordinates.push(vec![
            [4.0, 4.0],
            [6.0, 4.0],
            [6.0, 6.0],
            [4.0, 6.0],
            [4.0, 4.0],
        ]);
        assert!(!square.contains(Point::new(5.0, 5.0)));
        assert!(square.contains(Point::new(2.0, 2.0)));
    }

    #[test]
    fn polygon_checks() {
        let open = Polygon {
            kind: PolygonTag::Polygon,
            coordinates: vec![vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]],
        };
        assert!(open.check().unwrap_err().0.contains("not closed"));
        let out = Polygon::from_lat_lon(&[(0.0, 0.0), (0.0, 200.0), (1.0, 1.0)]);
        assert!(out.check().unwrap_err().0.contains("longitude 200"));
    }

    #[test]
    fn bbox_parse() {
        let bbox = BBox::parse("-1,10,4.5,16").unwrap();
        assert_eq!((bbox.west, bbox.north), (-1.0, 16.0));
        assert!(BBox::parse("1,2,3").is_err());
        assert!(BBox::parse("5,0,1,1").is_err());
        assert!(BBox::parse("0,0,1,95").is_err());
        assert!(BBox::parse("a,b,c,d").is_err());
    }

    #[test]
    fn point_range() {
        assert!(Point::new(91.0, 0.0).check().is_err());
        assert!(Point::new(0.0, f64::NAN).check().is_err());
        assert!(Point::new(14.2, 0.9).check().is_ok());
    }
}
