//! The air picture, pure: filters, association, track management, airspace rules and a radar
//! simulator. No sockets, no clock, no disk: measurements and times are arguments, and the same
//! inputs always give the same outputs.
//!
//! The main type is [`Tracker`]. A caller (the node's tracker task, or `liptako track`)
//! registers its sensors, pushes radar plots ([`RadarPlot`]) and ADS-B reports ([`AdsbReport`])
//! as they arrive, and calls [`Tracker::advance`] with a time watermark to get a [`Picture`] at
//! every picture period, plus [`Event`]s (confirmations, deletions, border crossings, zone
//! entries, no-transponder and emergency flags) from [`Tracker::take_events`].
//!
//! ```
//! use liptako_track::{RadarConfig, RadarPlot, RangeGeometry, Tracker, TrackerConfig};
//!
//! let mut tracker = Tracker::new(TrackerConfig::new(14.0, 1.0));
//! let radar = tracker
//!     .add_radar(RadarConfig {
//!         name: "R1".into(),
//!         lat_deg: 14.0,
//!         lon_deg: 1.0,
//!         height_m: 0.0,
//!         range_sigma_m: 40.0,
//!         azimuth_sigma_deg: 0.08,
//!         range_bias_m: 0.0,
//!         azimuth_bias_deg: 0.0,
//!         pd: 0.9,
//!         period_s: 4.0,
//!         max_range_m: None,
//!         geometry: RangeGeometry::Plane,
//!         sectors: 32,
//!     })
//!     .unwrap();
//! // A target 60 km north-east, flying east at 150 m/s, seen once per scan.
//! for scan in 0..5 {
//!     let t = f64::from(scan) * 4.0;
//!     let (e, n) = (42_000.0 + 150.0 * t, 42_000.0);
//!     let plot = RadarPlot {
//!         time_s: t,
//!         range_m: f64::hypot(e, n),
//!         azimuth_deg: e.atan2(n).to_degrees(),
//!         ..RadarPlot::default()
//!     };
//!     tracker.push_plot(radar, &plot).unwrap();
//!     tracker.advance(t);
//! }
//! let picture = tracker.picture(16.0);
//! assert_eq!(picture.tracks.len(), 1);
//! assert!((picture.tracks[0].velocity_east_mps - 150.0).abs() < 10.0);
//! ```
//!
//! Modules: [`geo`] (WGS-84, the exact tangent-plane mapping), [`sensor`] (measurement
//! models), [`filter`] (the IMM), [`assign`] (optimal assignment), [`region`] and [`borders`]
//! (point-in-polygon over Natural Earth borders), [`airspace`] (border and zone rules),
//! [`sim`] (the seeded scenario simulator), [`scenarios`] (built-in scenarios and a driver
//! that feeds one through a tracker), [`offline`] (the `liptako track` file formats) and
//! [`metrics`] (OSPA and track-to-truth scoring for tests and benches).
//!
//! The joint picture across nations: [`partner`] (partners' system tracks as a sensor kind,
//! [`Tracker::push_system_track`], and covariance intersection), [`link`] (what to send a
//! partner now within the link's budget), [`wire`] (the frames the link carries) and
//! [`confederation`] (several nations' trackers linked, for tests and benches).

pub mod airspace;
pub mod assign;
pub mod check;
pub mod confederation;
pub mod filter;
mod grid;
pub mod link;
pub mod mat;
pub mod metrics;
mod num;
pub mod offline;
pub mod partner;
mod rng;
pub mod scenarios;
pub mod sensor;
pub mod sim;
mod tracker;
pub mod wire;

// Geography lives in its own pure crate (operations use it too); these names stay for callers.
pub use liptako_geo::{borders, region, wgs84 as geo};

pub use airspace::{Airspace, AirspaceParams, Zone};
pub use borders::Borders;
pub use filter::FilterParams;
pub use partner::{
    Contributor, ReportAccuracy, ReportError, SystemTrackReport, SystemTrackSourceConfig,
};
pub use region::GeoBox;
pub use sensor::{AdsbConfig, AdsbReport, RadarConfig, RadarPlot, RangeGeometry, SensorId};
pub use tracker::{
    DeletionReason, EMERGENCY_CODES, Event, EventKind, MAX_TIME_S, OwnEstimate, Picture,
    SystemTrack, TrackId, Tracker, TrackerConfig, TrackerError, TrackerStats,
};
