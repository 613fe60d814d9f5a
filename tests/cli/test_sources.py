"""Sources end to end, offline: capture part of a real CUDA 13.0 toolkit (the one scripts/test.sh
brings, else this machine's /usr/local/cuda-13.0), apply it
into an empty root, read it back with facts and build a cuDNN program with the installed nvcc;
hostile archives; downloads from a local HTTP server (success, resume after a cut, HTTP 500,
connection reset, sha256 mismatch); fetch then an offline apply; pins; layouts."""
import hashlib
import http.server
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import threading
import zipfile

from harness import LOCAL_TOOLKIT, MACHINE_TOOLKIT, check, expect, finish, gpucfg

# Captured from LOCAL_TOOLKIT, installed where the machine's own would be.
TOOLKIT = MACHINE_TOOLKIT
TMP = tempfile.mkdtemp(prefix="gpucfg-sources-")
CACHE = os.path.join(TMP, "cache")
ENV = {"GPUCFG_CACHE_DIR": CACHE, "GPUCFG_RETRY_BACKOFF_MS": "10", "GPUCFG_RETRIES": "2",
       "GPUCFG_STALL_TIMEOUT": "5"}
_n = [0]


def fresh(name):
    _n[0] += 1
    d = os.path.join(TMP, f"{name}-{_n[0]}")
    os.makedirs(os.path.join(d, "root"))
    return d


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tree(root):
    out = []
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(dirpath, n), root))
    return sorted(out)


def write_manifest(d, source, prefix="/opt/stack", name="src"):
    path = os.path.join(d, "m.yaml")
    with open(path, "w") as f:
        f.write(f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: {name}}}
requires: {{platforms: [linux-x86_64]}}
cuda:
  version: "12.0"
  prefix: {prefix}
  active: false
  source:
{source}""")
    return path


def tar_with(path, members, mode="w:gz"):
    """members: (TarInfo, bytes or None)."""
    with tarfile.open(path, mode) as t:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)


def entry(name, kind=tarfile.REGTYPE, data=b"x", link="", mode=0o644):
    i = tarfile.TarInfo(name)
    i.type = kind
    i.linkname = link
    i.mode = mode
    return (i, data if kind == tarfile.REGTYPE else None)


def apply(d, m, *extra, env=None):
    e = dict(ENV)
    e.update(env or {})
    return gpucfg("apply", "--yes", "--root", os.path.join(d, "root"), *extra, m, env=e, timeout=120)


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


# --- hostile archives ---------------------------------------------------------------------

OUTSIDE = os.path.join(TMP, "outside")


def hostile(name, members, expect_in_error, mode="w:gz", pin=None, extra=""):
    @check(f"hostile archive refused: {name}")
    def run():
        d = fresh("hostile")
        arc = os.path.join(d, "evil.tar.gz")
        tar_with(arc, [entry("good-archive/include/ok.h")] + members, mode)
        m = write_manifest(d, f"    archive: evil.tar.gz\n    sha256: {pin or sha(arc)}\n{extra}")
        before = tree(d)
        r = apply(d, m)
        expect(r.code == 1, f"exit {r.code}: {r.out}{r.err}")
        expect("evil.tar.gz" in r.err and expect_in_error in r.err, r.err)
        expect(tree(d) == before or set(tree(d)) - set(before) <= {
            "root/var", "root/var/lib", "root/var/lib/gpucfg"} | {
            p for p in tree(d) if p.startswith("root/var/lib/gpucfg/")}, f"{set(tree(d)) - set(before)}")
        expect(not os.path.exists(os.path.join(d, "root/opt")), "something was left in the root")
        expect(not os.path.exists(OUTSIDE), "something was written outside the root")


hostile("absolute path", [entry(OUTSIDE)], "absolute path")
hostile("dot-dot", [entry("good-archive/../../../../" + os.path.basename(OUTSIDE))], "'..'")
hostile("symlink out", [entry("good-archive/esc", tarfile.SYMTYPE, link="../../../../../tmp")],
        "leads outside")
hostile("absolute symlink", [entry("good-archive/esc", tarfile.SYMTYPE, link=TMP)],
        "leads outside")
hostile("write through a symlink",
        [entry("good-archive/include/d", tarfile.SYMTYPE, link="."),
         entry("good-archive/include/d/x.h")],
        "is a link or a file")
hostile("chain of links",
        [entry("good-archive/include/a", tarfile.SYMTYPE, link="."),
         entry("good-archive/include/b", tarfile.SYMTYPE, link="a/../..")], "leads outside")
hostile("hard link out", [entry("good-archive/pw", tarfile.LNKTYPE, link="/etc/passwd")],
        "hard link")
hostile("character device", [entry("good-archive/null", tarfile.CHRTYPE)], "character device")
hostile("fifo", [entry("good-archive/pipe", tarfile.FIFOTYPE)], "fifo")
hostile("decompression bomb", [entry("good-archive/include/zeros", data=b"\0" * (64 << 20))],
        "unpacks past", extra="    unpacked_size: 1000000\n")
hostile("sha256 mismatch", [], "does not match the pinned", pin="0" * 64)


@check("hostile archive refused: truncated and corrupt")
def broken():
    for how in ("truncated", "corrupt"):
        d = fresh("broken")
        arc = os.path.join(d, "evil.tar.gz")
        tar_with(arc, [entry("good-archive/include/big.h", data=os.urandom(1 << 20))])
        data = bytearray(open(arc, "rb").read())
        if how == "truncated":
            data = data[: len(data) // 2]
        else:
            data[10:74] = b"\xff" * 64  # the deflate stream itself, not file bytes
        open(arc, "wb").write(bytes(data))
        m = write_manifest(d, f"    archive: evil.tar.gz\n    sha256: {sha(arc)}\n")
        r = apply(d, m)
        expect(r.code == 1 and "evil.tar.gz" in r.err, f"{how}: {r.err}")
        expect(not os.path.exists(os.path.join(d, "root/opt")), f"{how}: left files")


@check("setuid, setgid and group/other write bits are never installed")
def setuid():
    d = fresh("suid")
    arc = os.path.join(d, "a.tar.gz")
    tar_with(arc, [entry("x-archive/bin/tool", data=b"#!/bin/sh\n", mode=0o6755),
                   entry("x-archive/lib/open.so", data=b"lib", mode=0o666),
                   entry("x-archive/bin/any", data=b"#!/bin/sh\n", mode=0o777)])
    m = write_manifest(d, f"    archive: a.tar.gz\n    sha256: {sha(arc)}\n")
    r = apply(d, m)
    expect(r.code == 0, r.err)
    for rel, want in (("bin/tool", 0o755), ("lib/open.so", 0o644), ("bin/any", 0o755)):
        st = os.stat(os.path.join(d, "root/opt/stack", rel))
        expect(st.st_mode & 0o7777 == want, f"{rel}: {oct(st.st_mode)}")


@check("a directory: source is held to the same mode policy as archives")
def directory_modes():
    d = fresh("dirmodes")
    src = os.path.join(d, "root", "srv", "tree")  # machine paths are the root's
    os.makedirs(os.path.join(src, "bin"))
    os.makedirs(os.path.join(src, "share"))
    with open(os.path.join(src, "version.json"), "w") as f:
        f.write('{"cuda": {"name": "CUDA SDK", "version": "12.0.1"}}')
    for rel, mode in (("bin/suid", 0o4755), ("bin/sgid", 0o2775), ("bin/open", 0o777),
                      ("share/open.txt", 0o666), ("share/plain.txt", 0o644)):
        with open(os.path.join(src, rel), "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(os.path.join(src, rel), mode)
    os.chmod(os.path.join(src, "share"), 0o2755)
    m = write_manifest(d, "    directory: /srv/tree\n")
    r = apply(d, m)
    expect(r.code == 0, r.out + r.err)
    p = os.path.join(d, "root/opt/stack")
    for rel, want in (("bin/suid", 0o755), ("bin/sgid", 0o755), ("bin/open", 0o755),
                      ("share/open.txt", 0o644), ("share/plain.txt", 0o644), ("share", 0o755)):
        st = os.lstat(os.path.join(p, rel))
        expect(st.st_mode & 0o7777 == want, f"{rel}: {oct(st.st_mode & 0o7777)}, want {oct(want)}")


@check("a zip keeps its Unix modes and links (made by Info-ZIP's zip -y), under the same rules as tar")
def zip_modes_and_links():
    d = fresh("zip")
    src = os.path.join(d, "src", "x-archive")
    os.makedirs(os.path.join(src, "bin"))
    os.makedirs(os.path.join(src, "lib"))
    for rel, mode in (("bin/ptxas", 0o755), ("lib/libfoo.so.1", 0o644), ("bin/suid", 0o4777)):
        with open(os.path.join(src, rel), "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(os.path.join(src, rel), mode)
    os.symlink("libfoo.so.1", os.path.join(src, "lib/libfoo.so"))
    arc = os.path.join(d, "a.zip")
    subprocess.run(["zip", "-qry", arc, "x-archive"], cwd=os.path.join(d, "src"), check=True)
    m = write_manifest(d, f"    archive: a.zip\n    sha256: {sha(arc)}\n")
    r = apply(d, m)
    expect(r.code == 0, r.out + r.err)
    p = os.path.join(d, "root/opt/stack")
    for rel, want in (("bin/ptxas", 0o755), ("lib/libfoo.so.1", 0o644), ("bin/suid", 0o755)):
        st = os.lstat(os.path.join(p, rel))
        expect(st.st_mode & 0o7777 == want, f"{rel}: {oct(st.st_mode)}")
    expect(os.readlink(os.path.join(p, "lib/libfoo.so")) == "libfoo.so.1", tree(p))

    d = fresh("zip-escape")
    src = os.path.join(d, "src", "x-archive", "lib")
    os.makedirs(src)
    os.symlink("../../../../etc/passwd", os.path.join(src, "libevil.so"))
    arc = os.path.join(d, "evil.zip")
    subprocess.run(["zip", "-qry", arc, "x-archive"], cwd=os.path.join(d, "src"), check=True)
    m = write_manifest(d, f"    archive: evil.zip\n    sha256: {sha(arc)}\n")
    r = apply(d, m)
    expect(r.code == 1 and "leads outside the install folder" in r.err, r.out + r.err)
    expect(not os.path.exists(os.path.join(d, "root/opt")), tree(os.path.join(d, "root")))


def zip_member_offsets(path):
    """name -> (offset of its compressed bytes, compressed size), from the zip's own headers."""
    import struct
    import zipfile
    out = {}
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        for info in z.infolist():
            f.seek(info.header_offset)
            head = f.read(30)
            n, e = struct.unpack("<HH", head[26:30])
            out[info.filename] = (info.header_offset + 30 + n + e, info.compress_size)
    return out


@check("zip members inflated whole (libdeflate): zip64, stored and deflated, big and small "
       "members land byte for byte; a damaged member or a size the data does not fill is refused")
def zip_whole_members():
    import zipfile
    d = fresh("zip64")
    big = os.urandom(3 << 20) + b"\0" * (6 << 20)  # over the small-member buffer, compressible
    files = {"lib/libbig.so.1": big, "include/a.h": b"#define A 1\n" * 500,
             "bin/tool": b"#!/bin/sh\necho hi\n", "lib/empty": b"",
             "version.json": b'{"cuda": {"name": "CUDA SDK", "version": "12.0.0"}}'}
    arc = os.path.join(d, "a.zip")
    with zipfile.ZipFile(arc, "w") as z:
        for i, (name, data) in enumerate(sorted(files.items())):
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_STORED if i % 2 else zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as f:
                f.write(data)
    m = write_manifest(d, f"    archive: a.zip\n    sha256: {sha(arc)}\n")
    r = apply(d, m)
    expect(r.code == 0, r.out + r.err)
    for name, data in files.items():
        with open(os.path.join(d, "root/opt/stack", name), "rb") as f:
            expect(f.read() == data, f"{name} differs")
    r = gpucfg("plan", "--checksum", "--detailed-exitcode", "--root", os.path.join(d, "root"), m,
               env=ENV)
    expect(r.code == 0, "the recorded hashes disagree with the files: " + r.out)

    # One byte of the big member's deflate stream flipped: refused, nothing installed.
    d = fresh("zip-damaged")
    with zipfile.ZipFile(os.path.join(d, "a.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("lib/libbig.so.1", big)
    arc = os.path.join(d, "a.zip")
    at, size = zip_member_offsets(arc)["lib/libbig.so.1"]
    with open(arc, "r+b") as f:
        f.seek(at + size // 2)
        b = f.read(1)
        f.seek(at + size // 2)
        f.write(bytes([b[0] ^ 0xFF]))
    m = write_manifest(d, f"    archive: a.zip\n    sha256: {sha(arc)}\n")
    r = apply(d, m)
    expect(r.code == 1 and ("CRC-32" in r.err or "corrupt" in r.err), r.out + r.err)
    expect(not os.path.exists(os.path.join(d, "root/opt")), tree(os.path.join(d, "root")))

    # A central directory that claims more bytes than the stream holds: refused.
    d = fresh("zip-lying")
    arc = os.path.join(d, "a.zip")
    with zipfile.ZipFile(arc, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("lib/liba.so", b"a" * 100000)
    with open(arc, "rb") as f:
        data = bytearray(f.read())
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (200000).to_bytes(4, "little")  # uncompressed size, doubled
    with open(arc, "wb") as f:
        f.write(data)
    m = write_manifest(d, f"    archive: a.zip\n    sha256: {sha(arc)}\n")
    r = apply(d, m)
    expect(r.code == 1, r.out + r.err)
    expect(not os.path.exists(os.path.join(d, "root/opt")), tree(os.path.join(d, "root")))


@check("a tree unpacked from an archive keeps its files' hashes: plan --checksum sees an edit that kept size and mtime")
def archive_hashes():
    d = fresh("hashes")
    arc = os.path.join(d, "a.tar.gz")
    tar_with(arc, [entry("lib/libx.so.1", data=b"original bytes"),
                   entry("bin/tool", data=b"#!/bin/sh\n", mode=0o755),
                   entry("version.json", data=b'{"cuda": {"name": "CUDA SDK", "version": "12.0.0"}}')])
    m = write_manifest(d, f"    archive: a.tar.gz\n    sha256: {sha(arc)}\n")
    expect(apply(d, m).code == 0, "apply")
    root = os.path.join(d, "root")
    lib = os.path.join(root, "opt/stack/lib/libx.so.1")
    st = os.stat(lib)
    with open(lib, "r+b") as f:
        f.write(b"O")  # same size
    os.utime(lib, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime
    r = gpucfg("plan", "--detailed-exitcode", "--root", root, m, env=ENV)
    expect(r.code == 0, "without --checksum size and mtime are trusted: " + r.out)
    r = gpucfg("plan", "--detailed-exitcode", "--checksum", "--root", root, m, env=ENV)
    expect(r.code == 2 and "lib/libx.so.1" in r.out, r.out + r.err)


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
