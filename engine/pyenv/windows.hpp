// A framework environment's skeleton on Windows, written by gpucfg itself: the interpreter's
// own `venv` is not used there, because the interpreters a stack installs on Windows (python.
// org's embeddable distribution) carry none, and one layout for every interpreter is easier to
// trust. The layout is a venv's, as `python -m venv --copies` makes it and as every tool reads
// it: pyvenv.cfg naming the base interpreter's folder (`home`), Scripts\ with copies of
// python.exe, pythonw.exe and the DLLs they load first, Lib\site-packages.
//
// An embeddable base pins its module path in a pythonXY._pth file next to its DLL (and turns
// `site` off). The copied python.exe in Scripts\ reads no such file and would find no standard
// library, so the environment gets its own: the base's lines made absolute, then `import site`,
// which finds pyvenv.cfg and adds the environment's site-packages, as in any venv.
#pragma once

#include "disk/disk.hpp"

#include <string>
#include <vector>

namespace gpucfg::pyenv {

// pyvenv.cfg for a base interpreter in the folder `home` (Windows form), Python X.Y.Z.
std::string pyvenv_cfg(const std::string& home, const std::string& version);

// The environment's pythonXY._pth from the base's: each path line absolute (relative lines are
// relative to `home`), comments and `import site` dropped, then `import site`.
std::string environment_pth(const std::string& base_pth, const std::string& home);

// The files of the base's folder a copied python.exe needs beside it: the two programs and the
// DLLs they load before any path is read (python3X.dll, python3.dll, the C runtime's).
bool copied_into_scripts(const std::string& name);

// Writes the skeleton into `dir` (which must not exist) for the interpreter `python` (the
// base's python.exe) of version X.Y.Z. "" or what failed.
disk::Status make_windows_skeleton(disk::Disk& d, const std::string& dir, const std::string& python,
                                   const std::string& version);

// The console-script launcher copied to Scripts\<name>.exe: it runs python.exe beside it with
// <name>-script.py beside it and its own arguments, and exits with its code (setuptools' and
// distlib's design). Built from pyenv/launcher_win.cpp into Windows builds; empty elsewhere.
const std::string& windows_launcher();

// Native form of a path: backslashes.
std::string windows_path(const std::string& path);

} // namespace gpucfg::pyenv
