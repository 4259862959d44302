//! One file per command. `Globals` are the options every command shares.

pub mod decision_log;
pub mod exec;
pub mod execute;
pub mod experiment;
pub mod image;
pub mod inspect;
pub mod logs;
pub mod network;
pub mod pause;
pub mod placed;
pub mod ps;
pub mod report;
pub mod resolve_image;
pub mod rm;
pub mod run;
pub mod spec;
pub mod stop;
pub mod top;
pub mod trace;
pub mod up;
pub mod validate;
pub mod wait;

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Globals {
    pub state_root: PathBuf,
    pub cgroup_parent: String,
    /// The local image store.
    pub image_root: PathBuf,
    /// `-q`: warnings and errors only (and ids only, for `ps`).
    pub quiet: bool,
    /// The bridge of `network: bridge` containers.
    pub bridge: String,
    /// The subnet to create the bridge with (`None`: its own, or the default).
    pub subnet: Option<runtime::net::Subnet>,
}
