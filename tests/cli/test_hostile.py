"""Hostile inputs, made here as a new user (or an attacker in a pull request) would: each is
refused with exit 1 and a message, in well under 2 s, and never crashes gpucfg."""
import os
import random
import tempfile

from harness import check, expect, finish, gpucfg

HEAD = "apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: hostile}\n"
tmp = tempfile.TemporaryDirectory()


def write(name, data):
    path = os.path.join(tmp.name, name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def refused(path, needle):
    r = gpucfg("validate", "--quiet", path, timeout=10)
    expect(r.code == 1, f"exit {r.code} (negative means a signal); stderr:\n{r.err[:500]}")
    expect(r.seconds < 2.0, f"took {r.seconds:.2f} s")
    expect(needle in r.err, f"{needle!r} not in:\n{r.err[:500]}")


def laughs(levels=9, width=10):
    lines = ["a: &a [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels + 1):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * width) + "]")
    return HEAD + "vars:\n" + "\n".join("  " + l for l in lines) + "\n"


@check("many errors cost linear time: 24,000 unknown keys vs 6,000")
def _():
    def seconds(n):
        path = write(f"keys-{n}.yaml", HEAD + "".join(f"unknown_key_{i}: 1\n" for i in range(n)))
        best = None
        for _ in range(3):
            r = gpucfg("validate", path, timeout=30)
            expect(r.code == 1 and f"{n} error(s)" in r.out, r.out[-300:])
            best = r.seconds if best is None else min(best, r.seconds)
        return best
    small, big = seconds(6000), seconds(24000)
    # Linear: about 4x (process start included); a quadratic de-duplication made it 16x. A ratio,
    # not a time: a busy CI machine slows both alike.
    expect(big / small < 8, f"6,000 keys {small:.2f} s, 24,000 keys {big:.2f} s")


@check("billion laughs")
def _():
    refused(write("laughs.yaml", laughs()), "expands to more than 100000 nodes")


@check("deep block nesting")
def _():
    text = HEAD + "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "x: 1\n"
    refused(write("deep-block.yaml", text), "nesting deeper than 64")


@check("deep flow nesting")
def _():
    refused(write("deep-flow.yaml", HEAD + "vars: " + "[" * 200000 + "]" * 200000 + "\n"), "nesting deeper")


@check("a file larger than 1 MiB")
def _():
    refused(write("huge.yaml", HEAD + "# padding\n" * 200000), "larger than the 1048576-byte limit")


@check("NUL bytes")
def _():
    refused(write("nul.yaml", HEAD.encode() + b"cuda: {version: '11.2\x00'}\n"), "NUL byte")


@check("invalid UTF-8 (Latin-1 text)")
def _():
    refused(write("latin1.yaml", HEAD.encode() + "# caf\u00e9\n".encode("latin-1")), "invalid UTF-8")


@check("a binary file")
def _():
    refused(write("image.yaml", b"\x89PNG\r\n\x1a\n" + bytes(range(256))), "")


@check("an empty file")
def _():
    refused(write("empty.yaml", ""), "a manifest is a mapping")


@check("a list instead of a manifest")
def _():
    refused(write("list.yaml", "- a\n- b\n"), "a manifest is a mapping")


@check("many keys, one duplicated at the end")
def _():
    keys = "".join(f"  V{i}: x\n" for i in range(40000))
    refused(write("many-keys.yaml", HEAD + "vars:\n" + keys + "  V7: y\n"), "duplicate key 'V7'")


@check("a very long scalar")
def _():
    refused(write("long.yaml", HEAD + "cuda: {version: '" + "1." * 400000 + "1'}\n"), "bad cuda.version")


@check("a manifest that extends itself")
def _():
    path = os.path.join(tmp.name, "self.yaml")
    write("self.yaml", HEAD + "extends: [self.yaml]\n")
    refused(path, "extends cycle: self.yaml -> self.yaml")


@check("an extends chain deeper than 16 files")
def _():
    for i in range(30):
        write(f"chain{i}.yaml", HEAD + (f"extends: [chain{i + 1}.yaml]\n" if i < 29 else ""))
    refused(os.path.join(tmp.name, "chain0.yaml"), "extends chain deeper than 16 files")


@check("random printable garbage never crashes")
def _():
    rng = random.Random(1234)
    alphabet = "{}[]:,-?&*!|>'\"%@`#\n \t" + "abc123"
    for i in range(40):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
        r = gpucfg("validate", "--quiet", write(f"garbage{i}.yaml", text), timeout=10)
        expect(r.code in (0, 1), f"garbage{i}: exit {r.code}\n{text!r}\n{r.err[:300]}")
        expect(r.seconds < 2.0, f"garbage{i}: {r.seconds:.2f} s")


@check("variables that refer to each other")
def _():
    refused(write("var-cycle.yaml", HEAD + "vars: {a: '${b}', b: '${a}'}\ncuda: {version: '11.2', prefix: '/x/${a}'}\n"),
            "refers to itself")


@check("a newline in an environment value cannot inject a variable into environment.d")
def _():
    refused(write("inject.yaml", HEAD + 'env:\n  HARMLESS: "x\\nLD_PRELOAD=/tmp/evil.so"\n'),
            "holds a control character")


@check("a redistrib index with values of the wrong type is refused, not a crash")
def _():
    index = write("redistrib_12.3.json", '{"release_label": 5, "cuda_nvcc": {"name": "x", '
                  '"version": "12.3.107", "linux-x86_64": {"relative_path": 7, "sha256": []}}}')
    m = write("redistrib.yaml", HEAD + f'cuda:\n  version: "12.3"\n  source: {{redistrib: {index}}}\n')
    r = gpucfg("plan", "--assume", "platform=linux-x86_64,driver=580.65.06", "--facts",
               os.path.join(os.path.dirname(__file__), "..", "..", "examples", "facts",
                            "h200-cuda13-apt.json"), m, timeout=20)
    expect(r.code == 1 and r.code >= 0, f"exit {r.code}: {r.err[-400:]}")
    expect("malformed" in r.out + r.err or "no cuda_" in r.out + r.err, r.out[-400:] + r.err[-400:])


@check("a saved plan of the wrong shape is refused before anything changes")
def _():
    bad = write("bad.plan.json", '{"format_version": 1, "actions": "x"}')
    root = tempfile.mkdtemp(dir=tmp.name)
    r = gpucfg("apply", "--yes", "--root", root, bad, timeout=20)
    expect(r.code == 1, f"exit {r.code}: {r.err[-400:]}")
    expect("not a gpucfg plan" in r.err, r.err[-400:])


@check("a header with an over-long version number and a compiler that prints 2 MB do not crash facts")
def _():
    root = tempfile.mkdtemp(dir=tmp.name)
    inc = os.path.join(root, "usr/local/cuda-12.3/include")
    os.makedirs(inc)
    with open(os.path.join(inc, "cuda_runtime_api.h"), "w") as f:
        f.write("#define CUDART_VERSION 99999999999999999999999\n")
    os.makedirs(os.path.join(root, "usr/bin"))
    gcc = os.path.join(root, "usr/bin/gcc")
    with open(gcc, "w") as f:
        f.write("#!/bin/sh\nhead -c 2000000 /dev/zero | tr '\\0' 1\n")
    os.chmod(gcc, 0o755)
    r = gpucfg("facts", "--json", "--root", root, env={"PATH": "/usr/bin:/bin"}, timeout=30)
    expect(r.code == 0, f"exit {r.code}: {r.err[-400:]}")


finish()
