//! CPU utilisation between two `/proc/stat` readings.
//!
//! busy % = (Δtotal − Δidle_all) / Δtotal × 100, clamped to [0, 100], where
//! each Δ is taken field by field. A field that went backwards (a CPU that
//! was hot-unplugged and came back restarts its counters; iowait is known to
//! dip on tickless kernels) counts as a delta of 0. Δtotal of 0 gives 0 %. A
//! CPU present in only one of the two readings is left out of `per_cpu`.

use std::collections::BTreeMap;

use crate::proc_stat::{CpuTimes, ProcStat};

/// Share of the aggregate CPU time spent in each state, in percent. All
/// zero when no time passed; otherwise the fields add up to 100.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Breakdown {
    pub user: f64,
    pub nice: f64,
    pub system: f64,
    pub idle: f64,
    pub iowait: f64,
    pub irq: f64,
    pub softirq: f64,
    pub steal: f64,
}

/// Utilisation over one interval.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Utilisation {
    /// Busy percent of the whole machine (100 = every CPU busy).
    pub total: f64,
    /// Busy percent of each CPU present in both readings.
    pub per_cpu: BTreeMap<u32, f64>,
    /// Percent of each field of the total, for the CSV.
    pub breakdown: Breakdown,
}

impl ProcStat {
    /// Utilisation in the interval from `earlier` to `self`.
    pub fn utilisation_since(&self, earlier: &ProcStat) -> Utilisation {
        let per_cpu = self
            .cpus
            .iter()
            .filter_map(|(cpu, now)| {
                let then = earlier.cpus.get(cpu)?;
                Some((*cpu, busy_percent(&delta(now, then))))
            })
            .collect();
        let d = delta(&self.total, &earlier.total);
        Utilisation {
            total: busy_percent(&d),
            per_cpu,
            breakdown: breakdown(&d),
        }
    }
}

/// Field-by-field difference, with counters that went backwards giving 0.
fn delta(now: &CpuTimes, then: &CpuTimes) -> CpuTimes {
    CpuTimes {
        user: now.user.saturating_sub(then.user),
        nice: now.nice.saturating_sub(then.nice),
        system: now.system.saturating_sub(then.system),
        idle: now.idle.saturating_sub(then.idle),
        iowait: now.iowait.saturating_sub(then.iowait),
        irq: now.irq.saturating_sub(then.irq),
        softirq: now.softirq.saturating_sub(then.softirq),
        steal: now.steal.saturating_sub(then.steal),
    }
}

/// Busy percent of a set of deltas.
fn busy_percent(d: &CpuTimes) -> f64 {
    let total = d.total();
    if total == 0 {
        return 0.0;
    }
    let pct = d.busy() as f64 / total as f64 * 100.0;
    pct.clamp(0.0, 100.0)
}

/// Percent of each field in a set of deltas.
fn breakdown(d: &CpuTimes) -> Breakdown {
    let total = d.total();
    if total == 0 {
        return Breakdown::default();
    }
    let pct = |v: u64| v as f64 / total as f64 * 100.0;
    Breakdown {
        user: pct(d.user),
        nice: pct(d.nice),
        system: pct(d.system),
        idle: pct(d.idle),
        iowait: pct(d.iowait),
        irq: pct(d.irq),
        softirq: pct(d.softirq),
        steal: pct(d.steal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn times(f: [u64; 8]) -> CpuTimes {
        CpuTimes::from_array(f)
    }

    fn stat(total: [u64; 8], cpus: &[(u32, [u64; 8])]) -> ProcStat {
        ProcStat {
            total: times(total),
            cpus: cpus.iter().map(|(c, f)| (*c, times(*f))).collect(),
        }
    }

    #[test]
    fn hand_computed_utilisation() {
        let a = stat(
            [100, 0, 50, 800, 50, 0, 0, 0],
            &[(0, [10, 0, 10, 80, 0, 0, 0, 0])],
        );
        // Δ: user 30, system 10, idle 50, iowait 10 → total 100, busy 40.
        let b = stat(
            [130, 0, 60, 850, 60, 0, 0, 0],
            &[(0, [40, 0, 10, 130, 0, 0, 0, 0])],
        );
        let u = b.utilisation_since(&a);
        assert_eq!(u.total, 40.0);
        // cpu0: busy 30 of 80 → 37.5 %.
        assert_eq!(u.per_cpu[&0], 37.5);
        assert_eq!(u.breakdown.user, 30.0);
        assert_eq!(u.breakdown.system, 10.0);
        assert_eq!(u.breakdown.idle, 50.0);
        assert_eq!(u.breakdown.iowait, 10.0);
        assert_eq!(u.breakdown.steal, 0.0);
    }

    #[test]
    fn no_time_passed_is_zero() {
        let a = stat([5, 0, 5, 90, 0, 0, 0, 0], &[(0, [5, 0, 5, 90, 0, 0, 0, 0])]);
        let u = a.utilisation_since(&a);
        assert_eq!(u.total, 0.0);
        assert_eq!(u.per_cpu[&0], 0.0);
        assert_eq!(u.breakdown, Breakdown::default());
    }

    #[test]
    fn counters_going_backwards_count_as_zero() {
        // cpu1 was unplugged and came back: its counters restarted near 0.
        let a = stat([0; 8], &[(1, [1000, 0, 500, 9000, 100, 0, 0, 0])]);
        let b = stat([0; 8], &[(1, [10, 0, 5, 90, 1, 0, 0, 0])]);
        assert_eq!(b.utilisation_since(&a).per_cpu[&1], 0.0);
        // iowait dipped while idle rose by 100 and user by 100: 50 % busy.
        let a = stat([100, 0, 0, 100, 50, 0, 0, 0], &[]);
        let b = stat([200, 0, 0, 200, 40, 0, 0, 0], &[]);
        assert_eq!(b.utilisation_since(&a).total, 50.0);
    }

    #[test]
    fn cpu_in_only_one_sample_is_skipped() {
        let a = stat([0; 8], &[(0, [0; 8]), (2, [0; 8])]);
        let b = stat([0; 8], &[(0, [1, 0, 0, 1, 0, 0, 0, 0]), (3, [5; 8])]);
        let u = b.utilisation_since(&a);
        assert_eq!(u.per_cpu.keys().copied().collect::<Vec<_>>(), vec![0]);
        assert_eq!(u.per_cpu[&0], 50.0);
    }

    fn monotone() -> impl Strategy<Value = ([u64; 8], [u64; 8])> {
        (
            proptest::array::uniform8(0u64..1 << 50),
            proptest::array::uniform8(0u64..1 << 40),
        )
    }

    proptest! {
        #[test]
        fn utilisation_stays_in_range((start, step) in monotone()) {
            let end: [u64; 8] = std::array::from_fn(|i| start[i] + step[i]);
            let a = stat(start, &[(0, start)]);
            let b = stat(end, &[(0, end)]);
            let u = b.utilisation_since(&a);
            prop_assert!((0.0..=100.0).contains(&u.total));
            prop_assert!((0.0..=100.0).contains(&u.per_cpu[&0]));
            let sum: f64 = times(step).as_array().iter().sum::<u64>() as f64;
            let b = u.breakdown;
            let parts = b.user + b.nice + b.system + b.idle + b.iowait + b.irq + b.softirq + b.steal;
            if sum == 0.0 {
                prop_assert_eq!(parts, 0.0);
            } else {
                prop_assert!((parts - 100.0).abs() < 1e-6);
            }
        }

        #[test]
        fn arbitrary_counters_stay_in_range(a in proptest::array::uniform8(any::<u64>()),
                                            b in proptest::array::uniform8(any::<u64>())) {
            let u = stat(b, &[(0, b)]).utilisation_since(&stat(a, &[(0, a)]));
            prop_assert!((0.0..=100.0).contains(&u.total));
            prop_assert!((0.0..=100.0).contains(&u.per_cpu[&0]));
        }
    }
}
