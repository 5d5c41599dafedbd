"""One sample of a workload on Python's concurrent.futures, printed as one JSON line.

    python3 benchmarks/python_bench.py <workload> <threads|processes|serial> <workers>

The Python side of benchmarks/run.ts: the same workloads as benchmarks/sample/workloads.mjs, with the
same sizes (benchmarks/sample/sizes.json), measured the same way (warm-up first where the Node side warms up; imports not timed).
"""

import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample", "sizes.json")) as _sizes:
    SIZES = json.load(_sizes)  # the same sizes as the Node side
CALLS = SIZES["calls"]
MAP_ITEMS = SIZES["mapItems"]
CHUNKSIZE = SIZES["chunksize"]
PRIMES = SIZES["primes"] * SIZES["primesRepeat"]
PRIME_ANSWERS = [n != 1099726899285419 for n in PRIMES]


class Skip(Exception):
    pass


def inc(x):
    return x + 1


def is_prime(n):
    """The function of the ProcessPoolExecutor example in Python's docs."""
    if n < 2:
        return False
    if n == 2:
        return True
    if n % 2 == 0:
        return False
    sqrt_n = int(math.floor(math.sqrt(n)))
    for i in range(3, sqrt_n + 1, 2):
        if n % i == 0:
            return False
    return True


def spin(ms):
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        pass
    return ms


def executor(kind, workers):
    if kind == "threads":
        return ThreadPoolExecutor(max_workers=workers)
    if kind == "processes":
        return ProcessPoolExecutor(max_workers=workers)
    raise Skip(f"no {kind} executor")


def burst(ex, n):
    started = time.perf_counter()
    futures = [ex.submit(inc, i) for i in range(n)]
    results = [f.result() for f in futures]
    seconds = time.perf_counter() - started
    if results != list(range(1, n + 1)):
        raise RuntimeError("wrong results")
    return seconds


def warm_every_worker(ex, workers):
    list(ex.map(spin, [30] * workers))


def calls(kind, workers):
    with executor(kind, workers) as ex:
        burst(ex, CALLS // 10)
        seconds = burst(ex, CALLS)
    return {"value": CALLS / seconds, "unit": "calls/s", "ms": seconds * 1000}


def map_(kind, workers):
    with executor(kind, workers) as ex:
        list(ex.map(inc, range(MAP_ITEMS // 50), chunksize=CHUNKSIZE))
        started = time.perf_counter()
        count = 0
        last = None
        for last in ex.map(inc, range(MAP_ITEMS), chunksize=CHUNKSIZE):
            count += 1
        seconds = time.perf_counter() - started
    if count != MAP_ITEMS or last != MAP_ITEMS:
        raise RuntimeError(f"map yielded {count} results ending in {last}")
    return {"value": MAP_ITEMS / seconds, "unit": "items/s", "ms": seconds * 1000}


def primes(kind, workers):
    if kind == "serial":
        started = time.perf_counter()
        answers = [is_prime(n) for n in PRIMES]
        seconds = time.perf_counter() - started
    else:
        with executor(kind, workers) as ex:
            warm_every_worker(ex, workers)
            started = time.perf_counter()
            answers = list(ex.map(is_prime, PRIMES))
            seconds = time.perf_counter() - started
    if answers != PRIME_ANSWERS:
        raise RuntimeError("wrong answers")
    return {"value": seconds, "unit": "s"}


def latency(kind, workers):
    started = time.perf_counter()
    ex = executor(kind, workers)
    result = ex.submit(inc, 41).result()
    seconds = time.perf_counter() - started
    ex.shutdown()
    if result != 42:
        raise RuntimeError(f"the first call returned {result}")
    return {"value": seconds * 1000, "unit": "ms"}


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(root):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def memory(kind, workers):
    if not os.path.exists("/proc/self/status"):
        raise Skip("needs /proc (Linux)")
    with executor(kind, workers) as ex:
        warm_every_worker(ex, workers)
        time.sleep(0.3)
        parent = rss_kib(os.getpid())
        kids = descendants(os.getpid())
        child = sum(rss_kib(pid) for pid in kids)
    line = {
        "value": (parent + child) / 1024,
        "unit": "MiB",
        "parentMiB": parent / 1024,
        "childMiB": child / 1024,
        "children": len(kids),
    }
    if kind == "processes" and len(kids) < workers:
        line["warning"] = f"only {len(kids)} of {workers} worker processes were running"
    return line


WORKLOADS = {"calls": calls, "map": map_, "primes": primes, "serial": primes, "latency": latency, "memory": memory}


def main():
    workload, kind, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        if workload not in WORKLOADS:
            raise Skip(f"no {workload} workload for Python")
        line = WORKLOADS[workload](kind, workers)
    except Skip as skip:
        line = {"skip": str(skip)}
    except Exception as error:  # reported, not raised: the runner goes on with the other samples
        line = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
