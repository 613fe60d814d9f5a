"""The Debian package: `cpack -G DEB` from this build, installed with dpkg into a throwaway root
whose package database is this Debian 12 machine's (so dpkg itself checks that every Depends is
a real, installed package), then used from outside the source tree: validate, plan tf-2.5 from
the Windows facts file (compared with the same golden files as the build-tree binary), verify's
static level, the man page and the three shells' completions from their installed places; and
removed again, leaving nothing.
"""
import gzip
import os
import shutil
import subprocess
import tempfile

from harness import BINARY, ROOT, check, expect, finish, local_manifest

TMP = tempfile.mkdtemp(prefix="gpucfg-deb-")
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(BINARY)))  # build/cli/gpucfg -> build
R = os.path.join(TMP, "root")
ADMIN = os.path.join(R, "var/lib/dpkg")
ENV = {k: v for k, v in os.environ.items() if k != "GPUCFG_DATA_DIR"}
ENV["GPUCFG_CONFIG"] = "/nonexistent"


def sh(*args, **kw):
    kw.setdefault("env", ENV)
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300, **kw)


def quiet(err):
    # Our throwaway database copies the status file but not the file lists of every package.
    return "\n".join(l for l in err.splitlines() if "files list file for package" not in l)


def dpkg(*args):
    return sh("dpkg", f"--root={R}", "--force-not-root", "--force-script-chrootless",
              "--log=/dev/null", *args)


made = sh("cpack", "-G", "DEB", "-B", os.path.join(TMP, "out"), cwd=BUILD)
debs = [os.path.join(TMP, "out", f) for f in os.listdir(os.path.join(TMP, "out"))
        if f.endswith(".deb")] if made.returncode == 0 else []
DEB = debs[0] if debs else None
os.makedirs(os.path.join(ADMIN, "updates"))
os.makedirs(os.path.join(ADMIN, "info"))
shutil.copy("/var/lib/dpkg/status", os.path.join(ADMIN, "status"))
installed = dpkg("-i", DEB) if DEB else None
GPUCFG = os.path.join(R, "usr/bin/gpucfg")


@check("cpack builds a .deb whose Depends name Debian 12's runtime libraries")
def package():
    expect(DEB, made.stdout + made.stderr)
    depends = sh("dpkg-deb", "-f", DEB, "Depends").stdout
    for lib in ("libyaml-cpp0.7", "libarchive13", "libcurl4", "libssl3", "libdeflate0",
                "libstdc++6", "libc6"):
        expect(lib in depends, f"{lib} missing from Depends: {depends}")
    files = sh("dpkg-deb", "-c", DEB).stdout
    for path in ("./usr/bin/gpucfg", "./usr/share/gpucfg/knowledge/cuda-driver.yaml",
                 "./usr/share/gpucfg/manifests/tf-2.5.yaml", "./usr/share/man/man1/gpucfg.1.gz",
                 "./usr/share/bash-completion/completions/gpucfg",
                 "./usr/share/zsh/vendor-completions/_gpucfg",
                 "./usr/share/fish/vendor_completions.d/gpucfg.fish"):
        expect(path in files, f"{path} not in the package")


@check("dpkg -i installs it (its dependencies checked against this machine's packages)")
def install():
    expect(installed and installed.returncode == 0,
           installed and installed.stdout + quiet(installed.stderr))
    r = sh(GPUCFG, "--version", cwd=TMP)
    expect(r.returncode == 0 and r.stdout.startswith("gpucfg "), r.stdout + r.stderr)


@check("the installed gpucfg plans tf-2.5 from the Windows facts exactly as the golden files say")
def golden_plan():
    # Outside the source tree: the manifests from the package, the facts file copied, the same
    # relative paths the golden files name.
    work = os.path.join(TMP, "work")
    os.makedirs(os.path.join(work, "examples/facts"))
    shutil.copytree(os.path.join(R, "usr/share/gpucfg/manifests"), os.path.join(work, "manifests"))
    shutil.copy(os.path.join(ROOT, "examples/facts/windows-gtx1650.json"),
                os.path.join(work, "examples/facts"))
    r = sh(GPUCFG, "validate", "manifests/tf-2.5.yaml", cwd=work)
    expect(r.returncode == 0, r.stdout + r.stderr)
    for fmt, ext in (("text", "txt"), ("markdown", "md")):
        # An empty cache, as the golden files were made with ("to download" for each wheel).
        r = sh(GPUCFG, "plan", "--allow-unpinned", "--facts", "examples/facts/windows-gtx1650.json",
               "manifests/tf-2.5.yaml", "--format", fmt, cwd=work,
               env=dict(ENV, GPUCFG_CACHE_DIR=os.path.join(TMP, "empty-cache")))
        with open(os.path.join(ROOT, f"tests/golden/plan-tf-2.5-windows.{ext}")) as f:
            want = f.read()
        expect(r.returncode == 0 and r.stdout == want, r.stdout + r.stderr)


@check("verify's static level runs from the package's kernels and knowledge")
def verify_static():
    r = sh(GPUCFG, "verify", "--level", "static", "--json",
           local_manifest(), cwd=TMP)
    expect(r.returncode in (0, 3, 4) and '"level": "static"' in r.stdout, r.stdout + r.stderr)


@check("the man page renders without a groff warning and documents every command")
def man_page():
    with gzip.open(os.path.join(R, "usr/share/man/man1/gpucfg.1.gz"), "rt") as f:
        text = f.read()
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=text, capture_output=True,
                       text=True)
    expect(r.returncode == 0 and not r.stderr, r.stderr)
    for verb in ("plan", "apply", "verify", "rollback", "completion", "EXIT STATUS", "GPUCFG_MIRROR"):
        expect(verb in text, f"{verb} not in the man page")


@check("bash completes verbs, flags, their values and manifests from the installed script")
def bash_completion():
    script = os.path.join(R, "usr/share/bash-completion/completions/gpucfg")
    probe = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); '
             'COMPREPLY=(); _gpucfg; printf "%s\\n" "${COMPREPLY[@]}"')

    def complete(*words):
        r = sh("bash", "-c", probe, "bash", script, "gpucfg", *words, cwd=ROOT)
        return set(r.stdout.split())
    expect({"plan"} == complete("pl"), complete("pl"))
    expect({"--format", "--facts", "--fleet"} <= complete("plan", "--f"), complete("plan", "--f"))
    expect(complete("plan", "--format", "") == {"text", "json", "markdown"}, "format values")
    got = complete("plan", "manifests/tf-2.1")
    expect("manifests/tf-2.16.yaml" in got and all(g.endswith(".yaml") for g in got), got)
    expect(complete("apply", "--root", "ex") == {"examples"}, complete("apply", "--root", "ex"))


@check("the bash completion leaves the user's shell options alone, and shellcheck finds nothing")
def bash_completion_clean():
    script = os.path.join(R, "usr/share/bash-completion/completions/gpucfg")
    probe = ('shopt -u extglob; source "$1"; COMP_WORDS=(gpucfg plan manifests/tf-2.1); COMP_CWORD=2; '
             '_gpucfg; shopt -q extglob && echo "extglob turned on"; printf "%s\\n" "${COMPREPLY[@]}"')
    r = sh("bash", "-c", probe, "bash", script, cwd=ROOT)
    expect("extglob turned on" not in r.stdout and "manifests/tf-2.16.yaml" in r.stdout, r.stdout + r.stderr)
    if shutil.which("shellcheck"):
        r = sh("shellcheck", "-s", "bash", script)
        expect(r.returncode == 0, r.stdout)
    else:
        print("skipped shellcheck: not installed (scripts/setup.sh installs it)")


@check("lintian finds no error and no warning in the package (Debian's own check)")
def lintian():
    if not shutil.which("lintian"):
        print("skipped: lintian is not installed (scripts/setup.sh installs it)")
        return
    expect(DEB, "no package")
    r = sh("lintian", "--fail-on", "error,warning", DEB)
    expect(r.returncode == 0, r.stdout + r.stderr)


# Drives an interactive zsh in a pseudo-terminal (zsh/zpty): types the words and a TAB, and
# records every candidate the completion system passes to compadd. $1: words, $2: fpath folder,
# $3: output file, $4: the folder to complete in.
ZSH_DRIVER = r"""
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1=''; cd ${(q)4}; fpath=(${(q)2} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "compadd() { builtin compadd -O __hits \"\$@\"; print -rl -- \$__hits >&2; builtin compadd \"\$@\" }"
zpty -w z "exec 2>${(q)3}"
zpty -w -n z "$1"$'\t'
for i in {1..100}; do [[ -s $3 ]] && break; sleep 0.1; done
sleep 0.5
zpty -d z
"""


@check("fish and zsh complete verbs, flags, their values and manifests from the installed scripts")
def fish_and_zsh():
    fish, zsh = shutil.which("fish"), shutil.which("zsh")
    expect(fish and zsh, "fish and zsh are installed by scripts/setup.sh")
    script = os.path.join(R, "usr/share/fish/vendor_completions.d/gpucfg.fish")
    r = sh(fish, "-c", f"source {script}; complete -C'gpucfg verify --level '", cwd=ROOT)
    levels = {line.split("\t")[0] for line in r.stdout.splitlines()}
    expect(levels == {"static", "load", "compute", "framework"}, r.stdout + r.stderr)
    folder = os.path.join(R, "usr/share/zsh/vendor-completions")

    def zsh_complete(words):
        out = os.path.join(TMP, "zsh-candidates")
        if os.path.exists(out):
            os.unlink(out)
        sh(zsh, "-f", "-c", ZSH_DRIVER, "zsh", words, folder, out, ROOT)
        with open(out) as f:
            return set(f.read().split())
    for words, want in (("gpucfg pl", {"plan"}), ("gpucfg plan --fo", {"--format"}),
                        ("gpucfg plan --format ", {"text", "json", "markdown"}),
                        ("gpucfg verify --level ", {"static", "load", "compute", "framework"})):
        got = zsh_complete(words)
        expect(want <= got, f"zsh, {words!r}: {got}")
    got = zsh_complete("gpucfg plan manifests/tf-2.1")
    expect("tf-2.16.yaml" in got and not any(g.endswith(".py") for g in got), got)


@check("dpkg -r removes every file it installed")
def remove():
    r = dpkg("-r", "gpucfg")
    expect(r.returncode == 0, r.stdout + quiet(r.stderr))
    left = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(R, "usr")) for f in fs]
    expect(not left, left[:5])


shutil.rmtree(TMP, ignore_errors=True)
finish()
