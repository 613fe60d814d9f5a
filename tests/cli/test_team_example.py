"""examples/team-repo as a team would run it: a copy becomes a git repository with an origin, a
pull request changes the team's base, and the CI files' own steps (GitHub Actions' `run:` steps
and GitLab's `script:`, everything but posting the comment) run against it with this build's
gpucfg on PATH. The review they write is compared with a golden file (GPUCFG_TEST_ACCEPT=1
rewrites it); the pre-commit hook's command validates the stacks.
"""
import os
import shutil
import subprocess
import tempfile

import yaml

from harness import BINARY, ROOT, check, expect, finish

TMP = tempfile.mkdtemp(prefix="gpucfg-team-")
EXAMPLE = os.path.join(ROOT, "examples", "team-repo")
GOLDEN = os.path.join(ROOT, "tests", "golden", "review-team-repo.md")
ENV = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
           GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org",
           GIT_CONFIG_GLOBAL="/dev/null", GPUCFG_DATA_DIR=ROOT, GPUCFG_CONFIG="/nonexistent",
           GPUCFG_CACHE_DIR=os.path.join(TMP, "cache"),
           PATH=os.path.dirname(os.path.abspath(BINARY)) + os.pathsep + os.environ["PATH"])


def sh(script, cwd, env=None):
    p = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True, text=True,
                       env=dict(ENV, **(env or {})), timeout=120)
    return p


def repo():
    """origin (bare) with main = the example; a clone on branch `pr` that changes the base."""
    origin, work = os.path.join(TMP, "origin.git"), os.path.join(TMP, "work")
    seed = os.path.join(TMP, "seed")
    shutil.copytree(EXAMPLE, seed)
    for script, cwd in ((f"git init -q -b main && git add -A && git commit -qm team && "
                         f"git clone -q --bare . {origin}", seed),
                        (f"git clone -q {origin} {work}", TMP)):
        p = sh(script, cwd)
        expect(p.returncode == 0, p.stderr)
    # The author changes the base and, as the lock step would otherwise demand, updates the
    # locks of the stacks extending it (their resolved form changed).
    p = sh("git checkout -q -b pr && sed -i 's/NCCL_DEBUG: WARN/NCCL_DEBUG: INFO/' stacks/base.yaml"
           " && for lock in stacks/*.lock.json; do gpucfg lock --update \"${lock%.lock.json}.yaml\";"
           " done && git commit -qam 'NCCL at INFO'", work)
    expect(p.returncode == 0, p.stderr)
    return work


WORK = repo()


def review_text():
    with open(os.path.join(WORK, "review.md")) as f:
        return f.read()


def golden(text):
    # Where this run's copy and gpucfg's own data lie differ from run to run and machine to
    # machine: named, not compared.
    text = text.replace(os.path.realpath(WORK), "<repo>").replace(WORK, "<repo>")
    text = text.replace(ROOT, "<gpucfg>")
    if os.environ.get("GPUCFG_TEST_ACCEPT") == "1":
        with open(GOLDEN, "w") as f:
            f.write(text)
    with open(GOLDEN) as f:
        want = f.read()
    expect(text == want, f"review differs from {GOLDEN} (GPUCFG_TEST_ACCEPT=1 rewrites it):\n{text}")


@check("GitHub Actions: the workflow's run steps validate, check the locks and write the review")
def github():
    with open(os.path.join(WORK, ".github", "workflows", "gpucfg-review.yml")) as f:
        steps = yaml.safe_load(f)["jobs"]["review"]["steps"]
    out = os.path.join(TMP, "github-output")
    ran = 0
    for step in steps:
        if "run" not in step or "if" in step:  # posting is a `uses:`; the last step reads outputs
            continue
        p = sh(step["run"], WORK, {"GITHUB_BASE_REF": "main", "GITHUB_OUTPUT": out})
        expect(p.returncode == 0, f"{step['name']}: {p.stdout}{p.stderr}")
        ran += 1
    expect(ran == 3, ran)
    with open(out) as f:
        expect(f.read().strip() == "status=1", "a100's old driver fails its plan: status=1")
    text = review_text()
    for line in ("### `stacks/base.yaml` (changed)",
                 "### `stacks/train-tf.yaml` (a base it extends changed)",
                 "### `stacks/serve-torch.yaml` (a base it extends changed)",
                 "~ env.NCCL_DEBUG.set: WARN -> INFO"):
        expect(line in text, f"{line!r} missing:\n{text[:2000]}")
    golden(text)


@check("GitLab CI: the job's script runs (its after_script posts, and is not run here)")
def gitlab():
    with open(os.path.join(WORK, ".gitlab-ci.yml")) as f:
        job = yaml.safe_load(f)["gpucfg-review"]
    os.remove(os.path.join(WORK, "review.md"))
    p = sh("\n".join(job["script"]), WORK, {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})
    # A host fails (the A100's driver), so the job fails, after writing the review.
    expect(p.returncode == 1, p.stdout + p.stderr)
    expect("### `stacks/train-tf.yaml`" in review_text(), review_text()[:500])
    expect(job["artifacts"]["paths"] == ["review.md"] and "curl" in job["after_script"][0], job)


@check("a stale lock fails the lock step; the pre-commit hook's command validates the stacks")
def locks_and_hooks():
    p = sh("sed -i 's/TF_CPP_MIN_LOG_LEVEL: \"1\"/TF_CPP_MIN_LOG_LEVEL: \"2\"/' stacks/train-tf.yaml"
           " && for lock in stacks/*.lock.json; do gpucfg lock \"${lock%.lock.json}.yaml\"; done",
           WORK)
    expect(p.returncode == 1 and "gpucfg lock --update" in p.stderr, p.stdout + p.stderr)
    sh("git checkout -q -- stacks/train-tf.yaml", WORK)
    with open(os.path.join(ROOT, ".pre-commit-hooks.yaml")) as f:
        hook = yaml.safe_load(f)[0]
    with open(os.path.join(WORK, ".pre-commit-config.yaml")) as f:
        used = yaml.safe_load(f)["repos"][0]["hooks"][0]
    expect(used["id"] == hook["id"], (used, hook))
    p = sh(hook["entry"] + " stacks/base.yaml stacks/train-tf.yaml stacks/serve-torch.yaml", WORK)
    expect(p.returncode == 0 and "0 error(s)" in p.stdout, p.stdout + p.stderr)


@check("a pull request that forgot its locks: the review says so once per lock and platform, with the repository's paths")
def stale_lock_review():
    stale = os.path.join(TMP, "stale")
    p = sh(f"git clone -q {os.path.join(TMP, 'origin.git')} {stale}", TMP)
    expect(p.returncode == 0, p.stderr)
    p = sh("git checkout -q -b forgot && sed -i 's/NCCL_DEBUG: WARN/NCCL_DEBUG: INFO/' stacks/base.yaml"
           " && git commit -qam 'NCCL at INFO, locks forgotten'"
           " && gpucfg review --base main --fleet fleet --manifests stacks > review.md || true", stale)
    expect(p.returncode == 0, p.stderr)
    with open(os.path.join(stale, "review.md")) as f:
        text = f.read()
    expect(stale not in text and os.path.realpath(stale) not in text, "a runner's absolute path in the review")
    full = [line for line in text.splitlines() if "Run `gpucfg lock --update stacks/" in line]
    # Two stacks extend the base; each is planned for Linux hosts (one line for all of them) and
    # the Windows laptop (serve-torch only): never a line per artifact or per host.
    expect(1 <= len(full) <= 4, "\n".join(full))
    expect(any("error on 3 hosts" in line for line in full), "\n".join(full))


@check("every team example plans without errors for a host it is meant for (the H200)")
def examples_plan():
    facts = os.path.join(EXAMPLE, "fleet", "gpu-h200-01.json")
    stacks = [os.path.join(ROOT, "examples", "team", n) for n in ("base.yaml", "tf-2.16.yaml")]
    stacks += [os.path.join(EXAMPLE, "stacks", n) for n in sorted(os.listdir(
        os.path.join(EXAMPLE, "stacks"))) if n.endswith(".yaml")]
    for m in stacks:
        p = subprocess.run([BINARY, "plan", "--facts", facts, m], capture_output=True, text=True,
                           env=ENV, timeout=60)
        expect(p.returncode == 0, f"{m}: {p.stdout[-600:]}{p.stderr}")


finish()
