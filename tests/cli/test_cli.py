"""The command line: help, version, exit codes (README "Exit codes")."""
import json
import os
import tempfile

from harness import check, expect, finish, gpucfg


@check("--version prints the version")
def _():
    r = gpucfg("--version")
    expect(r.code == 0 and r.out.startswith("gpucfg 0."), r.out + r.err)


@check("--help lists commands, examples and exit codes")
def _():
    r = gpucfg("--help")
    expect(r.code == 0, r.err)
    for word in ("validate", "show", "Examples:", "Exit codes"):
        expect(word in r.out, f"{word!r} missing from --help")


@check("each command has --help with examples")
def _():
    for cmd in ("validate", "show"):
        r = gpucfg(cmd, "--help")
        expect(r.code == 0 and "Examples:" in r.out, f"{cmd} --help: {r.out}")


@check("no command, an unknown command or an unknown flag: exit 64")
def _():
    for args in ((), ("frobnicate",), ("validate", "--frob", "manifests/tf-2.5.yaml")):
        r = gpucfg(*args)
        expect(r.code == 64, f"{args}: exit {r.code}, {r.err}")


@check("an unknown command is named, with a guess; a bad --assume is a bad command line (64)")
def _():
    r = gpucfg("plna", "manifests/tf-2.5.yaml")
    expect(r.code == 64 and "unknown command 'plna'; did you mean 'plan'?" in r.err, r.err)
    r = gpucfg("plan", "--assume", "banana=1", "manifests/tf-2.5.yaml")
    expect(r.code == 64 and "unknown key 'banana'" in r.err, r.err)


@check("a manifest that is missing, a folder, a named pipe or a device: exit 1 with the reason, no hang")
def _():
    d = tempfile.mkdtemp(prefix="gpucfg-cli-")
    fifo = os.path.join(d, "pipe.yaml")
    os.mkfifo(fifo)
    for path, why in ((os.path.join(d, "none.yaml"), "no such file"), (d, "is a folder"),
                      (fifo, "is a named pipe"), ("/dev/zero", "is a device")):
        for cmd in ("validate", "plan"):
            r = gpucfg(cmd, path, timeout=10)
            expect(r.code == 1 and why in r.err, f"{cmd} {path}: {r.code} {r.err}")
    base = os.path.join(d, "m.yaml")
    with open(base, "w") as f:
        f.write(f"apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {{name: x}}\nextends: [{fifo}]\n")
    r = gpucfg("validate", base, timeout=10)
    expect(r.code == 1 and "m.yaml:4:" in r.err and "is a named pipe" in r.err, r.err)


@check("rollback past the newest generation says which generations exist")
def _():
    d = tempfile.mkdtemp(prefix="gpucfg-cli-")
    r = gpucfg("rollback", "--to", "99", "--root", d)
    expect(r.code == 1 and "no generation 99 to roll back to: the current one is 0" in r.err, r.err)


@check("validate: a valid manifest exits 0, an invalid one 1")
def _():
    expect(gpucfg("validate", "manifests/tf-2.5.yaml").code == 0, "tf-2.5 should validate")
    r = gpucfg("validate", "tests/cases/invalid/typo-key.yaml")
    expect(r.code == 1, f"exit {r.code}")
    expect("did you mean 'version'?" in r.err, r.err)


@check("validate --strict turns warnings into failure")
def _():
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "w.yaml")
        with open(p, "w") as f:
            f.write("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: w}\ncuda: {version: 11.10}\n")
        expect(gpucfg("validate", p).code == 0, "warnings alone pass")
        r = gpucfg("validate", "--strict", p)
        expect(r.code == 1, f"--strict exit {r.code}")


@check("validate --platform checks that platform only")
def _():
    r = gpucfg("validate", "--platform", "windows-x86_64", "manifests/tf-2.12.yaml", "manifests/tf-2.10.yaml")
    expect(r.code == 1, f"exit {r.code}")
    expect("tf-2.12.yaml" in r.err and "not supported on windows-x86_64" in r.err, r.err)
    expect("tf-2.10.yaml" not in r.err, "tf-2.10 supports Windows")
    expect("2 manifest(s) checked: 1 valid, 1 invalid" in r.out, r.out)
    r = gpucfg("validate", "--platform", "windows-x86-64", "manifests/tf-2.10.yaml")
    expect(r.code == 1 and "did you mean 'windows-x86_64'" in r.err, r.err)


@check("show prints the resolved manifest with origins, as YAML or JSON")
def _():
    r = gpucfg("show", "--platform", "windows-x86_64", "manifests/tf-2.5.yaml")
    expect(r.code == 0, r.err)
    expect("# manifests/cuda-11.2.yaml:" in r.out, "origins from the base")
    expect("v11.2\\\\bin\\\\cusolver64_10.dll" in r.out, r.out)
    r = gpucfg("show", "--no-origins", "manifests/tf-2.5.yaml")
    expect(r.code == 0 and "# manifests/" not in r.out, r.out)
    r = gpucfg("show", "--format", "json", "manifests/tf-2.5.yaml")
    doc = json.loads(r.out)
    expect(doc["format_version"] == 1 and doc["stack"]["cuda"]["prefix"] == "/usr/local/cuda-11.2", r.out[:200])
    expect(doc["origins"]["/cudnn/version"].startswith("manifests/tf-2.5.yaml:"), str(doc["origins"])[:200])


@check("show of an invalid manifest exits 1 and prints nothing on stdout")
def _():
    r = gpucfg("show", "tests/cases/invalid/undefined-variable.yaml")
    expect(r.code == 1 and r.out == "", f"exit {r.code}: {r.out}")


@check("a missing knowledge base is a clear error")
def _():
    r = gpucfg("validate", "manifests/tf-2.5.yaml", env={"GPUCFG_DATA_DIR": "/nonexistent"})
    expect(r.code == 1 and "GPUCFG_DATA_DIR" in r.err, r.err)


finish()
