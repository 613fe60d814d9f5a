#!/usr/bin/env python3
"""Benchmark (issue 27): tf-2.16's framework environment built cold, side by side with uv,
`import tensorflow` counted on both sides (gpucfg's apply runs it as its import check):

1. From a mirror that adds 20 ms to every request (a threaded server on loopback, in this
   process: a PEP 503 index and the wheel files), empty caches on both sides:
       GPUCFG_MIRROR=http://127.0.0.1:P/files/ gpucfg apply --root NEW env.yaml
       uv venv V && uv pip install --no-deps --require-hashes --index-url http://127.0.0.1:P/simple
   Goal: <= 1.0x.
2. From wheels already downloaded, not yet unpacked: gpucfg with its store's artifacts only (no
   trees), uv with an empty cache and the same files in a --find-links folder. Goal: <= 1.0x.
   gpucfg compiles every module to bytecode as it installs, as pip does; uv by default leaves
   that to the first import of each module. The like-for-like figure, uv with
   --compile-bytecode, is printed beside it.

uv is installed from the package index into the benchmark's own venv (bench/store_env.py's);
the wheels are fetched once from the package index into the benchmark's store (~670 MB).

    bench/cold_env.py [path/to/gpucfg] [rounds]
"""
import hashlib
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

import store_env
from store_env import BINARY, PYTHON, ROOT, WORK, environment_manifest, python_version, uv_binary, wheelhouse
from timing import settle, timed

ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
DELAY_S = 0.020


def serve(house):
    """A PEP 503 index of `house` and its files, each answer 20 ms late; the server's URL."""
    files = sorted(os.listdir(house))

    def project(name):
        return name.split("-")[0].replace("_", "-").replace(".", "-").lower()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            time.sleep(DELAY_S)
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            if len(parts) == 2 and parts[0] == "files" and parts[1] in files:
                path = os.path.join(house, parts[1])
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(os.path.getsize(path)))
                self.end_headers()
                with open(path, "rb") as f:
                    shutil.copyfileobj(f, self.wfile, 1 << 20)
                return
            if len(parts) == 2 and parts[0] == "simple":
                links = []
                for w in files:
                    if project(w) == parts[1].lower():
                        with open(os.path.join(house, w), "rb") as f:
                            sha = hashlib.file_digest(f, "sha256").hexdigest()
                        links.append(f'<a href="/files/{w}#sha256={sha}">{w}</a><br/>')
                body = ("<!DOCTYPE html><html><body>" + "".join(links) + "</body></html>").encode()
                self.send_response(200 if links else 404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def main():
    os.makedirs(WORK, exist_ok=True)
    store = os.path.join(WORK, "store")
    target = f"linux-x86_64/{python_version()}"
    manifest = os.path.join(WORK, "env.yaml")
    lock = environment_manifest(manifest, target)
    uv = uv_binary()
    env = dict(os.environ, GPUCFG_CACHE_DIR=store, GPUCFG_DATA_DIR=ROOT)
    subprocess.run([BINARY, "fetch", manifest], env=env, check=True, capture_output=True)
    house, locked = wheelhouse(store, lock)
    url = serve(house)
    size = sum(os.path.getsize(os.path.join(house, n)) for n in os.listdir(house))
    print(f"{len(lock)} wheels, {size / 1e6:.0f} MB, Python {target}, {os.cpu_count()} cores; "
          f"mirror {url} (+{DELAY_S * 1000:.0f} ms per request)", flush=True)

    def fresh(*paths):
        for p in paths:
            shutil.rmtree(p, ignore_errors=True)
        settle()

    def uv_run(venv, cache, source, *flags):
        e = dict(os.environ, UV_CACHE_DIR=cache)
        t = timed([uv, "venv", "-q", "--python", PYTHON, venv], e)
        t += timed([uv, "pip", "install", "-q", "--python", os.path.join(venv, "bin", "python"),
                    "--no-deps", "--require-hashes", *flags, *source, "-r", locked], e)
        t += timed([os.path.join(venv, "bin", "python"), "-I", "-c", "import tensorflow"])
        return t

    results = {"mirror": [], "downloaded": [], "downloaded, uv --compile-bytecode": []}
    for i in range(ROUNDS):
        root, venv = os.path.join(WORK, "cold-root"), os.path.join(WORK, "cold-venv")
        gstore, ucache = os.path.join(WORK, "cold-store"), os.path.join(WORK, "cold-uv-cache")
        # Odd rounds gpucfg first, even rounds uv first: neither always follows the other's
        # deletions.
        first_gpucfg = i % 2 == 0

        def both(g_run, u_run):
            if first_gpucfg:
                return g_run(), u_run()
            u = u_run()
            return g_run(), u

        # 1. From the delaying mirror, both caches empty.
        fresh(root, venv, gstore, ucache)

        def g_mirror():
            os.makedirs(root)
            t = timed([BINARY, "apply", "--yes", "--no-verify", "--root", root, manifest],
                      dict(env, GPUCFG_CACHE_DIR=gstore, GPUCFG_MIRROR=url + "/files/"))
            # Its store keeps the artifacts for (2), its trees go; the root goes.
            shutil.rmtree(os.path.join(gstore, "trees"), ignore_errors=True)
            fresh(root)
            return t

        def u_mirror():
            t = uv_run(venv, ucache, ["--index-url", url + "/simple"])
            fresh(venv, ucache)
            return t

        g, u = both(g_mirror, u_mirror)
        results["mirror"].append((g, u))
        print(f"round {i + 1}, from the mirror: gpucfg {g:.1f} s, uv {u:.1f} s, "
              f"ratio {g / u:.2f}x", flush=True)
        # 2. Downloaded, not unpacked: gpucfg's store has the artifacts of (1) and no trees;
        # uv's cache is empty and it reads the same files from a folder.

        def g_downloaded():
            os.makedirs(root)
            t = timed([BINARY, "apply", "--yes", "--no-verify", "--root", root, manifest],
                      dict(env, GPUCFG_CACHE_DIR=gstore, GPUCFG_OFFLINE="1"))
            fresh(root, gstore)
            return t

        def u_downloaded(*flags):
            t = uv_run(venv, ucache, ["--offline", "--no-index", "--find-links", house], *flags)
            fresh(venv, ucache)
            return t

        g, u = both(g_downloaded, u_downloaded)
        results["downloaded"].append((g, u))
        print(f"round {i + 1}, downloaded wheels: gpucfg {g:.1f} s, uv (cold cache) {u:.1f} s, "
              f"ratio {g / u:.2f}x", flush=True)
        c = u_downloaded("--compile-bytecode")
        results["downloaded, uv --compile-bytecode"].append((g, c))
        print(f"round {i + 1}, downloaded wheels: uv --compile-bytecode (cold cache) {c:.1f} s, "
              f"ratio {g / c:.2f}x", flush=True)
        fresh(root, venv, gstore, ucache)
    for name, pairs in results.items():
        ratio = statistics.median(g / u for g, u in pairs)
        print(f"{name}: gpucfg {statistics.median(g for g, _ in pairs):.1f} s, uv "
              f"{statistics.median(u for _, u in pairs):.1f} s, median ratio {ratio:.2f}x "
              f"(goal <= 1.0x: {'met' if ratio <= 1.0 else 'NOT met'})")


if __name__ == "__main__":
    main()
