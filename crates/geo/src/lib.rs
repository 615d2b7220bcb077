//! Geography for every part of Liptako that needs it, pure (no I/O, no clock): the air
//! picture's tracker, and operations (which nation a unit is in, how deep into a partner's
//! territory, whether an area touches a protected site).
//!
//! - [`wgs84`]: geodetic ↔ ECEF ↔ east-north-up frames and the exact tangent plane;
//! - [`region`]: [`RegionIndex`], point-in-polygon for many polygons at once, with the distance
//!   to the nearest boundary; [`GeoBox`];
//! - [`borders`]: the embedded Natural Earth national borders ([`Borders`]) and a
//!   [`NationIndex`] over them (the nation under a point, the distance to its border).
//!
//! ```
//! use liptako_geo::Borders;
//! let borders = Borders::natural_earth().unwrap();
//! let nations = borders.index(None);
//! assert_eq!(nations.nation_at(12.64, -8.00), Some("MLI")); // Bamako
//! ```

pub mod borders;
pub mod region;
pub mod wgs84;

pub use borders::{Borders, NationIndex};
pub use region::{GeoBox, LonLat, Region, RegionIndex};
