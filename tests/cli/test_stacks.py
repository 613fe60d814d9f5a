"""Several stacks on one machine: each manifest has its own env files (read in name order), so
applying one never replaces another's variables and a second apply of either changes nothing;
plan refuses two values for one machine-wide variable and two manifests claiming one path; the
user scope's script is sourced by a hook in /etc/profile.d, and plan counts each scope's
variables."""
import os
import subprocess

from fakemachine import Machine
from harness import check, expect, finish, gpucfg


def run(m, *args):
    return gpucfg(*args, "--root", m.root, env=m.env(), exact_env=True, timeout=60)


def manifest(m, name, body):
    return m.manifest(name, f"apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {{name: {name}}}\n"
                            f"requires: {{platforms: [linux-x86_64]}}\n{body}")


def login_env(m, home="/root"):
    """What a login shell gets from /etc/profile.d (every gpucfg file in name order)."""
    d = m.path("/etc/profile.d")
    script = f'for f in "{d}"/*.sh; do . "$f"; done; env'
    p = subprocess.run(["sh", "-c", script], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "HOME": m.path(home)})
    expect(p.returncode == 0, p.stderr)
    return dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)


@check("two stacks side by side keep their own variables, and neither apply flip-flops the other")
def _():
    m = Machine()
    a = manifest(m, "stack-a", "env:\n  A_HOME: /opt/a\n  PATH: {prepend: [/opt/a/bin]}\n")
    b = manifest(m, "stack-b", "env:\n  B_HOME: /opt/b\n  PATH: {prepend: [/opt/b/bin]}\n")
    expect(run(m, "apply", "--yes", a).code == 0, "apply a")
    r = run(m, "apply", "--yes", b)
    expect(r.code == 0 and "/etc/profile.d/gpucfg-stack-b.sh" in r.out, r.out + r.err)
    for mf in (a, b, a):
        r = run(m, "plan", "--detailed-exitcode", mf)
        expect(r.code == 0, f"{mf}: " + r.out)
    env = login_env(m)
    expect(env.get("A_HOME") == "/opt/a" and env.get("B_HOME") == "/opt/b", env)
    expect(env["PATH"].split(":")[:2] == ["/opt/b/bin", "/opt/a/bin"], env["PATH"])
    expect(sorted(os.listdir(m.path("/etc/environment.d"))) ==
           ["90-gpucfg-stack-a.conf", "90-gpucfg-stack-b.conf"], os.listdir(m.path("/etc/environment.d")))
    r = run(m, "destroy", "--yes", a)
    expect(r.code == 0 and not os.path.exists(m.path("/etc/profile.d/gpucfg-stack-a.sh")), r.out + r.err)
    expect(login_env(m).get("B_HOME") == "/opt/b", "destroying a removed b's variables")


@check("plan refuses two values for one machine-wide variable, and two manifests claiming one path")
def _():
    m = Machine()
    a = manifest(m, "cuda-a", "env:\n  CUDA_PATH: /usr/local/cuda-12.3\n"
                              "files:\n  - {symlink: /usr/local/cuda, target: /usr/local/cuda-12.3}\n")
    b = manifest(m, "cuda-b", "env:\n  CUDA_PATH: /usr/local/cuda-12.4\n"
                              "files:\n  - {symlink: /usr/local/cuda, target: /usr/local/cuda-12.4}\n")
    agree = manifest(m, "cuda-c", "env:\n  CUDA_PATH: /usr/local/cuda-12.3\n")
    expect(run(m, "apply", "--yes", a).code == 0, "apply a")
    r = run(m, "plan", b)
    expect(r.code == 1 and "CUDA_PATH: the manifest 'cuda-a' sets it to /usr/local/cuda-12.3, this one "
           "to /usr/local/cuda-12.4" in r.out, r.out + r.err)
    expect("/usr/local/cuda is managed by the manifest 'cuda-a'" in r.out, r.out)
    expect(run(m, "apply", "--yes", b).code == 1, "apply of a conflicting stack must refuse")
    expect(os.readlink(m.path("/usr/local/cuda")) == "/usr/local/cuda-12.3", "a refused apply changed the link")
    expect(run(m, "plan", agree).code == 0, "the same value in two stacks is no conflict")


@check("the user scope is sourced by a hook, and plan counts each scope's variables")
def _():
    m = Machine()
    mf = manifest(m, "mixed", "env:\n  SYS_ONE: '1'\n  SYS_TWO: '2'\n"
                              "  MY_TOKENS: {set: /root/tokens, scope: user}\n")
    r = run(m, "plan", mf)
    expect("environment (system): 2 variable(s)" in r.out and "environment (user): 1 variable(s)" in r.out,
           r.out)
    expect(run(m, "apply", "--yes", mf).code == 0, "apply")
    expect(os.path.isfile(m.path("/root/.config/gpucfg/env-mixed.sh")), "no user script")
    env = login_env(m)
    expect(env.get("MY_TOKENS") == "/root/tokens" and env.get("SYS_TWO") == "2", env)
    # Another user's login: no file of theirs, nothing from root's.
    os.makedirs(m.path("/home/other"))
    expect("MY_TOKENS" not in login_env(m, "/home/other"), "the hook read another user's file")


finish()
