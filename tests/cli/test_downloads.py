"""Downloads run a few at a time: `gpucfg fetch` of a manifest whose lock names six wheels, from a
local mirror that answers each file after 0.4 s and records when each request started and ended.
By default the requests overlap, never more than four at once; GPUCFG_DOWNLOADS=1 makes them one
after another. Every wheel lands in the store either way, checked against its pin.
Unpacking overlaps downloading: in an apply where one wheel answers late, the others' store
trees are made while it is still on its way."""
import hashlib
import os
import tempfile
import threading
import time

from harness import check, expect, finish, gpucfg, serve
from pywheels import make_wheel

TMP = tempfile.mkdtemp(prefix="gpucfg-downloads-")
HOUSE = os.path.join(TMP, "house")
os.makedirs(HOUSE)
WHEELS = [make_wheel(HOUSE, f"pkg{i}", "1.0", {f"pkg{i}/__init__.py": f"X = {i}\n"})
          for i in range(6)]
spans = []  # (start, end) per request
URL = serve(HOUSE, delay=0.4, spans=spans)[0] + "/"
SLOW = os.path.basename(WHEELS[0])
slow_spans = []
SLOW_URL = serve(HOUSE, delay=lambda path: 4.0 if path.endswith(SLOW) else 0.05,
                 spans=slow_spans)[0] + "/"

MANIFEST = os.path.join(TMP, "m.yaml")
with open(MANIFEST, "w") as f:
    f.write("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: downloads}\n"
            "requires: {platforms: [linux-x86_64]}\npython:\n  env: /opt/envs/d\n  import: [pkg0]\n  lock:\n")
    for w in WHEELS:
        with open(w, "rb") as data:
            sha = hashlib.sha256(data.read()).hexdigest()
        f.write(f"    - {{wheel: {os.path.basename(w)}, sha256: {sha}, "
                "for: [linux-x86_64/3.11]}\n")


def most_at_once():
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    now = best = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def fetch(store, **extra):
    spans.clear()
    env = {"GPUCFG_CACHE_DIR": store, "GPUCFG_MIRROR": URL, **extra}
    r = gpucfg("fetch", MANIFEST, env=env, timeout=60)
    expect(r.code == 0, r.err)
    # The server notes a request's end after its last byte is sent, which the client may see
    # (and exit on) first: the last notes are waited for, not raced.
    deadline = time.monotonic() + 5
    while len(spans) < len(WHEELS) and time.monotonic() < deadline:
        time.sleep(0.01)
    have = os.listdir(os.path.join(store, "artifacts"))
    expect(len(have) == len(WHEELS), f"{len(have)} of {len(WHEELS)} wheels in the store")
    return r


@check("several downloads at once, four at most, each checked into the store")
def _():
    fetch(os.path.join(TMP, "store-a"))
    expect(len(spans) == len(WHEELS), spans)
    expect(2 <= most_at_once() <= 4, f"{most_at_once()} requests at once")


@check("GPUCFG_DOWNLOADS=1: one after another")
def _():
    fetch(os.path.join(TMP, "store-b"), GPUCFG_DOWNLOADS="1")
    expect(most_at_once() == 1, f"{most_at_once()} requests at once")


@check("apply: the wheels that landed are unpacked while a late one still downloads")
def _():
    store, root = os.path.join(TMP, "store-c"), os.path.join(TMP, "root-c")
    os.makedirs(root)
    trees = os.path.join(store, "trees")
    first_tree = []

    def watch():  # when the first wheel's store tree appeared
        while not first_tree and not done.is_set():
            if os.path.isdir(trees) and any(not n.endswith(".json") for n in os.listdir(trees)):
                first_tree.append(time.monotonic())
            time.sleep(0.01)

    done = threading.Event()
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        r = gpucfg("apply", "--yes", "--no-verify", "--root", root, MANIFEST, timeout=120,
                   env={"GPUCFG_CACHE_DIR": store, "GPUCFG_MIRROR": SLOW_URL})
    finally:
        done.set()
        watcher.join()
    expect(r.code == 0, r.out + r.err)
    slow = [end for (start, end) in slow_spans if end - start >= 4.0]
    expect(len(slow) == 1, f"the late wheel's request: {slow_spans}")
    expect(first_tree and first_tree[0] < slow[0],
           f"the first store tree appeared at {first_tree}, the late wheel ended at {slow[0]}")
    expect(len([n for n in os.listdir(trees) if not n.endswith(".json")]) == len(WHEELS),
           os.listdir(trees))


finish()
