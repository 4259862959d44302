//! One walk of the simulator's FIFO-with-backfill queue: start, in arrival
//! order, every queued job that can be placed now. Resources only shrink
//! during a walk, so a [`Memo`] of what already failed lets a job whose
//! request is no smaller (more cores of the same kind, or at least as many
//! GPUs of at least as much memory) be skipped without asking the policies.

use super::cores_of;
use super::state::{Blocked, Sim};
use crate::trace::Job;

/// The smallest requests that failed so far in this walk.
#[derive(Default)]
struct Memo {
    /// Fewest cores that failed, for shared (`[0]`) and exclusive (`[1]`).
    cores: [Option<u64>; 2],
    /// Fewest whole GPUs that failed.
    whole: Option<u32>,
    /// (count, memory) of failed memory requests, none dominating another.
    shares: Vec<(u32, u64)>,
}

impl Memo {
    fn blocked(&self, job: &Job) -> bool {
        let cores = cores_of(job);
        if self.cores[usize::from(job.exclusive)].is_some_and(|f| cores >= f) {
            return true;
        }
        match job.gpu() {
            None => false,
            Some(req) => match req.memory {
                None => self.whole.is_some_and(|f| req.count >= f),
                Some(m) => self.shares.iter().any(|&(c, fm)| req.count >= c && m >= fm),
            },
        }
    }

    fn record(&mut self, job: &Job, why: Blocked) {
        let min = |slot: &mut Option<u64>, k: u64| *slot = Some(slot.map_or(k, |f| f.min(k)));
        match (why, job.gpu()) {
            (Blocked::Cpu, _) => {
                let cores = cores_of(job);
                min(&mut self.cores[1], cores);
                if !job.exclusive {
                    // Exclusive cores are a subset of shareable ones.
                    min(&mut self.cores[0], cores);
                }
            }
            (Blocked::Gpu, Some(req)) => match req.memory {
                None => self.whole = Some(self.whole.map_or(req.count, |f| f.min(req.count))),
                Some(m) => {
                    self.shares.retain(|&(c, fm)| !(c >= req.count && fm >= m));
                    self.shares.push((req.count, m));
                }
            },
            (Blocked::Gpu, None) | (Blocked::Ledger, _) => {}
        }
    }
}

impl Sim<'_> {
    /// Tries `queue[from..]` in order at time `now`; removes the started.
    pub(super) fn walk(&mut self, queue: &mut Vec<usize>, from: usize, now: u64) {
        let mut memo = Memo::default();
        let mut kept = from;
        for r in from..queue.len() {
            let i = queue[r];
            let job = &self.trace[i];
            let started = !memo.blocked(job)
                && match self.try_start(i, now) {
                    Ok(()) => true,
                    Err(why) => {
                        memo.record(&self.trace[i], why);
                        false
                    }
                };
            if !started {
                queue[kept] = i;
                kept += 1;
            }
        }
        queue.truncate(kept);
    }
}
