//! Integration tests: real containers, run as root by the real binary, with
//! every property checked from inside the container (or from the kernel's
//! own counters), never from containerctl's word. One test binary; run with
//! `cargo test` as root. The same binary runs inside the pure cgroup v2 VM
//! (scripts/test.sh), where timing checks get extra slack.

mod support;

mod affinity;
mod cleanup;
mod ctl;
mod enter;
mod exit_codes;
mod experiments;
mod images;
mod isolation;
mod lifecycle;
mod network;
mod placement;
mod resources;
mod rootfs;
mod security;
mod signals;
mod terminal;
mod validation;
