#!/usr/bin/env bash
# The whole test suite, as root: formatting, lints, unit tests, integration
# tests on this host, the same integration tests inside a pure cgroup v2 VM
# (when this host is not pure v2 itself), and a final check that nothing of
# ours (cgroups, mounts, processes, state) is left on the machine.
#
#   CONTAINERCTL_VM_LANE=0|1   force the VM lane off/on (default: on unless
#                              the host is already pure cgroup v2)
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "test.sh: run as root (the tests create real containers)" >&2; exit 1; }
scripts/install-deps.sh

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build"
cargo build --workspace --all-targets --locked

if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then kind="pure cgroup v2"; else kind="cgroup v1 / hybrid"; fi
step "unit and integration tests on this host ($kind)"
cargo test --workspace --locked

host_is_v2=0
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && host_is_v2=1
vm_lane=${CONTAINERCTL_VM_LANE:-$((1 - host_is_v2))}
if [ "$vm_lane" = 1 ]; then
  step "integration tests inside a pure cgroup v2 VM"
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$PWD/scripts/vm/run-in-vm.sh"
  cargo test --locked -p containerctl --test integration
  unset CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER
else
  echo "(VM lane off: this host is pure cgroup v2 already, or CONTAINERCTL_VM_LANE=0)"
fi

step "nothing of ours left on this machine"
scripts/check-leftovers.sh
echo
echo "all tests passed"
