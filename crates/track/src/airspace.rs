//! Airspace rules: which nation a track is over, border crossings, and entry into or exit from
//! restricted zones.
//!
//! Each confirmed track is checked at every picture tick. A change of nation or zone is first
//! *pending*; it is committed, and its event raised, once the track has stayed on the new side
//! for a dwell time and is clear of the boundary by a margin (or has stayed there for a longer
//! dwell whatever the distance). So a track wandering along a border raises no storm of events,
//! and one crossing raises exactly one event. The event carries the estimated crossing time and
//! place, found by bisection between the two ticks around the change, so the dwell only delays
//! the report, never its content.

use crate::borders::Borders;
use crate::region::{GeoBox, LonLat, Region, RegionIndex};

/// A restricted zone, as the caller defines it (the node passes its Zone objects).
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Stable identifier, echoed in events.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Outer boundary, `(lat_deg, lon_deg)` pairs; closing the ring is optional.
    pub polygon: Vec<(f64, f64)>,
    /// Lower altitude limit in metres, if any.
    pub floor_m: Option<f64>,
    /// Upper altitude limit in metres, if any.
    pub ceiling_m: Option<f64>,
}

/// Hysteresis of the airspace rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AirspaceParams {
    /// A change is committed after this long on the new side if clear of the boundary, seconds.
    pub dwell_s: f64,
    /// ... or after this long whatever the distance to the boundary, seconds.
    pub max_dwell_s: f64,
    /// Least clearance from the boundary for the short dwell, metres (raised to 2 sigma of the
    /// track position when that is larger, up to 1 km).
    pub margin_m: f64,
}

impl Default for AirspaceParams {
    fn default() -> Self {
        Self {
            dwell_s: 2.0,
            max_dwell_s: 20.0,
            margin_m: 150.0,
        }
    }
}

/// Borders and zones, indexed for fast lookups.
#[derive(Debug, Clone)]
pub struct Airspace {
    borders: Option<RegionIndex>,
    zones: Vec<Zone>,
    zone_index: Option<RegionIndex>,
    pub params: AirspaceParams,
}

/// What an airspace check found (turned into tracker events by the caller).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AirspaceEvent {
    BorderCrossing {
        from: String,
        to: String,
        crossing_time_s: f64,
        at: LonLat,
    },
    ZoneEntry {
        zone: usize,
        crossing_time_s: Option<f64>,
        at: LonLat,
    },
    ZoneExit {
        zone: usize,
        crossing_time_s: f64,
        at: LonLat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Pending<T> {
    candidate: T,
    since_s: f64,
    crossing_time_s: f64,
    at: LonLat,
}

/// Per-track state of the airspace rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AirspaceWatch {
    initialized: bool,
    previous: Option<(f64, LonLat)>,
    nation: Option<u32>,
    last_nation: Option<u32>,
    nation_pending: Option<Pending<Option<u32>>>,
    /// Per zone: inside, and a pending change.
    zones: Vec<(bool, Option<Pending<bool>>)>,
}

impl AirspaceWatch {
    pub fn nation(&self) -> Option<u32> {
        self.nation
    }
}

impl Airspace {
    /// Borders (optional) and zones. `area` bounds the fast grid (typically the sensors'
    /// coverage); lookups outside it are still correct, only slower.
    pub fn new(borders: Option<&Borders>, zones: Vec<Zone>, area: Option<GeoBox>) -> Self {
        let borders = borders.map(|b| RegionIndex::new(&b.countries, area));
        let zone_regions: Vec<Region> = zones
            .iter()
            .map(|z| Region {
                name: z.id.clone(),
                rings: vec![z.polygon.iter().map(|&(lat, lon)| [lon, lat]).collect()],
            })
            .collect();
        let zone_index = (!zone_regions.is_empty()).then(|| RegionIndex::new(&zone_regions, None));
        Self {
            borders,
            zones,
            zone_index,
            params: AirspaceParams::default(),
        }
    }

    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// The ISO alpha-3 code of the nation under a point, if any.
    pub fn nation_at(&self, lat_deg: f64, lon_deg: f64) -> Option<&str> {
        let idx = self.borders.as_ref()?;
        let found = idx.locate([lon_deg, lat_deg]);
        found.first().and_then(|&r| idx.name(r))
    }

    pub(crate) fn nation_name(&self, region: u32) -> Option<&str> {
        self.borders.as_ref().and_then(|b| b.name(region))
    }

    fn nation_region(&self, p: LonLat) -> Option<u32> {
        self.borders
            .as_ref()
            .and_then(|b| b.locate(p).first().copied())
    }

    fn zone_inside(&self, zone: usize, p: LonLat, altitude_m: Option<f64>) -> bool {
        let Some(idx) = self.zone_index.as_ref() else {
            return false;
        };
        let Some(z) = self.zones.get(zone) else {
            return false;
        };
        if let Some(alt) = altitude_m
            && (z.floor_m.is_some_and(|f| alt < f) || z.ceiling_m.is_some_and(|c| alt > c))
        {
            return false;
        }
        idx.locate(p).contains(&(zone as u32))
    }

    /// Moves one track's watch to time `t` at point `p`; appends what changed.
    pub(crate) fn evaluate(
        &self,
        watch: &mut AirspaceWatch,
        t: f64,
        p: LonLat,
        altitude_m: Option<f64>,
        position_sigma_m: f64,
        out: &mut Vec<AirspaceEvent>,
    ) {
        if !p[0].is_finite() || !p[1].is_finite() {
            return;
        }
        let margin = (2.0 * position_sigma_m).clamp(self.params.margin_m, 1_000.0);
        if watch.zones.len() != self.zones.len() {
            watch.zones = vec![(false, None); self.zones.len()];
        }
        if !watch.initialized {
            watch.initialized = true;
            watch.nation = self.nation_region(p);
            watch.last_nation = watch.nation;
            for zone in 0..self.zones.len() {
                let inside = self.zone_inside(zone, p, altitude_m);
                if let Some(z) = watch.zones.get_mut(zone) {
                    z.0 = inside;
                }
                if inside {
                    out.push(AirspaceEvent::ZoneEntry {
                        zone,
                        crossing_time_s: None,
                        at: p,
                    });
                }
            }
            watch.previous = Some((t, p));
            return;
        }
        let previous = watch.previous.unwrap_or((t, p));

        // Nation.
        if self.borders.is_some() {
            let candidate = self.nation_region(p);
            if candidate == watch.nation {
                watch.nation_pending = None;
            } else {
                if watch.nation_pending.map(|x| x.candidate) != Some(candidate) {
                    let (ct, at) = bisect(previous, (t, p), |q| self.nation_region(q) == candidate);
                    watch.nation_pending = Some(Pending {
                        candidate,
                        since_s: t,
                        crossing_time_s: ct,
                        at,
                    });
                }
                if let Some(pend) = watch.nation_pending
                    && self.settled(pend.since_s, t, || {
                        self.borders
                            .as_ref()
                            .map_or(f64::INFINITY, |b| b.distance_to_boundary_m(p, margin))
                            >= margin
                    })
                {
                    if let (Some(from), Some(to)) = (watch.last_nation, candidate)
                        && from != to
                        && let (Some(f), Some(tn)) = (self.nation_name(from), self.nation_name(to))
                    {
                        out.push(AirspaceEvent::BorderCrossing {
                            from: f.to_string(),
                            to: tn.to_string(),
                            crossing_time_s: pend.crossing_time_s,
                            at: pend.at,
                        });
                    }
                    watch.nation = candidate;
                    if candidate.is_some() {
                        watch.last_nation = candidate;
                    }
                    watch.nation_pending = None;
                }
            }
        }

        // Zones.
        for zone in 0..self.zones.len() {
            let inside_now = self.zone_inside(zone, p, altitude_m);
            let Some(&(inside, pending)) = watch.zones.get(zone) else {
                continue;
            };
            let mut next = (inside, pending);
            if inside_now == inside {
                next.1 = None;
            } else {
                let pend = match pending {
                    Some(x) if x.candidate == inside_now => x,
                    _ => {
                        let (ct, at) = bisect(previous, (t, p), |q| {
                            self.zone_inside(zone, q, altitude_m) == inside_now
                        });
                        Pending {
                            candidate: inside_now,
                            since_s: t,
                            crossing_time_s: ct,
                            at,
                        }
                    }
                };
                next.1 = Some(pend);
                let clear = || {
                    self.zone_index
                        .as_ref()
                        .map_or(f64::INFINITY, |z| z.distance_to_boundary_m(p, margin))
                        >= margin
                };
                if self.settled(pend.since_s, t, clear) {
                    out.push(if inside_now {
                        AirspaceEvent::ZoneEntry {
                            zone,
                            crossing_time_s: Some(pend.crossing_time_s),
                            at: pend.at,
                        }
                    } else {
                        AirspaceEvent::ZoneExit {
                            zone,
                            crossing_time_s: pend.crossing_time_s,
                            at: pend.at,
                        }
                    });
                    next = (inside_now, None);
                }
            }
            if let Some(slot) = watch.zones.get_mut(zone) {
                *slot = next;
            }
        }
        watch.previous = Some((t, p));
    }

    fn settled(&self, since_s: f64, t: f64, clear_of_boundary: impl FnOnce() -> bool) -> bool {
        let dwell = t - since_s;
        dwell >= self.params.max_dwell_s || (dwell >= self.params.dwell_s && clear_of_boundary())
    }
}

/// The first point on the straight segment `a -> b` (and its time) where `is_new` holds,
/// assuming it fails at `a` and holds at `b`; 20 halvings (a millionth of the segment).
fn bisect(a: (f64, LonLat), b: (f64, LonLat), is_new: impl Fn(LonLat) -> bool) -> (f64, LonLat) {
    let lerp = |f: f64| {
        (
            a.0 + f * (b.0 - a.0),
            [
                a.1[0] + f * (b.1[0] - a.1[0]),
                a.1[1] + f * (b.1[1] - a.1[1]),
            ],
        )
    };
    if is_new(a.1) {
        return a;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..20 {
        let mid = 0.5 * (lo + hi);
        if is_new(lerp(mid).1) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lerp(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_nations() -> Borders {
        let sq = |name: &str, x0: f64| Region {
            name: name.into(),
            rings: vec![vec![[x0, 0.0], [x0 + 1.0, 0.0], [x0 + 1.0, 1.0], [x0, 1.0]]],
        };
        Borders {
            countries: vec![sq("AAA", 0.0), sq("BBB", 1.0)],
            source: "test".into(),
        }
    }

    #[test]
    fn one_event_for_a_crossing_with_jitter() {
        let airspace = Airspace::new(Some(&two_nations()), Vec::new(), None);
        let mut watch = AirspaceWatch::default();
        let mut events = Vec::new();
        // Moving east at 0.001 deg/s, crossing lon 1.0 at t = 100, with +-0.0005 deg of jitter.
        for k in 0..300 {
            let t = k as f64;
            let jitter = if k % 2 == 0 { 0.0005 } else { -0.0005 };
            let p = [0.9 + 0.001 * t + jitter, 0.5];
            airspace.evaluate(&mut watch, t, p, None, 50.0, &mut events);
        }
        assert_eq!(events.len(), 1, "{events:?}");
        let AirspaceEvent::BorderCrossing {
            from,
            to,
            crossing_time_s,
            ..
        } = &events[0]
        else {
            panic!("not a crossing: {:?}", events[0]);
        };
        assert_eq!((from.as_str(), to.as_str()), ("AAA", "BBB"));
        assert!((crossing_time_s - 100.0).abs() < 1.5, "{crossing_time_s}");
    }

    #[test]
    fn zone_entry_and_exit_with_altitude_band() {
        let zone = Zone {
            id: "Z1".into(),
            name: "test zone".into(),
            polygon: vec![(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)],
            floor_m: None,
            ceiling_m: Some(3000.0),
        };
        let airspace = Airspace::new(None, vec![zone], None);
        let mut watch = AirspaceWatch::default();
        let mut events = Vec::new();
        for k in 0..200 {
            let t = k as f64;
            let p = [-0.05 + 0.01 * t, 0.5];
            airspace.evaluate(&mut watch, t, p, Some(1000.0), 50.0, &mut events);
        }
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(
            matches!(events[0], AirspaceEvent::ZoneEntry { zone: 0, crossing_time_s: Some(t), .. } if (t - 5.0).abs() < 1.0)
        );
        assert!(
            matches!(events[1], AirspaceEvent::ZoneExit { zone: 0, crossing_time_s: t, .. } if (t - 105.0).abs() < 1.0)
        );
        // Above the ceiling: nothing.
        let mut watch = AirspaceWatch::default();
        let mut events = Vec::new();
        for k in 0..200 {
            let p = [-0.05 + 0.01 * k as f64, 0.5];
            airspace.evaluate(&mut watch, k as f64, p, Some(5000.0), 50.0, &mut events);
        }
        assert!(events.is_empty());
    }
}
