//! Unit tests of pressure-file parsing and of `read_psi` on temp files.

use super::*;

const WITH_FULL: &str = "\
some avg10=4.00 avg60=9.62 avg300=10.11 total=162445431
full avg10=0.50 avg60=0.25 avg300=0.00 total=1234
";

#[test]
fn parses_some_and_full() {
    let p = parse_psi(WITH_FULL).unwrap();
    assert_eq!(
        p.some,
        PsiLine {
            avg10: 4.0,
            avg60: 9.62,
            avg300: 10.11,
            total_us: 162445431,
        }
    );
    let full = p.full.unwrap();
    assert_eq!(full.avg10, 0.5);
    assert_eq!(full.total_us, 1234);
}

#[test]
fn some_only_as_on_older_kernels() {
    let p = parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n").unwrap();
    assert_eq!(p.some, PsiLine::default());
    assert_eq!(p.full, None);
}

#[test]
fn unknown_keys_are_ignored() {
    let p = parse_psi("some avg10=1.00 avg60=2.00 avg300=3.00 avg900=4.00 total=5\n").unwrap();
    assert_eq!(p.some.avg300, 3.0);
}

fn parse_error(text: &str) -> (usize, String) {
    match parse_psi(text) {
        Err(MetricsError::Parse { line, message, .. }) => (line, message),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn bad_text_is_an_error_naming_the_line() {
    let (line, message) = parse_error(
        "some avg10=1.00 avg60=2.00 avg300=3.00 total=5\nfull avg10=x avg60=0 avg300=0 total=0\n",
    );
    assert_eq!(line, 2);
    assert!(message.contains("avg10"), "{message}");
    assert_eq!(parse_error("some avg10=1 avg60=2 total=5\n").0, 1);
    assert_eq!(parse_error("some avg10=1 avg60=2 avg300=3 total=-5\n").0, 1);
    assert_eq!(parse_error("some avg10 avg60=2 avg300=3 total=5\n").0, 1);
    assert_eq!(parse_error("full avg10=1 avg60=2 avg300=3 total=5\n").0, 0);
}

#[test]
fn read_psi_on_missing_file_is_none() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(read_psi(&dir.path().join("cpu.pressure")).unwrap(), None);
}

#[test]
fn read_psi_reads_a_file_and_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu.pressure");
    std::fs::write(&path, WITH_FULL).unwrap();
    assert_eq!(
        read_psi(&path).unwrap(),
        Some(parse_psi(WITH_FULL).unwrap())
    );
    std::fs::write(&path, "some avg10=1\n").unwrap();
    let err = read_psi(&path).unwrap_err().to_string();
    assert!(err.contains("cpu.pressure"), "{err}");
}

#[test]
fn read_psi_on_a_directory_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_psi(dir.path()).unwrap_err();
    assert!(matches!(err, MetricsError::Read { .. }), "{err:?}");
}

#[test]
fn real_pressure_file_if_present() {
    // Absent or disabled PSI is fine; present PSI must parse.
    let p = read_psi(Path::new("/proc/pressure/cpu")).unwrap();
    if let Some(p) = p {
        assert!(p.some.avg10 >= 0.0 && p.some.avg300 <= 100.0);
    }
}
