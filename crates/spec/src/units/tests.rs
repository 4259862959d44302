//! Unit and property tests for the size, duration and CPU-count parsers.

use super::*;
use proptest::prelude::*;

#[test]
fn sizes_accept_the_documented_spellings() {
    let mib = 1 << 20;
    for text in [
        "512M", "512m", "512Mi", "512MiB", "512MB", "512mb", " 512M ",
    ] {
        assert_eq!(parse_size(text), Ok(512 * mib), "{text}");
    }
    assert_eq!(parse_size("100k"), Ok(100 * 1024));
    assert_eq!(parse_size("1G"), Ok(1 << 30));
    assert_eq!(parse_size("1Gi"), Ok(1 << 30));
    assert_eq!(parse_size("2T"), Ok(2 << 40));
    assert_eq!(parse_size("4096"), Ok(4096));
    assert_eq!(parse_size("4096B"), Ok(4096));
    assert_eq!(parse_size("1.5G"), Ok(3 << 29));
    assert_eq!(parse_size("0.5K"), Ok(512));
}

#[test]
fn sizes_reject_bad_units_and_numbers() {
    let err = parse_size("512X").unwrap_err();
    assert!(err.contains("unknown unit `X`"), "{err}");
    assert!(err.contains("B, K, M, G, T"), "{err}");
    assert!(parse_size("").is_err());
    assert!(parse_size("M")
        .unwrap_err()
        .contains("does not start with a number"));
    assert!(parse_size("-1M").unwrap_err().contains("negative"));
    assert!(parse_size("1.2.3M").is_err());
    assert!(parse_size("1.M").is_err());
    assert!(parse_size("IB").is_err());
    assert!(parse_size("99999999999T")
        .unwrap_err()
        .contains("too large"));
}

#[test]
fn format_size_uses_the_largest_exact_unit() {
    assert_eq!(format_size(0), "0");
    assert_eq!(format_size(1000), "1000");
    assert_eq!(format_size(1024), "1K");
    assert_eq!(format_size(512 << 20), "512M");
    assert_eq!(format_size(3 << 30), "3G");
}

#[test]
fn durations_accept_seconds_and_unit_pairs() {
    assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
    assert_eq!(
        parse_duration("2m3s4ms"),
        Ok(Duration::from_millis(123_004))
    );
}

#[test]
fn durations_reject_bad_input() {
    assert!(parse_duration("").is_err());
    assert!(parse_duration("5x")
        .unwrap_err()
        .contains("unknown unit `x`"));
    assert!(parse_duration("1h30").unwrap_err().contains("missing unit"));
    assert!(parse_duration("-5s").unwrap_err().contains("negative"));
    assert!(parse_duration("abc").is_err());
    assert!(parse_duration("99999999999999999999h")
        .unwrap_err()
        .contains("too long"));
}

#[test]
fn cpu_counts_in_millis() {
    assert_eq!(parse_cpu_millis("2"), Ok(2000));
    assert_eq!(parse_cpu_millis("0.5"), Ok(500));
    assert_eq!(parse_cpu_millis("1.125"), Ok(1125));
    assert!(parse_cpu_millis("1.1255")
        .unwrap_err()
        .contains("3 decimal places"));
    assert!(parse_cpu_millis("-1")
        .unwrap_err()
        .contains("greater than 0"));
    assert!(parse_cpu_millis("abc").is_err());
    assert!(parse_cpu_millis("2 cores").is_err());
    assert_eq!(cpu_millis_from_f64(0.5), Ok(500));
    assert_eq!(cpu_millis_from_f64(0.001), Ok(1));
    assert!(cpu_millis_from_f64(0.0001).is_err());
    assert!(cpu_millis_from_f64(-1.0).is_err());
    assert!(cpu_millis_from_f64(f64::NAN).is_err());
}

proptest! {
    #[test]
    fn size_round_trips_through_format(bytes in any::<u64>()) {
        prop_assert_eq!(parse_size(&format_size(bytes)), Ok(bytes));
    }

    #[test]
    fn size_with_any_unit_spelling_parses(n in 0u64..1_000_000, unit in 0usize..4, spelling in 0usize..4) {
        let (name, mult) = SIZE_UNITS[unit];
        let suffix = ["", "i", "B", "iB"][spelling];
        prop_assert_eq!(parse_size(&format!("{n}{name}{suffix}")), Ok(n * mult));
        prop_assert_eq!(parse_size(&format!("{n}{}{suffix}", name.to_lowercase())), Ok(n * mult));
    }

    #[test]
    fn duration_round_trips_through_format(secs in 0u64..10_000_000_000, nanos in 0u32..1_000_000_000) {
        let duration = Duration::new(secs, nanos);
        prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
    }

    #[test]
    fn cpu_millis_text_and_float_agree(millis in 1u64..1_000_000) {
        let text = format!("{}.{:03}", millis / 1000, millis % 1000);
        prop_assert_eq!(parse_cpu_millis(&text), Ok(millis));
        prop_assert_eq!(cpu_millis_from_f64(millis as f64 / 1000.0), Ok(millis));
    }
}
