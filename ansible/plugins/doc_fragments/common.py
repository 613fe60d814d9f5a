# -*- coding: utf-8 -*-
# The options every gpucfg module shares, documented once.


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
options:
  binary:
    description:
      - The gpucfg executable on the target. Default is C(gpucfg) found on the target's C(PATH)
        (the Debian package installs C(/usr/bin/gpucfg)).
    type: path
  root:
    description:
      - The machine under this folder instead of C(/) (C(--root)), e.g. an image being prepared.
    type: path
    default: /
'''

    # Options of the modules that resolve sources (plan, apply).
    SOURCES = r'''
options:
  cache:
    description:
      - The download cache on the target (C(GPUCFG_CACHE_DIR)). Default is gpucfg's own
        (C(/var/cache/gpucfg) as root).
    type: path
  offline:
    description:
      - Download nothing; every archive and wheel must be in the cache or on a local mirror
        (C(--offline)).
    type: bool
    default: false
  mirrors:
    description:
      - Mirrors (folders on the target or URLs) tried for every archive, index and wheel before its
        own URL (C(GPUCFG_MIRROR)).
    type: list
    elements: str
  allow_unpinned:
    description:
      - Accept archives and wheels without a sha256 pin (C(--allow-unpinned)).
    type: bool
    default: false
'''
