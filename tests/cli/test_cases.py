"""Every file in tests/cases/invalid: `gpucfg validate` exits 1 within 2 s, and its messages
match the golden NAME.err beside it byte for byte (GPUCFG_TEST_ACCEPT=1 rewrites them)."""
import glob
import os

from harness import ACCEPT, ROOT, check, expect, finish, gpucfg

CASES = os.path.join(ROOT, "tests", "cases", "invalid")

for path in sorted(glob.glob(os.path.join(CASES, "*.yaml"))):
    name = os.path.basename(path)

    @check(f"invalid/{name}")
    def _(path=path, name=name):
        # Run from the cases folder so the paths in messages are stable.
        r = gpucfg("validate", "--quiet", name, cwd=CASES)
        expect(r.code == 1, f"exit {r.code}, expected 1; stderr:\n{r.err}")
        expect(r.seconds < 2.0, f"took {r.seconds:.2f} s")
        expect(f"{name}:" in r.err or "lib/" in r.err, f"no positioned message:\n{r.err}")
        golden = path[:-5] + ".err"
        if ACCEPT:
            with open(golden, "w") as f:
                f.write(r.err)
            return
        expect(os.path.exists(golden), f"no golden {os.path.basename(golden)}; run with GPUCFG_TEST_ACCEPT=1")
        with open(golden) as f:
            want = f.read()
        expect(r.err == want, f"messages differ from {os.path.basename(golden)}:\n--- got\n{r.err}--- want\n{want}")

finish()
