//! The report as one HTML file: inline CSS, inline SVG maps, no script, nothing fetched (the
//! page's own Content-Security-Policy forbids it), the marking in a header and a footer that
//! stay on screen and print on every page. Everything written by users is escaped.

use std::fmt::Write as _;

use super::map::{self, MarkerKind, Rgb, Shape};
use super::text::{self, Label};
use super::{Aar, Moment, Scope};

/// The page's policy: nothing from anywhere, styles inline, images only inline.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE: &str = "
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#111;font-size:14px}
main{max-width:1000px;margin:0 auto;padding:48px 16px 56px}
.marking{position:fixed;left:0;right:0;text-align:center;font-weight:bold;padding:6px;
 background:#fff3c4;border:1px solid #c9a400;letter-spacing:.05em;z-index:2}
header.marking{top:0} footer.marking{bottom:0}
h1{font-size:24px;margin:8px 0} h2{font-size:18px;border-bottom:1px solid #999;margin-top:28px}
table{border-collapse:collapse;width:100%} td,th{border:1px solid #ccc;padding:4px 6px;
 vertical-align:top;text-align:left} th{background:#f0f0f0}
.num{text-align:right;white-space:nowrap} .when{white-space:nowrap;font-family:monospace}
.exercise{color:#b00;font-weight:bold}
figure{margin:12px 0} figcaption{font-weight:bold;margin-bottom:4px}
svg{border:1px solid #888;background:#dfeef7;width:100%;height:auto}
.legend span{display:inline-block;margin-right:14px}
@media print{.marking{position:static} main{padding-top:0}
 @page{margin:18mm}}
";

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn rgb(colour: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", colour.0, colour.1, colour.2)
}

/// The whole page.
pub fn render(aar: &Aar) -> String {
    let lang = aar.lang;
    let t = |label| text::label(lang, label);
    let marking = escape(&aar.marking_line());
    let mut page = String::with_capacity(64 * 1024);
    let title = match &aar.name {
        Some(name) => format!("{} — {}", t(Label::Title), name),
        None => t(Label::Title).to_owned(),
    };
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} [{}]</title><style>{STYLE}</style></head><body>\n\
         <header class=\"marking\">{marking}</header>\n<main>\n<h1>{}</h1>\n",
        lang.code(),
        escape(&title),
        marking,
        escape(&title),
    );
    if let Some(exercise) = &aar.exercise {
        let _ = writeln!(
            page,
            "<p class=\"exercise\">{} — {}</p>",
            t(Label::ExerciseBanner),
            escape(exercise)
        );
    }
    // Scope.
    page.push_str("<table>\n");
    let scope = match aar.scope {
        Scope::Operation => t(Label::Operation),
        Scope::Exercise => t(Label::Exercise),
        Scope::Window => t(Label::Window),
    };
    let mut row = |label: &str, value: String| {
        let _ = writeln!(
            page,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label),
            value
        );
    };
    row(
        scope,
        escape(aar.name.as_deref().unwrap_or(t(Label::RealWorld))),
    );
    row(t(Label::From), text::time(aar.from));
    row(t(Label::To), text::time(aar.to));
    if let Some(area) = aar.area {
        row(
            t(Label::Area),
            format!(
                "{:.3}, {:.3}, {:.3}, {:.3}",
                area.west, area.south, area.east, area.north
            ),
        );
    }
    row(t(Label::Node), aar.node.to_string());
    row(
        t(Label::GeneratedFor),
        escape(&format!(
            "{} ({}, {})",
            aar.reader.name, aar.reader.nation, aar.reader.clearance
        )),
    );
    row(t(Label::GeneratedAt), text::time(aar.generated));
    page.push_str("</table>\n");
    if aar.truncated {
        let _ = writeln!(page, "<p><strong>{}</strong></p>", t(Label::Truncated));
    }

    // Figures.
    let _ = writeln!(page, "<h2>{}</h2>\n<table>", t(Label::Figures));
    for (label, value) in figure_lines(aar) {
        let _ = writeln!(
            page,
            "<tr><th>{}</th><td class=\"num\">{}</td></tr>",
            escape(&label),
            escape(&value)
        );
    }
    page.push_str("</table>\n");

    // Maps.
    let _ = writeln!(page, "<h2>{}</h2>", t(Label::Maps));
    let _ = writeln!(page, "<p class=\"legend\">{}</p>", legend_html(aar));
    for frame in &aar.maps {
        let _ = writeln!(
            page,
            "<figure><figcaption>{} — {} ({} {}, {} {}, {} {})</figcaption>",
            escape(moment_label(aar, frame.moment)),
            text::time(frame.at),
            frame.n_units,
            t(Label::Units),
            frame.n_air_tracks,
            t(Label::AirPicture),
            frame.n_zones,
            t(Label::Zones),
        );
        page.push_str(&svg(&frame.shapes));
        page.push_str("</figure>\n");
    }

    // Timeline.
    let _ = writeln!(page, "<h2>{}</h2>", t(Label::Timeline));
    if aar.events.is_empty() {
        let _ = writeln!(page, "<p>{}</p>", t(Label::Nothing));
    } else {
        let _ = writeln!(
            page,
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>",
            t(Label::Time),
            t(Label::Nation),
            t(Label::What),
            t(Label::Details),
        );
        for event in &aar.events {
            let delay = event
                .delay_s
                .map(|s| format!("{} {}", t(Label::After), text::duration(s)))
                .unwrap_or_default();
            let _ = writeln!(
                page,
                "<tr><td class=\"when\">{}</td><td>{}</td><td>{}</td><td>{}<br><small>{}</small></td><td>{}</td></tr>",
                text::time(event.at),
                event.nation,
                escape(text::event(lang, event.kind)),
                escape(&event.text),
                escape(&event.detail),
                escape(&delay),
            );
        }
        page.push_str("</table>\n");
    }
    let _ = write!(
        page,
        "</main>\n<footer class=\"marking\">{marking}</footer>\n</body></html>\n"
    );
    page
}

/// The figures as label/value lines (shared with the PDF).
pub fn figure_lines(aar: &Aar) -> Vec<(String, String)> {
    let lang = aar.lang;
    let t = |label| text::label(lang, label);
    let f = &aar.figures;
    let median = |value: Option<f64>| {
        value
            .map(text::duration)
            .unwrap_or_else(|| t(Label::None).to_owned())
    };
    let mut lines = vec![
        (
            t(Label::PursuitNotices).to_owned(),
            format!(
                "{} ({} {})",
                f.pursuit_notices,
                f.pursuit_ack_delays.len(),
                t(Label::Acknowledged)
            ),
        ),
        (
            t(Label::AckDelayMedian).to_owned(),
            median(f.pursuit_ack_median_s),
        ),
    ];
    if !f.pursuit_ack_delays.is_empty() {
        let each: Vec<String> = f
            .pursuit_ack_delays
            .iter()
            .map(|delay| format!("{} {}", delay.nation, text::duration(delay.seconds)))
            .collect();
        lines.push((t(Label::AckDelays).to_owned(), each.join(", ")));
    }
    lines.extend([
        (
            t(Label::SupportRequests).to_owned(),
            format!(
                "{} ({} {})",
                f.support_requests,
                f.support_decision_delays.len(),
                t(Label::Decided)
            ),
        ),
        (
            t(Label::DecisionDelayMedian).to_owned(),
            median(f.support_decision_median_s),
        ),
        (
            t(Label::AlertsRaised).to_owned(),
            format!(
                "{} ({} {})",
                f.alerts_raised,
                f.alerts_acknowledged,
                t(Label::AlertsAcknowledged)
            ),
        ),
        (
            t(Label::AlertAckMedian).to_owned(),
            median(f.alert_ack_median_s),
        ),
        (
            t(Label::CivilianHarm).to_owned(),
            f.civilian_harm_reports.to_string(),
        ),
        (
            t(Label::ProtectionWarnings).to_owned(),
            f.protection_warnings.to_string(),
        ),
        (
            t(Label::BorderCrossings).to_owned(),
            f.border_crossings.to_string(),
        ),
        (
            t(Label::AirTracks).to_owned(),
            format!(
                "{} ({} {})",
                f.air_tracks,
                f.air_tracks_identified,
                t(Label::AirIdentified)
            ),
        ),
        (t(Label::Reports).to_owned(), f.reports.to_string()),
    ]);
    lines
}

/// The name of a key moment.
pub fn moment_label(aar: &Aar, moment: Moment) -> &'static str {
    text::label(
        aar.lang,
        match moment {
            Moment::First => Label::MomentFirst,
            Moment::Crossing => Label::MomentCrossing,
            Moment::Last => Label::MomentLast,
        },
    )
}

fn legend_html(aar: &Aar) -> String {
    let t = |label| text::label(aar.lang, label);
    format!(
        "<strong>{}</strong>: <span>■ {}</span><span>— {}</span><span>▲ {}</span>\
         <span style=\"color:#00823c\">▨ {}</span><span style=\"color:#0054a6\">┅ {}</span>\
         <span style=\"color:#c80000\">✕ {}</span>",
        t(Label::Legend),
        t(Label::Units),
        t(Label::Tracks),
        t(Label::AirPicture),
        t(Label::ProtectedSites),
        t(Label::Operation),
        t(Label::Crossing),
    )
}

/// One map as inline SVG.
pub fn svg(shapes: &[Shape]) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let _ = write!(
        out,
        "<svg viewBox=\"0 0 {} {}\" role=\"img\">",
        map::WIDTH,
        map::HEIGHT
    );
    for shape in shapes {
        match shape {
            Shape::Path {
                rings,
                closed,
                stroke,
                fill,
            } => {
                let mut d = String::new();
                for ring in rings {
                    for (idx, (x, y)) in ring.iter().enumerate() {
                        let _ = write!(d, "{}{x:.1} {y:.1}", if idx == 0 { "M" } else { "L" });
                    }
                    if *closed {
                        d.push('Z');
                    }
                }
                let fill = fill.map(rgb).unwrap_or_else(|| "none".into());
                let stroke = match stroke {
                    Some((colour, width, dashed)) => format!(
                        " stroke=\"{}\" stroke-width=\"{width}\"{}",
                        rgb(*colour),
                        if *dashed {
                            " stroke-dasharray=\"6 4\""
                        } else {
                            ""
                        }
                    ),
                    None => String::new(),
                };
                let _ = write!(
                    out,
                    "<path d=\"{d}\" fill=\"{fill}\" fill-rule=\"evenodd\"{stroke}/>"
                );
            }
            Shape::Marker { at, kind, fill } => {
                let (x, y) = *at;
                let colour = rgb(*fill);
                let _ = match kind {
                    MarkerKind::Square => write!(
                        out,
                        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{colour}\" stroke=\"#000\"/>",
                        x - 5.0,
                        y - 5.0
                    ),
                    MarkerKind::Circle => write!(
                        out,
                        "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{colour}\" stroke=\"#fff\"/>"
                    ),
                    MarkerKind::Triangle => write!(
                        out,
                        "<path d=\"M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z\" fill=\"{colour}\" stroke=\"#000\" stroke-width=\"0.5\"/>",
                        y - 5.0,
                        x + 4.5,
                        y + 4.0,
                        x - 4.5,
                        y + 4.0
                    ),
                    MarkerKind::Cross => write!(
                        out,
                        "<path d=\"M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}\" stroke=\"{colour}\" stroke-width=\"3\"/>",
                        x - 6.0,
                        y - 6.0,
                        x + 6.0,
                        y + 6.0,
                        x - 6.0,
                        y + 6.0,
                        x + 6.0,
                        y - 6.0
                    ),
                };
            }
            Shape::Label { at, text } => {
                let _ = write!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" font-family=\"Helvetica,Arial,sans-serif\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\">{}</text>",
                    at.0,
                    at.1,
                    escape(text)
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(
            escape("<img src=x onerror=\"a\">&'"),
            "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;"
        );
    }
}
