"""Team review: `gpucfg diff` between two manifests (files or git:REV:PATH) compares them as
resolved, per platform; `gpucfg review` finds every manifest a pull request affects (its own file
or a base it extends), and writes the diff and the fleet plan of the new version as one Markdown
comment with labels. Runs in a throwaway git repository shaped like a team's.
"""
import json
import os
import shutil
import subprocess
import tempfile

import yaml

from harness import ROOT, check, expect, finish, gpucfg

TMP = tempfile.mkdtemp(prefix="gpucfg-review-")
REPO = os.path.join(TMP, "stacks-repo")
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": "/dev/null"}


def git(*args):
    p = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                       env=dict(os.environ, **GIT_ENV))
    expect(p.returncode == 0, p.stderr)
    return p.stdout


def write(rel, text):
    path = os.path.join(REPO, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def run(*args):
    return gpucfg(*args, cwd=REPO, timeout=60)


BASE = """apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: team-base}}
requires:
  platforms: [linux-x86_64]
  driver: {{linux: ">={driver}"}}
env:
  CUDA_MODULE_LOADING: LAZY
  TEAM_PROXY: "{proxy}"
"""
TRAIN = """apiVersion: gpucfg/v1
kind: Stack
metadata: {name: train}
extends: [base.yaml]
env:
  NCCL_DEBUG: WARN
"""
os.makedirs(REPO)
git("init", "-q", "-b", "main")
write("stacks/base.yaml", BASE.format(driver="535.54.03", proxy="http://proxy:3128"))
write("stacks/train.yaml", TRAIN)
write("stacks/old.yaml", TRAIN.replace("train", "old"))
write(".github/workflows/ci.yaml", "on: [pull_request]\n")  # YAML that is no manifest
shutil.copytree(os.path.join(ROOT, "examples", "facts"), os.path.join(REPO, "fleet"))
git("add", "-A")
git("commit", "-qm", "base")
# The pull request: the base's driver floor and a variable change, a stack is added, one removed.
write("stacks/base.yaml", BASE.format(driver="550.54.14", proxy="http://proxy2:3128"))
write("stacks/infer.yaml", TRAIN.replace("train", "infer"))
os.remove(os.path.join(REPO, "stacks/old.yaml"))
git("add", "-A")
git("commit", "-qm", "pr")


@check("diff of two files: per platform, grouped, one line per value; --detailed-exitcode")
def diff_files():
    r = gpucfg("diff", "manifests/tf-2.15.yaml", "manifests/tf-2.16.yaml")
    expect(r.code == 0, r.err)
    expect("~ cuda.version: 12.2 -> 12.3" in r.out, r.out)
    expect("~ cudnn.source.artifacts[nvidia-cudnn-cu12]: nvidia-cudnn-cu12==8.9.4.25 (sha256 "
           in r.out, r.out)
    with open(os.path.join(ROOT, "manifests", "tf-2.16.yaml")) as f:
        tf216 = yaml.safe_load(f)["framework"]["version"]
    expect(f"+ python.packages: tensorflow=={tf216}" in r.out, r.out)
    r = gpucfg("diff", "--detailed-exitcode", "manifests/tf-2.16.yaml", "manifests/tf-2.16.yaml")
    expect(r.code == 0 and "no differences" in r.out, r.out + r.err)
    r = gpucfg("diff", "--detailed-exitcode", "manifests/tf-2.15.yaml", "manifests/tf-2.16.yaml")
    expect(r.code == 2, r.code)
    doc = json.loads(gpucfg("diff", "--format", "json", "manifests/tf-2.15.yaml",
                            "manifests/tf-2.16.yaml").out)
    got = {(d["path"], d["change"]) for p in doc["platforms"] for d in p["differences"]}
    expect(("framework.version", "changed") in got, sorted(got)[:10])


@check("diff at git revisions: a base's change shows in the stack that extends it")
def diff_git():
    r = run("diff", "git:HEAD~1:stacks/train.yaml", "git:HEAD:stacks/train.yaml")
    expect(r.code == 0, r.err)
    expect("~ requires.driver.linux: >=535.54.03 -> >=550.54.14" in r.out, r.out)
    expect("~ env.TEAM_PROXY.set: http://proxy:3128 -> http://proxy2:3128" in r.out, r.out)
    expect(TMP not in r.out, "the export folder leaks into the diff: " + r.out)
    r = run("diff", "git:HEAD~1:stacks/nothing.yaml", "stacks/train.yaml")
    expect(r.code == 1 and "is not a file at HEAD~1" in r.err, r.err)


@check("review: affected manifests (own file, base, added, removed), labels, diff and fleet tables")
def review():
    r = run("review", "--base", "HEAD~1", "--head", "HEAD", "--fleet", "fleet")
    expect(r.code in (0, 1), r.err)
    md = r.out
    expect(md.startswith("## gpucfg review: `HEAD~1` -> `HEAD`"), md[:200])
    for line in ("### `stacks/train.yaml` (a base it extends changed)",
                 "### `stacks/base.yaml` (changed)", "### `stacks/infer.yaml` (added)",
                 "### `stacks/old.yaml` (removed)"):
        expect(line in md, f"missing {line!r} in\n{md}")
    expect("ci.yaml" not in md, "a CI file is no manifest")
    for label in ("`driver-change`", "`new-stack`", "`removal`"):
        expect(label in md, f"label {label} missing: {md[:400]}")
    expect("~ requires.driver.linux: >=535.54.03 -> >=550.54.14" in md, md)
    expect("**gpucfg fleet plan** `train`:" in md, md)
    expect("| `windows-gtx1650` | windows-x86_64 |" in md, md)
    expect(len(md) < 65536, len(md))


@check("review of the working tree: an uncommitted edit is reviewed; nothing changed says so")
def working_tree():
    r = run("review", "--base", "HEAD")
    expect(r.code == 0 and "0 manifest(s) affected" in r.out and "`no-stack-change`" in r.out,
           r.out + r.err)
    write("stacks/train.yaml", TRAIN.replace("WARN", "INFO"))
    r = run("review", "--base", "HEAD", "--manifests", "stacks")
    expect("### `stacks/train.yaml` (changed)" in r.out and "NCCL_DEBUG.set: WARN -> INFO" in r.out,
           r.out + r.err)
    git("checkout", "--", "stacks/train.yaml")
    r = gpucfg("review", "--base", "HEAD", cwd=TMP)
    expect(r.code == 1 and "git repository" in r.err, r.err)


finish()
