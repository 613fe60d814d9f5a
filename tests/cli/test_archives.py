"""Archives gpucfg unpacks, offline: hostile ones refused (truncated, corrupt, paths out of the
root, links and link chains that escape, writes through a link), the mode policy for every source
(no setuid/setgid, no group/other write; a directory: source too), zips with Unix modes and links,
zip members inflated whole, and the per-file hashes a tree keeps."""
import os
import shutil
import subprocess
import tarfile
import zipfile

from harness import check, expect, finish, gpucfg
from sourcekit import ENV, TMP, apply, entry, fresh, sha, tar_with, tree, write_manifest

# --- hostile archives ---------------------------------------------------------------------

OUTSIDE = os.path.join(TMP, "outside")


def hostile(name, members, expect_in_error, mode="w:gz", pin=None, extra=""):
    @check(f"hostile archive refused: {name}")
    def run():
        d = fresh("hostile")
        arc = os.path.join(d, "evil.tar.gz")
        tar_with(arc, [entry("good-archive/include/ok.h")] + members, mode)
        m = write_manifest(d, f"    archive: evil.tar.gz\n    sha256: {pin or sha(arc)}\n{extra}")
        before = tree(d)
        r = apply(d, m)
        expect(r.code == 1, f"exit {r.code}: {r.out}{r.err}")
        expect("evil.tar.gz" in r.err and expect_in_error in r.err, r.err)
        expect(tree(d) == before or set(tree(d)) - set(before) <= {
            "root/var", "root/var/lib", "root/var/lib/gpucfg"} | {
            p for p in tree(d) if p.startswith("root/var/lib/gpucfg/")}, f"{set(tree(d)) - set(before)}")
        expect(not os.path.exists(os.path.join(d, "root/opt")), "something was left in the root")
        expect(not os.path.exists(OUTSIDE), "something was written outside the root")


hostile("absolute path", [entry(OUTSIDE)], "absolute path")
hostile("dot-dot", [entry("good-archive/../../../../" + os.path.basename(OUTSIDE))], "'..'")
hostile("symlink out", [entry("good-archive/esc", tarfile.SYMTYPE, link="../../../../../tmp")],
        "leads outside")
hostile("absolute symlink", [entry("good-archive/esc", tarfile.SYMTYPE, link=TMP)],
        "leads outside")
hostile("write through a symlink",
        [entry("good-archive/include/d", tarfile.SYMTYPE, link="."),
         entry("good-archive/include/d/x.h")],
        "is a link or a file")
hostile("chain of links",
        [entry("good-archive/include/a", tarfile.SYMTYPE, link="."),
         entry("good-archive/include/b", tarfile.SYMTYPE, link="a/../..")], "leads outside")
hostile("hard link out", [entry("good-archive/pw", tarfile.LNKTYPE, link="/etc/passwd")],
        "hard link")
hostile("character device", [entry("good-archive/null", tarfile.CHRTYPE)], "character device")
hostile("fifo", [entry("good-archive/pipe", tarfile.FIFOTYPE)], "fifo")
hostile("decompression bomb", [entry("good-archive/include/zeros", data=b"\0" * (64 << 20))],
        "unpacks past", extra="    unpacked_size: 1000000\n")
hostile("sha256 mismatch", [], "does not match the pinned", pin="0" * 64)


@check("hostile archive refused: truncated and corrupt")
def broken():
    for how in ("truncated", "corrupt"):
        d = fresh("broken")
        arc = os.path.join(d, "evil.tar.gz")
        tar_with(arc, [entry("good-archive/include/big.h", data=os.urandom(1 << 20))])
        data = bytearray(open(arc, "rb").read())
        if how == "truncated":
            data = data[: len(data) // 2]
        else:
            data[10:74] = b"\xff" * 64  # the deflate stream itself, not file bytes
        open(arc, "wb").write(bytes(data))
        m = write_manifest(d, f"    archive: evil.tar.gz\n    sha256: {sha(arc)}\n")
        r = apply(d, m)
        expect(r.code == 1 and "evil.tar.gz" in r.err, f"{how}: {r.err}")
        expect(not os.path.exists(os.path.join(d, "root/opt")), f"{how}: left files")


@check("setuid, setgid and group/other write bits are never installed")
def setuid():
    d = fresh("suid")
    arc = os.path.join(d, "a.tar.gz")
    tar_with(arc, [entry("x-archive/bin/tool", data=b"#!/bin/sh\n", mode=0o6755),
                   entry("x-archive/lib/open.so", data=b"lib", mode=0o666),
                   entry("x-archive/bin/any", data=b"#!/bin/sh\n", mode=0o777)])
    m = write_manifest(d, f"    archive: a.tar.gz\n    sha256: {sha(arc)}\n")
    r = apply(d, m)
    expect(r.code == 0, r.err)
    for rel, want in (("bin/tool", 0o755), ("lib/open.so", 0o644), ("bin/any", 0o755)):
        st = os.stat(os.path.join(d, "root/opt/stack", rel))
        expect(st.st_mode & 0o7777 == want, f"{rel}: {oct(st.st_mode)}")


@check("a directory: source is held to the same mode policy as archives")
def directory_modes():
    d = fresh("dirmodes")
    src = os.path.join(d, "root", "srv", "tree")  # machine paths are the root's
    os.makedirs(os.path.join(src, "bin"))
    os.makedirs(os.path.join(src, "share"))
    with open(os.path.join(src, "version.json"), "w") as f:
        f.write('{"cuda": {"name": "CUDA SDK", "version": "12.0.1"}}')
    for rel, mode in (("bin/suid", 0o4755), ("bin/sgid", 0o2775), ("bin/open", 0o777),
                      ("share/open.txt", 0o666), ("share/plain.txt", 0o644)):
        with open(os.path.join(src, rel), "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(os.path.join(src, rel), mode)
    os.chmod(os.path.join(src, "share"), 0o2755)
    m = write_manifest(d, "    directory: /srv/tree\n")
    r = apply(d, m)
    expect(r.code == 0, r.out + r.err)
    p = os.path.join(d, "root/opt/stack")
    for rel, want in (("bin/suid", 0o755), ("bin/sgid", 0o755), ("bin/open", 0o755),
                      ("share/open.txt", 0o644), ("share/plain.txt", 0o644), ("share", 0o755)):
        st = os.lstat(os.path.join(p, rel))
        expect(st.st_mode & 0o7777 == want, f"{rel}: {oct(st.st_mode & 0o7777)}, want {oct(want)}")


@check("a zip keeps its Unix modes and links (made by Info-ZIP's zip -y), under the same rules as tar")
def zip_modes_and_links():
    d = fresh("zip")
    src = os.path.join(d, "src", "x-archive")
    os.makedirs(os.path.join(src, "bin"))
    os.makedirs(os.path.join(src, "lib"))
    for rel, mode in (("bin/ptxas", 0o755), ("lib/libfoo.so.1", 0o644), ("bin/suid", 0o4777)):
        with open(os.path.join(src, rel), "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(os.path.join(src, rel), mode)
    os.symlink("libfoo.so.1", os.path.join(src, "lib/libfoo.so"))
    arc = os.path.join(d, "a.zip")
    subprocess.run(["zip", "-qry", arc, "x-archive"], cwd=os.path.join(d, "src"), check=True)
    m = write_manifest(d, f"    archive: a.zip\n    sha256: {sha(arc)}\n")
    r = apply(d, m)
    expect(r.code == 0, r.out + r.err)
    p = os.path.join(d, "root/opt/stack")
    for rel, want in (("bin/ptxas", 0o755), ("lib/libfoo.so.1", 0o644), ("bin/suid", 0o755)):
        st = os.lstat(os.path.join(p, rel))
        expect(st.st_mode & 0o7777 == want, f"{rel}: {oct(st.st_mode)}")
    expect(os.readlink(os.path.join(p, "lib/libfoo.so")) == "libfoo.so.1", tree(p))

    d = fresh("zip-escape")
    src = os.path.join(d, "src", "x-archive", "lib")
    os.makedirs(src)
    os.symlink("../../../../etc/passwd", os.path.join(src, "libevil.so"))
    arc = os.path.join(d, "evil.zip")
    subprocess.run(["zip", "-qry", arc, "x-archive"], cwd=os.path.join(d, "src"), check=True)
    m = write_manifest(d, f"    archive: evil.zip\n    sha256: {sha(arc)}\n")
    r = apply(d, m)
    expect(r.code == 1 and "leads outside the install folder" in r.err, r.out + r.err)
    expect(not os.path.exists(os.path.join(d, "root/opt")), tree(os.path.join(d, "root")))


def zip_member_offsets(path):
    """name -> (offset of its compressed bytes, compressed size), from the zip's own headers."""
    import struct
    import zipfile
    out = {}
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        for info in z.infolist():
            f.seek(info.header_offset)
            head = f.read(30)
            n, e = struct.unpack("<HH", head[26:30])
            out[info.filename] = (info.header_offset + 30 + n + e, info.compress_size)
    return out


@check("zip members inflated by gpucfg (small ones whole by libdeflate, big ones streamed by "
       "ISA-L): zip64, stored and deflated, big and small members land byte for byte; a damaged "
       "member or a size the data does not match is refused")
def zip_whole_members():
    import zipfile
    d = fresh("zip64")
    big = os.urandom(3 << 20) + b"\0" * (6 << 20)  # over the small-member buffer, compressible
    files = {"lib/libbig.so.1": big, "include/a.h": b"#define A 1\n" * 500,
             "bin/tool": b"#!/bin/sh\necho hi\n", "lib/empty": b"",
             "version.json": b'{"cuda": {"name": "CUDA SDK", "version": "12.0.0"}}'}
    arc = os.path.join(d, "a.zip")
    with zipfile.ZipFile(arc, "w") as z:
        for i, (name, data) in enumerate(sorted(files.items())):
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_STORED if i % 2 else zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as f:
                f.write(data)
    m = write_manifest(d, f"    archive: a.zip\n    sha256: {sha(arc)}\n")
    r = apply(d, m)
    expect(r.code == 0, r.out + r.err)
    for name, data in files.items():
        with open(os.path.join(d, "root/opt/stack", name), "rb") as f:
            expect(f.read() == data, f"{name} differs")
    r = gpucfg("plan", "--checksum", "--detailed-exitcode", "--root", os.path.join(d, "root"), m,
               env=ENV)
    expect(r.code == 0, "the recorded hashes disagree with the files: " + r.out)

    # One byte of the big member's deflate stream flipped: refused, nothing installed.
    d = fresh("zip-damaged")
    with zipfile.ZipFile(os.path.join(d, "a.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("lib/libbig.so.1", big)
    arc = os.path.join(d, "a.zip")
    at, size = zip_member_offsets(arc)["lib/libbig.so.1"]
    with open(arc, "r+b") as f:
        f.seek(at + size // 2)
        b = f.read(1)
        f.seek(at + size // 2)
        f.write(bytes([b[0] ^ 0xFF]))
    m = write_manifest(d, f"    archive: a.zip\n    sha256: {sha(arc)}\n")
    r = apply(d, m)
    expect(r.code == 1 and ("CRC-32" in r.err or "corrupt" in r.err), r.out + r.err)
    expect(not os.path.exists(os.path.join(d, "root/opt")), tree(os.path.join(d, "root")))

    # A central directory that claims more or fewer bytes than the stream holds, for a member
    # inflated whole and for one streamed: refused.
    for name, content in (("lib/liba.so", b"a" * 100000), ("lib/libbig.so.1", big)):
        for claimed in (len(content) * 2, len(content) // 2):
            d = fresh(f"zip-lying-{len(content)}-{claimed}")
            arc = os.path.join(d, "a.zip")
            with zipfile.ZipFile(arc, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr(name, content)
            with open(arc, "rb") as f:
                data = bytearray(f.read())
            cd = data.rfind(b"PK\x01\x02")
            data[cd + 24:cd + 28] = claimed.to_bytes(4, "little")  # uncompressed size
            with open(arc, "wb") as f:
                f.write(data)
            m = write_manifest(d, f"    archive: a.zip\n    sha256: {sha(arc)}\n")
            r = apply(d, m)
            expect(r.code == 1, f"{name} claimed {claimed}: " + r.out + r.err)
            expect(not os.path.exists(os.path.join(d, "root/opt")), tree(os.path.join(d, "root")))


@check("a tree unpacked from an archive keeps its files' hashes: plan --checksum sees an edit that kept size and mtime")
def archive_hashes():
    d = fresh("hashes")
    arc = os.path.join(d, "a.tar.gz")
    tar_with(arc, [entry("lib/libx.so.1", data=b"original bytes"),
                   entry("bin/tool", data=b"#!/bin/sh\n", mode=0o755),
                   entry("version.json", data=b'{"cuda": {"name": "CUDA SDK", "version": "12.0.0"}}')])
    m = write_manifest(d, f"    archive: a.tar.gz\n    sha256: {sha(arc)}\n")
    expect(apply(d, m).code == 0, "apply")
    root = os.path.join(d, "root")
    lib = os.path.join(root, "opt/stack/lib/libx.so.1")
    st = os.stat(lib)
    with open(lib, "r+b") as f:
        f.write(b"O")  # same size
    os.utime(lib, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime
    r = gpucfg("plan", "--detailed-exitcode", "--root", root, m, env=ENV)
    expect(r.code == 0, "without --checksum size and mtime are trusted: " + r.out)
    r = gpucfg("plan", "--detailed-exitcode", "--checksum", "--root", root, m, env=ENV)
    expect(r.code == 2 and "lib/libx.so.1" in r.out, r.out + r.err)


try:
    finish()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
