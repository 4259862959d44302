//! Pure parsers for the text of cgroup control files: single numbers,
//! "max", flat keyed files (cpu.stat, memory.events, memory.oom_control)
//! and pid lists. They take text and return values or a reason string; the
//! caller adds the path. Units are converted here (ns to us for v1).

/// Above this a v1 limit means "unlimited" (the kernel reports
/// PAGE_COUNTER_MAX pages in bytes, 0x7FFFFFFFFFFFF000 with 4 KiB pages).
const V1_UNLIMITED_FROM: u64 = 1 << 62;

/// CPU counters common to both versions, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CpuStat {
    pub usage_us: u64,
    pub nr_periods: u64,
    pub nr_throttled: u64,
    pub throttled_us: u64,
}

/// A file holding one unsigned number, e.g. memory.current.
pub(crate) fn parse_u64(text: &str) -> Result<u64, String> {
    let t = text.trim();
    t.parse::<u64>()
        .map_err(|_| format!("expected an unsigned number, found {t:?}"))
}

/// A v2 limit: a number, or "max" for none.
pub(crate) fn parse_max(text: &str) -> Result<Option<u64>, String> {
    match text.trim() {
        "max" => Ok(None),
        _ => parse_u64(text).map(Some),
    }
}

/// A v1 limit: a huge number (or -1) means none.
pub(crate) fn parse_v1_limit(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim();
    if t == "-1" {
        return Ok(None);
    }
    let value = parse_u64(t)?;
    Ok((value < V1_UNLIMITED_FROM).then_some(value))
}

/// The value of `key` in a flat keyed file ("key value" per line). `None`
/// when the key is absent; an error when its value is not a number.
pub(crate) fn keyed(text: &str, key: &str) -> Result<Option<u64>, String> {
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some(key) {
            continue;
        }
        let value = words.next().unwrap_or("");
        return value
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("{key}: expected an unsigned number, found {value:?}"));
    }
    Ok(None)
}

/// v2 cpu.stat. usage_usec is always there; the throttling lines only
/// once the cpu controller is enabled.
pub(crate) fn parse_cpu_stat_v2(text: &str) -> Result<CpuStat, String> {
    Ok(CpuStat {
        usage_us: keyed(text, "usage_usec")?.ok_or("no usage_usec line")?,
        nr_periods: keyed(text, "nr_periods")?.unwrap_or(0),
        nr_throttled: keyed(text, "nr_throttled")?.unwrap_or(0),
        throttled_us: keyed(text, "throttled_usec")?.unwrap_or(0),
    })
}

/// v1 cpu.stat (throttled_time in ns). usage_us stays 0: it comes from
/// cpuacct.usage.
pub(crate) fn parse_cpu_stat_v1(text: &str) -> Result<CpuStat, String> {
    Ok(CpuStat {
        usage_us: 0,
        nr_periods: keyed(text, "nr_periods")?.unwrap_or(0),
        nr_throttled: keyed(text, "nr_throttled")?.unwrap_or(0),
        throttled_us: keyed(text, "throttled_time")?.unwrap_or(0) / 1000,
    })
}

/// v1 cpuacct.usage (ns) in microseconds.
pub(crate) fn parse_cpuacct_usage(text: &str) -> Result<u64, String> {
    parse_u64(text).map(|ns| ns / 1000)
}

/// The oom_kill count from v2 memory.events or v1 memory.oom_control
/// (kernels before 4.13 have no such line: 0).
pub(crate) fn parse_oom_kill(text: &str) -> Result<u64, String> {
    Ok(keyed(text, "oom_kill")?.unwrap_or(0))
}

/// cgroup.procs: one pid per line.
pub(crate) fn parse_pids(text: &str) -> Result<Vec<i32>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.parse::<i32>()
                .ok()
                .filter(|pid| *pid > 0)
                .ok_or_else(|| format!("expected a pid, found {l:?}"))
        })
        .collect()
}

/// Whether `name` is one of the space-separated words of `text` (for
/// cgroup.controllers and cgroup.subtree_control).
pub(crate) fn has_word(text: &str, name: &str) -> bool {
    text.split_whitespace().any(|w| w == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_cpu_stat_with_and_without_throttling() {
        let full = "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\n\
                    nr_periods 50\nnr_throttled 7\nthrottled_usec 9000\n\
                    nr_bursts 0\nburst_usec 0\n";
        let s = parse_cpu_stat_v2(full).unwrap();
        assert_eq!(
            s,
            CpuStat {
                usage_us: 1234,
                nr_periods: 50,
                nr_throttled: 7,
                throttled_us: 9000
            }
        );
        let bare = "usage_usec 5\nuser_usec 3\nsystem_usec 2\n";
        assert_eq!(parse_cpu_stat_v2(bare).unwrap().usage_us, 5);
        assert_eq!(parse_cpu_stat_v2(bare).unwrap().nr_periods, 0);
        assert!(parse_cpu_stat_v2("nr_periods 1\n").is_err());
        assert!(parse_cpu_stat_v2("usage_usec lots\n").is_err());
    }

    #[test]
    fn v1_cpu_stat_converts_ns() {
        let text = "nr_periods 10\nnr_throttled 2\nthrottled_time 3500000\n";
        let s = parse_cpu_stat_v1(text).unwrap();
        assert_eq!(
            (s.nr_periods, s.nr_throttled, s.throttled_us),
            (10, 2, 3500)
        );
        assert_eq!(parse_cpuacct_usage("123456789\n").unwrap(), 123456);
    }

    #[test]
    fn limits_and_numbers() {
        assert_eq!(parse_max("max\n").unwrap(), None);
        assert_eq!(parse_max("104857600\n").unwrap(), Some(104857600));
        assert!(parse_max("lots").is_err());
        assert_eq!(parse_v1_limit("9223372036854771712\n").unwrap(), None);
        assert_eq!(parse_v1_limit("-1").unwrap(), None);
        assert_eq!(parse_v1_limit("67108864\n").unwrap(), Some(67108864));
        assert!(parse_u64("").is_err());
    }

    #[test]
    fn oom_kill_from_both_versions() {
        let events = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
        assert_eq!(parse_oom_kill(events).unwrap(), 2);
        let control = "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n";
        assert_eq!(parse_oom_kill(control).unwrap(), 4);
        assert_eq!(
            parse_oom_kill("oom_kill_disable 0\nunder_oom 0\n").unwrap(),
            0
        );
    }

    #[test]
    fn pid_lists() {
        assert_eq!(parse_pids("12\n 7 \n\n").unwrap(), vec![12, 7]);
        assert_eq!(parse_pids("").unwrap(), Vec::<i32>::new());
        assert!(parse_pids("12\nabc\n").is_err());
        assert!(parse_pids("0\n").is_err());
    }

    #[test]
    fn words() {
        assert!(has_word("cpuset cpu io memory", "cpu"));
        assert!(!has_word("cpuset io", "cpu"));
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC*") {
            let _ = parse_cpu_stat_v2(&text);
            let _ = parse_cpu_stat_v1(&text);
            let _ = parse_oom_kill(&text);
            let _ = parse_pids(&text);
            let _ = parse_max(&text);
            let _ = parse_v1_limit(&text);
        }

        #[test]
        fn keyed_finds_any_value(value in proptest::num::u64::ANY, pad in "[a-z_]{1,8}") {
            let text = format!("{pad}x 1\noom_kill {value}\n");
            proptest::prop_assert_eq!(parse_oom_kill(&text).unwrap(), value);
        }
    }
}
