//! Sensors and their measurement models: a radar gives range and azimuth from its own position
//! (with noise and a known bias), an ADS-B source gives WGS-84 positions and velocities. Both are
//! turned into a position (and, for ADS-B, velocity) in the tracker's plane with a covariance.
//!
//! Two range geometries exist. [`RangeGeometry::Plane`] is the offline-mode definition: `range`
//! and `azimuth` are polar coordinates in the radar's own east-north tangent plane at height 0
//! (`e = r sin az`, `n = r cos az`), and the plot is the height-0 ellipsoid point with those plane
//! coordinates. [`RangeGeometry::Slant`] is what a real monoradar reports (ASTERIX I048/040):
//! slant range from the antenna and azimuth in the antenna's local frame; the target's height
//! (from Mode C, or an assumed default) fixes the elevation, found exactly on the ellipsoid.

use serde::Deserialize;

use crate::geo::{
    Ecef, EnuBasis, Geodetic, TangentPlane, local_velocity_to_plane, plane_to_plane_jacobian,
};
use crate::mat::Mat;

/// Index of a sensor inside one [`crate::Tracker`], given out by `add_radar`/`add_adsb_source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SensorId(pub u16);

/// How a radar's range relates to the target position (see module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeGeometry {
    /// Polar coordinates in the radar's height-0 tangent plane (offline CSV definition).
    #[default]
    Plane,
    /// Slant range from the antenna (ASTERIX CAT048).
    Slant,
}

/// Default number of azimuth sectors per rotation (CAT034 commonly uses 32).
pub const DEFAULT_SECTORS: u16 = 32;

/// A radar as the tracker needs to know it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadarConfig {
    /// Name used in errors and logs (the offline mode's sensor id, or "SAC/SIC").
    pub name: String,
    /// Antenna latitude, WGS-84 degrees.
    pub lat_deg: f64,
    /// Antenna longitude, WGS-84 degrees.
    pub lon_deg: f64,
    /// Antenna height above the ellipsoid, metres (used by the slant geometry only).
    #[serde(default)]
    pub height_m: f64,
    /// Range noise standard deviation, metres.
    pub range_sigma_m: f64,
    /// Azimuth noise standard deviation, degrees.
    pub azimuth_sigma_deg: f64,
    /// Known range bias (measured minus true), metres; subtracted from every plot.
    #[serde(default)]
    pub range_bias_m: f64,
    /// Known azimuth bias (measured minus true), degrees; subtracted from every plot.
    #[serde(default)]
    pub azimuth_bias_deg: f64,
    /// Probability of detection, 0..1.
    pub pd: f64,
    /// Antenna rotation period, seconds.
    pub period_s: f64,
    /// Instrumented range, metres. When absent, the largest range seen so far stands in for it.
    #[serde(default)]
    pub max_range_m: Option<f64>,
    /// Range geometry of the plots.
    #[serde(default)]
    pub geometry: RangeGeometry,
    /// Azimuth sectors per rotation: plots are processed a sector at a time.
    #[serde(default = "default_sectors")]
    pub sectors: u16,
}

fn default_sectors() -> u16 {
    DEFAULT_SECTORS
}

/// An ADS-B source (a ground station or a CAT021 feed).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdsbConfig {
    /// Name used in errors and logs.
    pub name: String,
    /// Position noise standard deviation used when a report carries no accuracy, metres.
    #[serde(default = "default_adsb_sigma")]
    pub position_sigma_m: f64,
    /// Velocity noise standard deviation per axis, m/s.
    #[serde(default = "default_adsb_velocity_sigma")]
    pub velocity_sigma_mps: f64,
    /// Reports of one aircraft are processed in batches no longer than this, seconds.
    #[serde(default = "default_adsb_window")]
    pub batch_window_s: f64,
    /// A track seen only by ADS-B is dropped after this long without a report, seconds.
    #[serde(default = "default_adsb_coast")]
    pub max_coast_s: f64,
}

fn default_adsb_sigma() -> f64 {
    30.0
}
fn default_adsb_velocity_sigma() -> f64 {
    2.0
}
fn default_adsb_window() -> f64 {
    0.5
}
fn default_adsb_coast() -> f64 {
    12.0
}

impl AdsbConfig {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            position_sigma_m: default_adsb_sigma(),
            velocity_sigma_mps: default_adsb_velocity_sigma(),
            batch_window_s: default_adsb_window(),
            max_coast_s: default_adsb_coast(),
        }
    }
}

/// A radar plot (one detection), as decoded from CAT048 or read from a plots file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RadarPlot {
    /// Detection time, seconds on the caller's time scale.
    pub time_s: f64,
    /// Range, metres (meaning set by the radar's [`RangeGeometry`]).
    pub range_m: f64,
    /// Azimuth, degrees clockwise from true north at the radar.
    pub azimuth_deg: f64,
    /// Mode 3/A code (0..=0o7777), if validated.
    pub mode3a: Option<u16>,
    /// Mode S aircraft address (24 bits), if any.
    pub mode_s: Option<u32>,
    /// Altitude from Mode C or Mode S, metres, if any.
    pub altitude_m: Option<f64>,
    /// Aircraft identification (callsign), if any.
    pub callsign: Option<String>,
}

/// An ADS-B report (CAT021), already in WGS-84.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdsbReport {
    /// Time of applicability of the position, seconds.
    pub time_s: f64,
    /// 24-bit ICAO aircraft address.
    pub address: u32,
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Altitude (geometric or barometric), metres.
    pub altitude_m: Option<f64>,
    /// Ground velocity, east and north, m/s.
    pub velocity_mps: Option<[f64; 2]>,
    /// Position accuracy as a standard deviation, metres (from NACp), if known.
    pub position_sigma_m: Option<f64>,
    pub mode3a: Option<u16>,
    pub callsign: Option<String>,
}

/// A measurement in the tracker plane, ready for association.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Measurement {
    pub time_s: f64,
    pub sensor: SensorId,
    pub z: [f64; 2],
    pub r: Mat<2, 2>,
    pub velocity: Option<([f64; 2], Mat<2, 2>)>,
    pub mode3a: Option<u16>,
    pub mode_s: Option<u32>,
    pub altitude_m: Option<f64>,
    pub callsign: Option<String>,
    /// Radar azimuth (degrees) and range (metres) of the plot, for sweep bookkeeping.
    pub polar: Option<(f64, f64)>,
}

/// Why a plot or report could not be turned into a measurement.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    #[error("{what} is not a finite number")]
    NotFinite { what: &'static str },
    #[error("range {range_m} m is negative")]
    NegativeRange { range_m: f64 },
    #[error("slant range {range_m} m is shorter than the height difference {height_diff_m} m")]
    SlantTooShort { range_m: f64, height_diff_m: f64 },
    #[error("position is too far from the tracker's reference point to be mapped")]
    OffPlane,
    #[error("latitude {lat_deg} is outside -90..90")]
    BadLatitude { lat_deg: f64 },
}

/// Height assumed for a slant-range plot without Mode C, metres. Errors from a wrong guess fall
/// off as `dh^2 / (2 r)`: 10 m at 50 km for a 1 km mistake.
pub const ASSUMED_HEIGHT_M: f64 = 1_500.0;

/// A radar with its geometry precomputed against the tracker plane.
#[derive(Debug, Clone)]
pub(crate) struct RadarModel {
    pub config: RadarConfig,
    plane: TangentPlane,
    antenna: Ecef,
    antenna_basis: EnuBasis,
    /// Radar position in the tracker plane.
    pub position: [f64; 2],
    /// Direction of the radar's true north in the tracker plane, radians clockwise from the
    /// plane's north (the meridian convergence between the two).
    pub north_rotation_rad: f64,
}

impl RadarModel {
    pub fn new(config: RadarConfig, system: &TangentPlane) -> Self {
        let plane = TangentPlane::new(config.lat_deg, config.lon_deg);
        let antenna_geo = Geodetic::new(config.lat_deg, config.lon_deg, config.height_m);
        let foot = plane.anchor().to_ecef();
        let (e, n) = system.from_ecef(foot);
        let j = plane_to_plane_jacobian(&plane, system, foot);
        // The radar's north axis (0, 1) maps to the second column of the Jacobian.
        let north_rotation_rad = j[0][1].atan2(j[1][1]);
        Self {
            plane,
            antenna: antenna_geo.to_ecef(),
            antenna_basis: antenna_geo.enu_basis(),
            position: [e, n],
            north_rotation_rad,
            config,
        }
    }

    /// The height-0 ellipsoid point of a plot, with its radar-plane coordinates and the ground
    /// range used for the noise model.
    pub fn locate(&self, plot: &RadarPlot) -> Result<(Ecef, [f64; 2], f64), MeasureError> {
        check_finite(plot.range_m, "range")?;
        check_finite(plot.azimuth_deg, "azimuth")?;
        check_finite(plot.time_s, "time")?;
        let range_m = plot.range_m - self.config.range_bias_m;
        let az = (plot.azimuth_deg - self.config.azimuth_bias_deg).to_radians();
        if range_m < 0.0 {
            return Err(MeasureError::NegativeRange { range_m });
        }
        match self.config.geometry {
            RangeGeometry::Plane => {
                let (s, c) = az.sin_cos();
                let (e, n) = (range_m * s, range_m * c);
                let p = self.plane.to_ecef(e, n).ok_or(MeasureError::OffPlane)?;
                Ok((p, [e, n], 1.0))
            }
            RangeGeometry::Slant => {
                let height = plot
                    .altitude_m
                    .filter(|h| h.is_finite())
                    .unwrap_or(ASSUMED_HEIGHT_M);
                let p3 = self.slant_point(range_m, az, height)?;
                let mut g = p3.to_geodetic();
                g.height_m = 0.0;
                let foot = g.to_ecef();
                let (e, n) = self.plane.from_ecef(foot);
                let ground = e.hypot(n);
                // d(ground)/d(slant): the range noise shrinks onto the ground by this factor.
                let stretch = if ground > 1.0 {
                    (range_m / ground).min(10.0)
                } else {
                    1.0
                };
                Ok((foot, [e, n], stretch))
            }
        }
    }

    /// The 3-D point at slant range `range_m`, azimuth `az_rad` from the antenna, at ellipsoid
    /// height `height_m`: the elevation is found by secant iteration on the exact height.
    fn slant_point(&self, range_m: f64, az_rad: f64, height_m: f64) -> Result<Ecef, MeasureError> {
        let dh = height_m - self.config.height_m;
        if range_m < dh.abs() {
            return Err(MeasureError::SlantTooShort {
                range_m,
                height_diff_m: dh,
            });
        }
        let (sa, ca) = az_rad.sin_cos();
        let point = |el: f64| {
            let (se, ce) = el.sin_cos();
            self.antenna.plus(self.antenna_basis.from_enu([
                range_m * ce * sa,
                range_m * ce * ca,
                range_m * se,
            ]))
        };
        let height_error = |el: f64| point(el).to_geodetic().height_m - height_m;
        // Spherical first guess (mean earth radius), then secant steps on the exact height.
        let re = 6_371_000.0;
        let ra = re + self.config.height_m;
        let rt = re + height_m;
        let sin_el =
            ((rt * rt - ra * ra - range_m * range_m) / (2.0 * range_m * ra)).clamp(-1.0, 1.0);
        let mut el0 = sin_el.asin();
        let mut f0 = height_error(el0);
        let mut el1 = el0 + 1e-4;
        for _ in 0..6 {
            let f1 = height_error(el1);
            if f1.abs() < 1e-4 || (f1 - f0).abs() < 1e-12 {
                break;
            }
            let next = el1 - f1 * (el1 - el0) / (f1 - f0);
            el0 = el1;
            f0 = f1;
            el1 = next.clamp(-std::f64::consts::FRAC_PI_2, std::f64::consts::FRAC_PI_2);
        }
        Ok(point(el1))
    }

    /// Inverse of [`RadarModel::locate`] for the plane geometry and of the slant geometry for a
    /// target at `target`: the (range, azimuth in degrees) the radar would measure without
    /// noise or bias. Used by the simulator and by tests.
    pub fn measure(&self, target: Ecef) -> (f64, f64) {
        match self.config.geometry {
            RangeGeometry::Plane => {
                let mut g = target.to_geodetic();
                g.height_m = 0.0;
                let (e, n) = self.plane.from_ecef(g.to_ecef());
                (e.hypot(n), crate::geo::wrap_360(e.atan2(n).to_degrees()))
            }
            RangeGeometry::Slant => {
                let d = target.minus(self.antenna);
                let [e, n, _] = self.antenna_basis.to_enu(d);
                (d.norm(), crate::geo::wrap_360(e.atan2(n).to_degrees()))
            }
        }
    }

    /// Converts a plot to a measurement in the tracker plane.
    pub fn to_measurement(
        &self,
        id: SensorId,
        system: &TangentPlane,
        plot: &RadarPlot,
    ) -> Result<Measurement, MeasureError> {
        let (p, [e, n], stretch) = self.locate(plot)?;
        let ground = e.hypot(n);
        let az = e.atan2(n);
        let (s, c) = az.sin_cos();
        // Polar noise in the radar plane: d(e, n)/d(r, az) = [[sin, r cos], [cos, -r sin]].
        let sr = self.config.range_sigma_m * stretch;
        let sa = self.config.azimuth_sigma_deg.to_radians();
        let jp = Mat([[s, ground * c], [c, -ground * s]]);
        let r_polar = Mat::diagonal([sr * sr, sa * sa]);
        let r_radar = jp * r_polar * jp.transpose();
        let j = Mat(plane_to_plane_jacobian(&self.plane, system, p));
        let r = (j * r_radar * j.transpose()).symmetrized();
        let (x, y) = system.from_ecef(p);
        Ok(Measurement {
            time_s: plot.time_s,
            sensor: id,
            z: [x, y],
            r,
            velocity: None,
            mode3a: plot.mode3a,
            mode_s: plot.mode_s,
            altitude_m: plot.altitude_m.filter(|h| h.is_finite()),
            callsign: plot.callsign.clone(),
            polar: Some((crate::geo::wrap_360(plot.azimuth_deg), ground)),
        })
    }

    /// Where the radar sits in the tracker plane.
    pub fn geometry(&self) -> RadarGeometry {
        RadarGeometry {
            position: self.position,
            north_rotation_rad: self.north_rotation_rad,
        }
    }
}

/// A radar's position and north direction in the tracker plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RadarGeometry {
    pub position: [f64; 2],
    pub north_rotation_rad: f64,
}

impl RadarGeometry {
    /// Azimuth (degrees, true north at the radar) and range of a tracker-plane position, close
    /// enough for sweep bookkeeping (the plane's distortion over a radar's coverage is well under
    /// the margins used there).
    pub fn azimuth_range_of(&self, xy: [f64; 2]) -> (f64, f64) {
        let dx = xy[0] - self.position[0];
        let dy = xy[1] - self.position[1];
        let az = dx.atan2(dy) - self.north_rotation_rad;
        (
            crate::geo::wrap_360(az.to_degrees()),
            (dx * dx + dy * dy).sqrt(),
        )
    }
}

/// Converts an ADS-B report to a measurement in the tracker plane.
pub(crate) fn adsb_measurement(
    id: SensorId,
    config: &AdsbConfig,
    system: &TangentPlane,
    report: &AdsbReport,
) -> Result<Measurement, MeasureError> {
    check_finite(report.time_s, "time")?;
    check_finite(report.lat_deg, "latitude")?;
    check_finite(report.lon_deg, "longitude")?;
    if report.lat_deg.abs() > 90.0 {
        return Err(MeasureError::BadLatitude {
            lat_deg: report.lat_deg,
        });
    }
    let p = Geodetic::new(report.lat_deg, report.lon_deg, 0.0).to_ecef();
    // Beyond the hemisphere of the reference point the plane mapping is meaningless.
    if p.dot(system.basis().up) <= 0.0 {
        return Err(MeasureError::OffPlane);
    }
    let (x, y) = system.from_ecef(p);
    let sigma = report
        .position_sigma_m
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(config.position_sigma_m);
    // A circular error on the ground, mapped into the plane (nearly isometric near the point).
    let local = TangentPlane::new(report.lat_deg, report.lon_deg);
    let j = Mat(plane_to_plane_jacobian(&local, system, p));
    let r = (j * Mat::diagonal([sigma * sigma, sigma * sigma]) * j.transpose()).symmetrized();
    let velocity = match report.velocity_mps {
        Some([ve, vn]) if ve.is_finite() && vn.is_finite() => {
            let (vx, vy) = local_velocity_to_plane(system, p, ve, vn);
            let sv = config.velocity_sigma_mps;
            Some(([vx, vy], Mat::diagonal([sv * sv, sv * sv])))
        }
        _ => None,
    };
    Ok(Measurement {
        time_s: report.time_s,
        sensor: id,
        z: [x, y],
        r,
        velocity,
        mode3a: report.mode3a,
        mode_s: Some(report.address & 0x00FF_FFFF),
        altitude_m: report.altitude_m.filter(|h| h.is_finite()),
        callsign: report.callsign.clone(),
        polar: None,
    })
}

fn check_finite(v: f64, what: &'static str) -> Result<(), MeasureError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(MeasureError::NotFinite { what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn radar(geometry: RangeGeometry) -> RadarConfig {
        RadarConfig {
            name: "R1".into(),
            lat_deg: 14.0,
            lon_deg: 1.0,
            height_m: 300.0,
            range_sigma_m: 50.0,
            azimuth_sigma_deg: 0.1,
            range_bias_m: 0.0,
            azimuth_bias_deg: 0.0,
            pd: 0.9,
            period_s: 4.0,
            max_range_m: None,
            geometry,
            sectors: DEFAULT_SECTORS,
        }
    }

    #[test]
    fn plane_plot_round_trips_through_measure() {
        let system = TangentPlane::new(13.5, 1.5);
        let model = RadarModel::new(radar(RangeGeometry::Plane), &system);
        let plot = RadarPlot {
            time_s: 0.0,
            range_m: 180_000.0,
            azimuth_deg: 37.0,
            ..RadarPlot::default()
        };
        let (p, _, _) = model.locate(&plot).expect("locate");
        let (r, az) = model.measure(p);
        assert!((r - 180_000.0).abs() < 1e-6 && (az - 37.0).abs() < 1e-9);
    }

    #[test]
    fn slant_plot_round_trips_through_measure() {
        let system = TangentPlane::new(13.5, 1.5);
        let model = RadarModel::new(radar(RangeGeometry::Slant), &system);
        let target = Geodetic::new(15.0, 2.0, 9_000.0).to_ecef();
        let (r, az) = model.measure(target);
        let plot = RadarPlot {
            time_s: 0.0,
            range_m: r,
            azimuth_deg: az,
            altitude_m: Some(9_000.0),
            ..RadarPlot::default()
        };
        let (foot, _, _) = model.locate(&plot).expect("locate");
        let mut want = Geodetic::new(15.0, 2.0, 0.0);
        want.height_m = 0.0;
        let err = foot.minus(want.to_ecef()).norm();
        assert!(err < 0.01, "{err}");
    }

    #[test]
    fn cross_range_noise_grows_with_range() {
        let system = TangentPlane::new(14.0, 1.0);
        let model = RadarModel::new(radar(RangeGeometry::Plane), &system);
        let plot = RadarPlot {
            range_m: 200_000.0,
            azimuth_deg: 90.0,
            ..RadarPlot::default()
        };
        let m = model
            .to_measurement(SensorId(0), &system, &plot)
            .expect("m");
        // Due east: x is the range direction, y the cross-range one.
        assert!((m.r.0[0][0].sqrt() - 50.0).abs() < 1.0);
        let cross = 200_000.0 * 0.1_f64.to_radians();
        assert!((m.r.0[1][1].sqrt() - cross).abs() < 2.0);
    }

    #[test]
    fn bad_numbers_are_errors() {
        let system = TangentPlane::new(14.0, 1.0);
        let model = RadarModel::new(radar(RangeGeometry::Plane), &system);
        let plot = RadarPlot {
            range_m: f64::NAN,
            ..RadarPlot::default()
        };
        assert!(model.to_measurement(SensorId(0), &system, &plot).is_err());
        let plot = RadarPlot {
            range_m: -5.0,
            ..RadarPlot::default()
        };
        assert!(model.to_measurement(SensorId(0), &system, &plot).is_err());
    }
}
