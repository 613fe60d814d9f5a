# -*- coding: utf-8 -*-
# What the gpucfg modules share: their common options, finding the binary, running it with the
# environment those options ask for, and turning its failures into Ansible failures.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

COMMON_ARGS = dict(
    binary=dict(type='path'),
    root=dict(type='path', default='/'),
)

SOURCE_ARGS = dict(
    cache=dict(type='path'),
    offline=dict(type='bool', default=False),
    mirrors=dict(type='list', elements='str'),
    allow_unpinned=dict(type='bool', default=False),
)

# gpucfg's exit codes (README "Exit codes").
OK, ERROR, CHANGES, VERIFY_FAILED, VERIFY_PARTIAL = 0, 1, 2, 3, 4


class Gpucfg(object):
    def __init__(self, module):
        self.module = module
        p = module.params
        self.binary = p.get('binary') or module.get_bin_path('gpucfg', required=True)
        self.root = p.get('root') or '/'
        self.env = {}
        if p.get('cache'):
            self.env['GPUCFG_CACHE_DIR'] = p['cache']
        if p.get('mirrors'):
            self.env['GPUCFG_MIRROR'] = ' '.join(p['mirrors'])

    def root_args(self):
        return [] if self.root == '/' else ['--root', self.root]

    def source_args(self):
        p = self.module.params
        return (['--offline'] if p.get('offline') else []) + \
            (['--allow-unpinned'] if p.get('allow_unpinned') else [])

    def run(self, *args):
        """(rc, stdout, stderr) of `gpucfg ARGS`; never raises."""
        return self.module.run_command([self.binary] + list(args), environ_update=self.env)

    def fail(self, what, rc, out, err, **result):
        """Fails the task with gpucfg's own words (its 'gpucfg: ...' and file:line:col lines)."""
        said = [line for line in err.splitlines() if line.strip()]
        msg = '%s failed (exit %d): %s' % (what, rc, '\n'.join(said) or out.strip())
        self.module.fail_json(msg=msg, rc=rc, stdout=out, stderr=err, **result)


def applied_generation(stdout):
    """The generation `gpucfg apply`/`destroy` reports making, or None."""
    m = re.search(r'^Applied: generation (\d+) ', stdout, re.MULTILINE)
    return int(m.group(1)) if m else None
