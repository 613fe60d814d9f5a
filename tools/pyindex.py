"""The package index, read the way a maintainer's tool needs it: which releases a project has
(PEP 691 simple JSON), which file serves a target, and a wheel's own metadata (Requires-Dist)
read from the wheel itself with HTTP range requests, a few KB of a file that may be 1 GB.

Why range requests: PyPI publishes no separate metadata (PEP 658) for most of the large wheels
this catalogue is about (tensorflow, torch, nvidia-*), and pip's `--dry-run --report` would
download each whole. A wheel is a zip; its central directory sits at the end and points at
METADATA, so three or four ranges read it. The sha256 comes from the index's own listing.
"""
import io
import json
import re
import urllib.error
import urllib.request
import zipfile

INDEX = "https://pypi.org/simple"
_listings = {}


def vkey(v):
    return [int(x) for x in re.findall(r"\d+", str(v))]


def is_final(v):
    return re.fullmatch(r"\d+(\.\d+)*", v) is not None


def listing(project, index=INDEX):
    """The index's JSON listing of a project: {"files": [...], "versions": [...]}."""
    key = (project.lower(), index)
    if key not in _listings:
        req = urllib.request.Request(f"{index}/{project}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            _listings[key] = json.load(r)
    return _listings[key]


def wheel_version(filename):
    return filename.split("-")[1]


def releases(project, index=INDEX):
    """Final releases that have at least one file, oldest first."""
    found = {wheel_version(f["filename"]) if f["filename"].endswith(".whl")
             else None for f in listing(project, index)["files"] if not f.get("yanked")}
    sdists = {re.sub(r"\.(tar\.gz|zip)$", "", f["filename"]).rsplit("-", 1)[-1]
              for f in listing(project, index)["files"] if not f["filename"].endswith(".whl")}
    return sorted({v for v in found | sdists if v and is_final(v)}, key=vkey)


def newest_patches(project, since, index=INDEX):
    """{(major, minor): newest final release} for minors at or above `since` (a (M, m) tuple)."""
    out = {}
    for v in releases(project, index):
        k = tuple(vkey(v)[:2])
        if k >= since:
            out[k] = v  # releases() is oldest first
    return out


def linux_tags(arch="x86_64"):
    """Platform tags in the order pip prefers them on a Linux machine with glibc 2.28 (the
    oldest these catalogues target): every manylinux_2_X named, since pip matches --platform
    exactly; the legacy aliases beside their glibc; files only for newer glibc last."""
    tags = []
    for x in range(28, 4, -1):
        tags.append(f"manylinux_2_{x}_{arch}")
        alias = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}.get(x)
        if alias:
            tags.append(f"{alias}_{arch}")
    return (tags + [f"linux_{arch}"] + [f"manylinux_2_{x}_{arch}" for x in range(29, 35)]
            + ["any"])


def linux_wheel(project, version, python=None, index=INDEX):
    """The x86_64 Linux wheel of `project==version` pip would pick (for CPython `python` like
    "3.11" where the wheel is per Python), or None: the file dict of the listing."""
    tag = f"cp{python.replace('.', '')}" if python else None
    best, best_rank = None, None
    order = {t: i for i, t in enumerate(linux_tags())}
    for f in listing(project, index)["files"]:
        name = f["filename"]
        if not name.endswith(".whl") or wheel_version(name) != version or f.get("yanked"):
            continue
        parts = name[:-4].split("-")
        pys, platforms = parts[-3].split("."), parts[-1].split(".")
        if tag and tag not in pys and "py3" not in pys and parts[-2] != "abi3":
            continue
        rank = min((order[p] for p in platforms if p in order), default=None)
        if rank is not None and (best_rank is None or rank < best_rank):
            best, best_rank = f, rank
    return best


class _Ranges(io.RawIOBase):
    """A remote file read by HTTP range requests (seekable, so zipfile can read it)."""

    def __init__(self, url, size):
        super().__init__()
        self.url, self.size, self.pos = url, size, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.pos

    def seek(self, offset, whence=0):
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def readinto(self, buf):
        n = min(len(buf), self.size - self.pos)
        if n <= 0:
            return 0
        req = urllib.request.Request(self.url,
                                     headers={"Range": f"bytes={self.pos}-{self.pos + n - 1}"})
        with urllib.request.urlopen(req, timeout=60) as r:
            if r.status != 206:
                raise OSError(f"{self.url}: the server ignores range requests")
            data = r.read()
        buf[:len(data)] = data
        self.pos += len(data)
        return len(data)


def member(url, name, size=None):
    """One file inside a remote wheel (a zip), read by ranges; size from a HEAD if not given."""
    if size is None:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=60) as r:
            size = int(r.headers["Content-Length"])
    with zipfile.ZipFile(io.BufferedReader(_Ranges(url, size), buffer_size=1 << 16)) as z:
        return z.read(name).decode("utf-8", "replace")


def metadata(file):
    """The METADATA text of a wheel (a listing file dict), read from the wheel itself."""
    raw = io.BufferedReader(_Ranges(file["url"], file["size"]), buffer_size=1 << 16)
    with zipfile.ZipFile(raw) as z:
        name = next(n for n in z.namelist()
                    if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        return z.read(name).decode("utf-8", "replace")


def requires_dist(meta_text):
    """[(name, specifier, marker)] of a METADATA text, names normalized (PEP 503)."""
    out = []
    for line in meta_text.splitlines():
        if not line.startswith("Requires-Dist:"):
            continue
        spec, _, marker = line[len("Requires-Dist:"):].partition(";")
        m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[[^\]]*\])?\s*\(?([^)]*)\)?", spec)
        out.append((re.sub(r"[-_.]+", "-", m.group(1)).lower(), m.group(2).replace(" ", ""),
                    marker.strip()))
    return out


def requires_python(meta_text):
    m = re.search(r"^Requires-Python:\s*(.+)$", meta_text, re.M)
    return m.group(1).strip() if m else ""


def reachable(url):
    """(True, "") when `url` answers, else (False, why) — NVIDIA's site is not reachable from
    every machine, and the tool says so instead of failing."""
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            r.read(1)
        return True, ""
    except (urllib.error.URLError, OSError) as e:
        return False, str(getattr(e, "reason", e))
