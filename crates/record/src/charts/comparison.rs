//! `comparison.png`: one panel per metric (makespan, mean completion, CPU
//! utilisation, GPU fragmentation), a bar per policy with its value printed
//! above and the policy name beneath. Each policy keeps its colour across
//! panels and the best bar of each panel gets a black outline and "(best)".

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{prepare_output, series_colour, tick, FAMILY};
use crate::error::RecordError;
use crate::rows::PolicyResult;

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A metric shown in one panel.
struct Metric {
    caption: &'static str,
    value: fn(&PolicyResult) -> f64,
    lower_is_better: bool,
}

const METRICS: [Metric; 4] = [
    Metric {
        caption: "makespan (s)",
        value: |r| r.makespan_s,
        lower_is_better: true,
    },
    Metric {
        caption: "mean completion (s)",
        value: |r| r.mean_completion_s,
        lower_is_better: true,
    },
    Metric {
        caption: "CPU utilisation (%)",
        value: |r| r.cpu_utilisation_pct,
        lower_is_better: false,
    },
    Metric {
        caption: "GPU fragmentation (%)",
        value: |r| r.gpu_fragmentation_pct,
        lower_is_better: true,
    },
];

/// Draws `out` from one result per policy.
pub fn draw_comparison(results: &[PolicyResult], out: &Path) -> Result<(), RecordError> {
    prepare_output(out)?;
    draw(results, out).map_err(|m| RecordError::chart(out, m))
}

fn draw(results: &[PolicyResult], out: &Path) -> Result<(), String> {
    let root = BitMapBackend::new(out, (1280, 820)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let body = root
        .margin(10, 0, 0, 0)
        .titled("Scheduling policies compared", (FAMILY, 26))
        .map_err(|e| e.to_string())?;
    for (panel, metric) in body.split_evenly((2, 2)).iter().zip(&METRICS) {
        draw_panel(&root, panel, metric, results)?;
    }
    root.present().map_err(|e| e.to_string())
}

/// Which bars are best: every one tied for the best finite value, or
/// none when all finite values are equal (nothing to pick between).
fn winners(values: &[f64], lower_is_better: bool) -> Vec<bool> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tol = 1e-9 * hi.abs().max(1.0);
    if finite.is_empty() || hi - lo <= tol {
        return vec![false; values.len()];
    }
    let best = if lower_is_better { lo } else { hi };
    values.iter().map(|v| (v - best).abs() <= tol).collect()
}

/// A value as printed above its bar.
fn value_text(v: f64) -> String {
    if !v.is_finite() {
        "n/a".to_string()
    } else if v == 0.0 {
        "0".to_string()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn draw_panel(
    root: &Area<'_>,
    area: &Area<'_>,
    metric: &Metric,
    results: &[PolicyResult],
) -> Result<(), String> {
    let values: Vec<f64> = results.iter().map(metric.value).collect();
    let top = values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |a, &v| a.max(v));
    let y_max = if top > 0.0 { top * 1.2 } else { 1.0 };
    let n = results.len().max(1) as f64;
    let hint = if metric.lower_is_better {
        "lower is better"
    } else {
        "higher is better"
    };
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{} · {hint}", metric.caption), (FAMILY, 18))
        .margin(14)
        .x_label_area_size(34)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5..n - 0.5, 0.0..y_max)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_label_formatter(&tick)
        .label_style((FAMILY, 13))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(245, 245, 245))
        .draw()
        .map_err(|e| e.to_string())?;
    if results.is_empty() {
        let style = (FAMILY, 20).into_font().color(&RGBColor(120, 120, 120));
        let centre = style.pos(Pos::new(HPos::Center, VPos::Center));
        let at = (0.0, y_max / 2.0);
        chart
            .draw_series(std::iter::once(Text::new("no results", at, centre)))
            .map_err(|e| e.to_string())?;
        return Ok(());
    }
    let winners = winners(&values, metric.lower_is_better);
    for (i, &v) in values.iter().enumerate() {
        let x = i as f64;
        let h = if v.is_finite() { v.max(0.0) } else { 0.0 };
        let colour = series_colour(i, results.len());
        let mut styles = vec![colour.filled()];
        if winners[i] {
            styles.push(ShapeStyle::from(&BLACK).stroke_width(2));
        }
        chart
            .draw_series(
                styles
                    .into_iter()
                    .map(|s| Rectangle::new([(x - 0.32, 0.0), (x + 0.32, h)], s)),
            )
            .map_err(|e| e.to_string())?;
        let (px, py) = chart.backend_coord(&(x, h));
        let above = (FAMILY, 15)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        let best = if winners[i] { " (best)" } else { "" };
        root.draw(&Text::new(value_text(v) + best, (px, py - 4), above))
            .map_err(|e| e.to_string())?;
    }
    draw_names(root, &chart, results)
}

/// Policy names centred under their bars, shortened to fit their slot.
fn draw_names(
    root: &Area<'_>,
    chart: &Chart<'_, '_>,
    results: &[PolicyResult],
) -> Result<(), String> {
    let (px, py) = chart.plotting_area().get_pixel_range();
    let slot = (px.end - px.start) / results.len().max(1) as i32 - 6;
    let font = TextStyle::from((FAMILY, 14).into_font()).color(&BLACK);
    for (i, r) in results.iter().enumerate() {
        let mut name = r.policy.clone();
        loop {
            let (w, _) = root
                .estimate_text_size(&name, &font)
                .map_err(|e| e.to_string())?;
            if w as i32 <= slot || name.chars().count() <= 2 {
                break;
            }
            let keep = name.trim_end_matches('…').chars().count() - 1;
            name = name.chars().take(keep).collect::<String>() + "…";
        }
        let (x, _) = chart.backend_coord(&(i as f64, 0.0));
        let style = font.pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(name, (x, py.end + 8), style))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winners_handle_ties_equal_values_and_nan() {
        assert_eq!(winners(&[3.0, 1.0, 2.0], true), vec![false, true, false]);
        assert_eq!(winners(&[3.0, 1.0, 3.0], false), vec![true, false, true]);
        assert_eq!(winners(&[0.0, 0.0], true), vec![false, false]);
        assert_eq!(
            winners(&[f64::NAN, 2.0, 1.0], true),
            vec![false, false, true]
        );
        assert_eq!(winners(&[], true), Vec::<bool>::new());
    }

    #[test]
    fn values_print_compactly() {
        assert_eq!(value_text(0.0), "0");
        assert_eq!(value_text(2.345_67), "2.35");
        assert_eq!(value_text(35.84), "35.8");
        assert_eq!(value_text(1234.5), "1234");
        assert_eq!(value_text(f64::NAN), "n/a");
    }
}
