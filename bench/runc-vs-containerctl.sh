#!/usr/bin/env bash
# Start-to-exit time of a container running /bin/true: containerctl against
# runc on the same busybox OCI bundle, plus containerctl on a YAML workload
# (host root read-only; placed through the ledger; without and with its run
# record of CSVs and a PNG) and plain `unshare` with the same namespaces as a
# floor. hyperfine runs each command ROUNDS x RUNS times, alternating rounds
# so machine noise hits every command alike; medians and the ratio to runc
# are printed as a Markdown table (paste it into docs/benchmarks.md).
#
#   bench/runc-vs-containerctl.sh [RUNS=40] [ROUNDS=3]     (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-40}
rounds=${2:-3}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
scripts/install-deps.sh >/dev/null
cargo build --release --locked -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scripts/make-busybox-bundle.sh "$work/bundle" /bin/true >/dev/null
printf 'args: [/bin/true]\n' > "$work/true.yaml"
ctl=$PWD/target/release/containerctl

declare -A commands=(
  [runc]="runc run -b $work/bundle bench-runc"
  [containerctl-bundle]="$ctl -q --root $work/state run --bundle $work/bundle"
  [containerctl-yaml]="$ctl -q --root $work/state run --no-record $work/true.yaml"
  [containerctl-yaml-recorded]="$ctl -q --root $work/state run --record-dir $work/records $work/true.yaml"
  [unshare]="unshare --fork --pid --net --ipc --uts --mount --cgroup --mount-proc /bin/true"
)
order=(runc containerctl-bundle containerctl-yaml containerctl-yaml-recorded unshare)
for round in $(seq 1 "$rounds"); do
  for name in "${order[@]}"; do
    hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/$name-$round.json" \
      "${commands[$name]}" >/dev/null
  done
done

python3 - "$work" "$rounds" "${order[@]}" <<'PY'
import json, statistics, sys
work, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
times = {n: [] for n in names}
for n in names:
    for r in range(1, rounds + 1):
        times[n] += json.load(open(f"{work}/{n}-{r}.json"))["results"][0]["times"]
med = {n: statistics.median(t) * 1000 for n, t in times.items()}
print(f"| command | runs | median (ms) | p10 (ms) | p90 (ms) | ratio to runc |")
print(f"|---|---|---|---|---|---|")
for n in names:
    t = sorted(x * 1000 for x in times[n])
    p = lambda q: t[min(len(t) - 1, int(q * len(t)))]
    print(f"| {n} | {len(t)} | {med[n]:.2f} | {p(0.1):.2f} | {p(0.9):.2f} | {med[n] / med['runc']:.2f} |")
PY
