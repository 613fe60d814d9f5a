"""schemas/manifest.schema.json agrees with gpucfg: every manifest in manifests/ and examples/
passes it (with a real validator, Debian's python3-jsonschema), and every invalid case that a
schema can see fails it as well as `gpucfg validate` (test_cases.py checks the latter)."""
import glob
import json
import os

import jsonschema
import yaml

from harness import ROOT, check, expect, finish

with open(os.path.join(ROOT, "schemas", "manifest.schema.json")) as f:
    SCHEMA = json.load(f)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def errors(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


@check("the schema is a valid JSON Schema")
def _():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


good = sorted(glob.glob(os.path.join(ROOT, "manifests", "*.yaml")) +
              glob.glob(os.path.join(ROOT, "examples", "**", "*.yaml"), recursive=True))

for path in good:
    rel = os.path.relpath(path, ROOT)

    @check(f"passes: {rel}")
    def _(path=path):
        errs = errors(path)
        expect(not errs, "\n".join(errs[:5]))

    @check(f"names its schema: {rel}")
    def _(path=path):
        with open(path) as f:
            first = f.readline()
        expect(first.startswith("# yaml-language-server: $schema=") and "manifest.schema.json" in first, first)

for path in sorted(glob.glob(os.path.join(ROOT, "tests", "cases", "invalid", "*.yaml"))):
    with open(path) as f:
        if f.readline().startswith("# schema: skip"):
            continue

    @check(f"fails: {os.path.relpath(path, ROOT)}")
    def _(path=path):
        expect(errors(path), "the schema accepts a manifest gpucfg rejects")

# The saved reports in examples/ are what users read first, and the team example's fleet facts
# what its review plans against: each follows the schema of the gpucfg that ships it.
saved = [(kind, path) for kind in ("facts", "verify", "plan")
         for path in sorted(glob.glob(os.path.join(ROOT, "examples", kind, "*.json")))]
saved += [("facts", path) for path in sorted(glob.glob(os.path.join(ROOT, "examples", "team-repo", "fleet", "*.json")))]
for kind, path in saved:
    rel = os.path.relpath(path, ROOT)

    @check(f"follows schemas/{kind}.schema.json: {rel}")
    def _(path=path, kind=kind):
        with open(os.path.join(ROOT, "schemas", f"{kind}.schema.json")) as f:
            schema = json.load(f)
        with open(path) as f:
            jsonschema.validate(json.load(f), schema)

expect(len(good) > 60, "expected the curated manifests")
finish()
