//! PNG charts drawn with plotters on the bitmap backend. The DejaVu Sans
//! font is embedded and registered as "sans-serif" once per process, so
//! charts render with no system font libraries. Shared helpers (colours,
//! time ranges, error mapping) live here; each chart has its own file.

mod comparison;
mod cpu_usage;
mod legend;
mod marks;
mod series;

use std::path::Path;
use std::sync::OnceLock;

use plotters::style::{FontStyle, HSLColor, RGBColor};

use crate::error::RecordError;

pub use comparison::draw_comparison;
pub use cpu_usage::draw_cpu_usage;

/// The embedded font (DejaVu Sans, free licence).
const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The family name charts ask for.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the embedded font once; later calls return the first outcome.
pub(crate) fn ensure_font() -> Result<(), RecordError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
                .map_err(|_| "DejaVuSans.ttf is not a valid font".to_string())
        })
        .clone()
        .map_err(|message| RecordError::Font { message })
}

/// Makes the parent directory of `out` so a chart can be saved there.
pub(crate) fn prepare_output(out: &Path) -> Result<(), RecordError> {
    ensure_font()?;
    match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|e| RecordError::io(parent, e))
        }
        _ => Ok(()),
    }
}

/// Ten well-separated colours (Tableau 10).
const TABLEAU: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of series `i` out of `n`: Tableau 10 for up to ten series,
/// evenly spread hues beyond.
pub(crate) fn series_colour(i: usize, n: usize) -> HSLColor {
    if n <= TABLEAU.len() {
        let RGBColor(r, g, b) = TABLEAU[i % TABLEAU.len()];
        rgb_to_hsl(r, g, b)
    } else {
        let hue = i as f64 / n.max(1) as f64;
        let light = if i % 2 == 0 { 0.40 } else { 0.55 };
        HSLColor(hue, 0.75, light)
    }
}

/// Converts 8-bit RGB into plotters' HSL (all in 0..=1).
fn rgb_to_hsl(r: u8, g: u8, b: u8) -> HSLColor {
    let (r, g, b) = (r as f64 / 255.0, g as f64 / 255.0, b as f64 / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let l = (max + min) / 2.0;
    let d = max - min;
    if d <= f64::EPSILON {
        return HSLColor(0.0, 0.0, l);
    }
    let s = d / (1.0 - (2.0 * l - 1.0).abs());
    let h = if max == r {
        ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        (b - r) / d + 2.0
    } else {
        (r - g) / d + 4.0
    };
    HSLColor(h / 6.0, s, l)
}

/// An x range covering `times` (finite ones only), never empty or inverted.
pub(crate) fn time_range(times: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for t in times.filter(|t| t.is_finite()) {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let lo = lo.min(0.0);
    let hi = if hi - lo < 1e-9 { lo + 1.0 } else { hi };
    (lo, hi)
}

/// Numeric-aware ordering key for ids like "0", "2", "10", "web".
pub(crate) fn id_key(id: &str) -> (u64, String) {
    match id.parse::<u64>() {
        Ok(n) => (n, String::new()),
        Err(_) => (u64::MAX, id.to_string()),
    }
}

/// Short tick labels: no trailing ".0", at most one decimal.
pub(crate) fn tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        format!("{:.0}", v)
    } else {
        format!("{:.1}", v)
    }
}
