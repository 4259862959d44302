#!/usr/bin/env bash
# make-busybox-bundle.sh DIR [ARGS...]
# Builds an OCI bundle in DIR from the busybox-static package (no network):
# rootfs/ with busybox and its applets, and the config.json that `runc spec`
# writes, with terminal off and process.args set to ARGS (default /bin/true).
# Both runc and `containerctl run --bundle DIR` run it.
set -euo pipefail
dir=${1:?usage: make-busybox-bundle.sh DIR [ARGS...]}
shift
[ $# -gt 0 ] || set -- /bin/true
busybox=$(command -v busybox) || { echo "needs busybox (apt-get install busybox-static)" >&2; exit 1; }
command -v runc >/dev/null || { echo "needs runc (apt-get install runc)" >&2; exit 1; }

rm -rf "$dir" && mkdir -p "$dir/rootfs/bin"
cp "$busybox" "$dir/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$dir/rootfs/bin/$applet" ] || ln -s busybox "$dir/rootfs/bin/$applet"
done
mkdir -p "$dir/rootfs/"{proc,sys,dev,tmp,etc,root}
echo "root:x:0:0:root:/root:/bin/sh" > "$dir/rootfs/etc/passwd"
(cd "$dir" && runc spec)
python3 - "$dir/config.json" "$@" <<'PY'
import json, sys
path, args = sys.argv[1], sys.argv[2:]
config = json.load(open(path))
config["process"]["terminal"] = False
config["process"]["args"] = args
json.dump(config, open(path, "w"), indent=2)
PY
echo "bundle ready: $dir (args: $*)"
