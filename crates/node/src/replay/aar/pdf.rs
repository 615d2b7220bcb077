//! The report as PDF, written with `pdf-writer` (typst's PDF writer: the document structure,
//! objects, streams and cross-reference table are the library's; this module lays out pages).
//! Base-14 Helvetica and Helvetica-Bold in WinAnsiEncoding (French accents, `œ`, `€`; nothing
//! to embed); A4 portrait; the marking centred at the top and the bottom of every page, page
//! numbers; the figures, the maps as vector drawings (the same shapes as the HTML's SVG) and
//! the timeline.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::html::{figure_lines, moment_label};
use super::map::{self, MarkerKind, Rgb, Shape};
use super::text::{self, Label};
use super::{Aar, Scope};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 40.0;
const RIGHT: f32 = PAGE_W - 40.0;
const TOP: f32 = PAGE_H - 52.0;
const BOTTOM: f32 = 56.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Renders `aar`; returns the document and its number of pages.
pub fn render(aar: &Aar) -> (Vec<u8>, usize) {
    let mut layout = Layout::new();
    let lang = aar.lang;
    let t = |label| text::label(lang, label);

    let title = match &aar.name {
        Some(name) => format!("{} — {}", t(Label::Title), name),
        None => t(Label::Title).to_owned(),
    };
    layout.paragraph(&title, 18.0, true, LEFT, RIGHT - LEFT);
    if let Some(exercise) = &aar.exercise {
        layout.colour = Rgb(180, 0, 0);
        layout.paragraph(
            &format!("{} — {exercise}", t(Label::ExerciseBanner)),
            12.0,
            true,
            LEFT,
            RIGHT - LEFT,
        );
        layout.colour = Rgb(0, 0, 0);
    }
    layout.gap(6.0);
    let scope = match aar.scope {
        Scope::Operation => t(Label::Operation),
        Scope::Exercise => t(Label::Exercise),
        Scope::Window => t(Label::Window),
    };
    let mut rows: Vec<(String, String)> = vec![
        (
            scope.to_owned(),
            aar.name
                .clone()
                .unwrap_or_else(|| t(Label::RealWorld).to_owned()),
        ),
        (t(Label::From).to_owned(), text::time(aar.from)),
        (t(Label::To).to_owned(), text::time(aar.to)),
    ];
    if let Some(area) = aar.area {
        rows.push((
            t(Label::Area).to_owned(),
            format!(
                "{:.3}, {:.3}, {:.3}, {:.3}",
                area.west, area.south, area.east, area.north
            ),
        ));
    }
    rows.push((t(Label::Node).to_owned(), aar.node.to_string()));
    rows.push((
        t(Label::GeneratedFor).to_owned(),
        format!(
            "{} ({}, {})",
            aar.reader.name, aar.reader.nation, aar.reader.clearance
        ),
    ));
    rows.push((t(Label::GeneratedAt).to_owned(), text::time(aar.generated)));
    layout.pairs(&rows, 170.0);
    if aar.truncated {
        layout.paragraph(t(Label::Truncated), 10.0, true, LEFT, RIGHT - LEFT);
    }

    layout.heading(t(Label::Figures));
    layout.pairs(&figure_lines(aar), 250.0);

    layout.heading(t(Label::Maps));
    let map_w = RIGHT - LEFT;
    let scale = map_w / map::WIDTH as f32;
    let map_h = map::HEIGHT as f32 * scale;
    for frame in &aar.maps {
        layout.ensure(map_h + 24.0);
        let caption = format!(
            "{} — {} ({} {}, {} {}, {} {})",
            moment_label(aar, frame.moment),
            text::time(frame.at),
            frame.n_units,
            t(Label::Units),
            frame.n_air_tracks,
            t(Label::AirPicture),
            frame.n_zones,
            t(Label::Zones),
        );
        layout.paragraph(&caption, 10.0, true, LEFT, map_w);
        let top = layout.y - 2.0;
        layout.map(&frame.shapes, LEFT, top, scale);
        layout.y = top - map_h - 12.0;
    }

    layout.heading(t(Label::Timeline));
    if aar.events.is_empty() {
        layout.paragraph(t(Label::Nothing), 10.0, false, LEFT, RIGHT - LEFT);
    } else {
        let columns = [LEFT, LEFT + 92.0, LEFT + 122.0, LEFT + 250.0];
        let widths = [90.0, 28.0, 126.0, RIGHT - (LEFT + 250.0)];
        let header = [
            t(Label::Time).to_owned(),
            t(Label::Nation).to_owned(),
            t(Label::What).to_owned(),
            t(Label::Details).to_owned(),
        ];
        layout.row(&header, &columns, &widths, true);
        for event in &aar.events {
            let mut details = event.text.clone();
            if !event.detail.is_empty() {
                if !details.is_empty() {
                    details.push_str(" — ");
                }
                details.push_str(&event.detail);
            }
            if let Some(delay) = event.delay_s {
                details.push_str(&format!(" ({} {})", t(Label::After), text::duration(delay)));
            }
            let cells = [
                text::time(event.at),
                event.nation.to_string(),
                text::event(lang, event.kind).to_owned(),
                details,
            ];
            // A row that starts a page comes after the header again.
            if layout.ensure(row_height(&cells, &widths, false)) {
                layout.row(&header, &columns, &widths, true);
            }
            layout.row(&cells, &columns, &widths, false);
        }
    }
    layout.finish(&aar.marking_line(), t(Label::Page), &title)
}

/// Pages being laid out, top to bottom.
struct Layout {
    pages: Vec<Content>,
    y: f32,
    colour: Rgb,
}

impl Layout {
    fn new() -> Layout {
        Layout {
            pages: vec![Content::new()],
            y: TOP,
            colour: Rgb(0, 0, 0),
        }
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        self.pages.last_mut().expect("a page was just pushed")
    }

    /// Starts a new page unless `height` fits; returns whether it did.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y - height < BOTTOM {
            self.pages.push(Content::new());
            self.y = TOP;
            true
        } else {
            false
        }
    }

    fn gap(&mut self, height: f32) {
        self.y -= height;
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, line: &str) {
        let colour = self.colour;
        let page = self.page();
        page.set_fill_rgb(
            f32::from(colour.0) / 255.0,
            f32::from(colour.1) / 255.0,
            f32::from(colour.2) / 255.0,
        );
        page.begin_text();
        page.set_font(if bold { BOLD } else { REGULAR }, size);
        page.next_line(x, y);
        page.show(Str(&win_ansi(line)));
        page.end_text();
    }

    fn paragraph(&mut self, content: &str, size: f32, bold: bool, x: f32, width: f32) {
        let leading = size * 1.25;
        for line in wrap(content, size, bold, width) {
            self.ensure(leading);
            self.y -= leading;
            self.text(x, self.y + size * 0.25, size, bold, &line);
        }
    }

    fn heading(&mut self, title: &str) {
        self.ensure(60.0);
        self.gap(10.0);
        self.paragraph(title, 14.0, true, LEFT, RIGHT - LEFT);
        let y = self.y - 3.0;
        let page = self.page();
        page.set_stroke_rgb(0.5, 0.5, 0.5);
        page.set_line_width(0.7);
        page.move_to(LEFT, y);
        page.line_to(RIGHT, y);
        page.stroke();
        self.gap(8.0);
    }

    fn pairs(&mut self, rows: &[(String, String)], label_w: f32) {
        for (label, value) in rows {
            let cells = [label.clone(), value.clone()];
            self.cells(
                &cells,
                &[LEFT, LEFT + label_w],
                &[label_w - 6.0, RIGHT - LEFT - label_w],
                [true, false],
                10.0,
            );
        }
    }

    /// One table row.
    fn row(&mut self, cells: &[String; 4], columns: &[f32; 4], widths: &[f32; 4], bold: bool) {
        let size = ROW_SIZE;
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| wrap(cell, size, bold, *width))
            .collect();
        let leading = size * 1.25;
        let height = row_height(cells, widths, bold);
        self.ensure(height);
        let top = self.y;
        for (idx, lines) in wrapped.iter().enumerate() {
            let x = columns.get(idx).copied().unwrap_or(LEFT);
            for (n, line) in lines.iter().enumerate() {
                let y = top - (n as f32 + 1.0) * leading + size * 0.25;
                self.text(x, y, size, bold, line);
            }
        }
        self.y = top - height;
        let y = self.y + 1.5;
        let page = self.page();
        page.set_stroke_rgb(0.8, 0.8, 0.8);
        page.set_line_width(0.4);
        page.move_to(LEFT, y);
        page.line_to(RIGHT, y);
        page.stroke();
    }

    fn cells(
        &mut self,
        cells: &[String; 2],
        columns: &[f32; 2],
        widths: &[f32; 2],
        bold: [bool; 2],
        size: f32,
    ) {
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(widths)
            .zip(bold)
            .map(|((cell, width), bold)| wrap(cell, size, bold, *width))
            .collect();
        let n_lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let leading = size * 1.3;
        self.ensure(n_lines as f32 * leading);
        let top = self.y;
        for (idx, lines) in wrapped.iter().enumerate() {
            let x = columns.get(idx).copied().unwrap_or(LEFT);
            let is_bold = bold.get(idx).copied().unwrap_or(false);
            for (n, line) in lines.iter().enumerate() {
                let y = top - (n as f32 + 1.0) * leading + size * 0.25;
                self.text(x, y, size, is_bold, line);
            }
        }
        self.y = top - n_lines as f32 * leading;
    }

    /// A map whose top-left corner is at (`x`, `top`), `scale` points per map unit.
    fn map(&mut self, shapes: &[Shape], x: f32, top: f32, scale: f32) {
        let w = map::WIDTH as f32 * scale;
        let h = map::HEIGHT as f32 * scale;
        let at = |(mx, my): map::Xy| (x + mx as f32 * scale, top - my as f32 * scale);
        let mut labels = Vec::new();
        let page = self.page();
        page.save_state();
        page.rect(x, top - h, w, h);
        page.clip_nonzero();
        page.end_path();
        set_fill(page, Rgb(223, 238, 247));
        page.rect(x, top - h, w, h);
        page.fill_nonzero();
        for shape in shapes {
            match shape {
                Shape::Path {
                    rings,
                    closed,
                    stroke,
                    fill,
                } => {
                    let mut any = false;
                    for ring in rings {
                        for (idx, point) in ring.iter().enumerate() {
                            let (px, py) = at(*point);
                            if idx == 0 {
                                page.move_to(px, py);
                            } else {
                                page.line_to(px, py);
                            }
                            any = true;
                        }
                        if *closed && !ring.is_empty() {
                            page.close_path();
                        }
                    }
                    if !any {
                        continue;
                    }
                    if let Some((colour, width, dashed)) = stroke {
                        set_stroke(page, *colour);
                        page.set_line_width(*width as f32 * scale);
                        if *dashed {
                            page.set_dash_pattern([4.0, 3.0], 0.0);
                        } else {
                            page.set_dash_pattern([], 0.0);
                        }
                    }
                    match (fill, stroke) {
                        (Some(colour), Some(_)) if *closed => {
                            set_fill(page, *colour);
                            page.fill_even_odd_and_stroke();
                        }
                        (Some(colour), None) if *closed => {
                            set_fill(page, *colour);
                            page.fill_even_odd();
                        }
                        (_, Some(_)) => {
                            page.stroke();
                        }
                        _ => {
                            page.end_path();
                        }
                    }
                    page.set_dash_pattern([], 0.0);
                }
                Shape::Marker {
                    at: point,
                    kind,
                    fill,
                } => {
                    let (px, py) = at(*point);
                    set_fill(page, *fill);
                    set_stroke(page, Rgb(0, 0, 0));
                    page.set_line_width(0.5);
                    match kind {
                        MarkerKind::Square => {
                            page.rect(px - 3.5, py - 3.5, 7.0, 7.0);
                            page.fill_nonzero_and_stroke();
                        }
                        MarkerKind::Circle => {
                            page.rect(px - 2.5, py - 2.5, 5.0, 5.0);
                            page.fill_nonzero();
                        }
                        MarkerKind::Triangle => {
                            page.move_to(px, py + 3.5);
                            page.line_to(px + 3.0, py - 2.5);
                            page.line_to(px - 3.0, py - 2.5);
                            page.close_path();
                            page.fill_nonzero_and_stroke();
                        }
                        MarkerKind::Cross => {
                            set_stroke(page, *fill);
                            page.set_line_width(2.0);
                            page.move_to(px - 4.0, py - 4.0);
                            page.line_to(px + 4.0, py + 4.0);
                            page.move_to(px - 4.0, py + 4.0);
                            page.line_to(px + 4.0, py - 4.0);
                            page.stroke();
                        }
                    }
                }
                Shape::Label { at: point, text } => labels.push((at(*point), text.clone())),
            }
        }
        page.restore_state();
        set_stroke(page, Rgb(80, 80, 80));
        page.set_line_width(0.8);
        page.rect(x, top - h, w, h);
        page.stroke();
        for ((px, py), label) in labels {
            if px > x && px < x + w - 20.0 && py > top - h && py < top {
                self.text(px, py, 7.5, false, &label);
            }
        }
    }

    /// Adds the marking and page numbers to every page and writes the document.
    fn finish(self, marking: &str, page_word: &str, title: &str) -> (Vec<u8>, usize) {
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let n_pages = self.pages.len();
        let page_ids: Vec<Ref> = (0..n_pages)
            .map(|idx| Ref::new(10 + 2 * idx as i32))
            .collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(n_pages as i32);
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info)
            .title(TextStr(title))
            .producer(TextStr("Liptako"));
        let banner = win_ansi(marking);
        let marking_w = width(marking, 10.0, true);
        for (idx, mut content) in self.pages.into_iter().enumerate() {
            // The marking, top and bottom, on a band.
            for y in [PAGE_H - 30.0, 14.0] {
                set_fill(&mut content, Rgb(255, 243, 196));
                set_stroke(&mut content, Rgb(201, 164, 0));
                content.set_line_width(0.8);
                content.set_dash_pattern([], 0.0);
                content.rect(LEFT, y - 4.0, RIGHT - LEFT, 17.0);
                content.fill_nonzero_and_stroke();
                set_fill(&mut content, Rgb(0, 0, 0));
                content.begin_text();
                content.set_font(BOLD, 10.0);
                content.next_line((PAGE_W - marking_w) / 2.0, y + 1.0);
                content.show(Str(&banner));
                content.end_text();
            }
            let number = format!("{page_word} {} / {n_pages}", idx + 1);
            content.begin_text();
            content.set_font(REGULAR, 8.0);
            content.next_line(RIGHT - width(&number, 8.0, false), 36.0);
            content.show(Str(&win_ansi(&number)));
            content.end_text();
            let page_id = page_ids.get(idx).copied().unwrap_or(Ref::new(10));
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
            page.parent(tree);
            page.contents(content_id);
            page.resources()
                .fonts()
                .pair(REGULAR, regular)
                .pair(BOLD, bold);
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        (pdf.finish(), n_pages)
    }
}

/// Text size in the timeline.
const ROW_SIZE: f32 = 8.5;

/// The height of a timeline row.
fn row_height(cells: &[String; 4], widths: &[f32; 4], bold: bool) -> f32 {
    let n_lines = cells
        .iter()
        .zip(widths)
        .map(|(cell, width)| wrap(cell, ROW_SIZE, bold, *width).len())
        .max()
        .unwrap_or(1)
        .max(1);
    n_lines as f32 * ROW_SIZE * 1.25 + 4.0
}

fn set_fill(content: &mut Content, colour: Rgb) {
    content.set_fill_rgb(
        f32::from(colour.0) / 255.0,
        f32::from(colour.1) / 255.0,
        f32::from(colour.2) / 255.0,
    );
}

fn set_stroke(content: &mut Content, colour: Rgb) {
    content.set_stroke_rgb(
        f32::from(colour.0) / 255.0,
        f32::from(colour.1) / 255.0,
        f32::from(colour.2) / 255.0,
    );
}

/// `text` in WinAnsiEncoding (Windows-1252): Latin-1 as is, the few other characters it has
/// at their codes, arrows spelled out, anything else `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let code = c as u32;
        let byte = match c {
            ' '..='~' => Some(code as u8),
            '\u{a0}'..='\u{ff}' => Some(code as u8),
            '€' => Some(0x80),
            '‚' => Some(0x82),
            'ƒ' => Some(0x83),
            '„' => Some(0x84),
            '…' => Some(0x85),
            '†' => Some(0x86),
            '‡' => Some(0x87),
            'ˆ' => Some(0x88),
            '‰' => Some(0x89),
            'Š' => Some(0x8a),
            '‹' => Some(0x8b),
            'Œ' => Some(0x8c),
            'Ž' => Some(0x8e),
            '\u{2018}' => Some(0x91),
            '\u{2019}' => Some(0x92),
            '\u{201c}' => Some(0x93),
            '\u{201d}' => Some(0x94),
            '•' => Some(0x95),
            '–' => Some(0x96),
            '—' => Some(0x97),
            '˜' => Some(0x98),
            '™' => Some(0x99),
            'š' => Some(0x9a),
            '›' => Some(0x9b),
            'œ' => Some(0x9c),
            'ž' => Some(0x9e),
            'Ÿ' => Some(0x9f),
            _ => None,
        };
        match (byte, c) {
            (Some(byte), _) => out.push(byte),
            (None, '→') => out.extend_from_slice(b"->"),
            (None, '\t' | '\n' | '\r') => out.push(b' '),
            (None, _) => out.push(b'?'),
        }
    }
    out
}

/// Helvetica's advance widths (thousandths of the size) for ASCII 32..=126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
/// Helvetica-Bold's, the same range.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// The width of `text` in points at `size` (accented letters as their base letter; other
/// characters as a wide one, so that lines never overflow).
pub fn width(text: &str, size: f32, bold: bool) -> f32 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let mut units = 0u32;
    for c in text.chars() {
        let base = match c {
            'à'..='å' => 'a',
            'ç' => 'c',
            'è'..='ë' => 'e',
            'ì'..='ï' => 'i',
            'ñ' => 'n',
            'ò'..='ö' => 'o',
            'ù'..='ü' => 'u',
            'ý' | 'ÿ' => 'y',
            'À'..='Å' => 'A',
            'Ç' => 'C',
            'È'..='Ë' => 'E',
            'Ì'..='Ï' => 'I',
            'Ò'..='Ö' => 'O',
            'Ù'..='Ü' => 'U',
            '→' => 'M',
            c => c,
        };
        let idx = (base as u32).wrapping_sub(32) as usize;
        units += u32::from(table.get(idx).copied().unwrap_or(1000));
        if c == '→' {
            units += 300;
        }
    }
    units as f32 * size / 1000.0
}

/// `text` broken into lines no wider than `max_w` at `size` (words longer than a line are cut).
pub fn wrap(text: &str, size: f32, bold: bool, max_w: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, size, bold) <= max_w {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word wider than a line: cut it.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if width(&piece, size, bold) > max_w {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_is_encoded_in_win_ansi() {
        assert_eq!(win_ansi("Événement"), b"\xc9v\xe9nement".to_vec());
        assert_eq!(win_ansi("œuvre — 5 €"), b"\x9cuvre \x97 5 \x80".to_vec());
        assert_eq!(win_ansi("MLI → NER"), b"MLI -> NER".to_vec());
        assert_eq!(win_ansi("漢"), b"?".to_vec());
    }

    #[test]
    fn lines_wrap_within_the_width() {
        let text =
            "Franchissement de frontière par FALCON 1 au nord-est de Ménaka, suivi d'un avis";
        let lines = wrap(text, 10.0, false, 120.0);
        assert!(lines.len() > 2, "{lines:?}");
        for line in &lines {
            assert!(width(line, 10.0, false) <= 120.0, "{line}");
        }
        assert_eq!(lines.join(" "), text);
        let long = wrap(&"x".repeat(200), 10.0, true, 50.0);
        assert!(long.iter().all(|line| width(line, 10.0, true) <= 50.0));
        assert_eq!(wrap("", 10.0, false, 50.0), vec![String::new()]);
    }
}
