#!/usr/bin/env bash
# Fails if containerctl left anything on this machine: cgroup dirs named
# containerctl* at any hierarchy root, mounts mentioning containerctl,
# containerctl processes, or container state dirs under /run/containerctl.
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
if [ -d /run/containerctl ] && [ -n "$(ls -A /run/containerctl 2>/dev/null)" ]; then
  echo "left behind: state in /run/containerctl: $(ls /run/containerctl)"; bad=1
fi
[ $bad = 0 ] && echo "nothing left behind"
exit $bad
