//! A hand-drawn legend in a column beside a chart: a short coloured line
//! and a name per series, stopping with "+N more" when the column is full,
//! and free-text notes (e.g. "256 cores") beneath.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::FAMILY;

/// One legend line.
pub(crate) struct Entry {
    pub label: String,
    pub colour: HSLColor,
    pub width: u32,
}

/// Vertical distance between legend lines, in pixels.
const LINE_H: i32 = 20;

/// Draws `entries` then `notes` into `area`, starting `top` pixels below
/// the area's top edge.
pub(crate) fn draw_legend(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    top: i32,
    entries: &[Entry],
    notes: &[String],
) -> Result<(), String> {
    let (_, height) = area.dim_in_pixel();
    let bottom = height as i32 - LINE_H;
    let font = (FAMILY, 15).into_font().color(&BLACK);
    let note_font = (FAMILY, 14).into_font().color(&RGBColor(80, 80, 80));
    let mut y = top + LINE_H / 2;
    let room = ((bottom - y) / LINE_H).max(0) as usize;
    let room = room.saturating_sub(notes.len());
    let shown = if entries.len() > room {
        room.saturating_sub(1)
    } else {
        entries.len()
    };
    for e in entries.iter().take(shown) {
        let style = ShapeStyle::from(&e.colour).stroke_width(e.width.max(2));
        area.draw(&PathElement::new(vec![(12, y), (40, y)], style))
            .map_err(|e| e.to_string())?;
        area.draw(&Text::new(e.label.clone(), (48, y - 8), font.clone()))
            .map_err(|e| e.to_string())?;
        y += LINE_H;
    }
    if shown < entries.len() {
        let more = format!("+{} more", entries.len() - shown);
        area.draw(&Text::new(more, (12, y - 8), note_font.clone()))
            .map_err(|e| e.to_string())?;
        y += LINE_H;
    }
    for note in notes {
        area.draw(&Text::new(note.clone(), (12, y - 8), note_font.clone()))
            .map_err(|e| e.to_string())?;
        y += LINE_H;
    }
    Ok(())
}
