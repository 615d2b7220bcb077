//! WGS-84 geometry: geodetic <-> ECEF <-> local east-north-up frames, and the exact "tangent
//! plane" mapping the tracker works in.
//!
//! A [`TangentPlane`] is anchored at a point on the height-0 ellipsoid. A plane coordinate
//! `(e, n)` names the height-0 ellipsoid point whose east and north components, measured from the
//! anchor in the anchor's east-north-up frame, are `e` and `n`; the up component is whatever puts
//! the point on the ellipsoid. That is how radar plots are defined for the offline mode (polar
//! coordinates in the radar's own tangent plane, `e = r sin az`, `n = r cos az`), and the tracker
//! uses the same mapping, anchored at a system reference point, as its common 2-D frame. The
//! mapping is exact both ways (a quadratic solved in closed form), valid within the hemisphere
//! around the anchor; over a few hundred kilometres its scale departs from 1 by `1 - cos(d / R)`
//! in the radial direction (0.05 % at 200 km, 1.2 % at 1,000 km).

/// WGS-84 semi-major axis, metres.
pub const WGS84_A_M: f64 = 6_378_137.0;
/// WGS-84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS-84 semi-minor axis, metres.
pub const WGS84_B_M: f64 = WGS84_A_M * (1.0 - WGS84_F);
/// First eccentricity squared.
pub const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// A point given by geodetic latitude, longitude (degrees) and ellipsoidal height (metres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geodetic {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub height_m: f64,
}

/// An earth-centred, earth-fixed position or vector, metres.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ecef {
    pub x_m: f64,
    pub y_m: f64,
    pub z_m: f64,
}

impl Ecef {
    pub fn new(x_m: f64, y_m: f64, z_m: f64) -> Self {
        Self { x_m, y_m, z_m }
    }
    pub fn dot(self, other: Ecef) -> f64 {
        self.x_m * other.x_m + self.y_m * other.y_m + self.z_m * other.z_m
    }
    pub fn norm(self) -> f64 {
        self.dot(self).sqrt()
    }
    pub fn plus(self, other: Ecef) -> Ecef {
        Ecef::new(
            self.x_m + other.x_m,
            self.y_m + other.y_m,
            self.z_m + other.z_m,
        )
    }
    pub fn minus(self, other: Ecef) -> Ecef {
        Ecef::new(
            self.x_m - other.x_m,
            self.y_m - other.y_m,
            self.z_m - other.z_m,
        )
    }
    pub fn scale(self, k: f64) -> Ecef {
        Ecef::new(self.x_m * k, self.y_m * k, self.z_m * k)
    }
}

impl Geodetic {
    pub fn new(lat_deg: f64, lon_deg: f64, height_m: f64) -> Self {
        Self {
            lat_deg,
            lon_deg,
            height_m,
        }
    }

    /// The ECEF position of this point.
    pub fn to_ecef(self) -> Ecef {
        let (sin_lat, cos_lat) = self.lat_deg.to_radians().sin_cos();
        let (sin_lon, cos_lon) = self.lon_deg.to_radians().sin_cos();
        let n = prime_vertical_radius_m(sin_lat);
        Ecef::new(
            (n + self.height_m) * cos_lat * cos_lon,
            (n + self.height_m) * cos_lat * sin_lon,
            (n * (1.0 - WGS84_E2) + self.height_m) * sin_lat,
        )
    }

    /// The local east, north and up unit vectors at this point (the up vector is the ellipsoid
    /// normal).
    pub fn enu_basis(self) -> EnuBasis {
        EnuBasis::at(self.lat_deg, self.lon_deg)
    }
}

/// Radius of curvature in the prime vertical, metres.
fn prime_vertical_radius_m(sin_lat: f64) -> f64 {
    WGS84_A_M / (1.0 - WGS84_E2 * sin_lat * sin_lat).sqrt()
}

impl Ecef {
    /// Geodetic latitude and longitude of a point on the height-0 ellipsoid, in closed form: the
    /// geodetic latitude is the direction of the surface normal, `(x/a^2, y/a^2, z/b^2)`. Exact
    /// for surface points (every tracker-plane point is one) and far cheaper than
    /// [`Ecef::to_geodetic`]'s iteration; off the surface it errs by about `h e^2 sin 2lat / a`
    /// radians (1e-10 degree at a millimetre). The height is reported as 0.
    pub fn surface_geodetic(self) -> Geodetic {
        let horizontal = self.x_m.hypot(self.y_m);
        let lat = (self.z_m / (1.0 - WGS84_E2)).atan2(horizontal);
        let lon = self.y_m.atan2(self.x_m);
        Geodetic::new(lat.to_degrees(), lon.to_degrees(), 0.0)
    }

    /// Geodetic coordinates of this ECEF point. Iterates Bowring's formula; converges to well
    /// below a micrometre in three rounds for any point within a few thousand kilometres of the
    /// surface.
    pub fn to_geodetic(self) -> Geodetic {
        let p = self.x_m.hypot(self.y_m);
        let lon = self.y_m.atan2(self.x_m);
        // Second eccentricity squared.
        let ep2 = WGS84_E2 / (1.0 - WGS84_E2);
        // Parametric latitude as the starting guess.
        let mut beta = (self.z_m * WGS84_A_M).atan2(p * WGS84_B_M);
        let mut lat = 0.0;
        for _ in 0..4 {
            let (sb, cb) = beta.sin_cos();
            lat = (self.z_m + ep2 * WGS84_B_M * sb * sb * sb)
                .atan2(p - WGS84_E2 * WGS84_A_M * cb * cb * cb);
            beta = ((1.0 - WGS84_F) * lat.sin()).atan2(lat.cos());
        }
        let (sin_lat, cos_lat) = lat.sin_cos();
        let n = prime_vertical_radius_m(sin_lat);
        // Valid at every latitude, including the poles (no division by cos).
        let height = p * cos_lat + (self.z_m + WGS84_E2 * n * sin_lat) * sin_lat - n;
        Geodetic::new(lat.to_degrees(), lon.to_degrees(), height)
    }
}

/// The local east, north and up unit vectors at a geodetic latitude and longitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnuBasis {
    pub east: Ecef,
    pub north: Ecef,
    pub up: Ecef,
}

impl EnuBasis {
    /// The basis at a point on the height-0 ellipsoid, from the surface normal there: no
    /// trigonometry (the tracker converts every track to local axes at every picture). Equal to
    /// `EnuBasis::at` of the point's geodetic position; at the poles, where east is undefined,
    /// the meridian of longitude 0 is taken, as `Ecef::surface_geodetic` does.
    pub fn at_surface(p: Ecef) -> Self {
        let up = ellipsoid_gradient(p);
        let up = up.scale(1.0 / up.norm());
        let horizontal = p.x_m.hypot(p.y_m);
        let east = if horizontal > 0.0 {
            Ecef::new(-p.y_m / horizontal, p.x_m / horizontal, 0.0)
        } else {
            Ecef::new(0.0, 1.0, 0.0)
        };
        // north = up x east.
        let north = Ecef::new(
            up.y_m * east.z_m - up.z_m * east.y_m,
            up.z_m * east.x_m - up.x_m * east.z_m,
            up.x_m * east.y_m - up.y_m * east.x_m,
        );
        Self { east, north, up }
    }

    pub fn at(lat_deg: f64, lon_deg: f64) -> Self {
        let (sin_lat, cos_lat) = lat_deg.to_radians().sin_cos();
        let (sin_lon, cos_lon) = lon_deg.to_radians().sin_cos();
        Self {
            east: Ecef::new(-sin_lon, cos_lon, 0.0),
            north: Ecef::new(-sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat),
            up: Ecef::new(cos_lat * cos_lon, cos_lat * sin_lon, sin_lat),
        }
    }

    /// Components of an ECEF vector along east, north, up.
    pub fn to_enu(&self, v: Ecef) -> [f64; 3] {
        [self.east.dot(v), self.north.dot(v), self.up.dot(v)]
    }

    /// The ECEF vector with the given east, north, up components.
    pub fn from_enu(&self, enu: [f64; 3]) -> Ecef {
        self.east
            .scale(enu[0])
            .plus(self.north.scale(enu[1]))
            .plus(self.up.scale(enu[2]))
    }
}

/// Outward gradient of the height-0 ellipsoid's implicit function at `p` (unnormalised).
fn ellipsoid_gradient(p: Ecef) -> Ecef {
    let a2 = WGS84_A_M * WGS84_A_M;
    let b2 = WGS84_B_M * WGS84_B_M;
    Ecef::new(p.x_m / a2, p.y_m / a2, p.z_m / b2)
}

/// The exact tangent-plane mapping anchored at a height-0 ellipsoid point (see module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TangentPlane {
    anchor: Geodetic,
    origin: Ecef,
    basis: EnuBasis,
}

/// Derivatives of the ECEF point with respect to the plane coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaneTangents {
    pub d_de: Ecef,
    pub d_dn: Ecef,
}

impl TangentPlane {
    /// A plane anchored at the height-0 point below `lat_deg`, `lon_deg`.
    pub fn new(lat_deg: f64, lon_deg: f64) -> Self {
        let anchor = Geodetic::new(lat_deg, lon_deg, 0.0);
        Self {
            anchor,
            origin: anchor.to_ecef(),
            basis: anchor.enu_basis(),
        }
    }

    pub fn anchor(&self) -> Geodetic {
        self.anchor
    }

    pub fn basis(&self) -> &EnuBasis {
        &self.basis
    }

    /// Plane coordinates `(e, n)` of an ECEF point (its east and north components from the
    /// anchor). For a point on the height-0 ellipsoid this is the exact inverse of
    /// [`TangentPlane::to_ecef`].
    pub fn from_ecef(&self, p: Ecef) -> (f64, f64) {
        let d = p.minus(self.origin);
        (self.basis.east.dot(d), self.basis.north.dot(d))
    }

    /// Plane coordinates of the height-0 point below a geodetic position.
    pub fn from_geodetic(&self, lat_deg: f64, lon_deg: f64) -> (f64, f64) {
        self.from_ecef(Geodetic::new(lat_deg, lon_deg, 0.0).to_ecef())
    }

    /// The height-0 ellipsoid point with plane coordinates `(e, n)`, or `None` if no such point
    /// exists (the vertical line misses the ellipsoid: beyond roughly 6,000 km).
    pub fn to_ecef(&self, e_m: f64, n_m: f64) -> Option<Ecef> {
        let q = self
            .origin
            .plus(self.basis.east.scale(e_m))
            .plus(self.basis.north.scale(n_m));
        let up = self.basis.up;
        let a2 = WGS84_A_M * WGS84_A_M;
        let b2 = WGS84_B_M * WGS84_B_M;
        // Solve |q + u*up| on the ellipsoid for u: qa*u^2 + qb*u + qc = 0.
        let qa = (up.x_m * up.x_m + up.y_m * up.y_m) / a2 + up.z_m * up.z_m / b2;
        let qb = 2.0 * ((q.x_m * up.x_m + q.y_m * up.y_m) / a2 + q.z_m * up.z_m / b2);
        let qc = (q.x_m * q.x_m + q.y_m * q.y_m) / a2 + q.z_m * q.z_m / b2 - 1.0;
        let disc = qb * qb - 4.0 * qa * qc;
        if disc.is_nan() || disc < 0.0 {
            return None;
        }
        // The root nearest the plane (the near side of the ellipsoid), in the form that does not
        // cancel: qb > 0 near the anchor, where the up vector points out of the ellipsoid.
        let big = -0.5 * (qb + qb.signum() * disc.sqrt());
        if big == 0.0 {
            return Some(q);
        }
        let u = qc / big;
        Some(q.plus(up.scale(u)))
    }

    /// Geodetic position (height 0) of the plane point `(e, n)`.
    pub fn to_geodetic(&self, e_m: f64, n_m: f64) -> Option<Geodetic> {
        // The point is on the ellipsoid by construction: the closed form is exact.
        self.to_ecef(e_m, n_m).map(Ecef::surface_geodetic)
    }

    /// Derivatives of the height-0 point `to_ecef(e, n)` with respect to `e` and `n`, given that
    /// point `p`. Moving along the plane axis while staying on the ellipsoid: the up component
    /// changes so that the ellipsoid gradient stays orthogonal to the motion.
    pub fn tangents_at(&self, p: Ecef) -> PlaneTangents {
        let grad = ellipsoid_gradient(p);
        let g_up = grad.dot(self.basis.up);
        let d_de = self
            .basis
            .east
            .minus(self.basis.up.scale(grad.dot(self.basis.east) / g_up));
        let d_dn = self
            .basis
            .north
            .minus(self.basis.up.scale(grad.dot(self.basis.north) / g_up));
        PlaneTangents { d_de, d_dn }
    }
}

/// A 2x2 linear map stored row-major: `[[a, b], [c, d]]`.
pub type Jacobian2 = [[f64; 2]; 2];

/// The Jacobian of the map from `from`-plane coordinates to `to`-plane coordinates at the
/// height-0 point `p` (which must lie on the ellipsoid).
pub fn plane_to_plane_jacobian(from: &TangentPlane, to: &TangentPlane, p: Ecef) -> Jacobian2 {
    let t = from.tangents_at(p);
    let e = to.basis.east;
    let n = to.basis.north;
    [
        [e.dot(t.d_de), e.dot(t.d_dn)],
        [n.dot(t.d_de), n.dot(t.d_dn)],
    ]
}

/// Local east and north velocity at the height-0 point `p` of a motion whose plane-coordinate
/// rates are `(ve, vn)` in `plane`.
pub fn plane_velocity_to_local(
    plane: &TangentPlane,
    p: Ecef,
    ve_mps: f64,
    vn_mps: f64,
) -> (f64, f64) {
    let t = plane.tangents_at(p);
    let v = t.d_de.scale(ve_mps).plus(t.d_dn.scale(vn_mps));
    let local = EnuBasis::at_surface(p);
    (local.east.dot(v), local.north.dot(v))
}

/// Plane-coordinate rates in `plane` of a motion along the surface at the height-0 point `p`
/// with local east and north velocity `(ve, vn)`. Inverse of [`plane_velocity_to_local`].
pub fn local_velocity_to_plane(
    plane: &TangentPlane,
    p: Ecef,
    ve_mps: f64,
    vn_mps: f64,
) -> (f64, f64) {
    let local = EnuBasis::at_surface(p);
    let v = local.east.scale(ve_mps).plus(local.north.scale(vn_mps));
    (plane.basis.east.dot(v), plane.basis.north.dot(v))
}

/// Great-circle-free distance helper: straight-line (chord) distance between two ECEF points.
pub fn chord_m(a: Ecef, b: Ecef) -> f64 {
    a.minus(b).norm()
}

/// Normalise an angle in degrees to `[0, 360)`.
pub fn wrap_360(angle_deg: f64) -> f64 {
    let a = angle_deg.rem_euclid(360.0);
    // rem_euclid can return 360.0 for tiny negative inputs because of rounding.
    if a >= 360.0 { 0.0 } else { a }
}

/// Normalise an angle in degrees to `(-180, 180]`.
pub fn wrap_180(angle_deg: f64) -> f64 {
    let a = wrap_360(angle_deg);
    if a > 180.0 { a - 360.0 } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geodetic_ecef_round_trip() {
        for &(lat, lon, h) in &[
            (0.0, 0.0, 0.0),
            (14.5, -1.5, 300.0),
            (-33.9, 151.2, 10_000.0),
            (89.999, 45.0, 100.0),
            (-90.0, 0.0, 0.0),
            (45.0, 179.9, -50.0),
        ] {
            let g = Geodetic::new(lat, lon, h);
            let back = g.to_ecef().to_geodetic();
            assert!((back.lat_deg - lat).abs() < 1e-10, "{lat} {back:?}");
            if lat.abs() < 89.99 {
                assert!(
                    (wrap_180(back.lon_deg - lon)).abs() < 1e-10,
                    "{lon} {back:?}"
                );
            }
            assert!((back.height_m - h).abs() < 1e-6, "{h} {back:?}");
        }
    }

    #[test]
    fn known_ecef_values() {
        // The equator/prime meridian point is (a, 0, 0); the pole is (0, 0, b).
        let p = Geodetic::new(0.0, 0.0, 0.0).to_ecef();
        assert!((p.x_m - WGS84_A_M).abs() < 1e-6 && p.y_m.abs() < 1e-6 && p.z_m.abs() < 1e-6);
        let q = Geodetic::new(90.0, 0.0, 0.0).to_ecef();
        assert!((q.z_m - WGS84_B_M).abs() < 1e-6);
    }

    #[test]
    fn plane_round_trip_and_on_ellipsoid() {
        let plane = TangentPlane::new(14.2, 0.8);
        for &(e, n) in &[
            (0.0, 0.0),
            (1000.0, -2000.0),
            (150_000.0, 120_000.0),
            (-400_000.0, 300_000.0),
        ] {
            let p = plane.to_ecef(e, n).expect("on ellipsoid");
            let g = p.to_geodetic();
            assert!(g.height_m.abs() < 1e-6, "height {}", g.height_m);
            let (e2, n2) = plane.from_ecef(p);
            assert!((e2 - e).abs() < 1e-6 && (n2 - n).abs() < 1e-6);
        }
    }

    #[test]
    fn dropping_up_component_would_err_about_100_m_at_200_km() {
        // The issue's own sanity figure: the exact point differs from the naive flat one.
        let plane = TangentPlane::new(14.0, 1.0);
        let exact = plane.to_ecef(0.0, 200_000.0).expect("point");
        let flat = plane
            .anchor()
            .to_ecef()
            .plus(plane.basis().north.scale(200_000.0));
        let flat_foot = {
            let mut g = flat.to_geodetic();
            g.height_m = 0.0;
            g.to_ecef()
        };
        let err = chord_m(exact, flat_foot);
        assert!(err > 50.0 && err < 200.0, "{err}");
    }

    #[test]
    fn plane_jacobian_matches_finite_differences() {
        let a = TangentPlane::new(14.0, 1.0);
        let b = TangentPlane::new(13.0, 2.5);
        let (e, n) = (80_000.0, -60_000.0);
        let p = a.to_ecef(e, n).expect("p");
        let j = plane_to_plane_jacobian(&a, &b, p);
        let h = 1.0;
        let f = |e: f64, n: f64| b.from_ecef(a.to_ecef(e, n).expect("p"));
        let (e0, n0) = f(e, n);
        let (e1, n1) = f(e + h, n);
        let (e2, n2) = f(e, n + h);
        assert!((j[0][0] - (e1 - e0) / h).abs() < 1e-6);
        assert!((j[1][0] - (n1 - n0) / h).abs() < 1e-6);
        assert!((j[0][1] - (e2 - e0) / h).abs() < 1e-6);
        assert!((j[1][1] - (n2 - n0) / h).abs() < 1e-6);
    }

    #[test]
    fn velocity_maps_are_inverse() {
        let plane = TangentPlane::new(14.0, 1.0);
        let p = plane.to_ecef(300_000.0, -200_000.0).expect("p");
        let (ve, vn) = plane_velocity_to_local(&plane, p, 120.0, -80.0);
        let (pe, pn) = local_velocity_to_plane(&plane, p, ve, vn);
        assert!((pe - 120.0).abs() < 1e-9 && (pn + 80.0).abs() < 1e-9);
    }

    proptest::proptest! {
        #[test]
        fn surface_forms_match_the_general_ones(lat in -89.9f64..89.9, lon in -180.0f64..180.0) {
            let p = Geodetic::new(lat, lon, 0.0).to_ecef();
            let g = p.surface_geodetic();
            let full = p.to_geodetic();
            proptest::prop_assert!((g.lat_deg - full.lat_deg).abs() < 1e-11, "{g:?} {full:?}");
            proptest::prop_assert!(wrap_180(g.lon_deg - full.lon_deg).abs() < 1e-11);
            let fast = EnuBasis::at_surface(p);
            let slow = EnuBasis::at(lat, lon);
            for (a, b) in [(fast.east, slow.east), (fast.north, slow.north), (fast.up, slow.up)] {
                proptest::prop_assert!(a.minus(b).norm() < 1e-12, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn surface_geodetic_at_the_poles_and_equator() {
        let north = Ecef::new(0.0, 0.0, WGS84_B_M).surface_geodetic();
        assert!((north.lat_deg - 90.0).abs() < 1e-12, "{north:?}");
        let south = Ecef::new(0.0, 0.0, -WGS84_B_M).surface_geodetic();
        assert!((south.lat_deg + 90.0).abs() < 1e-12, "{south:?}");
        let eq = Ecef::new(0.0, WGS84_A_M, 0.0).surface_geodetic();
        assert!(
            eq.lat_deg.abs() < 1e-12 && (eq.lon_deg - 90.0).abs() < 1e-12,
            "{eq:?}"
        );
        let basis = EnuBasis::at_surface(Ecef::new(0.0, 0.0, WGS84_B_M));
        assert!(basis.east.norm() > 0.99 && basis.north.norm() > 0.99);
    }

    #[test]
    fn wraps() {
        assert_eq!(wrap_360(-10.0), 350.0);
        assert_eq!(wrap_360(720.5), 0.5);
        assert_eq!(wrap_180(190.0), -170.0);
        assert_eq!(wrap_180(-180.0), 180.0);
    }
}
