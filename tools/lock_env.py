#!/usr/bin/env python3
"""Locks a framework environment: every wheel, for every target (platform/Python), pinned by
the sha256 its index publishes. Networked: it asks the index, through pip's own resolver
(`pip install --dry-run --report`, metadata only, nothing downloaded or installed), what
`PACKAGE...` needs on each target, and writes what pip chose.

Why pip's resolver and a lock of wheel files (not requirements with hashes): pip is what users
already trust to resolve, and its report names the exact file it picked; gpucfg then installs
exactly those files by hash (the pip --require-hashes guarantee) without running pip, and
two machines of one target get the same bytes.

    tools/lock_env.py [--index URL] [--python 3.10,3.11] [--platform linux-x86_64] PACKAGE...
        prints a python.lock list for a manifest
    tools/lock_env.py --catalogue [--only tf-2.16 ...]
        (re)writes knowledge/env-locks.yaml for the curated stacks the index can serve; then run
        tools/gen_manifests.py
"""
import argparse
import concurrent.futures
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

import pyindex

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYPI = "https://pypi.org/simple"

PIP_PLATFORMS = {"linux-x86_64": pyindex.linux_tags()[:-1], "windows-x86_64": ["win_amd64"]}


_resolved = {}


def resolve(packages, platform, python, index):
    """What pip would install for `packages` on the target: [(file name, sha256, url, metadata)],
    asked once per target (each CUDA variant of a PyTorch release probes the same one)."""
    key = (tuple(packages), platform, python, index)
    if key not in _resolved:
        _resolved[key] = _resolve(packages, platform, python, index)
    return _resolved[key]


def _resolve(packages, platform, python, index):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
               "--quiet", "--disable-pip-version-check", "--target", os.path.join(tmp, "t"),
               "--report", report, "--only-binary=:all:", "--implementation", "cp",
               "--python-version", python]
        for p in PIP_PLATFORMS[platform]:
            cmd += ["--platform", p]
        if index and index != PYPI:
            cmd += ["--index-url", index, "--extra-index-url", PYPI]
        r = subprocess.run(cmd + list(packages), capture_output=True, text=True)
        if r.returncode != 0:
            error = (f"{' '.join(packages)} on {platform}/{python}: "
                     + (r.stderr.strip().splitlines() or ["pip failed"])[-1])
            # A dependency published as source only: pip resolves sdists only for the Python it
            # runs in, so that target is resolved natively, where such an interpreter is here.
            native = native_pip(python) if platform == "linux-x86_64" else None
            if "No matching distribution" not in error:
                raise RuntimeError(error)
            if platform == "windows-x86_64":
                return cross_resolve(packages, platform, python, index, error)
            if not native:
                raise RuntimeError(error + f" (and no Python {python} with pip 22.2 or newer here "
                                   "to resolve its sdists natively)")
            cmd = [native, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                   "--disable-pip-version-check", "--target", os.path.join(tmp, "n"),
                   "--report", report, "--prefer-binary"]
            if index and index != PYPI:
                cmd += ["--index-url", index, "--extra-index-url", PYPI]
            r = subprocess.run(cmd + list(packages), capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(error + " (natively too: " +
                                   (r.stderr.strip().splitlines() or ["pip failed"])[-1] + ")")
        with open(report) as f:
            doc = json.load(f)
    out = []
    for item in doc["install"]:
        info = item["download_info"]
        sha = info.get("archive_info", {}).get("hashes", {}).get("sha256")
        url = info["url"]
        if not sha:
            raise RuntimeError(f"{url}: the index publishes no sha256")
        name = url.rsplit("/", 1)[-1]
        if not name.endswith(".whl"):  # an sdist: its build requirements are locked with it
            BUILDS[(name, platform, python)] = build_wheels(url, platform, python, index)
        out.append((name, sha, url, item["metadata"]))
    return out


UV_PLATFORMS = {"windows-x86_64": "x86_64-pc-windows-msvc"}


def cross_resolve(packages, platform, python, index, pip_error):
    """A target pip cannot resolve from here: another system whose closure has a project
    published as source only (pip reads sdists' metadata only for the Python it runs in, and
    refuses --platform without --only-binary). uv resolves for a named platform, evaluating
    its markers (colorama on Windows) and reading sdists' metadata; it is held to the versions
    pip chose for Linux on the same Python (the closure proven there), and the file for the
    target is then picked from the index's listing by its tags, the sdist where no wheel fits."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        raise RuntimeError(pip_error + " (a Windows target with sources needs uv: pip install uv)")
    pinned = {meta["name"].lower(): meta["version"]
              for _, _, _, meta in resolve(packages, "linux-x86_64", python, index)}
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "in.txt"), "w") as f:
            f.write("\n".join(packages) + "\n")
        with open(os.path.join(tmp, "pins.txt"), "w") as f:
            f.write("".join(f"{n}=={v}\n" for n, v in sorted(pinned.items())))
        cmd = [uv, "pip", "compile", "--quiet", "--no-header", "--no-annotate",
               "--python-platform", UV_PLATFORMS[platform], "--python-version", python,
               "--constraint", os.path.join(tmp, "pins.txt"), os.path.join(tmp, "in.txt")]
        if index and index != PYPI:
            cmd += ["--index-url", index, "--extra-index-url", PYPI]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(pip_error + " (uv too: " +
                               (r.stderr.strip().splitlines() or ["uv failed"])[-1] + ")")
    out = []
    for line in r.stdout.splitlines():
        m = re.match(r"^([A-Za-z0-9._-]+)==(\S+)", line.strip())
        if not m:
            continue
        name, version = m.groups()
        f = target_file(name, version, platform, python, index)
        url = f["url"]
        sha = f.get("hashes", {}).get("sha256")
        if not sha:
            raise RuntimeError(f"{url}: the index publishes no sha256")
        file = f["filename"]
        if not file.endswith(".whl"):
            BUILDS[(file, platform, python)] = build_wheels(url, platform, python, index)
        out.append((file, sha, url, {"name": name, "version": version}))
    return out


def target_file(project, version, platform, python, index):
    """The file of project==version that pip would install on a win_amd64 CPython X.Y: the most
    specific wheel (cpXY, then the stable ABI, then pure), else the sdist."""
    cp = "cp" + python.replace(".", "")
    best, rank = None, None
    files = pyindex.listing(project, index or pyindex.INDEX)["files"]
    for f in files:
        name = f["filename"]
        if f.get("yanked"):
            continue
        if name.endswith(".whl"):
            parts = name[:-4].split("-")
            if len(parts) < 5 or parts[1] != version.replace("-", "_") and parts[1] != version:
                continue
            pys, abis, plats = (set(x.split(".")) for x in parts[-3:])
            if not plats & set(PIP_PLATFORMS[platform] + ["any"]):
                continue
            if cp in pys and (cp in abis or cp + "m" in abis):  # cp37m: 3.7 and older
                r = 0
            elif "abi3" in abis and any(p.startswith("cp3") and int(p[3:] or 0) <= int(cp[3:]) for p in pys):
                r = 1
            elif "none" in abis and pys & {"py3", "py2.py3", "py" + python.split(".")[0], cp}:
                r = 2
            else:
                continue
        elif re.fullmatch(rf"{re.escape(project)}-{re.escape(version)}\.(tar\.gz|zip)", name, re.I) or \
                re.fullmatch(rf"{re.escape(project.replace('-', '_'))}-{re.escape(version)}\.(tar\.gz|zip)", name, re.I):
            r = 3
        else:
            continue
        if rank is None or r < rank:
            best, rank = f, r
    if best is None:
        raise RuntimeError(f"{project}=={version}: no file on the index for {platform}/{python}")
    return best


# (sdist file, platform, python) -> [(wheel, sha256, url)]: what gpucfg builds it with there.
BUILDS = {}
_natives = {}


def native_pip(python):
    """A pip new enough for --report (22.2+), in a throwaway venv of an X.Y interpreter on this
    machine (python3.X on PATH or pyenv's), or None. pip 21 is the last for Python 3.6."""
    if python in _natives:
        return _natives[python]
    # pyenv's own files first: its shims on PATH fail for a version that is not selected.
    found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{python}.*/bin/python{python}")))
    found.append(shutil.which(f"python{python}"))
    exe = next((c for c in found if c and os.access(c, os.X_OK)), None)
    venv = None
    if exe:
        venv = tempfile.mkdtemp(prefix=f"lock-env-{python}-")
        ok = subprocess.run([exe, "-m", "venv", venv], capture_output=True).returncode == 0 and \
            subprocess.run([os.path.join(venv, "bin/python"), "-m", "pip", "install", "-q",
                            "--disable-pip-version-check", "pip>=22.2"],
                           capture_output=True).returncode == 0
        venv = os.path.join(venv, "bin/python") if ok else None
    _natives[python] = venv
    return venv


def build_wheels(url, platform, python, index):
    """The wheels an sdist is built with on the target: its pyproject.toml's build-system
    requires, else what PEP 517 gives a setup.py project (setuptools>=40.8.0 and wheel),
    resolved as wheels like everything else."""
    import io
    import tarfile
    import tomllib
    import urllib.request
    import zipfile
    data = urllib.request.urlopen(url, timeout=120).read()
    text = None
    if url.endswith(".zip"):
        z = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in z.namelist() if n.count("/") == 1 and n.endswith("/pyproject.toml")]
        text = z.read(names[0]).decode() if names else None
    else:
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            names = [m for m in t.getmembers() if m.name.count("/") == 1 and m.name.endswith("/pyproject.toml")]
            text = t.extractfile(names[0]).read().decode() if names else None
    requires = ["setuptools>=40.8.0", "wheel"]
    if text:
        requires = tomllib.loads(text).get("build-system", {}).get("requires", requires)
    return [(n, sha, u) for n, sha, u, _ in resolve(requires, platform, python, index)]


class NotLockable(RuntimeError):
    """No target could be locked; the message is the distinct reasons, already worded."""


def lock(packages, platforms, pythons, index):
    """Lock entries (dicts) for every target; one entry per file, with the targets it serves;
    the closures per target; and {target: why} for targets that could not be locked."""
    entries, closures, failed = {}, {}, {}
    targets = [(platform, py) for platform in platforms for py in pythons]

    def one(t):
        try:
            return t, resolve(packages, t[0], t[1], index), None
        except RuntimeError as e:  # no wheels for that Python yet: the others still lock
            return t, None, str(e)

    # pip waits on the index most of the time: a few resolutions at once.
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, targets))
    for (platform, py), closure, error in results:
        target = f"{platform}/{py}"
        if error:
            failed[target] = reason(error)
            print(f"  SKIPPED {target}: {error}", file=sys.stderr)
            continue
        closures[target] = closure
        for name, sha, url, _ in closure:
            build = BUILDS.get((name, platform, py))
            if build is None:
                e = entries.setdefault(name, {"wheel": name, "sha256": sha, "for": []})
            else:  # one entry per sdist and set of build wheels (those differ between Pythons)
                e = entries.setdefault(name + "|" + ",".join(b[1] for b in build),
                                       {"sdist": name, "sha256": sha, "for": [],
                                        "build": [{"wheel": b[0], "sha256": b[1]} for b in build]})
            if e["sha256"] != sha:
                raise RuntimeError(f"{name} has two hashes on the index")
            e["for"].append(target)
            # PyPI's files are found through its simple index by name; a file another index
            # serves keeps its URL.
            if index and index != PYPI and not url.startswith(index.split("/simple")[0]):
                e["url"] = url
    if not closures:
        by_reason = {}
        for target, why in failed.items():
            by_reason.setdefault(why, []).append(target.split("/")[1])
        raise NotLockable("; ".join(f"Python {', '.join(pys)}: {why}"
                                    for why, pys in by_reason.items()))
    return (sorted(entries.values(), key=lambda e: (e.get("wheel") or e["sdist"]).lower()),
            closures, failed)


def flow(entry):
    """One lock entry as a YAML flow mapping on one line (diffs stay one line per file); an
    sdist with the wheels it is built with."""
    parts = ([f"sdist: {entry['sdist']}"] if "sdist" in entry else [f"wheel: {entry['wheel']}"])
    parts.append(f"sha256: {entry['sha256']}")
    if "url" in entry:
        parts.append(f"url: {entry['url']}")
    parts.append("for: [" + ", ".join(entry["for"]) + "]")
    if "build" in entry:
        parts.append("build: [" + ", ".join(f"{{wheel: {b['wheel']}, sha256: {b['sha256']}}}"
                                            for b in entry["build"]) + "]")
    return "{" + ", ".join(parts) + "}"


def minors(python_range, lo=3, hi=15):
    """The 3.x minors a requires.python range admits (3.3, the oldest any curated release names,
    to 3.15, the newest released). Each is tried; what cannot be locked is said, never dropped."""
    out = []
    for m in range(lo, hi + 1):
        ok = True
        for clause in python_range.split(","):
            clause = clause.strip()
            for op in (">=", "<="):
                if clause.startswith(op):
                    v = tuple(int(x) for x in clause[2:].split("."))
                    ok = ok and ((3, m) >= v[:2] if op == ">=" else (3, m) <= v[:2])
        if ok:
            out.append(f"3.{m}")
    return out


def catalogue_stacks():
    """(name, packages, index, pythons, expected CUDA of bundled wheels or None) per stack."""
    with open(os.path.join(ROOT, "knowledge", "frameworks.yaml")) as f:
        kb = yaml.safe_load(f)
    stacks = []
    # Releases with a native-Windows GPU build (2.10 and older) are locked for Windows too.
    windows = {row["version"] for row in kb["tensorflow"] if row["os"] == "windows"}
    for row in kb["tensorflow"]:
        if row["os"] != "linux":
            continue
        v = row["version"]
        major_minor = ".".join(v.split(".")[:2])
        # 2.0 and 1.x shipped GPU support as tensorflow-gpu; from 2.1 `tensorflow` has it.
        pkg = "tensorflow-gpu" if v.startswith(("1.", "2.0.")) else "tensorflow"
        platforms = ["linux-x86_64"] + (["windows-x86_64"] if v in windows else [])
        stacks.append((f"tf-{major_minor}", [f"{pkg}=={v}"], "", minors(row["python_range"]), None,
                       platforms))
    for rel in kb["pytorch"]:
        for variant in rel.get("variants", []):
            if variant.get("channel") != "stable":
                continue
            cuda = str(variant["cuda"])
            name = f"pytorch-{rel['version']}-cu{cuda.replace('.', '')}"
            stacks.append((name, [f"torch=={rel['version']}.*"], "", minors(rel["python_range"]), cuda,
                           ["linux-x86_64"]))
    return stacks


def bundled_cuda(closure):
    """The CUDA runtime a PyTorch closure brings: the nvidia-cuda-runtime wheel's version, or,
    before torch took NVIDIA's wheels (1.12 and older), the one built into the torch wheel
    itself (torch/version.py's `cuda`, read by range requests), None for a CPU build."""
    for name, _, _, meta in closure:
        if meta["name"].lower().startswith("nvidia-cuda-runtime"):
            return ".".join(meta["version"].split(".")[:2])
    for name, _, url, meta in closure:
        if meta["name"].lower() == "torch":
            m = re.search(r"^cuda\s*=\s*'([0-9.]+)'", pyindex.member(url, "torch/version.py"), re.M)
            return m.group(1) if m else None
    return None


def catalogue(only, accept_skips):
    path = os.path.join(ROOT, "knowledge", "env-locks.yaml")
    old = {}
    if os.path.exists(path):
        with open(path) as f:
            old = yaml.safe_load(f) or {}
    out = dict(old)
    unlocked = dict(out.pop("unlocked", None) or {})
    failures = []

    def refuse(name, why):
        print(f"{name}: not locked: {why}", file=sys.stderr)
        out.pop(name, None)
        unlocked[name] = why

    for name, packages, index, pythons, cuda, platforms in catalogue_stacks():
        if only and name not in only:
            continue
        if cuda:
            # One quick resolution says which CUDA variant the index serves for this release.
            try:
                probe = resolve(packages, "linux-x86_64",
                                "3.12" if "3.12" in pythons else pythons[-1], index)
            except RuntimeError as e:
                refuse(name, reason(str(e)))
                continue
            if bundled_cuda(probe) != cuda:
                # The registry serves another CUDA variant of this release; PyTorch's own index
                # has this one, and that index is not reachable where the catalogue is made.
                refuse(name, f"the package index serves this release's CUDA "
                             f"{bundled_cuda(probe) or 'none (CPU)'} build; CUDA {cuda} is on "
                             "PyTorch's own index, which was not reachable where the catalogue "
                             "was made")
                continue
        try:
            entries, closures, skipped = lock(packages, platforms, pythons, index)
        except NotLockable as e:
            refuse(name, str(e))
            continue
        except RuntimeError as e:
            refuse(name, reason(str(e)))
            continue
        known = (old.get(name) or {}).get("skipped") or {}
        new_skips = {t: why for t, why in skipped.items() if t not in known}
        if new_skips and not accept_skips:
            # A Python the release supports that can no longer be locked is a regression until a
            # maintainer has read why (tf-2.12 lost 3.8 silently once): the old lock stays.
            for t, why in new_skips.items():
                print(f"{name}: {t} could not be locked: {why}", file=sys.stderr)
            failures.append(name)
            continue
        if cuda and {bundled_cuda(c) for c in closures.values()} != {cuda}:
            refuse(name, f"its Pythons' wheels bring different CUDA builds, not only {cuda}")
            continue
        unlocked.pop(name, None)
        targets = sorted(closures, key=lambda t: (t.split("/")[0], [int(x) for x in t.split("/")[1].split(".")]))
        out[name] = {"packages": packages, "targets": targets, "lock": entries}
        if skipped:
            out[name]["skipped"] = dict(sorted(skipped.items(),
                                               key=lambda i: (i[0].split("/")[0],
                                                              [int(x) for x in i[0].split("/")[1].split(".")])))
        print(f"{name}: {len(entries)} wheels for {', '.join(targets)}", file=sys.stderr)
        write(path, out, unlocked)  # after each stack: an interrupted run keeps what it locked
    write(path, out, unlocked)
    if failures:
        print(f"NOT LOCKED (kept as they were): {', '.join(failures)}: targets of their Python "
              "range could not be locked; read why above, then rerun with --accept-skips to "
              "record them (the manifests then narrow requires.python and say why)",
              file=sys.stderr)
        return 1
    return 0


def reason(error):
    """pip's refusal, said for the manifest: a requirement no wheel serves on that target (often
    one published as source only), else pip's own last line."""
    m = re.search(r"No matching distribution found for ([^;(]+?)\s*(\(and no Python.*\))?(;|$)", error)
    if m and m.group(2):
        return (f"the package index has no wheel of {m.group(1).strip()} for this Python, and "
                "resolving from sources needs this Python with pip 22.2 or newer (the last pip "
                "for Python 3.6 is 21.3), which was not at hand")
    if m:
        return (f"no wheel of {m.group(1).strip()} on the package index (source only, or none "
                "for that Python; gpucfg installs wheels only)")
    return error.splitlines()[0][:200]


def write(path, out, unlocked):
    with open(path, "w") as f:
        f.write("# Generated by tools/lock_env.py --catalogue from the package index (networked);\n"
                "# do not edit. Each curated framework environment: the wheels pip's resolver picks\n"
                "# for every Python in the release's range on linux-x86_64 (and windows-x86_64 for releases\n"
                "# with a native-Windows GPU build; uv resolves those where sources are involved), with\n"
                "# the sha256 the index publishes. source: pypi-index.\n")
        for name in sorted(out):
            s = out[name]
            f.write(f"{name}:\n  packages: [{', '.join(s['packages'])}]\n"
                    f"  targets: [{', '.join(s['targets'])}]\n")
            if s.get("skipped"):
                f.write("  skipped:\n")
                for t, why in s["skipped"].items():
                    f.write(f"    {t}: {json.dumps(why)}\n")
            f.write("  lock:\n")
            for e in s["lock"]:
                f.write(f"    - {flow(e)}\n")
        if unlocked:
            f.write("# Curated stacks without a lock, and why.\nunlocked:\n")
            for name in sorted(unlocked):
                f.write(f"  {name}: {json.dumps(unlocked[name])}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("packages", nargs="*")
    ap.add_argument("--index", default="")
    ap.add_argument("--python", default="3.11")
    ap.add_argument("--platform", action="append")
    ap.add_argument("--catalogue", action="store_true")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--accept-skips", action="store_true",
                    help="record targets that cannot be locked (with pip's reason) instead of failing")
    a = ap.parse_args()
    if a.catalogue:
        return catalogue(set(a.only), a.accept_skips)
    if not a.packages:
        ap.error("name the packages to lock")
    entries, _, skipped = lock(a.packages, a.platform or ["linux-x86_64"], a.python.split(","),
                               a.index)
    print("  lock:")
    for e in entries:
        print(f"    - {flow(e)}")
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
