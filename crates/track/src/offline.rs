//! The offline mode behind `liptako track --plots PLOTS.csv --sensors SENSORS.toml --out
//! TRACKS.csv`, as text in and rows out (the binary does the file I/O and streams).
//!
//! - SENSORS.toml: one `[[sensor]]` table per radar with `id` (string or integer), `lat`, `lon`
//!   (WGS-84 degrees), `range_sigma_m`, `azimuth_sigma_deg`, `pd`, `period_s`; other keys are
//!   ignored.
//! - PLOTS.csv: `time_s,sensor,range_m,azimuth_deg,mode3a,aircraft_address`, sorted by time
//!   (a header line naming the columns, in any order, is expected; without one the order above
//!   is assumed). `range_m`/`azimuth_deg` are polar coordinates in the radar's height-0 tangent
//!   plane ([`crate::RangeGeometry::Plane`]); `mode3a` is 4 octal digits and `aircraft_address`
//!   6 hex digits, both empty when absent.
//! - TRACKS.csv: `time_s,track_id,lat,lon,vx_mps,vy_mps`: one row per confirmed track at every
//!   whole second from the first to the last plot time, the state at that second given every
//!   plot up to it (a plot exactly on the second counts), sorted by time then id; velocities
//!   are local east and north.
//!
//! Every error names the line (or the sensor) and what is wrong; nothing panics on input.

use std::collections::HashMap;

use crate::geo::{Ecef, Geodetic};
use crate::num::{positive, within};
use crate::sensor::{DEFAULT_SECTORS, RadarConfig, RadarPlot, RangeGeometry, SensorId};
use crate::tracker::{Picture, Tracker, TrackerConfig};

/// Column names of PLOTS.csv, in the default order.
pub const PLOT_COLUMNS: [&str; 6] = [
    "time_s",
    "sensor",
    "range_m",
    "azimuth_deg",
    "mode3a",
    "aircraft_address",
];

/// Header of TRACKS.csv.
pub const TRACKS_HEADER: &str = "time_s,track_id,lat,lon,vx_mps,vy_mps";

/// An offline-mode error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OfflineError {
    /// The sensors file is wrong (the message names the sensor or the TOML position).
    #[error("{0}")]
    Sensors(String),
    /// A line of the plots file is wrong.
    #[error("line {line}: {message}")]
    Plot { line: usize, message: String },
}

fn plot_err(line: usize, message: impl Into<String>) -> OfflineError {
    OfflineError::Plot {
        line,
        message: message.into(),
    }
}

/// Parses SENSORS.toml into radar configurations (plane geometry, adaptive coverage).
pub fn parse_sensors(text: &str) -> Result<Vec<RadarConfig>, OfflineError> {
    let bad = |m: String| OfflineError::Sensors(m);
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(e.to_string().trim_end().to_string()))?;
    let Some(list) = doc.get("sensor") else {
        return Err(bad("no [[sensor]] table".into()));
    };
    let list = list
        .as_array()
        .ok_or_else(|| bad("`sensor` must be an array of tables ([[sensor]])".into()))?;
    let mut out: Vec<RadarConfig> = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let n = i + 1;
        let table = entry
            .as_table()
            .ok_or_else(|| bad(format!("sensor #{n} is not a table")))?;
        let id = match table.get("id") {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            Some(toml::Value::Integer(v)) => v.to_string(),
            Some(_) => {
                return Err(bad(format!(
                    "sensor #{n}: `id` must be a non-empty string or an integer"
                )));
            }
            None => return Err(bad(format!("sensor #{n}: missing `id`"))),
        };
        let num = |key: &str| -> Result<f64, OfflineError> {
            match table.get(key) {
                Some(toml::Value::Float(v)) => Ok(*v),
                Some(toml::Value::Integer(v)) => Ok(*v as f64),
                Some(_) => Err(bad(format!("sensor {id}: `{key}` must be a number"))),
                None => Err(bad(format!("sensor {id}: missing `{key}`"))),
            }
        };
        let config = RadarConfig {
            name: id.clone(),
            lat_deg: num("lat")?,
            lon_deg: num("lon")?,
            height_m: 0.0,
            range_sigma_m: num("range_sigma_m")?,
            azimuth_sigma_deg: num("azimuth_sigma_deg")?,
            range_bias_m: 0.0,
            azimuth_bias_deg: 0.0,
            pd: num("pd")?,
            period_s: num("period_s")?,
            max_range_m: None,
            geometry: RangeGeometry::Plane,
            sectors: DEFAULT_SECTORS,
        };
        if !within(config.lat_deg, -90.0, 90.0) || !within(config.lon_deg, -360.0, 360.0) {
            return Err(bad(format!("sensor {id}: lat/lon out of range")));
        }
        if !positive(config.range_sigma_m) || !positive(config.azimuth_sigma_deg) {
            return Err(bad(format!(
                "sensor {id}: range_sigma_m and azimuth_sigma_deg must be positive"
            )));
        }
        if !(config.pd > 0.0 && config.pd <= 1.0) {
            return Err(bad(format!("sensor {id}: pd must be in (0, 1]")));
        }
        if !(config.period_s > 0.0 && config.period_s.is_finite()) {
            return Err(bad(format!("sensor {id}: period_s must be positive")));
        }
        if out.iter().any(|c| c.name == id) {
            return Err(bad(format!("sensor {id} is defined twice")));
        }
        out.push(config);
    }
    if out.is_empty() {
        return Err(bad("no sensors defined".into()));
    }
    Ok(out)
}

/// The geographic centre of the sensors (normalised mean of their ECEF directions).
pub fn centre_of(sensors: &[RadarConfig]) -> (f64, f64) {
    let mut sum = Ecef::default();
    for s in sensors {
        sum = sum.plus(Geodetic::new(s.lat_deg, s.lon_deg, 0.0).to_ecef());
    }
    if sum.norm() == 0.0 {
        return sensors
            .first()
            .map_or((0.0, 0.0), |s| (s.lat_deg, s.lon_deg));
    }
    let g = sum.to_geodetic();
    (g.lat_deg, g.lon_deg)
}

/// One row of TRACKS.csv.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackRow {
    pub time_s: i64,
    pub track_id: u32,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub vx_mps: f64,
    pub vy_mps: f64,
}

impl TrackRow {
    /// The CSV line (no newline): seconds as an integer, 1e-7 degree, 1 cm/s.
    pub fn to_csv(&self) -> String {
        let mut line = String::with_capacity(64);
        self.write_csv(&mut line);
        line
    }

    /// Appends the CSV line (no newline) to `out`. The decimals are written from the rounded
    /// integer (a tie in the last digit may round the other way from `format!("{:.7}")`, a
    /// difference of 1e-7 degree, about a centimetre) rather than by exact float formatting,
    /// which took about 12 % of a `liptako track` run on border:1 (about 3 % this way).
    pub fn write_csv(&self, out: &mut String) {
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        let _ = write!(out, "{},{},", self.time_s, self.track_id);
        push_fixed(out, self.lat_deg, 7);
        out.push(',');
        push_fixed(out, self.lon_deg, 7);
        out.push(',');
        push_fixed(out, self.vx_mps, 2);
        out.push(',');
        push_fixed(out, self.vy_mps, 2);
    }
}

/// `value` with `decimals` digits after the point (1 to 9), through integer formatting.
/// Values too large for that (never a latitude, longitude or speed) fall back to `format!`.
fn push_fixed(out: &mut String, value: f64, decimals: u32) {
    use std::fmt::Write as _;
    let scale = 10_f64.powi(decimals as i32);
    let scaled = (value * scale).round();
    if !scaled.is_finite() || scaled.abs() >= 1e15 {
        let _ = write!(out, "{value:.prec$}", prec = decimals as usize);
        return;
    }
    if scaled < 0.0 {
        out.push('-');
    }
    let magnitude = scaled.abs() as u64;
    let unit = 10_u64.pow(decimals);
    let _ = write!(
        out,
        "{}.{:0width$}",
        magnitude / unit,
        magnitude % unit,
        width = decimals as usize
    );
}

/// Streaming offline run: feed PLOTS.csv line by line, get TRACKS.csv rows back.
#[derive(Debug)]
pub struct OfflineRun {
    tracker: Tracker,
    sensors: HashMap<String, SensorId>,
    /// Column positions of the six fields.
    columns: Option<[usize; 6]>,
    n_fields: usize,
    last_time: Option<f64>,
    /// Next whole second to output.
    next_second: Option<i64>,
}

impl OfflineRun {
    /// A run over these sensors, with the default tracker tuning around their centre.
    pub fn new(sensors: Vec<RadarConfig>) -> Result<Self, OfflineError> {
        let (lat, lon) = centre_of(&sensors);
        Self::with_config(sensors, TrackerConfig::new(lat, lon))
    }

    /// A run with an explicit tracker configuration (its picture period is forced to 1 s).
    pub fn with_config(
        sensors: Vec<RadarConfig>,
        mut config: TrackerConfig,
    ) -> Result<Self, OfflineError> {
        config.picture_period_s = 1.0;
        let mut tracker = Tracker::new(config);
        let mut ids = HashMap::new();
        for s in sensors {
            let name = s.name.clone();
            let id = tracker
                .add_radar(s)
                .map_err(|e| OfflineError::Sensors(e.to_string()))?;
            ids.insert(name, id);
        }
        Ok(Self {
            tracker,
            sensors: ids,
            columns: None,
            n_fields: PLOT_COLUMNS.len(),
            last_time: None,
            next_second: None,
        })
    }

    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Feeds line `line_no` (1-based) of PLOTS.csv; `emit` gets the rows of every whole second
    /// this line's time has moved past.
    pub fn push_line(
        &mut self,
        line_no: usize,
        line: &str,
        emit: &mut impl FnMut(TrackRow),
    ) -> Result<(), OfflineError> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            return Ok(());
        }
        let fields: Vec<&str> = line.split(',').map(|f| unquote(f.trim())).collect();
        let columns = match self.columns {
            Some(c) => c,
            None => {
                let first_is_number = fields.first().is_some_and(|f| f.parse::<f64>().is_ok());
                if first_is_number {
                    self.columns = Some([0, 1, 2, 3, 4, 5]);
                } else {
                    self.columns = Some(header_columns(&fields).map_err(|m| plot_err(line_no, m))?);
                    self.n_fields = fields.len();
                    return Ok(());
                }
                [0, 1, 2, 3, 4, 5]
            }
        };
        if fields.len() != self.n_fields {
            return Err(plot_err(
                line_no,
                format!("expected {} fields, found {}", self.n_fields, fields.len()),
            ));
        }
        let field = |k: usize| fields.get(columns[k]).copied().unwrap_or("");
        let time_s: f64 = field(0)
            .parse()
            .ok()
            .filter(|t: &f64| t.is_finite())
            .ok_or_else(|| plot_err(line_no, format!("time_s '{}' is not a number", field(0))))?;
        if time_s.abs() > crate::tracker::MAX_TIME_S {
            return Err(plot_err(
                line_no,
                format!("time_s {time_s} is outside +-1e10 s"),
            ));
        }
        let sensor_name = field(1);
        let Some(&sensor) = self.sensors.get(sensor_name) else {
            return Err(plot_err(
                line_no,
                format!("sensor '{sensor_name}' is not in SENSORS.toml"),
            ));
        };
        let range_m: f64 = field(2)
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && *r >= 0.0)
            .ok_or_else(|| {
                plot_err(
                    line_no,
                    format!("range_m '{}' is not a non-negative number", field(2)),
                )
            })?;
        let azimuth_deg: f64 = field(3)
            .parse()
            .ok()
            .filter(|a: &f64| a.is_finite())
            .ok_or_else(|| {
                plot_err(
                    line_no,
                    format!("azimuth_deg '{}' is not a number", field(3)),
                )
            })?;
        let mode3a = parse_mode3a(field(4)).map_err(|m| plot_err(line_no, m))?;
        let mode_s = parse_address(field(5)).map_err(|m| plot_err(line_no, m))?;
        if let Some(prev) = self.last_time
            && time_s < prev
        {
            return Err(plot_err(
                line_no,
                format!(
                    "time {time_s} is earlier than the previous plot's {prev}: PLOTS.csv must be sorted by time"
                ),
            ));
        }
        // Seconds strictly before this plot are complete: emit them first.
        let first = *self.next_second.get_or_insert(time_s.ceil() as i64);
        let mut k = first;
        while (k as f64) < time_s {
            self.emit_second(k, emit);
            k += 1;
            if self.tracker.is_idle() {
                // No track left and nothing pending: the seconds up to this plot have no rows.
                // Bring the tracker's clock along (it skips the empty pictures itself).
                let target = time_s.ceil().min(i64::MAX as f64) as i64;
                if target > k {
                    let _empty = self.tracker.advance((target - 1) as f64);
                    k = target;
                }
            }
        }
        self.next_second = Some(k);
        self.last_time = Some(time_s);
        let plot = RadarPlot {
            time_s,
            range_m,
            azimuth_deg,
            mode3a,
            mode_s,
            altitude_m: None,
            callsign: None,
        };
        self.tracker
            .push_plot(sensor, &plot)
            .map_err(|e| plot_err(line_no, e.to_string()))
    }

    /// Emits the remaining whole seconds up to the last plot time.
    pub fn finish(&mut self, emit: &mut impl FnMut(TrackRow)) {
        let (Some(mut k), Some(last)) = (self.next_second, self.last_time) else {
            return;
        };
        while (k as f64) <= last {
            self.emit_second(k, emit);
            k += 1;
        }
        self.next_second = Some(k);
    }

    fn emit_second(&mut self, k: i64, emit: &mut impl FnMut(TrackRow)) {
        let pictures = self.tracker.advance(k as f64);
        // The tracker ticks on whole seconds too; the picture for `k` is the last one.
        let picture = match pictures.into_iter().last() {
            Some(p) if p.time_s == k as f64 => p,
            _ => self.tracker.picture(k as f64),
        };
        emit_picture(k, &picture, emit);
    }
}

fn emit_picture(k: i64, picture: &Picture, emit: &mut impl FnMut(TrackRow)) {
    for t in &picture.tracks {
        emit(TrackRow {
            time_s: k,
            track_id: t.id.0,
            lat_deg: t.lat_deg,
            lon_deg: t.lon_deg,
            vx_mps: t.velocity_east_mps,
            vy_mps: t.velocity_north_mps,
        });
    }
}

fn unquote(f: &str) -> &str {
    f.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(f)
}

fn header_columns(fields: &[&str]) -> Result<[usize; 6], String> {
    let mut cols = [0usize; 6];
    for (k, name) in PLOT_COLUMNS.iter().enumerate() {
        cols[k] = fields
            .iter()
            .position(|f| f.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!(
                    "header has no '{name}' column (expected {})",
                    PLOT_COLUMNS.join(",")
                )
            })?;
    }
    Ok(cols)
}

/// 4 octal digits, or empty.
pub fn parse_mode3a(field: &str) -> Result<Option<u16>, String> {
    if field.is_empty() {
        return Ok(None);
    }
    if field.len() != 4 || !field.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err(format!("mode3a '{field}' is not 4 octal digits"));
    }
    u16::from_str_radix(field, 8)
        .map(Some)
        .map_err(|_| format!("mode3a '{field}' is not 4 octal digits"))
}

/// 6 hex digits, or empty.
pub fn parse_address(field: &str) -> Result<Option<u32>, String> {
    if field.is_empty() {
        return Ok(None);
    }
    if field.len() != 6 || !field.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("aircraft_address '{field}' is not 6 hex digits"));
    }
    u32::from_str_radix(field, 16)
        .map(Some)
        .map_err(|_| format!("aircraft_address '{field}' is not 6 hex digits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn fixed_decimals_agree_with_format(v in -1.0e6f64..1.0e6, d in 1u32..=9) {
            let mut ours = String::new();
            push_fixed(&mut ours, v, d);
            let std = format!("{v:.prec$}", prec = d as usize);
            // Same digits count after the point, and the same value to within one unit of
            // the last digit (ties may round differently), plus half a unit for the float
            // parse of up to 16 significant digits (proptest-regressions/offline.txt).
            proptest::prop_assert_eq!(ours.split('.').nth(1).map(str::len), std.split('.').nth(1).map(str::len));
            let (a, b): (f64, f64) = (ours.parse().unwrap(), std.parse().unwrap());
            proptest::prop_assert!((a - b).abs() <= 1.5 * 10f64.powi(-(d as i32)), "{} {}", ours, std);
        }
    }

    #[test]
    fn rows_are_written_to_their_precision() {
        let row = TrackRow {
            time_s: 12,
            track_id: 3,
            lat_deg: -14.123_456_789,
            lon_deg: 0.000_000_04,
            vx_mps: -0.004,
            vy_mps: 230.456,
        };
        assert_eq!(row.to_csv(), "12,3,-14.1234568,0.0000000,0.00,230.46");
    }

    const SENSORS: &str = r#"
[[sensor]]
id = "R1"
lat = 14.0
lon = 1.0
range_sigma_m = 50
azimuth_sigma_deg = 0.08
pd = 0.9
period_s = 4.0
comment = "ignored"

[[sensor]]
id = 7
lat = 14.5
lon = 1.5
range_sigma_m = 40.0
azimuth_sigma_deg = 0.1
pd = 0.8
period_s = 5
"#;

    #[test]
    fn sensors_parse_with_extra_keys_and_integer_ids() {
        let s = parse_sensors(SENSORS).expect("parse");
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].name, "7");
        assert_eq!(s[1].period_s, 5.0);
    }

    #[test]
    fn sensor_errors_name_the_sensor() {
        let e = parse_sensors(&SENSORS.replace("pd = 0.8", "pd = 1.8")).expect_err("bad pd");
        assert!(e.to_string().contains("sensor 7"), "{e}");
        let e = parse_sensors(&SENSORS.replace("period_s = 4.0", "")).expect_err("missing");
        assert!(e.to_string().contains("missing `period_s`"), "{e}");
        let e = parse_sensors("[[sensor]\n").expect_err("syntax");
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn codes() {
        assert_eq!(parse_mode3a("7700"), Ok(Some(0o7700)));
        assert!(parse_mode3a("7800").is_err());
        assert!(parse_mode3a("770").is_err());
        assert_eq!(parse_address("3C4D5e"), Ok(Some(0x3C4D5E)));
        assert!(parse_address("3C4D5").is_err());
        assert!(parse_address("3C4D5G").is_err());
    }

    #[test]
    fn plot_errors_name_the_line() {
        let mut run = OfflineRun::new(parse_sensors(SENSORS).expect("parse")).expect("run");
        let mut sink = |_r: TrackRow| {};
        run.push_line(
            1,
            "time_s,sensor,range_m,azimuth_deg,mode3a,aircraft_address",
            &mut sink,
        )
        .expect("header");
        run.push_line(2, "10.0,R1,1000,45,,", &mut sink)
            .expect("plot");
        let cases = [
            ("9.0,R1,1000,45,,", "sorted"),
            ("11.0,R9,1000,45,,", "not in SENSORS.toml"),
            ("11.0,R1,-5,45,,", "range_m"),
            ("11.0,R1,1000,x,,", "azimuth_deg"),
            ("11.0,R1,1000,45,9999,", "mode3a"),
            ("11.0,R1,1000,45,,12", "aircraft_address"),
            ("11.0,R1,1000,45", "expected 6 fields"),
            ("nan,R1,1000,45,,", "time_s"),
        ];
        for (line, want) in cases {
            let e = run.push_line(3, line, &mut sink).expect_err(line);
            let text = e.to_string();
            assert!(
                text.starts_with("line 3: ") && text.contains(want),
                "{line}: {text}"
            );
        }
    }

    #[test]
    fn header_in_any_order() {
        let cols = header_columns(&[
            "sensor",
            "time_s",
            "aircraft_address",
            "mode3a",
            "azimuth_deg",
            "range_m",
        ])
        .expect("h");
        assert_eq!(cols, [1, 0, 5, 4, 3, 2]);
        assert!(header_columns(&["a", "b"]).is_err());
    }
}
