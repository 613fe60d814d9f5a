"""System packages through the real apt-get and dpkg (issue #29), inside scratch Debian roots:
a local repository of small packages built with dpkg-deb and indexed with dpkg-scanpackages,
apt's lists fetched into each root by `apt-get update`, and gpucfg planning, applying, holding,
upgrading, downgrading and rolling back there. dpkg runs maintainer scripts chrooted into the
root, so each root gets a shell (dash and the libraries it loads) and the test needs root; it
says why and exits 77 (skipped) where it cannot run."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from fakemachine import Machine
from harness import check, expect, finish, gpucfg

NEEDED = ["dpkg-deb", "dpkg-scanpackages", "apt-get", "apt-mark", "dpkg"]
missing = [t for t in NEEDED if not shutil.which(t)]
if missing or os.geteuid() != 0:
    why = f"needs {', '.join(missing)}" if missing else "needs root (dpkg chroots into the root)"
    print(f"skipped: {why}")
    sys.exit(77)

REPO = tempfile.mkdtemp(prefix="gpucfg-apt-repo-")


def deb(name, version, depends="", postinst=""):
    """A package of one file (/usr/share/NAME/VERSION holding its version) into REPO."""
    d = tempfile.mkdtemp()
    os.makedirs(os.path.join(d, "DEBIAN"))
    os.makedirs(os.path.join(d, "usr/share", name))
    with open(os.path.join(d, "usr/share", name, "VERSION"), "w") as f:
        f.write(f"{name} {version}\n")
    control = (f"Package: {name}\nVersion: {version}\nArchitecture: all\n"
               "Maintainer: gpucfg tests <tests@example.org>\nDescription: a test package\n")
    if depends:
        control += f"Depends: {depends}\n"
    with open(os.path.join(d, "DEBIAN/control"), "w") as f:
        f.write(control)
    if postinst:
        p = os.path.join(d, "DEBIAN/postinst")
        with open(p, "w") as f:
            f.write("#!/bin/sh\n" + postinst + "\n")
        os.chmod(p, 0o755)
    subprocess.run(["dpkg-deb", "-Zgzip", "--build", d, REPO], check=True, capture_output=True)
    shutil.rmtree(d)


def index():
    with open(os.path.join(REPO, "Packages"), "w") as f:
        subprocess.run(["dpkg-scanpackages", "-m", ".", "/dev/null"], cwd=REPO, stdout=f,
                       stderr=subprocess.DEVNULL, check=True)


deb("gpc-lib", "1.0")
deb("gpc-demo", "1.0", depends="gpc-lib")
deb("gpc-demo", "2.0", depends="gpc-lib (>= 1.0)")
deb("gpc-bad", "1.0", postinst="echo failing on purpose >&2; exit 1")
index()


class Debian(Machine):
    """A scratch root dpkg and apt can work in: their folders, a sources.list naming REPO, a
    shell for maintainer scripts, and apt's lists fetched."""

    def __init__(self):
        super().__init__()
        for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "etc/apt/sources.list.d",
                  "etc/apt/preferences.d", "var/lib/apt/lists/partial",
                  "var/cache/apt/archives/partial", "var/log/apt", "bin"):
            os.makedirs(self.path(d), exist_ok=True)
        for f in ("var/lib/dpkg/status", "var/lib/dpkg/available"):
            open(self.path(f), "w").close()
        self.write("/etc/apt/sources.list", f"deb [trusted=yes] file:{REPO} ./\n")
        shutil.copy("/bin/dash", self.path("/bin/sh"))
        ldd = subprocess.run(["ldd", "/bin/dash"], capture_output=True, text=True).stdout
        for lib in [w for w in ldd.split() if w.startswith("/")]:
            os.makedirs(self.path(os.path.dirname(lib)), exist_ok=True)
            shutil.copy(lib, self.path(lib))
        self.apt("update")

    def apt(self, *args, program="apt-get"):
        """apt as a person would run it for this root (the options gpucfg uses too)."""
        o = [f"Dir={self.root}", f"Dir::State::status={self.root}/var/lib/dpkg/status",
             f"DPkg::Options::=--root={self.root}", "APT::Sandbox::User=root"]
        argv = [program] + [x for opt in o for x in ("-o", opt)] + list(args)
        p = subprocess.run(argv, capture_output=True, text=True,
                           env={"PATH": os.environ["PATH"], "DEBIAN_FRONTEND": "noninteractive"})
        expect(p.returncode == 0, f"{' '.join(argv)}: {p.stdout}{p.stderr}")
        return p.stdout

    def packages(self):
        """dpkg's database in the root: name -> (version, state, held)."""
        out, cur = {}, {}
        with open(self.path("/var/lib/dpkg/status")) as f:
            for line in f.read().split("\n") + [""]:
                if not line and cur.get("Package"):
                    want, _, st = cur["Status"].split()
                    if st != "not-installed":
                        out[cur["Package"]] = (cur.get("Version"), st, want == "hold")
                    cur = {}
                elif ": " in line:
                    k, v = line.split(": ", 1)
                    cur[k] = v
        return out

    def version_file(self, name):
        p = self.path(f"/usr/share/{name}/VERSION")
        return open(p).read().strip() if os.path.exists(p) else None


def run(m, *args, timeout=120):
    return gpucfg(*args, "--root", m.root, env=m.env(), exact_env=True, timeout=timeout)


def stack(m, name, packages, extra=""):
    return m.manifest(name, "apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: pk}\n"
                            "requires: {platforms: [linux-x86_64]}\npackages:\n" + packages + extra)


@check("install: the plan names the dependency apt adds; apply installs both; a second plan is empty")
def _():
    m = Debian()
    s = stack(m, "a", "  - {name: gpc-demo, version: '2.0', hold: true}\n")
    r = run(m, "plan", "--format", "json", s)
    expect(r.code == 0, r.out + r.err)
    acts = [(a["path"], a["summary"]) for a in json.loads(r.out)["actions"]]
    expect(acts == [("pkg:gpc-demo", "install gpc-demo 2.0, held"),
                    ("pkg:gpc-lib", "install gpc-lib 1.0")], acts)
    r = run(m, "apply", "--yes", s)
    expect(r.code == 0 and "Applied: generation 1" in r.out, r.out + r.err)
    expect(m.packages() == {"gpc-demo": ("2.0", "installed", True),
                            "gpc-lib": ("1.0", "installed", False)}, m.packages())
    expect(m.version_file("gpc-demo") == "gpc-demo 2.0", m.version_file("gpc-demo"))
    r = run(m, "plan", "--detailed-exitcode", s)
    expect(r.code == 0 and "No changes" in r.out, r.out + r.err)


@check("upgrade, downgrade, hold and release through apt; rollback walks back through them")
def _():
    m = Debian()
    m.apt("install", "-y", "gpc-demo=1.0")  # the machine's own, before gpucfg
    steps = [("  - {name: gpc-demo, version: '>= 2.0'}\n", "upgrade gpc-demo 1.0 -> 2.0",
              ("2.0", "installed", False)),
             ("  - {name: gpc-demo, hold: true}\n", "hold gpc-demo at 2.0",
              ("2.0", "installed", True)),
             ("  - {name: gpc-demo, version: '1.*', hold: false}\n",
              "downgrade gpc-demo 2.0 -> 1.0, hold released", ("1.0", "installed", False))]
    for i, (body, summary, after) in enumerate(steps, 1):
        s = stack(m, f"s{i}", body)
        r = run(m, "apply", "--yes", s)
        expect(r.code == 0 and summary in r.out, r.out + r.err)
        expect(m.packages()["gpc-demo"] == after, (i, m.packages()))
        r = run(m, "plan", "--detailed-exitcode", s)
        expect(r.code == 0, f"step {i} does not converge: {r.out}")
    r = run(m, "rollback", "--to", "2", "--yes")
    expect(r.code == 0 and "upgrade gpc-demo 1.0 -> 2.0, held" in r.out, r.out + r.err)
    expect(m.packages()["gpc-demo"] == ("2.0", "installed", True), m.packages())
    r = run(m, "rollback", "--to", "0", "--yes")
    expect(r.code == 0, r.out + r.err)
    # Back to the machine's own 1.0, unheld; gpc-lib was the machine's too: never touched.
    expect(m.packages() == {"gpc-demo": ("1.0", "installed", False),
                            "gpc-lib": ("1.0", "installed", False)}, m.packages())


@check("a maintainer script that fails stops the transaction, undoes the rest and writes it down")
def _():
    m = Debian()
    m.apt("install", "-y", "gpc-demo=1.0")
    s = stack(m, "bad", "  - {name: gpc-demo, version: '2.0'}\n  - gpc-bad\n",
              "files:\n  - alias: /opt/pk/link\n    target: /opt/pk/real\n    why: test\n")
    before = m.packages()
    r = run(m, "apply", "--yes", s)
    expect(r.code != 0, r.out)
    expect("failing on purpose" in r.err and "gpc-bad 1.0: half-configured" in r.err, r.err)
    expect("every change was undone" in r.err, r.err)
    expect(m.packages() == before, m.packages())
    expect(m.version_file("gpc-demo") == "gpc-demo 1.0", m.version_file("gpc-demo"))
    expect(not os.path.lexists(m.path("/opt/pk/link")), "the file step ran")
    with open(m.path("/var/lib/gpucfg/last-failure.json")) as f:
        written = json.load(f)
    expect(written["generation"] == 1 and "half-configured" in written["error"], written)
    expect(not os.path.exists(m.path("/var/lib/gpucfg/current.json")), "a generation was recorded")


@check("a saved plan is stale once a package changed behind it")
def _():
    m = Debian()
    s = stack(m, "a", "  - {name: gpc-demo, version: '2.0'}\n")
    saved = m.path("/plan.json")
    r = run(m, "plan", "--out", saved, s)
    expect(r.code == 0, r.out + r.err)
    m.apt("install", "-y", "gpc-lib=1.0")
    r = run(m, "apply", "--yes", saved)
    expect(r.code != 0 and "stale" in r.err, r.out + r.err)
    expect("gpc-demo" not in m.packages(), m.packages())


@check("a version apt's lists lack is a plan error; a rollback to one says so and leaves it")
def _():
    m = Debian()
    r = run(m, "plan", stack(m, "x", "  - {name: gpc-demo, version: '3.0'}\n"))
    expect(r.code != 0 and "they have: 2.0, 1.0" in r.out + r.err, r.out + r.err)
    expect(run(m, "apply", "--yes", stack(m, "one", "  - {name: gpc-demo, version: '1.0'}\n")).code == 0, "apply 1.0")
    expect(run(m, "apply", "--yes", stack(m, "two", "  - {name: gpc-demo, version: '2.0'}\n")).code == 0, "apply 2.0")
    # The archive drops 1.0 (a mirror that keeps only the newest), and the lists are refreshed.
    os.remove(os.path.join(REPO, "gpc-demo_1.0_all.deb"))
    try:
        index()
        m.apt("update")
        r = run(m, "rollback", "--to", "1", "--yes")
        expect("which apt's lists no longer have (they have: 2.0); it stays at 2.0" in r.out + r.err,
               r.out + r.err)
        expect(m.packages()["gpc-demo"][0] == "2.0", m.packages())
    finally:
        deb("gpc-demo", "1.0", depends="gpc-lib")
        index()


finish()
