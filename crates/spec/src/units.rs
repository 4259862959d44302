//! Text parsers (and matching formatters) for the units a workload file uses:
//! sizes in bytes (`512M`, `1Gi`, `100k`, powers of 1024), durations (`500ms`,
//! `30s`, `1h30m`) and CPU counts in thousandths of a core (`0.5` → 500).
//! Errors are one-line messages meant to follow "key: " in a [`crate::SpecError`].

use std::time::Duration;

/// Size units, largest first, with their multipliers (powers of 1024).
const SIZE_UNITS: [(&str, u64); 4] = [
    ("T", 1 << 40),
    ("G", 1 << 30),
    ("M", 1 << 20),
    ("K", 1 << 10),
];

/// Duration units with their length in nanoseconds.
const DURATION_UNITS: [(&str, u128); 6] = [
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("ns", 1),
];

const SIZE_UNITS_HELP: &str =
    "accepted units: B, K, M, G, T (powers of 1024; KB/KiB, MB/MiB, GB/GiB, TB/TiB too, any case)";
const DURATION_UNITS_HELP: &str =
    "accepted units: h, m, s, ms, us, ns (e.g. 30s, 500ms, 5m, 1h30m)";

/// A non-negative decimal number split into its integer digits and fraction digits.
struct Decimal<'a> {
    int: &'a str,
    frac: &'a str,
}

/// Splits `text` into a leading decimal number and the rest (the unit).
fn split_number(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    text.split_at(end)
}

fn parse_decimal<'a>(number: &'a str, whole: &str) -> Result<Decimal<'a>, String> {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() || frac.contains('.') || (number.contains('.') && frac.is_empty()) {
        return Err(format!("`{whole}` is not a valid number"));
    }
    if frac.len() > 9 {
        return Err(format!("`{whole}` has more than 9 decimal places"));
    }
    Ok(Decimal { int, frac })
}

/// `decimal * multiplier`, rounded down; `None` on overflow past `u128`.
fn scale(decimal: &Decimal<'_>, multiplier: u128) -> Option<u128> {
    let int: u128 = decimal.int.parse().ok()?;
    let frac: u128 = if decimal.frac.is_empty() {
        0
    } else {
        decimal.frac.parse().ok()?
    };
    let denominator = 10u128.checked_pow(u32::try_from(decimal.frac.len()).ok()?)?;
    int.checked_mul(multiplier)?
        .checked_add(frac.checked_mul(multiplier)? / denominator)
}

fn size_multiplier(unit: &str) -> Option<u64> {
    let upper = unit.to_ascii_uppercase();
    let mut base = upper.strip_suffix('B').unwrap_or(&upper);
    if base.len() > 1 {
        base = base.strip_suffix('I').unwrap_or(base);
    }
    if base.is_empty() {
        return Some(1);
    }
    SIZE_UNITS
        .iter()
        .find(|(name, _)| *name == base)
        .map(|(_, mult)| *mult)
}

/// Parses a size: a number (decimals allowed) with an optional unit.
/// `"512M"`, `"512Mi"`, `"512MB"`, `"1.5g"`, `"100k"`, `"4096"` (bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty size; expected a number with an optional unit, like 512M".into());
    }
    if text.starts_with('-') {
        return Err(format!("must not be negative, got {text}"));
    }
    let (number, unit) = split_number(text);
    if number.is_empty() {
        return Err(format!(
            "`{text}` does not start with a number; expected a size like 512M"
        ));
    }
    let decimal = parse_decimal(number, text)?;
    let unit = unit.trim();
    let multiplier = size_multiplier(unit)
        .ok_or_else(|| format!("unknown unit `{unit}` in `{text}`; {SIZE_UNITS_HELP}"))?;
    scale(&decimal, u128::from(multiplier))
        .and_then(|bytes| u64::try_from(bytes).ok())
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Formats a byte count with the largest unit that divides it exactly
/// (`1048576` → `"1M"`, `1000` → `"1000"`). [`parse_size`] reads it back.
pub fn format_size(bytes: u64) -> String {
    for (name, mult) in SIZE_UNITS {
        if bytes != 0 && bytes % mult == 0 {
            return format!("{}{name}", bytes / mult);
        }
    }
    bytes.to_string()
}

/// Parses a duration: a plain number of seconds (`"30"`), or one or more
/// number-unit pairs (`"500ms"`, `"1.5s"`, `"1h30m"`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration; expected something like 30s, 500ms, 5m or 1h30m".into());
    }
    if text.starts_with('-') {
        return Err(format!("must not be negative, got {text}"));
    }
    let mut rest = text;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let (number, after) = split_number(rest);
        if number.is_empty() {
            return Err(format!("`{text}` is not a duration; {DURATION_UNITS_HELP}"));
        }
        let decimal = parse_decimal(number, text)?;
        let unit_end = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        let nanos_per_unit = if unit.is_empty() && rest == text && next.is_empty() {
            1_000_000_000 // a bare number means seconds
        } else if unit.is_empty() {
            return Err(format!(
                "missing unit after `{number}` in `{text}`; {DURATION_UNITS_HELP}"
            ));
        } else {
            DURATION_UNITS
                .iter()
                .find(|(name, _)| *name == unit)
                .map(|(_, nanos)| *nanos)
                .ok_or_else(|| {
                    format!("unknown unit `{unit}` in `{text}`; {DURATION_UNITS_HELP}")
                })?
        };
        total = scale(&decimal, nanos_per_unit)
            .and_then(|nanos| total.checked_add(nanos))
            .ok_or_else(|| format!("`{text}` is too long"))?;
        rest = next;
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| format!("`{text}` is too long"))?;
    let nanos =
        u32::try_from(total % 1_000_000_000).map_err(|_| format!("`{text}` is too long"))?;
    Ok(Duration::new(secs, nanos))
}

/// Formats a duration as number-unit pairs (`"1h30m"`, `"500ms"`, `"0s"`).
/// [`parse_duration`] reads it back exactly.
pub fn format_duration(duration: Duration) -> String {
    let mut rest = duration.as_nanos();
    if rest == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (name, nanos) in DURATION_UNITS {
        let count = rest / nanos;
        if count > 0 {
            out.push_str(&format!("{count}{name}"));
            rest %= nanos;
        }
    }
    out
}

/// Parses a CPU count written as text (`"2"`, `"0.5"`) into thousandths of a core.
pub fn parse_cpu_millis(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err(format!("must be greater than 0, got {text}"));
    }
    let (number, rest) = split_number(text);
    if number.is_empty() || !rest.is_empty() {
        return Err(format!(
            "expected a number of cores like 2 or 0.5, got `{text}`"
        ));
    }
    let decimal = parse_decimal(number, text)?;
    if decimal.frac.len() > 3 {
        return Err(format!(
            "at most 3 decimal places are supported, got {text}"
        ));
    }
    scale(&decimal, 1000)
        .and_then(|millis| u64::try_from(millis).ok())
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Converts a CPU count given as a float into thousandths of a core.
pub fn cpu_millis_from_f64(cores: f64) -> Result<u64, String> {
    if !cores.is_finite() {
        return Err(format!("expected a finite number of cores, got {cores}"));
    }
    if cores <= 0.0 {
        return Err(format!("must be greater than 0, got {cores}"));
    }
    let millis = (cores * 1000.0).round();
    if (cores * 1000.0 - millis).abs() > 1e-6 {
        return Err(format!(
            "at most 3 decimal places are supported, got {cores}"
        ));
    }
    if millis >= u64::MAX as f64 {
        return Err(format!("{cores} is too large"));
    }
    Ok(millis as u64)
}

#[cfg(test)]
mod tests;
