#!/usr/bin/env python3
"""Writes a scenario TOML for `liptako simulate --scenario FILE` laid out as the built-in
`dense` scenario (crates/track/src/scenarios.rs, `dense(seed, n_aircraft, n_radars,
duration_s)`), for sizes the built-in name does not offer (it is 500 aircraft, 4 radars):
N aircraft in a 200 km disc, every one seen by all R radars (on a 150 km circle, 400 km range,
periods 4-6 s, 10 clutter plots per scan, Pd 0.9), cruising at 7,500-12,000 m, a third turning
at 3 deg/s, 70 % with transponders. Same distributions as the Rust function, drawn with
Python's RNG (so not the same aircraft). ADS-B is left out: the offline format carries radar
plots only.

Usage: dense_scenario.py N_AIRCRAFT N_RADARS DURATION_S SEED > scenario.toml
"""

import math
import random
import sys

EARTH_R = 6_371_000.0
CENTRE = (14.5, 0.5)


def offset(lat, lon, bearing, dist):
    lat1, lon1, brg = math.radians(lat), math.radians(lon), math.radians(bearing)
    d = dist / EARTH_R
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(brg))
    lon2 = lon1 + math.atan2(math.sin(brg) * math.sin(d) * math.cos(lat1),
                             math.cos(d) - math.sin(lat1) * math.sin(lat2))
    return math.degrees(lat2), math.degrees(lon2)


def main():
    n_aircraft, n_radars, duration, seed = (int(sys.argv[1]), int(sys.argv[2]),
                                            float(sys.argv[3]), int(sys.argv[4]))
    rng = random.Random(seed)
    out = [f'name = "dense-{n_aircraft}-{n_radars}"', f"seed = {seed}",
           f"duration_s = {duration}", ""]
    for k in range(n_radars):
        lat, lon = offset(*CENTRE, 360.0 * k / n_radars, 150_000.0)
        out += ["[[radar]]", f'name = "R{k + 1}"', "sac = 10", f"sic = {k + 1}",
                f"lat_deg = {lat!r}", f"lon_deg = {lon!r}", "height_m = 30.0",
                "range_sigma_m = 50.0", "azimuth_sigma_deg = 0.08", "pd = 0.9",
                f"period_s = {4.0 + rng.random() * 2.0!r}", "max_range_m = 400000.0",
                "min_range_m = 500.0", f"start_azimuth_deg = {rng.random() * 360.0!r}",
                "clutter_per_scan = 10.0", ""]
    for i in range(n_aircraft):
        bearing = rng.random() * 360.0
        dist = 200_000.0 * math.sqrt(rng.random())
        lat, lon = offset(*CENTRE, bearing, dist)
        out += ["[[aircraft]]", f'name = "AC{i}"', f"lat_deg = {lat!r}", f"lon_deg = {lon!r}",
                f"heading_deg = {rng.random() * 360.0!r}",
                f"speed_mps = {80.0 + rng.random() * 200.0!r}",
                f"altitude_m = {7_500.0 + rng.random() * 4_500.0!r}"]
        if rng.random() < 0.7:
            out += [f"mode_s = {0x100000 + i}", f"mode3a = {(i * 7 + 0o1001) & 0o7777}"]
        if rng.random() < 1.0 / 3.0:
            rate = 3.0 if rng.random() < 0.5 else -3.0
            out.append(f"legs = [{{ duration_s = {10.0 + rng.random() * 60.0!r} }}, "
                       f"{{ duration_s = {20.0 + rng.random() * 40.0!r}, "
                       f"turn_rate_deg_s = {rate} }}]")
        out.append("")
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
