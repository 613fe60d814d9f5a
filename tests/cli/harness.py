"""A tiny test harness for the CLI checks: named checks, a closing 'N passed, N failed' line,
exit status 1 on any failure. ctest runs each script as one test; the line says what ran."""
import atexit
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACCEPT = os.environ.get("GPUCFG_TEST_ACCEPT") == "1"
# Time limits in tests are for the release build; scripts/sanitize.sh runs the same tests on a
# build under AddressSanitizer, a few times slower, and says how much with this factor.
TIME_FACTOR = float(os.environ.get("GPUCFG_TEST_TIME_FACTOR", "1"))


class Run:
    def __init__(self, proc, seconds):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.seconds = seconds


def gpucfg(*args, cwd=None, env=None, timeout=20, exact_env=False):
    """Runs the binary. `env` adds to this process's environment, or with exact_env=True is
    the whole environment (fake machines must not see this machine's CUDA_HOME)."""
    e = {} if exact_env else dict(os.environ)
    e.setdefault("GPUCFG_DATA_DIR", ROOT)
    if env:
        e.update(env)
    t0 = time.monotonic()
    p = subprocess.run([BINARY, *args], cwd=cwd or ROOT, env=e, capture_output=True,
                       text=True, errors="replace", timeout=timeout)
    return Run(p, time.monotonic() - t0)


# The CUDA 13.0 toolkit with cuDNN 9.19 that the tests compile against: the one scripts/test.sh
# brings into build/toolkit from NVIDIA's wheels (tests/fixtures/toolkit-cuda-13.0.yaml), else
# the build machines' own /usr/local/cuda-13.0 (made from the same wheels); GPUCFG_TEST_TOOLKIT
# names another. Checked by its files, not the folder: an empty folder (or one mounted over it)
# is no toolkit.
MACHINE_TOOLKIT = "/usr/local/cuda-13.0"
BROUGHT_TOOLKIT = os.path.join(ROOT, "build/toolkit/usr/local/cuda-13.0")
LOCAL_TOOLKIT = os.environ.get("GPUCFG_TEST_TOOLKIT") or (
    BROUGHT_TOOLKIT if os.path.isfile(os.path.join(BROUGHT_TOOLKIT, "bin/nvcc")) else MACHINE_TOOLKIT)


def local_toolkit():
    """"" when LOCAL_TOOLKIT is a whole toolkit with cuDNN, else why it is not (a skip's reason)."""
    for rel in ("bin/nvcc", "include/cuda_runtime_api.h", "include/cudnn_version.h"):
        if not os.path.exists(os.path.join(LOCAL_TOOLKIT, rel)):
            return (f"no CUDA toolkit with cuDNN at {LOCAL_TOOLKIT} ({rel} missing; scripts/test.sh "
                    "brings one into build/toolkit)")
    return ""


def local_manifest():
    """examples/local-cuda-13.0.yaml adopting LOCAL_TOOLKIT: the file itself where that is the
    machine's /usr/local/cuda-13.0, else a copy (in the build folder) with the prefix swapped."""
    src = os.path.join(ROOT, "examples/local-cuda-13.0.yaml")
    if LOCAL_TOOLKIT == MACHINE_TOOLKIT:
        return src
    with open(src) as f:
        text = f.read().replace(f"prefix: {MACHINE_TOOLKIT}", f"prefix: {LOCAL_TOOLKIT}")
    fd, out = tempfile.mkstemp(prefix="gpucfg-local-cuda-13.0-", suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    atexit.register(os.remove, out)
    return out


BINARY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build/cli/gpucfg")
_results = []


def check(name):
    """Decorator: run the function as a named check; an AssertionError fails it."""
    def wrap(fn):
        try:
            fn()
            _results.append((name, None))
        except AssertionError as e:
            _results.append((name, str(e) or "assertion failed"))
        except Exception as e:  # a crash in a check is a failure, not an abort
            _results.append((name, f"{type(e).__name__}: {e}"))
        return fn
    return wrap


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def finish():
    failed = [(n, m) for n, m in _results if m]
    for n, m in failed:
        print(f"FAIL {n}\n  {m}")
    print(f"{len(_results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


def serve(directory, delay=0.0, spans=None):
    """A quiet HTTP server for `directory` on 127.0.0.1, in a daemon thread. Returns its base URL
    and the list of paths requested so far (a test checks what was fetched from where). With
    `delay` (seconds, or a function of the request's path giving them), each answer starts that
    late; with `spans`, each request's (start, answer) monotonic times are appended to it once
    it is served (a test sees which requests overlapped)."""
    served = []
    lock = threading.Lock()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=directory, **kw)

        def log_message(self, *a):
            pass

        def do_GET(self):
            start = time.monotonic()
            served.append(self.path)
            time.sleep(delay(self.path) if callable(delay) else delay)
            # The span ends as the answer starts, not after its last byte: a client may see
            # that byte and send its next request before this thread runs again (a loaded
            # machine), which would read as two requests at once when there was one.
            answered = time.monotonic()
            super().do_GET()
            if spans is not None:
                with lock:
                    spans.append((start, answered))

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{srv.server_address[1]}", served
