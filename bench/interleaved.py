"""Timing commands side by side on a noisy machine: every round runs each
command once, the first (the reference, e.g. runc) always first and the
others in alternating order, so drift and other load fall on all alike.
Used by ab-start.py and network.py."""

import statistics
import subprocess
import time


def time_interleaved(commands, rounds, warmup=3):
    """commands: name -> argv (the first is the reference). Returns
    name -> wall times in ms of the successful runs after `warmup` rounds."""
    times = {name: [] for name in commands}
    order = list(commands)
    for n in range(rounds):
        sequence = order if n % 2 == 0 else [order[0]] + order[:0:-1]
        for name in sequence:
            start = time.perf_counter()
            done = subprocess.run(commands[name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if done.returncode == 0 and n >= warmup:
                times[name].append((time.perf_counter() - start) * 1000)
    return times


def print_ratios(times, what="command"):
    """A markdown table: runs, median and ratio to the first command."""
    reference = statistics.median(next(iter(times.values())))
    print(f"| {what} | runs | median (ms) | ratio to {next(iter(times))} |\n|---|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {len(values)} | {median:.2f} | {median / reference:.2f} |")
