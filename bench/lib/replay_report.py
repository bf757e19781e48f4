#!/usr/bin/env python3
"""Report of bench/replay.sh: reads the work directory, prints the comparison table.

Exit status 0 when every measured tool found exactly the expected failures (and logtrigger the
expected firings), 1 otherwise. Never judges speed by itself: the ratio is printed, not asserted.
"""
import json
import os
import re
import sys

work = sys.argv[1]


def read(name):
    path = os.path.join(work, name)
    return open(path, encoding="utf-8", errors="replace").read() if os.path.exists(path) else None


def expect():
    fam, fires, lines = {}, {}, 0
    for line in read("expect").splitlines():
        f = line.split()
        if f and f[0] == "lines":
            lines = int(f[1])
        elif f and f[0] == "family":
            fam[f[1]] = (int(f[3]), int(f[5]))
        elif f and f[0] == "fire":
            fires[(f[1], f[2])] = int(f[3])
    return lines, fam, fires


def timing(name):
    t = read(name + ".time")
    if not t:
        return None
    # /usr/bin/time prints "Command exited with non-zero status N" first on failure.
    last = t.strip().splitlines()[-1].split()
    wall, user, sys_, rss = float(last[0]), float(last[1]), float(last[2]), int(last[3])
    return wall, user + sys_, rss


def strip_addr(key):
    if isinstance(key, list):
        key = " ".join(key)
    key = str(key)
    return key[1:-1] if key.startswith("[") and key.endswith("]") else key


def logtrigger_counts():
    out = read("logtrigger.out")
    if not out:
        return None, None
    counts, fires = {}, {}
    for line in out.splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if "summary" in o:
            for r in o["summary"].get("rules", []):
                counts[r["rule"]] = (r.get("matches", 0), r.get("firings", 0))
        elif o.get("fired"):
            k = (o["rule"], strip_addr(o.get("key")))
            fires[k] = fires.get(k, 0) + 1
    return counts, fires


def fail2ban_counts(families):
    out = read("fail2ban.out")
    if not out:
        return None
    hits = [int(m) for m in re.findall(r"^\|\s+\d+\)\s+\[(\d+)\]", out, re.M)]
    if len(hits) != len(families):
        return None
    return dict(zip(families, hits))


lines, fam, want_fires = expect()
families = list(fam)
lt, lt_fires = logtrigger_counts()
f2b = fail2ban_counts(families)
ok = True

print(f"\nFailures per rule family ({lines} lines; expected = what the generator emitted)")
print(f"{'family':<20} {'expected':>9} {'logtrigger':>11} {'fail2ban':>9} {'exp.firings':>12} {'lt firings':>11}")
for name in families:
    e_fail, e_fire = fam[name]
    l_fail, l_fire = lt.get(name, ("-", "-")) if lt else ("-", "-")
    f_fail = f2b.get(name, "-") if f2b else "-"
    mark = ""
    if l_fail != e_fail or l_fire != e_fire or f_fail != e_fail:
        mark = "  MISMATCH"
        ok = False
    print(f"{name:<20} {e_fail:>9} {l_fail!s:>11} {f_fail!s:>9} {e_fire:>12} {l_fire!s:>11}{mark}")
tot = sum(v[0] for v in fam.values())
print(f"{'total':<20} {tot:>9} {sum(v[0] for v in lt.values()) if lt else '-'!s:>11} "
      f"{sum(f2b.values()) if f2b else '-'!s:>9}")
if lt_fires is not None and lt:
    same = lt_fires == want_fires
    ok &= same
    print(f"firing keys (family, address, times) identical to the expectation: {'yes' if same else 'NO'}"
          f" ({len(want_fires)} expected, {len(lt_fires)} found)")

print(f"\nThroughput (whole process, same file, page cache warm)")
print(f"{'tool':<22} {'wall s':>8} {'CPU s':>8} {'lines/s':>12} {'lines/CPU s':>12} {'peak RSS':>10}")
rows = {}
for name, label in (("logtrigger", "logtrigger test"), ("fail2ban", "fail2ban-regex"),
                     ("default", "logtrigger (uci/logtrigger)")):
    t = timing(name)
    if not t:
        continue
    wall, cpu, rss = t
    rows[name] = (lines / wall, lines / cpu if cpu else float("inf"), rss)
    print(f"{label:<22} {wall:>8.2f} {cpu:>8.2f} {lines / wall:>12,.0f} {rows[name][1]:>12,.0f} {rss / 1024:>8.1f} MB")
if "logtrigger" in rows and "fail2ban" in rows:
    r = rows["logtrigger"][0] / rows["fail2ban"][0]
    c = rows["logtrigger"][1] / rows["fail2ban"][1]
    m = rows["fail2ban"][2] / rows["logtrigger"][2]
    print(f"ratio logtrigger/fail2ban: {r:.1f}x lines/s, {c:.1f}x lines per CPU second, "
          f"{m:.1f}x less peak RSS (budget: >= 50x lines/s, identical failure counts)")
failed = read("failed")
if failed:
    print("\nfailed runs:\n" + failed)
    ok = False
default = read("default.out")
if default:
    print("\nShipped rules (uci/logtrigger) on the same file, summary:")
    print("\n".join(default.splitlines()[-20:]))
sys.exit(0 if ok else 1)
