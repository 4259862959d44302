#!/usr/bin/env python3
"""What bridge networking costs, measured side by side (this machine is
noisy, so as medians of interleaved runs and as ratios):

1. Start-to-exit of `/bin/true` from YAML with `network: none`, `host` and
   `bridge`, interleaved with `runc run` of a busybox bundle (its own
   network namespace, like `none`). Bridge minus none is the price of the
   bridge: lease, name files, veth pair, address, route, teardown.
2. Throughput of one TCP stream of SIZE MiB from a container's server
   (python3, sending 1 MiB writes) to
   the host: straight to the container's bridge address, and through its
   published port on 127.0.0.1 (the userspace proxy).

    bench/network.py BINARY [ROUNDS=40] [SIZE_MIB=512]      (as root)

Uses its own state root, bridge `ctlbench` and subnet 10.203.0.0/24, and
prunes them at the end."""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from interleaved import print_ratios, time_interleaved


def ctl_argv(binary, state, *args):
    return [binary, "-q", "--root", state, "--bridge", "ctlbench", "--subnet", "10.203.0.0/24", *args]


def ctl(binary, state, *args, **kw):
    return subprocess.run(ctl_argv(binary, state, *args), **kw)


def starts(binary, state, work, rounds):
    here = os.path.dirname(os.path.abspath(__file__))
    bundle = os.path.join(work, "bundle")
    subprocess.run([os.path.join(here, "..", "scripts", "make-busybox-bundle.sh"), bundle, "/bin/true"],
                   check=True, stdout=subprocess.DEVNULL)
    commands = {"runc": ["runc", "run", "-b", bundle, "bench-network-runc"]}
    for network in ("none", "host", "bridge"):
        path = os.path.join(work, f"{network}.yaml")
        with open(path, "w") as f:
            f.write(f"network: {network}\nargs: [/bin/true]\n")
        commands[network] = ctl_argv(binary, state, "run", "--no-record", path)
    times = time_interleaved(commands, rounds)
    print_ratios(times, "start-to-exit of /bin/true")
    print(f"\nbridge - none: {statistics.median(times['bridge']) - statistics.median(times['none']):.2f} ms\n")


def receive(address, size):
    deadline = time.time() + 10
    while True:
        try:
            s = socket.create_connection(address, timeout=5)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)
    s.settimeout(60)
    start = time.perf_counter()
    got = 0
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        got += len(chunk)
    elapsed = time.perf_counter() - start
    s.close()
    if got != size:
        raise RuntimeError(f"{address}: {got} of {size} bytes")
    return size / elapsed / (1 << 20)


def throughput(binary, state, work, size_mib):
    size = size_mib << 20
    port = 18900
    path = os.path.join(work, "server.yaml")
    # The host's python3 (the container runs on the host's root) sends
    # SIZE zero bytes to each connection in 1 MiB writes.
    server = ("import socket; s = socket.create_server(('0.0.0.0', 9000)); b = bytes(1 << 20)\n"
              "while True:\n c, _ = s.accept()\n"
              f" for _ in range({size_mib}): c.sendall(b)\n c.close()\n")
    with open(path, "w") as f:
        f.write("name: bench-server\nnetwork: bridge\n"
                f"ports: [\"127.0.0.1:{port}:9000\"]\n"
                f"args: [python3, -c, {json.dumps(server)}]\n")
    ctl(binary, state, "run", "-d", "--no-record", path, check=True, stdout=subprocess.DEVNULL)
    try:
        info = ctl(binary, state, "inspect", "bench-server", check=True, capture_output=True, text=True)
        address = next(line.split('"')[3] for line in info.stdout.splitlines() if '"address"' in line)
        rates = {"direct": [], "published port": []}
        for n in range(6):
            for name, target in (("direct", (address, 9000)), ("published port", ("127.0.0.1", port))):
                rates[name].append(receive(target, size))
                time.sleep(0.3)
        direct = statistics.median(rates["direct"])
        print(f"| one TCP stream of {size_mib} MiB | median MiB/s | ratio to direct |\n|---|---|---|")
        for name, values in rates.items():
            print(f"| {name} | {statistics.median(values):.0f} | {statistics.median(values) / direct:.2f} |")
    finally:
        ctl(binary, state, "rm", "-f", "bench-server", stdout=subprocess.DEVNULL)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    size_mib = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    work = tempfile.mkdtemp(prefix="bench-network-")
    state = tempfile.mkdtemp(prefix="bench-network-", dir="/dev/shm")
    try:
        starts(binary, state, work, rounds)
        throughput(binary, state, work, size_mib)
    finally:
        ctl(binary, state, "network", "prune", stdout=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", work, state])


if __name__ == "__main__":
    main()
