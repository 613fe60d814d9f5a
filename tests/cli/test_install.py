"""An installed gpucfg finds its data relative to itself: `cmake --install` into a prefix, the
prefix moved elsewhere, and the moved binary (no GPUCFG_DATA_DIR, run from an unrelated folder)
validates and plans a curated manifest exactly as the build-tree binary does, extends the
catalogue by name from its own copy, and verifies a stack's static level.
"""
import json
import os
import shutil
import subprocess
import tempfile

from harness import BINARY, ROOT, check, expect, finish, local_manifest, local_toolkit

TMP = tempfile.mkdtemp(prefix="gpucfg-install-")
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(BINARY)))  # build/cli/gpucfg -> build
ENV = {k: v for k, v in os.environ.items() if k != "GPUCFG_DATA_DIR"}
ENV["GPUCFG_CONFIG"] = "/nonexistent"


def run(binary, *args):
    return subprocess.run([binary, *args], cwd=TMP, capture_output=True, text=True, env=ENV,
                          timeout=60)


first = os.path.join(TMP, "prefix")
p = subprocess.run(["cmake", "--install", BUILD, "--prefix", first], capture_output=True,
                   text=True)
moved = os.path.join(TMP, "elsewhere", "gpucfg")
os.makedirs(os.path.dirname(moved))
shutil.move(first, moved)
INSTALLED = os.path.join(moved, "bin", "gpucfg")


@check("cmake --install lays out bin/ and share/gpucfg/; the moved install runs")
def layout():
    expect(p.returncode == 0, p.stdout + p.stderr)
    for rel in ("bin/gpucfg", "share/gpucfg/knowledge/cuda-driver.yaml",
                "share/gpucfg/kernels/gemm.cu", "share/gpucfg/schemas/plan.schema.json",
                "share/gpucfg/manifests/tf-2.5.yaml"):
        expect(os.path.exists(os.path.join(moved, rel)), rel)
    r = run(INSTALLED, "validate", os.path.join(moved, "share/gpucfg/manifests/tf-2.5.yaml"))
    expect(r.returncode == 0, r.stdout + r.stderr)


@check("the moved install plans tf-2.5 from the Windows facts exactly as the build tree does")
def same_plan():
    args = ["plan", "--allow-unpinned", "--format", "markdown", "--facts",
            os.path.join(ROOT, "examples/facts/windows-gtx1650.json"),
            os.path.join(ROOT, "manifests/tf-2.5.yaml")]
    a, b = run(os.path.abspath(BINARY), *args), run(INSTALLED, *args)
    expect(a.returncode == b.returncode == 0 and a.stdout == b.stdout, a.stdout + "\n---\n" + b.stdout)


@check("catalogue:NAME resolves in the install's own data; verify's static level runs")
def catalogue_and_verify():
    m = os.path.join(TMP, "stack.yaml")
    with open(m, "w") as f:
        f.write("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: s}\n"
                "extends: [\"catalogue:cuda-13.0\"]\n")
    r = run(INSTALLED, "show", "--format", "json", "--no-origins", m)
    expect(r.returncode == 0, r.stdout + r.stderr)
    read = json.loads(r.stdout)["stack"]["files_read"]
    # From the moved install's own share/gpucfg, not the source tree it was built from.
    expect(read[0] == os.path.join(moved, "share/gpucfg/manifests/cuda-13.0.yaml"), read)
    # The moved install runs verify with its own data; without the build machines' toolkit the
    # checks themselves fail (exit 1), which is not what this looks at.
    r = run(INSTALLED, "verify", "--level", "static", local_manifest())
    codes = (0, 4) if not local_toolkit() else (0, 3, 4)
    expect(r.returncode in codes and "Verify (static)" in r.stdout, r.stdout + r.stderr)


finish()
