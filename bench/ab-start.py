#!/usr/bin/env python3
"""Start-to-exit of `/bin/true` for two containerctl binaries (say, the last
release and a change), interleaved with runc so that the machine's noise
(and runc's own writes to the same file systems) hits every command alike:
each round runs runc, then each command, alternating the order every round.
Prints the median of each and its ratio to runc.

    bench/ab-start.py OLD_BINARY NEW_BINARY [ROUNDS=80]      (as root)

Each binary runs a bundle and a YAML workload (`--no-record`) with its own
state root on the file system of /tmp and on tmpfs (/dev/shm)."""

import os
import subprocess
import sys
import tempfile

from interleaved import print_ratios, time_interleaved


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    old, new = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 80
    here = os.path.dirname(os.path.abspath(__file__))
    work = tempfile.mkdtemp(prefix="ab-start-")
    shm = tempfile.mkdtemp(prefix="ab-start-", dir="/dev/shm")
    bundle = os.path.join(work, "bundle")
    subprocess.run([os.path.join(here, "..", "scripts", "make-busybox-bundle.sh"), bundle, "/bin/true"],
                   check=True, stdout=subprocess.DEVNULL)
    yaml = os.path.join(work, "true.yaml")
    with open(yaml, "w") as f:
        f.write("args: [/bin/true]\n")
    commands = {"runc": ["runc", "run", "-b", bundle, "ab-start-runc"]}
    for label, binary in (("old", old), ("new", new)):
        for fs, root in (("tmp", work), ("tmpfs", shm)):
            state = os.path.join(root, f"state-{label}")
            commands[f"{label}-bundle-{fs}"] = [binary, "-q", "--root", state, "run", "--bundle", bundle]
            commands[f"{label}-yaml-{fs}"] = [binary, "-q", "--root", state, "run", "--no-record", yaml]
    print_ratios(time_interleaved(commands, rounds))
    subprocess.run(["rm", "-rf", work, shm])


if __name__ == "__main__":
    main()
