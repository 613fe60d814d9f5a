"""Sources end to end, offline: capture part of a real CUDA 13.0 toolkit (the one scripts/test.sh
brings, else this machine's /usr/local/cuda-13.0), apply it
into an empty root, read it back with facts and build a cuDNN program with the installed nvcc;
downloads from a local HTTP server (success, resume after a cut, HTTP 500,
connection reset, sha256 mismatch); fetch then an offline apply; pins; layouts. Hostile archives
and the mode policy: test_archives.py."""
import http.server
import json
import os
import shutil
import socket
import subprocess
import tarfile
import threading
import zipfile

from harness import LOCAL_TOOLKIT, MACHINE_TOOLKIT, check, expect, finish, gpucfg

# Captured from LOCAL_TOOLKIT, installed where the machine's own would be.
TOOLKIT = MACHINE_TOOLKIT
from sourcekit import ENV, TMP, apply, entry, fresh, sha, tar_with, tree, write_manifest


# --- capture -> apply -> facts -> compile, on the real toolkit --------------------------------

@check("capture part of the real CUDA 13.0, apply it into an empty root, facts and nvcc agree")
def capture_round_trip():
    if not os.path.isfile(os.path.join(LOCAL_TOOLKIT, "bin/nvcc")):
        print(f"SKIP capture round trip: no toolkit at {LOCAL_TOOLKIT} (scripts/test.sh brings one "
              "into build/toolkit)")
        return
    d = fresh("capture")
    mirror = os.path.join(d, "mirror")
    r = gpucfg("capture", LOCAL_TOOLKIT, "--install-prefix", TOOLKIT, "--out", mirror, "--components",
               "cuda_nvcc,cuda_cudart,cuda_crt,libnvvm,cudnn,unrecorded",
               # cuDNN 9's libcudnn.so.9 answers cudnnGetVersion from libcudnn_graph.so.9: the
               # large sub-libraries are left out, that one is kept.
               *[a for lib in ("adv", "cnn", "ops", "heuristic", "engines_")
                 for a in ("--exclude", f"lib/libcudnn_{lib}*")],
               "--format", "tar.gz", "--level", "1", env=ENV, timeout=300)
    expect(r.code == 0, r.err)
    # Files no wheel's RECORD lists (the image's lib/stubs/libcuda.so, dev links) are not dropped.
    expect("no wheel's RECORD lists form the component 'unrecorded' (" in r.out, r.out)
    manifest = os.path.join(mirror, "captured-cuda-13.0.yaml")
    root = os.path.join(d, "root")
    r = apply(d, manifest)
    expect(r.code == 0, r.out + r.err)
    stub = os.path.join(root, TOOLKIT.lstrip("/"), "lib/stubs/libcuda.so")
    expect(os.path.isfile(stub) or not os.path.exists(os.path.join(LOCAL_TOOLKIT, "lib/stubs/libcuda.so")),
           "lib/stubs/libcuda.so was not installed")
    # The captured toolkit as facts reads it (CUDA_HOME points at one outside the usual places).
    real = os.path.realpath(LOCAL_TOOLKIT)
    host = json.loads(gpucfg("facts", "--json", env=dict(ENV, CUDA_HOME=LOCAL_TOOLKIT)).out)
    got = json.loads(gpucfg("facts", "--json", "--root", root, env=ENV).out)
    want_tk = [t for t in host["toolkits"] if t["realpath"] == real][0]["version"]
    got_tk = [t for t in got["toolkits"] if t["realpath"] == TOOLKIT]
    expect(got_tk and got_tk[0]["version"] == want_tk, f"toolkit {got_tk} != {want_tk}")
    want_dnn = [c["version"] for c in host["cudnn"] if os.path.realpath(c["lib_dir"]).startswith(real)]
    got_dnn = [c["version"] for c in got["cudnn"] if c["lib_dir"].startswith(TOOLKIT)]
    expect(got_dnn and got_dnn[0] == want_dnn[0], f"cudnn {got_dnn} != {want_dnn}")
    # The installed nvcc compiles and links a cuDNN program against the installed cuDNN.
    src = os.path.join(d, "v.cu")
    with open(src, "w") as f:
        f.write('#include <cudnn.h>\n#include <cstdio>\n'
                'int main() { std::printf("%zu %d\\n", cudnnGetVersion(), CUDNN_VERSION); }\n')
    nvcc = os.path.join(root, TOOLKIT.lstrip("/"), "bin/nvcc")
    exe = os.path.join(d, "v")
    p = subprocess.run([nvcc, src, "-o", exe, "-lcudnn"], capture_output=True, text=True,
                       timeout=300)
    expect(p.returncode == 0, p.stderr)
    lib = os.path.join(root, TOOLKIT.lstrip("/"), "lib")
    p = subprocess.run([exe], capture_output=True, text=True, env={"LD_LIBRARY_PATH": lib})
    expect(p.returncode == 0 and len(p.stdout.split()) == 2, p.stdout + p.stderr)
    runtime, header = (p.stdout.split() + ["", ""])[:2]
    expect(runtime == header, p.stdout)
    expect(gpucfg("plan", "--detailed-exitcode", "--root", root, manifest, env=ENV).code == 0,
           "a second plan is not converged")
    r = gpucfg("destroy", "--yes", "--root", root, manifest, env=ENV, timeout=60)
    expect(r.code == 0 and not os.path.exists(os.path.join(root, TOOLKIT.lstrip("/"))),
           r.out + r.err)


# --- layouts --------------------------------------------------------------------------------

@check("legacy cuDNN .tgz and NVIDIA wheel layouts land in include/ and lib/ with their links")
def layouts():
    d = fresh("legacy")
    arc = os.path.join(d, "cudnn-11.2-linux-x64-v8.1.0.77.tgz")
    tar_with(arc, [entry("cuda/include/cudnn.h"),
                   entry("cuda/lib64/libcudnn.so.8.1.0", data=b"lib"),
                   entry("cuda/lib64/libcudnn.so.8", tarfile.SYMTYPE, link="libcudnn.so.8.1.0"),
                   entry("cuda/NVIDIA_SLA_cuDNN_Support.txt")])
    m = write_manifest(d, f"    archive: {os.path.basename(arc)}\n    sha256: {sha(arc)}\n")
    expect(apply(d, m).code == 0, "legacy apply failed")
    p = os.path.join(d, "root/opt/stack")
    expect(os.readlink(os.path.join(p, "lib/libcudnn.so.8")) == "libcudnn.so.8.1.0", "link")
    expect(os.readlink(os.path.join(p, "lib/libcudnn.so")) == "libcudnn.so.8", "dev link")
    expect(os.path.islink(os.path.join(p, "lib64")), "lib64 link")
    expect(os.path.isfile(os.path.join(p, "share/licenses/NVIDIA_SLA_cuDNN_Support.txt"))
           or os.path.isdir(os.path.join(p, "share/licenses")), "license")

    d = fresh("wheel")
    whl = os.path.join(d, "nvidia_cudnn_cu12-8.9.7.29-py3-none-manylinux1_x86_64.whl")
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr("nvidia/__init__.py", "")
        z.writestr("nvidia/cudnn/__init__.py", "")
        z.writestr("nvidia/cudnn/include/cudnn_version.h", "#define CUDNN_MAJOR 8\n")
        z.writestr("nvidia/cudnn/lib/libcudnn.so.8", "lib")
        z.writestr("nvidia_cudnn_cu12-8.9.7.29.dist-info/METADATA", "Name: nvidia-cudnn-cu12\n")
    m = write_manifest(d, "    wheels:\n      - package: nvidia-cudnn-cu12==8.9.7.29\n"
                          f"        sha256: {sha(whl)}\n        url: {os.path.basename(whl)}\n")
    r = apply(d, m)
    expect(r.code == 0, r.err)
    p = os.path.join(d, "root/opt/stack")
    expect(os.path.isfile(os.path.join(p, "include/cudnn_version.h")), tree(p))
    expect(os.readlink(os.path.join(p, "lib/libcudnn.so")) == "libcudnn.so.8", tree(p))
    expect(os.path.isdir(os.path.join(p, "dist-info/nvidia_cudnn_cu12-8.9.7.29.dist-info")), "dist-info")
    expect(not os.path.exists(os.path.join(p, "__init__.py")), "python files leaked")


def cudnn_archive(arc, top, lib, version):
    """A cuDNN archive as NVIDIA lays them out (`top`/include, `top`/`lib`): a version header, a
    stand-in library and its soname link. Returns the header's bytes."""
    major, minor, patch = version.split(".")
    header = f"#define CUDNN_MAJOR {major}\n#define CUDNN_MINOR {minor}\n#define CUDNN_PATCHLEVEL {patch}\n".encode()
    tar_with(arc, [entry(f"{top}/include/cudnn_version.h", data=header),
                   entry(f"{top}/{lib}/libcudnn.so.{version}", data=b"not really a library"),
                   entry(f"{top}/{lib}/libcudnn.so.{major}", tarfile.SYMTYPE, link=f"libcudnn.so.{version}")])
    return header


@check("a legacy cuDNN archive placed into a toolkit gpucfg did not install (the seed's copy step)")
def cudnn_into_adopted_toolkit():
    d = fresh("place")
    tk = os.path.join(d, "root/opt/cuda-11.2")
    os.makedirs(os.path.join(tk, "lib64"))
    with open(os.path.join(tk, "version.json"), "w") as f:
        json.dump({"cuda": {"name": "CUDA SDK", "version": "11.2.2"}}, f)
    arc = os.path.join(d, "cudnn-11.2-linux-x64-v8.1.0.77.tgz")
    header = cudnn_archive(arc, "cuda", "lib64", "8.1.0")
    m = os.path.join(d, "m.yaml")
    with open(m, "w") as f:
        f.write(f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: place}}
requires: {{platforms: [linux-x86_64]}}
cuda: {{version: "11.2", prefix: /opt/cuda-11.2, active: false, source: {{adopt: true}}}}
cudnn:
  version: 8.1.0
  into: cuda
  source: {{archive: {os.path.basename(arc)}, sha256: {sha(arc)}}}
""")
    env = {**ENV, "GPUCFG_CACHE_DIR": os.path.join(d, "cache")}
    root = os.path.join(d, "root")
    r = gpucfg("plan", "--explain", "--root", root, m, env=env)
    expect(r.code == 0 and "each file listed once the archive is unpacked" in r.out, r.out + r.err)
    # A saved plan applies as reviewed: --out unpacks the archive, so it lists every file.
    saved = os.path.join(d, "plan.json")
    r = gpucfg("plan", "--root", root, "--out", saved, m, env=env)
    expect(r.code == 0 and "libcudnn.so.8.1.0" in r.out, r.out + r.err)
    r = gpucfg("apply", "--yes", "--root", root, saved, env=env, timeout=60)
    expect(r.code == 0, "the saved plan did not apply: " + r.out + r.err)
    r = gpucfg("rollback", "--yes", "--root", root, env=env, timeout=60)
    expect(r.code == 0 and not os.path.exists(os.path.join(tk, "include/cudnn_version.h")),
           r.out + r.err)
    r = apply(d, m, env=env)
    expect(r.code == 0, r.out + r.err)
    expect(open(os.path.join(tk, "include/cudnn_version.h"), "rb").read() == header, "header")
    expect(os.readlink(os.path.join(tk, "lib64/libcudnn.so.8")) == "libcudnn.so.8.1.0", "link")
    expect(os.path.isfile(os.path.join(tk, "lib64/libcudnn.so.8.1.0")), tree(tk))
    # Unpacked once as a tree of the store, its record naming the archive it came from.
    records = [json.load(open(os.path.join(d, "cache/trees", n))) for n in os.listdir(os.path.join(d, "cache/trees"))
               if n.endswith(".json")]
    expect(any(any(sha(arc)[:12] in i for i in r["inputs"]) for r in records), "not unpacked in the store")
    r = gpucfg("plan", "--detailed-exitcode", "--root", root, m, env=env)
    expect(r.code == 0, "not converged: " + r.out + r.err)


@check("a cuDNN archive in its own prefix converges: the second apply changes nothing")
def cudnn_own_prefix():
    d = fresh("own-prefix")
    arc = os.path.join(d, "cudnn-linux-x86_64-9.1.0.70_cuda12-archive.tar.xz")
    cudnn_archive(arc, "cudnn-linux-x86_64-9.1.0.70_cuda12-archive", "lib", "9.1.0")
    m = os.path.join(d, "m.yaml")
    with open(m, "w") as f:
        f.write(f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: own}}
requires: {{platforms: [linux-x86_64]}}
cudnn:
  version: 9.1.0
  prefix: /opt/cudnn-9
  source: {{archive: {os.path.basename(arc)}, sha256: {sha(arc)}}}
""")
    env = {**ENV, "GPUCFG_CACHE_DIR": os.path.join(d, "cache")}
    root = os.path.join(d, "root")
    r = apply(d, m, env=env)
    expect(r.code == 0 and "Applied: generation 1" in r.out, r.out + r.err)
    r = gpucfg("plan", "--detailed-exitcode", "--root", root, m, env=env)
    expect(r.code == 0, "not converged: " + r.out + r.err)
    r = apply(d, m, env=env)
    expect(r.code == 0 and "Applied" not in r.out, "a second apply changed something: " + r.out)


@check("under --root, one rule for paths: absolute ones are the machine's, relative ones beside the manifest, file:// this computer's")
def root_path_rule():
    d = fresh("rule")
    arc = os.path.join(d, "root/srv/a.tar.gz")
    os.makedirs(os.path.dirname(arc))
    tar_with(arc, [entry("x-archive/include/a.h")])
    m = write_manifest(d, f"    archive: /srv/a.tar.gz\n    sha256: {sha(arc)}\n")
    r = gpucfg("plan", "--explain", "--root", os.path.join(d, "root"), m, env=ENV)
    expect(r.code == 0 and "unpack a.tar.gz" in r.out, r.out + r.err)
    expect(apply(d, m).code == 0, "an absolute archive path under the root")
    # The same absolute path on this computer, outside the root, is not the machine's.
    d = fresh("rule-host")
    arc = os.path.join(d, "a.tar.gz")
    tar_with(arc, [entry("x-archive/include/a.h")])
    m = write_manifest(d, f"    archive: {arc}\n    sha256: {sha(arc)}\n")
    r = gpucfg("plan", "--explain", "--root", os.path.join(d, "root"), m, env=ENV)
    expect(r.code == 1 and os.path.join(d, "root") + arc in r.out + r.err, r.out + r.err)
    m = write_manifest(d, f"    archive: file://{arc}\n    sha256: {sha(arc)}\n")
    expect(apply(d, m).code == 0, "a file:// URL names this computer's file")
    m = write_manifest(d, "    directory: relative/folder\n")
    r = gpucfg("validate", m)
    expect(r.code == 1 and "directory must be an absolute path on the machine" in r.err, r.err)


# --- pins and missing artifacts -------------------------------------------------------------

@check("an unpinned archive is refused unless --allow-unpinned; a missing one stops plan")
def pins():
    d = fresh("pins")
    arc = os.path.join(d, "a.tar.gz")
    tar_with(arc, [entry("x-archive/include/a.h")])
    m = write_manifest(d, "    archive: a.tar.gz\n")
    r = gpucfg("plan", "--root", os.path.join(d, "root"), m, env=ENV)
    expect(r.code == 1 and "--allow-unpinned" in r.out + r.err, r.out + r.err)
    r = apply(d, m, "--allow-unpinned")
    expect(r.code == 0 and sha(arc) in r.err, r.out + r.err)
    m = write_manifest(d, f"    archive: nowhere.tar.gz\n    sha256: {'a' * 64}\n", name="missing")
    r = gpucfg("plan", "--root", os.path.join(d, "root"), m, env=ENV)
    expect(r.code == 1 and "nowhere.tar.gz" in r.out + r.err, r.out + r.err)


# --- downloads ------------------------------------------------------------------------------

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class Handler(http.server.BaseHTTPRequestHandler):
    payload = b""
    log = []
    cut_once = set()

    def log_message(self, *a):
        pass

    def do_GET(self):
        mode = self.path.split("/")[1]
        rng = self.headers.get("Range")
        Handler.log.append((self.path, rng))
        data = Handler.payload
        if mode == "500":
            self.send_error(500)
            return
        if mode == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            self.connection.close()
            return
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        self.send_response(206 if rng else 200)
        self.send_header("Content-Length", str(len(data) - start))
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if mode == "cut" and self.path not in Handler.cut_once:
            Handler.cut_once.add(self.path)
            self.wfile.write(data[start:start + len(data) // 3])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(data[start:])


def serve():
    d = fresh("http")
    arc = os.path.join(d, "payload.tar.gz")
    tar_with(arc, [entry("x-archive/include/a.h", data=os.urandom(3 << 20))])
    Handler.payload = open(arc, "rb").read()
    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, sha(arc)


SRV, PAYLOAD_SHA = serve()
URL = f"http://127.0.0.1:{SRV.server_address[1]}"


def download_case(mode, pin, code, needle, name):
    @check(f"download: {name}")
    def run():
        d = fresh("dl")
        m = write_manifest(d, f"    archive: {URL}/{mode}/payload.tar.gz\n    sha256: {pin}\n")
        cache = os.path.join(d, "cache")
        r = apply(d, m, env={"GPUCFG_CACHE_DIR": cache})
        expect(r.code == code, f"exit {r.code}: {r.out}{r.err}")
        expect(needle in r.out + r.err, r.out + r.err)
        installed = os.path.exists(os.path.join(d, "root/opt/stack/include/a.h"))
        expect(installed == (code == 0), f"installed={installed}")
        if code != 0:
            expect(not os.listdir(os.path.join(cache, "artifacts")) if os.path.isdir(
                os.path.join(cache, "artifacts")) else True, "bad bytes reached the cache")


download_case("ok", PAYLOAD_SHA, 0, "Applied", "success")
download_case("cut", PAYLOAD_SHA, 0, "Applied", "resumed after a cut")
download_case("500", PAYLOAD_SHA, 1, "500", "HTTP 500 is reported, nothing installed")
download_case("reset", PAYLOAD_SHA, 1, "payload.tar.gz", "connection reset")
download_case("ok", "b" * 64, 1, PAYLOAD_SHA, "sha256 mismatch names both hashes")


@check("download: the resume asked for the rest with a Range request")
def resumed_with_range():
    ranged = [r for p, r in Handler.log if p.startswith("/cut/") and r]
    expect(ranged and ranged[0].startswith("bytes="), f"{Handler.log}")


@check("fetch fills the cache; then an offline apply needs no server")
def fetch_then_offline():
    d = fresh("fetch")
    cache = os.path.join(d, "cache")
    m = write_manifest(d, f"    archive: {URL}/ok/payload.tar.gz\n    sha256: {PAYLOAD_SHA}\n")
    r = gpucfg("fetch", m, env={**ENV, "GPUCFG_CACHE_DIR": cache}, timeout=60)
    expect(r.code == 0 and os.path.isfile(os.path.join(cache, "artifacts", PAYLOAD_SHA)), r.err)
    m2 = write_manifest(d, "    archive: http://127.0.0.1:9/gone/payload.tar.gz\n"
                           f"    sha256: {PAYLOAD_SHA}\n", name="offline")
    r = apply(d, m2, env={"GPUCFG_CACHE_DIR": cache, "GPUCFG_OFFLINE": "1"})
    expect(r.code == 0, r.out + r.err)
    r = gpucfg("plan", "--root", os.path.join(d, "root"), m2,
               env={**ENV, "GPUCFG_CACHE_DIR": os.path.join(d, "empty"), "GPUCFG_OFFLINE": "1"})
    expect(r.code == 1 and "offline" in r.out + r.err, r.out + r.err)


try:
    finish()
finally:
    SRV.shutdown()
    shutil.rmtree(TMP, ignore_errors=True)
