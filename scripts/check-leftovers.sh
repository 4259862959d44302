#!/usr/bin/env bash
# Fails if containerctl left anything on this machine: cgroup dirs named
# containerctl* at any hierarchy root, mounts mentioning containerctl,
# containerctl processes, container state dirs under /run/containerctl,
# placements still in its ledger, host ends of container veth pairs
# (veth + 11 hex digits), address leases, or the tests' bridges (ctlt*).
# A bridge of the default state root stays until `network prune`.
set -u
bad=0
for d in /sys/fs/cgroup /sys/fs/cgroup/*/; do
  for c in "$d"/containerctl*; do
    [ -d "$c" ] && { echo "left behind: cgroup $c"; bad=1; }
  done
done
if grep -q containerctl /proc/self/mountinfo; then
  echo "left behind: mounts"; grep containerctl /proc/self/mountinfo; bad=1
fi
procs=$(pgrep -a -f 'containerctl(-probe)? ' | grep -v -e check-leftovers -e pgrep || true)
[ -n "$procs" ] && { echo "left behind: processes"; echo "$procs"; bad=1; }
# The ledger and its lock stay (they are shared by every run), and the
# (empty) dirs of the container store and its names; containers do not.
state=$(ls -A /run/containerctl 2>/dev/null | grep -v -x -e ledger.json -e ledger.lock -e containers -e names -e networks || true)
for sub in containers names; do
  state="$state$(ls -A /run/containerctl/$sub 2>/dev/null | sed "s|^| $sub/|")"
done
if [ -n "$state" ]; then
  echo "left behind: state in /run/containerctl: $state"; bad=1
fi
links=$(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^(veth[0-9a-f]{11}|ctlt.*)$' || true)
[ -n "$links" ] && { echo "left behind: links"; echo "$links"; bad=1; }
leases=$(ls /run/containerctl/networks/*/leases/ 2>/dev/null | grep -E '^[0-9.]+$' || true)
[ -n "$leases" ] && { echo "left behind: address leases"; echo "$leases"; bad=1; }
if [ -f /run/containerctl/ledger.json ] && ! grep -q '"placements": {}' /run/containerctl/ledger.json; then
  echo "left behind: placements in /run/containerctl/ledger.json"; cat /run/containerctl/ledger.json; bad=1
fi
[ $bad = 0 ] && echo "nothing left behind"
exit $bad
