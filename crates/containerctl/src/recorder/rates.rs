//! Container CPU % from successive cumulative cgroup usage readings (the
//! first reading of a container only sets its baseline). Shared by the
//! sampler and `top`.

use std::collections::HashMap;
use std::time::Instant;

#[derive(Debug, Default)]
pub struct UsageRates {
    previous: HashMap<String, (u64, Instant)>,
}

impl UsageRates {
    /// CPU % of container `id` since its previous reading (100 = one core).
    pub fn percent(&mut self, id: &str, usage_us: u64) -> Option<f64> {
        let now = Instant::now();
        self.previous
            .insert(id.to_string(), (usage_us, now))
            .map(|(usage, at)| metrics::cpu_percent(usage, usage_us, now - at))
    }

    /// Forgets containers not in `ids` (they ended).
    pub fn keep_only<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        let keep: std::collections::HashSet<&str> = ids.into_iter().collect();
        self.previous.retain(|id, _| keep.contains(id.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::UsageRates;

    #[test]
    fn the_first_reading_is_a_baseline_and_ended_containers_are_forgotten() {
        let mut rates = UsageRates::default();
        assert_eq!(rates.percent("a", 1000), None);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let pct = rates.percent("a", 1000 + 10_000).unwrap();
        assert!(pct > 0.0 && pct <= 50.0 + 1e-9, "{pct}");
        rates.keep_only([]);
        assert_eq!(rates.percent("a", 50_000), None);
    }
}
