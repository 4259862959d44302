//! `cpu_usage.png`: per-core utilisation over time (upper panel) and, when
//! the record has container samples, per-container CPU % (lower panel),
//! with container start/exit marks on both. Copes with no samples (an
//! empty chart saying so), one sample (drawn as dots) and hundreds of
//! cores (thin lines, a bold mean, and a note instead of a legend).

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::{draw_legend, Entry};
use super::marks::{self, Mark};
use super::series::{group, mean_series, Series};
use super::{prepare_output, series_colour, tick, time_range, FAMILY};
use crate::error::RecordError;
use crate::rows::CpuMetricRow;
use crate::rows::EventRow;

const WIDTH: u32 = 1280;
const LEGEND_W: u32 = 180;
/// Beyond this many series the legend gives way to a note.
const MAX_LEGEND: usize = 16;

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// What differs between the two panels.
struct Panel<'s> {
    series: &'s [Series],
    y_max: f64,
    y_desc: &'static str,
    width: u32,
    label_marks: bool,
    mean_line: bool,
    note_noun: &'static str,
}

/// Draws `out` from the metric rows and the start/exit events.
pub fn draw_cpu_usage(
    metrics: &[CpuMetricRow],
    events: &[EventRow],
    out: &Path,
) -> Result<(), RecordError> {
    prepare_output(out)?;
    draw(metrics, events, out).map_err(|m| RecordError::chart(out, m))
}

fn draw(metrics: &[CpuMetricRow], events: &[EventRow], out: &Path) -> Result<(), String> {
    let cores = group(metrics, "core", "cpu", Some(100.0));
    let containers = group(metrics, "container", "", None);
    let marks = marks::collect(events);
    let x = time_range(
        metrics
            .iter()
            .map(|m| m.time_s)
            .chain(marks.iter().map(|m| m.time_s)),
    );
    let height = if containers.is_empty() { 620 } else { 860 };
    let title = if containers.is_empty() {
        "CPU utilisation per core"
    } else {
        "CPU utilisation per core and per container"
    };
    let root = BitMapBackend::new(out, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let body = root
        .margin(10, 0, 0, 0)
        .titled(title, (FAMILY, 26))
        .map_err(|e| e.to_string())?;
    let core_panel = Panel {
        series: &cores,
        y_max: 100.0,
        y_desc: "CPU utilisation (%)",
        width: if cores.len() > MAX_LEGEND { 1 } else { 2 },
        label_marks: true,
        mean_line: cores.len() > MAX_LEGEND,
        note_noun: "cores",
    };
    if containers.is_empty() {
        draw_panel(&root, &body, &core_panel, &marks, x)?;
    } else {
        let (upper, lower) = body.split_vertically(body.dim_in_pixel().1 * 58 / 100);
        draw_panel(&root, &upper, &core_panel, &marks, x)?;
        let peak = containers
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(0.0, f64::max);
        let container_panel = Panel {
            series: &containers,
            y_max: ((peak * 1.1 / 50.0).ceil() * 50.0).max(100.0),
            y_desc: "container CPU (%, 100 = one core)",
            width: 1,
            label_marks: false,
            mean_line: false,
            note_noun: "containers",
        };
        draw_panel(&root, &lower, &container_panel, &marks, x)?;
    }
    root.present().map_err(|e| e.to_string())
}

/// Draws one panel (plot on the left, legend column on the right) into
/// `area`; labels above the plot go on `root`, whose origin is the image's.
fn draw_panel(
    root: &Area<'_>,
    area: &Area<'_>,
    p: &Panel<'_>,
    marks: &[Mark],
    (x0, x1): (f64, f64),
) -> Result<(), String> {
    let (plot_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_W);
    let builder = |top: i32| {
        ChartBuilder::on(&plot_area)
            .margin(10)
            .margin_top(top)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, 0.0..p.y_max)
    };
    // A first layout tells where each mark falls; its rows set the top margin.
    let probe = builder(10).map_err(|e| e.to_string())?;
    let xs: Vec<i32> = marks
        .iter()
        .map(|m| probe.backend_coord(&(m.time_s, 0.0)).0)
        .collect();
    let (px, _) = probe.plotting_area().get_pixel_range();
    let placed = if p.label_marks {
        marks::layout(root, marks, &xs, (px.start, px.end))?
    } else {
        Vec::new()
    };
    let rows = marks::rows_used(&placed) as i32;
    let mut chart = builder(12 + rows * marks::ROW_H).map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("time since start (s)")
        .y_desc(p.y_desc)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(|e| e.to_string())?;
    marks::draw_lines(&mut chart, marks, 0.0, p.y_max)?;
    let n = p.series.len();
    let mut entries = Vec::new();
    for (i, s) in p.series.iter().enumerate() {
        let colour = series_colour(i, n);
        draw_line(&mut chart, &s.points, colour, p.width, p.mean_line)?;
        entries.push(Entry {
            label: s.label.clone(),
            colour,
            width: p.width,
        });
    }
    let mut notes = Vec::new();
    if p.mean_line {
        draw_line(
            &mut chart,
            &mean_series(p.series),
            HSLColor(0.0, 0.0, 0.0),
            3,
            false,
        )?;
        entries = vec![Entry {
            label: format!("mean of {n}"),
            colour: HSLColor(0.0, 0.0, 0.0),
            width: 3,
        }];
        notes.push(format!("{n} {}", p.note_noun));
    }
    if n == 0 {
        let centre = Pos::new(HPos::Center, VPos::Center);
        let style = (FAMILY, 22)
            .into_font()
            .color(&RGBColor(120, 120, 120))
            .pos(centre);
        chart
            .draw_series(std::iter::once(Text::new(
                "no samples",
                ((x0 + x1) / 2.0, p.y_max / 2.0),
                style,
            )))
            .map_err(|e| e.to_string())?;
    }
    let (_, py) = chart.plotting_area().get_pixel_range();
    let hidden = marks::draw_labels(root, marks, &xs, &placed, py.start)?;
    if hidden > 0 {
        notes.push(format!("{hidden} mark labels hidden"));
    }
    let top = py.start - legend_area.get_base_pixel().1;
    draw_legend(&legend_area, top, &entries, &notes)
}

/// One series as a line, or as dots when it has a single point; `faint`
/// thin lines are translucent so a bold mean stands out over many.
fn draw_line(
    chart: &mut ChartContext<'_, BitMapBackend<'_>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    points: &[(f64, f64)],
    colour: HSLColor,
    width: u32,
    faint: bool,
) -> Result<(), String> {
    let alpha = if faint { 0.45 } else { 1.0 };
    let style = ShapeStyle::from(&colour.mix(alpha)).stroke_width(width);
    if points.len() == 1 {
        chart
            .draw_series(points.iter().map(|&pt| Circle::new(pt, 4, style.filled())))
            .map_err(|e| e.to_string())?;
    } else {
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
