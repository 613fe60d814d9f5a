"""Environment files against the real readers: the profile.d file sourced twice by dash, bash and
zsh; `gpucfg env` evaluated twice by bash, zsh and fish; the environment.d file read by systemd's
own generator. No empty or relative entry may reach a search path, `remove:` is honoured
everywhere, and running anything twice leaves what running it once did."""
import os
import re
import shutil
import subprocess
import tempfile

from fakemachine import Machine
from harness import check, expect, finish, gpucfg

GEN = "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator"
MANIFEST = """apiVersion: gpucfg/v1
kind: Stack
metadata: {name: envf}
requires: {platforms: [linux-x86_64]}
env:
  PATH: {prepend: [/opt/new/bin], remove: [/opt/old/bin]}
  LD_LIBRARY_PATH: {prepend: [/opt/a/lib], append: [/opt/z/lib]}
  GONE: {remove: [/x]}
  BLANK: ""
"""
START = {"PATH": "/opt/old/bin:/usr/bin:/bin", "LD_LIBRARY_PATH": "/u/lib", "GONE": "/x"}
# What the variables must be after one run, and after two.
WANT = {"PATH": "/opt/new/bin:/usr/bin:/bin", "LD_LIBRARY_PATH": "/opt/a/lib:/u/lib:/opt/z/lib",
        "GONE": None, "BLANK": ""}


def applied():
    m = Machine()
    mf = os.path.join(m.root, "..", os.path.basename(m.root) + "-envf.yaml")
    with open(mf, "w") as f:
        f.write(MANIFEST)
    r = gpucfg("apply", "--yes", "--root", m.root, mf, env=m.env(), exact_env=True)
    expect(r.code == 0, r.out + r.err)
    return m, mf


def shell_values(shell, script, start):
    """Runs `script` in `shell` and returns the variables WANT names (None: unset)."""
    probe = "".join(f'if [ -n "${{{k}+x}}" ]; then printf "{k}=%s\\n" "${k}"; fi; ' for k in WANT)
    if shell == "fish":
        probe = "".join(f'if set -q {k}; printf "{k}=%s\\n" (string join : ${k}); end; ' for k in WANT)
    # A home of its own: fish writes its config folder there.
    home = tempfile.mkdtemp(prefix="gpucfg-envfiles-home-")
    p = subprocess.run([shell, "-c", script + "\n" + probe], capture_output=True, text=True,
                       env=dict(start, HOME=home))
    shutil.rmtree(home, ignore_errors=True)
    expect(p.returncode == 0 and not p.stderr, f"{shell}: {p.stderr}")
    got = {k: None for k in WANT}
    for line in p.stdout.splitlines():
        k, _, v = line.partition("=")
        got[k] = v
    return got


FROM_EMPTY = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": ""}
WANT_FROM_EMPTY = "/opt/a/lib:/opt/z/lib"  # both ends, one separator, no empty entry


def no_empty_entries(where, values):
    for k in ("PATH", "LD_LIBRARY_PATH"):
        v = values.get(k)
        if v is not None:
            parts = v.split(":")
            expect(all(p.startswith("/") for p in parts), f"{where}: {k}={v!r} has an empty or relative entry")


@check("profile.d sourced twice by dash, bash and zsh: remove honoured, nothing duplicated, no empty entry")
def _():
    m, _ = applied()
    script = m.path("/etc/profile.d/gpucfg-envf.sh")
    for shell in ("dash", "bash", "zsh"):
        if not shutil.which(shell):
            print(f"skipped {shell}: not installed")
            continue
        once = shell_values(shell, f". {script}", START)
        twice = shell_values(shell, f". {script}; . {script}", START)
        expect(once == WANT, f"{shell} once: {once}")
        expect(twice == once, f"{shell} twice: {twice}")
        # An empty old value (set, but empty) gains no empty entry.
        empty = shell_values(shell, f". {script}", FROM_EMPTY)
        no_empty_entries(f"{shell}, LD_LIBRARY_PATH empty", empty)
        expect(empty["LD_LIBRARY_PATH"] == WANT_FROM_EMPTY, f"{shell} from empty: {empty}")
        unset = shell_values(shell, f". {script}", {"PATH": "/usr/bin"})
        expect(unset["LD_LIBRARY_PATH"] == WANT_FROM_EMPTY, f"{shell} from unset: {unset}")


@check("gpucfg env evaluated twice by bash, zsh and fish: remove honoured, nothing duplicated")
def _():
    _, mf = applied()
    for shell in ("bash", "zsh", "fish"):
        if not shutil.which(shell):
            print(f"skipped {shell}: not installed")
            continue
        r = gpucfg("env", "--shell", shell, mf)
        expect(r.code == 0, r.err)
        run_once = r.out
        once = shell_values(shell, run_once, START)
        twice = shell_values(shell, run_once + "\n" + run_once, START)
        expect(once == WANT, f"{shell} once: {once}")
        expect(twice == once, f"{shell} twice: {twice}")
        empty = shell_values(shell, run_once, FROM_EMPTY)
        no_empty_entries(f"{shell}, LD_LIBRARY_PATH empty", empty)
        expect(empty["LD_LIBRARY_PATH"] == WANT_FROM_EMPTY, f"{shell} from empty: {empty}")


@check("environment.d read by systemd's generator: no empty entry when the old value is empty; an empty value is accepted")
def _():
    if not os.access(GEN, os.X_OK):
        print("skipped: no systemd environment.d generator here")
        return
    m, _ = applied()
    home = os.path.join(m.root, "genhome")
    os.makedirs(os.path.join(home, ".config", "environment.d"))
    shutil.copy(m.path("/etc/environment.d/90-gpucfg-envf.conf"),
                os.path.join(home, ".config", "environment.d", "90-gpucfg.conf"))

    def generated(env):
        p = subprocess.run([GEN], capture_output=True, text=True, env=dict(env, HOME=home))
        expect("invalid syntax" not in p.stderr, p.stderr)
        return {k: re.sub(r"\\(.)", r"\1", v[1:-1] if v.startswith('"') else v)
                for k, v in (line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)}

    for start in ({}, {"LD_LIBRARY_PATH": ""}, {"LD_LIBRARY_PATH": "/u/lib", "PATH": "/usr/bin"}):
        got = generated(start)
        no_empty_entries(f"environment.d from {start}", got)
        expect(got.get("LD_LIBRARY_PATH") == "/opt/a/lib:/opt/z/lib", f"{start}: {got}")
        expect(got.get("BLANK") == "", f"{start}: BLANK {got.get('BLANK')!r}")
    expect(generated({"PATH": "/usr/bin"}).get("PATH") == "/opt/new/bin:/usr/bin", "PATH keeps the old value")


@check("validate refuses empty and relative search-path entries at file:line:col")
def _():
    m = Machine()
    for entry, line_no in (('""', 6), ('"."', 6), ("rel/bin", 6), ('"$HOME/bin"', 6)):
        mf = os.path.join(m.root, "..", "bad-entry.yaml")
        with open(mf, "w") as f:
            f.write("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: bad}\nenv:\n  PATH:\n"
                    f"    prepend: [{entry}]\n")
        r = gpucfg("validate", mf)
        expect(r.code == 1 and re.search(rf"bad-entry.yaml:{line_no}:\d+: .*not an absolute path", r.out + r.err),
               f"{entry}: {r.out}{r.err}")


finish()
