#!/usr/bin/env python3
"""Report of bench/ingest.sh: medians over repetitions of loss, CPU µs per message and peak RSS,
per receiver, transport and rate, with logtrigger's ratios to the minimal receiver and rsyslog.
Prints; never asserts (the machine is noisy; budgets are judged by a person)."""
import csv
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)
with open(sys.argv[1]) as f:
    for r in csv.DictReader(f, delimiter="\t"):
        runs[(r["receiver"], r["transport"], int(r["rate"]))].append(r)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def summary(rs):
    loss, cpu, hwm, ach = [], [], [], []
    for r in rs:
        sent, got = int(r["sent"] or 0), int(r["received"] or 0)
        if sent <= 0:
            continue
        loss.append(100.0 * max(sent - got, 0) / sent)
        if got > 0:
            cpu.append(int(r["cpu_ns"]) / got / 1000.0)
        hwm.append(int(r["hwm_kb"] or 0) / 1024.0)
        ach.append(int(r["achieved"] or 0))
    return med(loss), med(cpu), med(hwm), med(ach), len(rs)


receivers = sorted({k[0] for k in runs}, key=lambda n: ["sink", "logtrigger", "rsyslog"].index(n)
                   if n in ("sink", "logtrigger", "rsyslog") else 9)
for transport in sorted({k[1] for k in runs}):
    print(f"\n{transport}: medians over repetitions (rate 0 = flat out; achieved = sender's rate)")
    print(f"{'rate':>8} {'receiver':<11} {'achieved/s':>11} {'loss %':>8} {'CPU µs/msg':>11} {'peak RSS MB':>12} {'runs':>5}")
    rates = sorted({k[2] for k in runs if k[1] == transport}, key=lambda r: (r == 0, r))
    for rate in rates:
        s = {n: summary(runs[(n, transport, rate)]) for n in receivers if (n, transport, rate) in runs}
        for n, (loss, cpu, hwm, ach, k) in s.items():
            print(f"{rate or 'max':>8} {n:<11} {ach:>11,.0f} {loss:>8.2f} {cpu:>11.2f} {hwm:>12.1f} {k:>5}")
        if "logtrigger" in s:
            lt = s["logtrigger"]
            parts = []
            for peer in ("sink", "rsyslog"):
                if peer in s and s[peer][1] > 0:
                    parts.append(f"CPU {lt[1] / s[peer][1]:.2f}x {peer}")
                if peer in s and lt[2] > 0:
                    parts.append(f"RSS {lt[2] / s[peer][2]:.2f}x {peer}")
            print(f"{'':>8} {'ratios':<11} " + ", ".join(parts))
