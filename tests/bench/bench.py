#!/usr/bin/python3
"""tests/bench/bench.py: minibt against bpftrace 0.17, in one boot.

Run on a kernel with kprobes (tests/bench/run boots the guest when the host
has none). Every number is reported as a ratio bpftrace/minibt measured in
the same boot, never as a target: under TCG absolute times mean little.

  startup   wall time of `-e 'BEGIN { exit(); }'` (median of N runs)
  ready     wall time from exec until tcpretrans.bt printed its header,
            i.e. compiled, loaded, attached and ran BEGIN
  rss       peak RSS (VmHWM) of a tcpretrans.bt run
  insns     BPF instructions the kernel runs for the kprobe of tcpretrans.bt
            (xlated, from bpftool) and for a counting one-liner
  per-event average run time of the kprobe program per event, from the
            kernel's own BPF stats (kernel.bpf_stats_enabled). Both tracers
            are attached at once, so each event runs both programs (minibt's
            first, on colder caches); a warm-up round of the workload comes
            before the measured rounds, whose deltas are reported: under TCG
            the first runs of new code pay its translation.
"""
import json
import os
import statistics
import subprocess
import sys
import time

MINIBT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./minibt")
BPFTRACE = "/usr/bin/bpftrace"
N = int(os.environ.get("BENCH_RUNS", "5"))
TCPRETRANS = "/usr/sbin/tcpretrans.bt"
COUNT_PROG = "kprobe:do_nanosleep { @[comm] = count(); }"
KFUNC_PROG = "kfunc:do_nanosleep { @[comm] = count(); }"  # the same through a BPF trampoline


def run_wall(cmd):
    t = time.monotonic()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    return time.monotonic() - t


def time_to_line(cmd, needle):
    """Start cmd, return (seconds until a stdout line contains needle, Popen)."""
    t = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if needle in line:
            return time.monotonic() - t, p
    sys.exit(f"bench: {' '.join(cmd)} never printed {needle!r}")


def stop(p):
    p.send_signal(2)
    try:
        p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()


def peak_rss_kb(cmd, needle):
    """Peak RSS of a run that is stopped once it printed needle."""
    wrapped = ["/usr/bin/time", "-f", "RSSKB %M"] + cmd
    p = subprocess.Popen(wrapped, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in p.stdout:
        if needle in line:
            break
    # SIGINT the tracer (the child of time)
    subprocess.run(["pkill", "-INT", "-P", str(p.pid)])
    _, err = p.communicate(timeout=60)
    for l in err.splitlines():
        if l.startswith("RSSKB"):
            return int(l.split()[1])
    return None


def progs():
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True).stdout
    return json.loads(out or "[]")


def kprobe_progs(cmd, needle):
    """Start cmd, wait until ready; return (Popen, ids of the kprobe programs it loaded)."""
    before = {p["id"] for p in progs()}
    _, p = time_to_line(cmd, needle)
    return p, {pr["id"] for pr in progs() if pr["id"] not in before and pr.get("type") in ("kprobe", "tracing")}


def kprobe_stats(cmds, needle, workload, rounds):
    """Attach every cmd (one at a time, each until ready), run workload once
    to warm up, then `rounds` times. Returns per cmd (xlated insns, run_cnt,
    run_ns) of its kprobe programs over the measured rounds."""
    started = [kprobe_progs(c, needle) for c in cmds]

    def snap():
        cur = {pr["id"]: pr for pr in progs()}
        return [(sum(cur[i].get("bytes_xlated", 0) // 8 for i in ids if i in cur),
                 sum(cur[i].get("run_cnt", 0) for i in ids if i in cur),
                 sum(cur[i].get("run_time_ns", 0) for i in ids if i in cur)) for _, ids in started]

    workload()
    a = snap()
    for _ in range(rounds):
        workload()
    b = snap()
    for p, _ in started:
        stop(p)
    return [(y[0], y[1] - x[1], y[2] - x[2]) for x, y in zip(a, b)]


def sleeps():
    for _ in range(200):
        subprocess.run(["sleep", "0.001"])


def retransmits():
    subprocess.run(["tests/vm/lossy-link.sh", "on", "20%"], check=True)
    for host in ("127.0.0.1", "::1", "127.0.0.1"):
        subprocess.run(["/usr/bin/python3", "tests/vm/tcpxfer.py", "--host", host], stdout=subprocess.DEVNULL)
    subprocess.run(["tests/vm/lossy-link.sh", "off"])


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "n/a"


def main():
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:  # no sysctl(8) needed
        f.write("1")
    # warm the page cache for both binaries (9p)
    for b in (MINIBT, BPFTRACE):
        run_wall([b, "-e", "BEGIN { exit(); }"])
    rows = []

    st = {b: statistics.median(run_wall([b, "-e", "BEGIN { exit(); }"]) for _ in range(N)) for b in (MINIBT, BPFTRACE)}
    rows.append(("startup (BEGIN { exit(); })", st[BPFTRACE], st[MINIBT], "s"))

    rd = {}
    for b in (MINIBT, BPFTRACE):
        ts = []
        for _ in range(N):
            dt, p = time_to_line([b, TCPRETRANS], "Tracing tcp retransmits")
            stop(p)
            ts.append(dt)
        rd[b] = statistics.median(ts)
    rows.append(("ready (tcpretrans.bt: compile+load+attach+BEGIN)", rd[BPFTRACE], rd[MINIBT], "s"))

    rss = {b: peak_rss_kb([b, TCPRETRANS], "Tracing tcp retransmits") for b in (MINIBT, BPFTRACE)}
    rows.append(("peak RSS (tcpretrans.bt)", rss[BPFTRACE], rss[MINIBT], "KB"))

    per_event = {}
    for label, cmd_of, needle, work, rounds in (
        ("tcpretrans.bt kprobe", lambda b: [b, TCPRETRANS], "Tracing tcp", retransmits, 2),
        ("count() one-liner kprobe", lambda b: [b, "-e", COUNT_PROG], "Attaching", sleeps, 2),
        ("count() one-liner kfunc", lambda b: [b, "-e", KFUNC_PROG], "Attaching", sleeps, 2),
    ):
        (mi, mc, mn), (bi, bc, bn) = kprobe_stats([cmd_of(MINIBT), cmd_of(BPFTRACE)], needle, work, rounds)
        rows.append((f"BPF insns, {label}", bi, mi, "insns"))
        rows.append(("  events seen by each (measured rounds)", bc, mc, "events"))
        rows.append((f"ns per event, {label}", bn / bc if bc else 0, mn / mc if mc else 0, "ns"))
        per_event[label] = mn / mc if mc else 0

    print(f"{'measure':55s} {'bpftrace':>12s} {'minibt':>12s}  bpftrace/minibt")
    for name, bt, mb, unit in rows:
        def f(v):
            return f"{v:.3f}" if isinstance(v, float) and unit == "s" else (f"{v:.0f}" if v is not None else "n/a")
        r = "" if name.startswith("  ") else ratio(bt, mb)
        print(f"{name:55s} {f(bt):>12s} {f(mb):>12s}  {r}")
    kp, kf = per_event.get("count() one-liner kprobe"), per_event.get("count() one-liner kfunc")
    print(f"\nwhat kfunc saves (minibt, same boot): count() {kp:.0f} ns/event as a kprobe, "
          f"{kf:.0f} as a kfunc: kprobe/kfunc {ratio(kp, kf)}")


if __name__ == "__main__":
    main()
