//! One JSON object per record: the shape `liptako asterix dump` prints.
//!
//! ```text
//! {"cat":48,"sac":25,"sic":201,"time_of_day":27354.6015625,"rho_nm":197.68359375,
//!  "theta_deg":340.13671875,"mode3a":"1000","flight_level":330,"aircraft_address":"3C660C",
//!  "aircraft_id":"DLH65A","track_number":3563,...,"items":{"I048/010":"19C9",...}}
//! ```
//!
//! First the category, data source and time of day, then the typed values of the category
//! with their unit in the key (`rho_nm`, `theta_deg`, `x_m`, `vx_mps`, `lat`/`lon` in WGS-84
//! degrees, `mode3a` in octal digits, `aircraft_address` in hexadecimal), then under
//! `"items"` every item by name: its bytes in hexadecimal, or with [`ItemStyle::Fields`] its
//! fields as decoded from the edition's table. Keys are omitted when the item is absent.
//! Formatting is pure: the caller owns the output buffer and the I/O.

use std::fmt::Write;

use crate::cat021::Cat021Report;
use crate::cat034::Cat034Message;
use crate::cat048::Cat048Report;
use crate::cat062::Cat062Track;
use crate::cat065::Cat065Message;
use crate::decode::Record;
use crate::fields::{FieldAt, Value, Visitor};
use crate::spec::{Field, Format, SubItem};
use crate::types::{AirSpeed, DataSource};

/// How items appear under `"items"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemStyle {
    /// Each item's bytes as upper-case hexadecimal (`"I048/010":"19C9"`).
    #[default]
    Hex,
    /// Each item's fields by name (`"I048/010":{"SAC":25,"SIC":201}`): compound subfields
    /// nest, repetitions are arrays, SP/RE stay hexadecimal.
    Fields,
}

/// Appends the JSON object of `record` (no trailing newline) to `out`.
pub fn write_record(record: &Record<'_>, style: ItemStyle, out: &mut String) {
    let mut obj = Object::new(out);
    obj.key("cat");
    obj.raw(format_args!("{}", record.category()));
    match record.category() {
        48 => {
            if let Some(report) = Cat048Report::from_record(record) {
                write_cat048(&report, &mut obj);
            }
        }
        21 => {
            if let Some(report) = Cat021Report::from_record(record) {
                write_cat021(&report, &mut obj);
            }
        }
        62 => {
            if let Some(track) = Cat062Track::from_record(record) {
                write_cat062(&track, &mut obj);
            }
        }
        34 => {
            if let Some(message) = Cat034Message::from_record(record) {
                source_and_time(&mut obj, message.data_source, message.time_of_day_s);
                obj.opt_num(
                    "message_type",
                    message.message_type.map(|t| f64::from(t.code())),
                );
                obj.opt_num("sector_deg", message.sector_azimuth_deg);
                obj.opt_num(
                    "antenna_rotation_period_s",
                    message.antenna_rotation_period_s,
                );
            }
        }
        65 => {
            if let Some(message) = Cat065Message::from_record(record) {
                source_and_time(&mut obj, message.data_source, message.time_of_message_s);
                obj.opt_num("message_type", message.message_type.map(f64::from));
                obj.opt_num("service_id", message.service_id.map(f64::from));
                obj.opt_num("batch_number", message.batch_number.map(f64::from));
            }
        }
        _ => {}
    }
    obj.key("items");
    let mut items = Object::new(obj.out);
    for item in record.items() {
        items.key_display(item.name());
        match (style, item.spec.format) {
            (ItemStyle::Fields, Format::Explicit) | (ItemStyle::Hex, _) => {
                items.hex(item.bytes);
            }
            (ItemStyle::Fields, _) => {
                let mut writer = FieldsJson::new(items.out, &item.spec.format);
                item.visit(&mut writer);
                writer.finish();
            }
        }
    }
    items.close();
    obj.close();
}

fn source_and_time(obj: &mut Object<'_>, source: Option<DataSource>, time_s: Option<f64>) {
    if let Some(source) = source {
        obj.num("sac", f64::from(source.sac));
        obj.num("sic", f64::from(source.sic));
    }
    obj.opt_num("time_of_day", time_s);
}

fn write_cat048(r: &Cat048Report<'_>, obj: &mut Object<'_>) {
    source_and_time(obj, r.data_source, r.time_of_day_s);
    if let Some(polar) = r.polar {
        obj.num("rho_nm", polar.rho_nm);
        obj.num("theta_deg", polar.theta_deg);
    }
    obj.opt_num("extended_range_nm", r.extended_range_nm);
    if let Some(cartesian) = r.cartesian {
        obj.num("x_nm", cartesian.x_nm);
        obj.num("y_nm", cartesian.y_nm);
    }
    obj.opt_display("mode3a", r.mode3a.map(|m| m.code));
    obj.opt_num("flight_level", r.flight_level.map(|fl| fl.flight_level));
    obj.opt_num("height_3d_ft", r.height_3d_ft);
    obj.opt_display("aircraft_address", r.aircraft_address);
    obj.opt_display("aircraft_id", r.aircraft_id);
    obj.opt_num("track_number", r.track_number.map(f64::from));
    if let Some(velocity) = r.velocity {
        obj.num("groundspeed_nmps", velocity.groundspeed_nmps);
        obj.num("heading_deg", velocity.heading_deg);
    }
    if let Some(bds40) = r
        .mode_s_registers
        .find(0x40)
        .and_then(|reg| reg.selected_vertical_intention())
    {
        obj.opt_num("selected_altitude_ft", bds40.mcp_altitude_ft);
        obj.opt_num("baro_setting_mb", bds40.baro_setting_mb);
    }
    if let Some(bds50) = r
        .mode_s_registers
        .find(0x50)
        .and_then(|reg| reg.track_and_turn())
    {
        obj.opt_num("roll_deg", bds50.roll_deg);
        obj.opt_num("true_track_deg", bds50.true_track_deg);
        obj.opt_num("true_airspeed_kt", bds50.true_airspeed_kt);
    }
    if let Some(bds60) = r
        .mode_s_registers
        .find(0x60)
        .and_then(|reg| reg.heading_and_speed())
    {
        obj.opt_num("magnetic_heading_deg", bds60.magnetic_heading_deg);
        obj.opt_num("indicated_airspeed_kt", bds60.indicated_airspeed_kt);
        obj.opt_num("mach", bds60.mach);
        obj.opt_num("baro_vertical_rate_ft_min", bds60.baro_vertical_rate_ft_min);
    }
}

fn write_cat021(r: &Cat021Report, obj: &mut Object<'_>) {
    source_and_time(obj, r.data_source, r.time_of_day_s());
    if let Some(position) = r.position() {
        obj.num("lat", position.lat_deg);
        obj.num("lon", position.lon_deg);
    }
    obj.opt_display("aircraft_address", r.aircraft_address);
    obj.opt_display("aircraft_id", r.aircraft_id);
    obj.opt_display("mode3a", r.mode3a);
    obj.opt_num("flight_level", r.flight_level);
    obj.opt_num("geometric_height_ft", r.geometric_height_ft);
    obj.opt_num("track_number", r.track_number.map(f64::from));
    if let Some(vector) = r.ground_vector {
        obj.num("groundspeed_nmps", vector.groundspeed_nmps);
        obj.num("track_angle_deg", vector.track_angle_deg);
    }
    obj.opt_num(
        "baro_vertical_rate_ft_min",
        r.barometric_vertical_rate.map(|rate| rate.ft_min),
    );
    obj.opt_num(
        "geo_vertical_rate_ft_min",
        r.geometric_vertical_rate.map(|rate| rate.ft_min),
    );
    obj.opt_num("magnetic_heading_deg", r.magnetic_heading_deg);
    match r.air_speed {
        Some(AirSpeed::IasNmps(nmps)) => obj.num("ias_nmps", nmps),
        Some(AirSpeed::Mach(mach)) => obj.num("mach", mach),
        None => {}
    }
    obj.opt_num("true_airspeed_kt", r.true_airspeed.map(|tas| tas.tas_kt));
    obj.opt_num("emitter_category", r.emitter_category.map(f64::from));
}

fn write_cat062(t: &Cat062Track, obj: &mut Object<'_>) {
    source_and_time(obj, t.data_source, t.time_of_track_s);
    if let Some(position) = t.position_wgs84 {
        obj.num("lat", position.lat_deg);
        obj.num("lon", position.lon_deg);
    }
    if let Some(position) = t.position_cartesian {
        obj.num("x_m", position.x_m);
        obj.num("y_m", position.y_m);
    }
    if let Some(velocity) = t.velocity {
        obj.num("vx_mps", velocity.vx_mps);
        obj.num("vy_mps", velocity.vy_mps);
    }
    if let Some(acceleration) = t.acceleration {
        obj.num("ax_mps2", acceleration.ax_mps2);
        obj.num("ay_mps2", acceleration.ay_mps2);
    }
    obj.opt_display("mode3a", t.mode3a.map(|m| m.code));
    obj.opt_display("aircraft_address", t.aircraft_address());
    obj.opt_display("aircraft_id", t.aircraft_id());
    obj.opt_num("track_number", t.track_number.map(f64::from));
    obj.opt_num("flight_level", t.measured_flight_level);
    obj.opt_num(
        "baro_altitude_fl",
        t.barometric_altitude.map(|alt| alt.flight_level),
    );
    obj.opt_num("geometric_altitude_ft", t.geometric_altitude_ft);
    obj.opt_num("rate_of_climb_ft_min", t.rate_of_climb_ft_min);
}

/// A JSON object being written: handles commas.
struct Object<'o> {
    out: &'o mut String,
    first: bool,
}

impl<'o> Object<'o> {
    fn new(out: &'o mut String) -> Self {
        out.push('{');
        Object { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_json_str(self.out, key);
        self.out.push(':');
    }

    fn key_display(&mut self, key: impl std::fmt::Display) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        // Item names are ASCII letters, digits and '/', nothing to escape.
        let _ = write!(self.out, "\"{key}\":");
    }

    fn raw(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = self.out.write_fmt(args);
    }

    fn num(&mut self, key: &str, value: f64) {
        self.key(key);
        push_json_num(self.out, value);
    }

    fn opt_num(&mut self, key: &str, value: Option<f64>) {
        if let Some(value) = value {
            self.num(key, value);
        }
    }

    fn opt_display(&mut self, key: &str, value: Option<impl std::fmt::Display>) {
        if let Some(value) = value {
            self.key(key);
            let mut text = String::new();
            let _ = write!(text, "{value}");
            push_json_str(self.out, &text);
        }
    }

    fn hex(&mut self, bytes: &[u8]) {
        push_hex(self.out, bytes);
    }

    fn close(self) {
        self.out.push('}');
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for byte in bytes {
        let _ = write!(out, "{byte:02X}");
    }
    out.push('"');
}

/// A finite number in JSON (Rust's shortest round-trip form); non-finite values, which no
/// table produces, become `null`.
fn push_json_num(out: &mut String, value: f64) {
    if value.is_finite() {
        let _ = write!(out, "{value}");
    } else {
        out.push_str("null");
    }
}

fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes an item's fields as JSON, following the visitor's structure events.
struct FieldsJson<'o> {
    out: &'o mut String,
    // One entry per open JSON container: whether it still has no member, and whether it is
    // an array (of repetitions) rather than an object.
    stack: Vec<(bool, bool)>,
    // A compound subfield with one field prints as that field's value.
    bare_value: bool,
}

impl<'o> FieldsJson<'o> {
    fn new(out: &'o mut String, format: &Format) -> Self {
        let array = matches!(
            format,
            Format::Repetitive { .. } | Format::RepetitiveFx { .. } | Format::ModeSRegisters
        );
        out.push(if array { '[' } else { '{' });
        FieldsJson {
            out,
            stack: vec![(true, array)],
            bare_value: false,
        }
    }

    fn separator(&mut self) {
        if let Some((first, _)) = self.stack.last_mut() {
            if !*first {
                self.out.push(',');
            }
            *first = false;
        }
    }

    fn finish(mut self) {
        while let Some((_, array)) = self.stack.pop() {
            self.out.push(if array { ']' } else { '}' });
        }
    }
}

impl Visitor for FieldsJson<'_> {
    fn field(&mut self, field: &'static Field, _at: FieldAt, _raw: u64, value: Value) {
        if value == Value::Spare {
            return;
        }
        if !self.bare_value {
            self.separator();
            push_json_str(self.out, field.name);
            self.out.push(':');
        }
        match value {
            Value::Spare => {}
            Value::Unsigned(raw) => {
                let _ = write!(self.out, "{raw}");
            }
            Value::Number { value, .. } => push_json_num(self.out, value),
            Value::Text(text) => push_json_str(self.out, text.as_str()),
        }
    }

    fn begin_subfield(&mut self, _slot: usize, sub: &'static SubItem) {
        self.separator();
        push_json_str(self.out, sub.name);
        self.out.push(':');
        let single = match sub.format {
            Format::Fixed { fields, .. } => {
                fields
                    .iter()
                    .filter(|f| f.kind != crate::spec::Kind::Spare)
                    .count()
                    == 1
            }
            _ => false,
        };
        if single {
            self.bare_value = true;
            // Balanced by end_subfield.
            self.stack.push((true, false));
            return;
        }
        let array = matches!(
            sub.format,
            Format::Repetitive { .. } | Format::RepetitiveFx { .. } | Format::ModeSRegisters
        );
        self.out.push(if array { '[' } else { '{' });
        self.stack.push((true, array));
    }

    fn end_subfield(&mut self) {
        if self.bare_value {
            self.bare_value = false;
            self.stack.pop();
            return;
        }
        if let Some((_, array)) = self.stack.pop() {
            self.out.push(if array { ']' } else { '}' });
        }
    }

    fn begin_element(&mut self, _index: usize) {
        self.separator();
        self.out.push('{');
        self.stack.push((true, false));
    }

    fn end_element(&mut self) {
        self.stack.pop();
        self.out.push('}');
    }

    fn undefined_extent(&mut self, part: usize, bytes: &[u8]) {
        self.separator();
        let _ = write!(self.out, "\"extent{}\":", part + 1);
        push_hex(self.out, bytes);
    }

    fn opaque(&mut self, bytes: &[u8]) {
        self.separator();
        self.out.push_str("\"hex\":");
        push_hex(self.out, bytes);
    }
}
