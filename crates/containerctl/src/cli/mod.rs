//! One file per command. `Globals` are the options every command shares.

pub mod decision_log;
pub mod execute;
pub mod experiment;
pub mod image;
pub mod placed;
pub mod report;
pub mod resolve_image;
pub mod run;
pub mod spec;
pub mod top;
pub mod trace;
pub mod validate;

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Globals {
    pub state_root: PathBuf,
    pub cgroup_parent: String,
    /// The local image store.
    pub image_root: PathBuf,
}
