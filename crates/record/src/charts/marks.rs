//! Container start/exit marks on a time axis: dashed vertical lines, and
//! small labels ("web start") staggered over a few rows above the plot so
//! that no two labels overlap. Labels that find no free row are left out
//! (their line is still drawn) and counted.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::rows::EventRow;

use super::FAMILY;

/// Height of one label row, in pixels.
pub(crate) const ROW_H: i32 = 16;
/// At most this many label rows.
pub(crate) const MAX_ROWS: usize = 5;

/// One mark to draw.
pub(crate) struct Mark {
    pub time_s: f64,
    pub label: String,
    pub start: bool,
}

/// The start and exit events with finite times, in time order.
pub(crate) fn collect(events: &[EventRow]) -> Vec<Mark> {
    let mut marks: Vec<Mark> = events
        .iter()
        .filter(|e| e.time_s.is_finite() && (e.event == "start" || e.event == "exit"))
        .map(|e| Mark {
            time_s: e.time_s,
            label: format!("{} {}", e.container, e.event),
            start: e.event == "start",
        })
        .collect();
    marks.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
    marks
}

/// The line colour of a mark: green for start, red for exit.
pub(crate) fn colour(mark: &Mark) -> RGBColor {
    if mark.start {
        RGBColor(30, 140, 60)
    } else {
        RGBColor(200, 40, 40)
    }
}

/// Places labels given each one's line x and text width in pixels:
/// returns each label's (left x, row), row 0 nearest the plot, or None
/// when no row has room between `left` and `right`. A label sits just
/// right of its line (left of it near the right edge) and a tick joins it
/// to the plot, so besides not overlapping each other, no label may be
/// crossed by the tick of a label in a higher row. Labels are placed right
/// to left, which stacks a cluster into a staircase. Pure, so it is
/// tested without drawing.
pub(crate) fn stagger(items: &[(i32, i32)], left: i32, right: i32) -> Vec<Option<(i32, usize)>> {
    const GAP: i32 = 8;
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(items[i].0));
    // (tick x, span start, span end, row) of every placed label.
    let mut placed: Vec<(i32, i32, i32, usize)> = Vec::new();
    let mut out = vec![None; items.len()];
    for i in order {
        let (x, w) = items[i];
        let start = if x + 3 + w > right { x - 3 - w } else { x + 3 };
        let start = start.max(left);
        let end = start + w;
        let fits = |row: usize| {
            placed.iter().all(|&(px, ps, pe, pr)| {
                let clash = (pr == row && start < pe + GAP && ps < end + GAP)
                    || (pr < row && ps - 2 <= x && x <= pe + 2)
                    || (pr > row && start - 2 <= px && px <= end + 2);
                !clash
            })
        };
        if let Some(row) = (0..MAX_ROWS).find(|&r| fits(r)) {
            placed.push((x, start, end, row));
            out[i] = Some((start, row));
        }
    }
    out
}

/// Dashed vertical lines from `y0` to `y1` at each mark.
pub(crate) fn draw_lines(
    chart: &mut ChartContext<'_, BitMapBackend<'_>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    marks: &[Mark],
    y0: f64,
    y1: f64,
) -> Result<(), String> {
    for m in marks {
        let style = ShapeStyle::from(&colour(m)).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(m.time_s, y0), (m.time_s, y1)],
                6,
                4,
                style,
            ))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Measures each label and places it with [`stagger`] between the plot's
/// left and right pixel edges.
pub(crate) fn layout(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    marks: &[Mark],
    xs: &[i32],
    plot_x: (i32, i32),
) -> Result<Vec<Option<(i32, usize)>>, String> {
    let font = label_font();
    let mut items = Vec::with_capacity(marks.len());
    for (m, &x) in marks.iter().zip(xs) {
        let (w, _) = root
            .estimate_text_size(&m.label, &font)
            .map_err(|e| e.to_string())?;
        items.push((x, w as i32));
    }
    Ok(stagger(&items, plot_x.0, plot_x.1))
}

/// Draws placed labels in rows above `plot_top` (absolute pixel y) on
/// `root` (an area whose origin is the image's). Returns how many had no
/// room and were left out.
pub(crate) fn draw_labels(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    marks: &[Mark],
    xs: &[i32],
    placed: &[Option<(i32, usize)>],
    plot_top: i32,
) -> Result<usize, String> {
    let mut hidden = 0;
    for ((m, &x), spot) in marks.iter().zip(xs).zip(placed) {
        let Some((left, row)) = *spot else {
            hidden += 1;
            continue;
        };
        let y = plot_top - 2 - ROW_H * (row as i32 + 1);
        let c = colour(m);
        let style = label_font().color(&c);
        root.draw(&Text::new(m.label.clone(), (left, y), style))
            .map_err(|e| e.to_string())?;
        // A faint tick joins the label row to its line.
        let tick = ShapeStyle::from(&colour(m).mix(0.5)).stroke_width(1);
        root.draw(&PathElement::new(
            vec![(x, y + ROW_H - 2), (x, plot_top)],
            tick,
        ))
        .map_err(|e| e.to_string())?;
    }
    Ok(hidden)
}

fn label_font() -> TextStyle<'static> {
    TextStyle::from((FAMILY, 12).into_font())
}

/// How many label rows `stagger` used.
pub(crate) fn rows_used(placed: &[Option<(i32, usize)>]) -> usize {
    placed
        .iter()
        .flatten()
        .map(|&(_, row)| row + 1)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_far_apart_share_the_first_row() {
        let placed = stagger(&[(100, 50), (300, 50)], 0, 1000);
        assert_eq!(placed, vec![Some((103, 0)), Some((303, 0))]);
    }

    #[test]
    fn a_cluster_becomes_a_staircase_and_overflow_is_dropped() {
        let items: Vec<(i32, i32)> = (0..8).map(|i| (100 + 20 * i, 50)).collect();
        let placed = stagger(&items, 0, 1000);
        let rows: Vec<_> = placed.iter().map(|p| p.map(|(_, r)| r)).collect();
        // Right to left: 7 on row 0, 6 above it, … until the rows run out.
        assert_eq!(rows[7], Some(0));
        assert_eq!(rows[6], Some(1));
        assert_eq!(rows[5], Some(2));
        assert!(rows.iter().any(|r| r.is_none()));
        assert!(rows_used(&placed) <= MAX_ROWS);
        assert_no_clash(&items, &placed);
    }

    #[test]
    fn many_random_marks_never_clash() {
        let mut seed = 7u32;
        let items: Vec<(i32, i32)> = (0..200)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (((seed >> 8) % 1000) as i32, 30 + ((seed >> 4) % 40) as i32)
            })
            .collect();
        let placed = stagger(&items, 0, 1000);
        assert!(placed.iter().flatten().count() > 10);
        assert_no_clash(&items, &placed);
    }

    /// No two labels in a row overlap; no tick crosses a lower label.
    fn assert_no_clash(items: &[(i32, i32)], placed: &[Option<(i32, usize)>]) {
        let spans: Vec<(i32, i32, i32, usize)> = items
            .iter()
            .zip(placed)
            .filter_map(|(&(x, w), p)| p.map(|(s, r)| (x, s, s + w, r)))
            .collect();
        for (i, a) in spans.iter().enumerate() {
            assert!(a.1 >= 0 && a.2 <= 1000, "{a:?} leaves the plot");
            for (j, b) in spans.iter().enumerate() {
                if i != j && a.3 == b.3 {
                    assert!(a.2 <= b.1 || b.2 <= a.1, "{a:?} overlaps {b:?}");
                }
                if a.3 > b.3 {
                    assert!(a.0 < b.1 || a.0 > b.2, "tick of {a:?} crosses {b:?}");
                }
            }
        }
    }

    #[test]
    fn labels_near_the_right_edge_stay_inside() {
        let placed = stagger(&[(990, 80)], 0, 1000);
        assert_eq!(placed, vec![Some((907, 0))]);
    }
}
