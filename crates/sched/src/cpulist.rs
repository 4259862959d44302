//! The Linux CPU list format (`cpuset.cpus`, `/sys/devices/system/cpu/online`,
//! the workload's `cpus:` key): comma-separated CPU numbers and inclusive
//! ranges such as `0-3,5,7-8`. Parsing gives a sorted, deduplicated list;
//! formatting gives the shortest such text.

/// Highest CPU number accepted, so that a typo such as `0-4000000000` cannot
/// ask for a gigantic list. Linux itself supports at most 8192 CPUs.
pub const MAX_CPU: u32 = 65_535;

/// Parses a CPU list such as `"0-3,5,7-8\n"` into sorted, deduplicated CPU
/// numbers. Surrounding whitespace is ignored and `""` gives an empty list.
pub fn parse(text: &str) -> Result<Vec<u32>, String> {
    let text = text.trim();
    let mut cpus = Vec::new();
    if text.is_empty() {
        return Ok(cpus);
    }
    for item in text.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(format!("empty entry in CPU list `{text}`"));
        }
        let (first, last) = match item.split_once('-') {
            Some((first, last)) => (cpu_number(first, text)?, cpu_number(last, text)?),
            None => {
                let cpu = cpu_number(item, text)?;
                (cpu, cpu)
            }
        };
        if first > last {
            return Err(format!(
                "range `{item}` in CPU list `{text}` runs backwards"
            ));
        }
        cpus.extend(first..=last);
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(cpus)
}

fn cpu_number(text: &str, list: &str) -> Result<u32, String> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{text}` in CPU list `{list}` is not a CPU number; expected a list like 0-1 or 0,2,4-7"
        ));
    }
    match text.parse::<u32>() {
        Ok(cpu) if cpu <= MAX_CPU => Ok(cpu),
        _ => Err(format!(
            "CPU {text} in `{list}` is above the supported maximum {MAX_CPU}"
        )),
    }
}

/// Formats CPU numbers as the shortest list: `[0, 1, 2, 5]` → `"0-2,5"`.
/// The input need not be sorted; duplicates are ignored; `[]` gives `""`.
pub fn format(cpus: &[u32]) -> String {
    let mut sorted = cpus.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for cpu in sorted {
        match ranges.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(cpu) => *last = cpu,
            _ => ranges.push((cpu, cpu)),
        }
    }
    ranges
        .iter()
        .map(|&(first, last)| {
            if first == last {
                first.to_string()
            } else {
                format!("{first}-{last}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_ranges_singles_and_whitespace() {
        assert_eq!(parse("0-3,5,7-8\n"), Ok(vec![0, 1, 2, 3, 5, 7, 8]));
        assert_eq!(parse(" 1,3 "), Ok(vec![1, 3]));
        assert_eq!(parse("5,0-1,1"), Ok(vec![0, 1, 5]));
        assert_eq!(parse("0-2, 5"), Ok(vec![0, 1, 2, 5]));
        assert_eq!(parse(""), Ok(vec![]));
        assert_eq!(parse("\n"), Ok(vec![]));
    }

    #[test]
    fn rejects_malformed_lists() {
        assert!(parse("1,,2").unwrap_err().contains("empty entry"));
        assert!(parse("3-1").unwrap_err().contains("backwards"));
        assert!(parse("a").unwrap_err().contains("not a CPU number"));
        assert!(parse("1-").unwrap_err().contains("not a CPU number"));
        assert!(parse("-1").unwrap_err().contains("not a CPU number"));
        assert!(parse("0-4000000000").unwrap_err().contains("maximum"));
    }

    #[test]
    fn formats_shortest_ranges() {
        assert_eq!(format(&[0, 1, 2, 5]), "0-2,5");
        assert_eq!(format(&[0, 1]), "0-1");
        assert_eq!(format(&[3]), "3");
        assert_eq!(format(&[5, 1, 3, 2, 2]), "1-3,5");
        assert_eq!(format(&[]), "");
        assert_eq!(
            format(&[u32::MAX - 1, u32::MAX]),
            format!("{}-{}", u32::MAX - 1, u32::MAX)
        );
    }

    proptest! {
        #[test]
        fn parse_of_format_gives_the_set(cpus in proptest::collection::btree_set(0u32..=MAX_CPU, 0..64)) {
            let expected: Vec<u32> = cpus.iter().copied().collect();
            prop_assert_eq!(parse(&format(&expected)), Ok(expected));
        }
    }
}
