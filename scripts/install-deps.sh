#!/usr/bin/env bash
# Installs what containerctl, its tests and its benchmarks need on a fresh
# Debian/Ubuntu machine (as root). Safe to run again: installs only what is
# missing. Rust itself is expected to be there (rustup); see README.
set -euo pipefail

packages=(
  build-essential pkg-config   # cc for crates that build C
  busybox-static               # the VM lane's initramfs; rootfs for benchmarks
  stress                       # examples/basic.yaml
  runc                         # benchmark baseline
  hyperfine                    # benchmark timing
  qemu-system-x86              # the pure cgroup v2 VM lane
  iproute2 procps util-linux   # ip, ps, mount tools used by tests and scripts
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    echo "install-deps: cargo is in $HOME/.cargo/bin; add it to PATH" >&2
  else
    echo "install-deps: no Rust toolchain; install one with rustup (https://rustup.rs)" >&2
  fi
  exit 1
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt >/dev/null 2>&1 || true
echo "install-deps: ok"
