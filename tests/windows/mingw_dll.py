"""A real Windows DLL built by Debian's MinGW-w64 cross compiler, for the Wine tests: something
LoadLibrary can map and a program linked against it imports (the name its export table carries)."""
import os
import subprocess
import tempfile


def build_dll(name, source, scratch):
    """Builds `name` from C `source` in a new folder under `scratch`; returns its path."""
    d = tempfile.mkdtemp(dir=scratch)
    with open(os.path.join(d, "x.c"), "w") as f:
        f.write(source)
    out = os.path.join(d, name)
    subprocess.run(["x86_64-w64-mingw32-gcc", "-shared", "-O1", "-o", out, os.path.join(d, "x.c")],
                   check=True, capture_output=True)
    return out
