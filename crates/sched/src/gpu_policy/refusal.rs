//! The text of a GPU refusal: which GPUs have how much memory free and
//! which are held whole, so the user sees why a request does not fit.

use super::{free_of, GpuRequest};
use crate::gpu::{format_gib, GpuInventory};
use crate::ledger::GpuUse;

/// `free: GPU 0 12.0 GiB, GPU 3 40.0 GiB (GPUs 1, 2 held whole)`.
pub(super) fn describe_free(inv: &GpuInventory, uses: &[GpuUse], req: &GpuRequest) -> String {
    const SHOWN: usize = 16;
    let mut free = Vec::new();
    let mut whole = Vec::new();
    let mut full = Vec::new();
    for (g, u) in inv.gpus.iter().zip(uses) {
        if u.whole {
            whole.push(g.index.to_string());
        } else if u.memory >= g.memory {
            full.push(format!("GPU {} ({} sharers)", g.index, u.holders));
        } else if u.memory < g.memory {
            free.push(format!(
                "GPU {} {}",
                g.index,
                format_gib(free_of(g.memory, u))
            ));
        }
    }
    let mut text = String::from("free: ");
    if free.is_empty() {
        text.push_str("none");
    } else {
        let more = free.len().saturating_sub(SHOWN);
        text.push_str(&free[..free.len().min(SHOWN)].join(", "));
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
    }
    match whole.len() {
        0 => {}
        1 => text.push_str(&format!(" (GPU {} held whole)", whole[0])),
        _ => text.push_str(&format!(" (GPUs {} held whole)", whole.join(", "))),
    }
    if !full.is_empty() {
        let more = full.len().saturating_sub(SHOWN);
        text.push_str(&format!(
            "; memory all taken: {}",
            full[..full.len().min(SHOWN)].join(", ")
        ));
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
    }
    let shared = uses.iter().filter(|u| !u.whole && u.holders > 0).count();
    if req.memory.is_none() && shared > 0 {
        text.push_str("; a whole GPU must be one that nobody shares");
    }
    text
}
