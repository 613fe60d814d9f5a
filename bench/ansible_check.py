#!/usr/bin/env python3
"""Benchmark (issue #13): an Ansible check-mode run of gpucfg.gpucfg.stack against localhost,
side by side with the plain Ansible a team would otherwise write for the same paths: `stat` of
every path gpucfg manages, `file` for its links, `lineinfile` for every line of its environment
and loader files. Both run on a converged --root (so both must report changed=0), as one
playbook each, in interleaved rounds; the figure is the median wall time of ansible-playbook and
the spread (min-max). The module's run also carries the full plan as its diff (--diff); the
plain tasks check less (a toolkit is one stat, its files unread). Goal: module <= plain.

    bench/ansible_check.py [path/to/gpucfg] [rounds] [toolkit-files]
"""
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests", "cli"), os.path.join(ROOT, "tests", "ansible")]
from ansible_run import Ansible  # noqa: E402
from fakemachine import Machine  # noqa: E402

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/cli/gpucfg"))
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
FILES = int(sys.argv[3]) if len(sys.argv) > 3 else 400

m = Machine()
m.write("/srv/cuda-12.4/version.json", '{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}')
m.write("/srv/cuda-12.4/bin/nvcc", "#!/bin/sh\n", 0o755)
m.library("/srv/cuda-12.4/lib64", "libcudart.so.12.4.127", "libcudart.so.12")
for i in range(FILES):  # headers, as a toolkit's include/ holds hundreds
    m.write(f"/srv/cuda-12.4/include/h{i // 50}/header{i}.h", f"#define H{i} {i}\n" * 20)
m.write("/opt/src/tool.conf", "hello\n")
MANIFEST = m.manifest("bench", """apiVersion: gpucfg/v1
kind: Stack
metadata: {name: bench}
requires: {platforms: [linux-x86_64]}
cuda:
  version: "12.4"
  source: {directory: /srv/cuda-12.4}
files:
  - {copy: /opt/demo/tool.conf, from: /opt/src/tool.conf, mode: "0640"}
  - {alias: /opt/demo/lib/libcusolver.so.10, target: libcusolver.so.11}
env:
  DEMO_HOME: /opt/demo
  CUDA_HOME: /usr/local/cuda-12.4
  PATH: {prepend: [/usr/local/cuda-12.4/bin]}
loader:
  paths: [/usr/local/cuda-12.4/lib64]
""")
ENV = dict(m.env(), GPUCFG_DATA_DIR=ROOT)


def gpucfg(*args):
    return subprocess.run([BINARY, *args, "--root", m.root] if args[0] != "plan" else
                          [BINARY, args[0], "--root", m.root, *args[1:]],
                          env=ENV, capture_output=True, text=True, check=False)


applied = subprocess.run([BINARY, "apply", "--yes", "--root", m.root, MANIFEST], env=ENV,
                         capture_output=True, text=True)
assert applied.returncode == 0, applied.stdout + applied.stderr
plan = json.loads(gpucfg("plan", "--format", "json", MANIFEST).stdout)

# The same paths, as plain tasks: what gpucfg records as managed.
stats, links, lines = [], [], []
for entry in plan["managed"]:
    full = m.path(entry["path"])
    if entry["kind"] == "symlink":
        links.append({"path": full, "src": os.readlink(full)})
    else:
        stats.append(full)
    if entry["resource"] in ("env", "loader") and os.path.isfile(full):
        with open(full) as f:
            lines += [{"path": full, "line": line.rstrip("\n")} for line in f if line.strip()]
plain = [{"hosts": "localhost", "gather_facts": False, "tasks": [
    {"name": "stat every managed path", "ansible.builtin.stat": {"path": "{{ item }}"},
     "loop": stats},
    {"name": "links", "ansible.builtin.file": {"path": "{{ item.path }}", "src": "{{ item.src }}",
                                               "state": "link", "force": True}, "loop": links},
    {"name": "environment and loader lines", "ansible.builtin.lineinfile": {
        "path": "{{ item.path }}", "line": "{{ item.line }}"}, "loop": lines},
]}]
module = [{"hosts": "localhost", "gather_facts": False, "tasks": [
    {"name": "gpucfg plan as a task", "gpucfg.gpucfg.stack": {
        "manifest": MANIFEST, "root": m.root, "binary": BINARY, "verify": "none"}}]}]

a = Ansible(env=ENV)
times = {"module": [], "plain": []}
for _ in range(ROUNDS):
    for name, plays in (("module", module), ("plain", plain)):
        p, seconds = a.playbook(plays, "--check", "--diff")
        assert p.returncode == 0 and "changed=0" in p.stdout, name + ":\n" + p.stdout + p.stderr
        times[name].append(seconds)

print(f"converged root: {FILES + 3} toolkit files, {len(plan['managed'])} managed paths; "
      f"plain tasks: {len(stats)} stat + {len(links)} file + {len(lines)} lineinfile items")
for name, ts in times.items():
    print(f"  {name:7s} median {statistics.median(ts):.2f} s  (min {min(ts):.2f}, max "
          f"{max(ts):.2f}, {ROUNDS} interleaved rounds)")
ratio = statistics.median(times["module"]) / statistics.median(times["plain"])
print(f"module / plain: {ratio:.2f}x (goal <= 1.0x), and the module's diff is the whole plan")
