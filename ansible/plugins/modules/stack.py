#!/usr/bin/python
# -*- coding: utf-8 -*-
# gpucfg.gpucfg.stack: the machine matches a manifest (state=present) or no longer carries what
# the manifest made gpucfg manage (state=absent). gpucfg plans and applies; this module maps its
# plan onto Ansible's check, diff and changed semantics.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: stack
short_description: Make a GPU machine match a gpucfg manifest, or remove what it installed
version_added: "0.1.0"
description:
  - Runs C(gpucfg) on the target. With I(state=present) the machine is made to match the
    manifest (CUDA toolkit, cuDNN, files and library aliases, environment variables, loader
    paths, framework environments) as one transaction that gpucfg records as a generation.
  - In check mode only C(gpucfg plan) runs; the task reports C(changed) exactly when the plan has
    changes, and nothing on the target is written.
  - A normal run plans, then applies that very plan (C(gpucfg apply PLAN), which refuses if the
    machine changed in between), and reports C(changed) only when a new generation was made.
  - In diff mode the plan, with the reason for each change, is the task's diff.
  - I(state=absent) runs C(gpucfg destroy), which removes what the manifest made gpucfg manage and
    restores what was there before; it touches nothing gpucfg does not own.
options:
  manifest:
    description:
      - Path of the manifest on the target.
    type: path
    required: true
  state:
    description:
      - C(present) applies the manifest; C(absent) destroys what it made gpucfg manage.
    type: str
    choices: [present, absent]
    default: present
  verify:
    description:
      - After a run that changed something, run C(gpucfg verify) at this level. C(manifest) uses the
        manifest's own C(verify.level) (C(static) when it names none); C(none) skips it. A failed check fails the task (the change
        stays; C(gpucfg rollback) undoes it); checks that could not run here are a warning.
    type: str
    choices: [manifest, none, static, load, compute, framework]
    default: manifest
  lock_timeout:
    description:
      - Seconds to wait for another gpucfg holding the target's state lock.
    type: int
    default: 60
extends_documentation_fragment:
  - gpucfg.gpucfg.common
  - gpucfg.gpucfg.common.SOURCES
attributes:
  check_mode:
    description: Runs C(gpucfg plan) (or C(destroy --dry-run)); writes nothing on the target.
    support: full
  diff_mode:
    description: The plan text, each change with its reason, as a prepared diff.
    support: full
notes:
  - Facts for a fleet plan come from M(gpucfg.gpucfg.facts).
seealso:
  - module: gpucfg.gpucfg.facts
author:
  - gpucfg maintainers (@gpucfg)
'''

EXAMPLES = r'''
- name: The team's TensorFlow 2.16 stack
  gpucfg.gpucfg.stack:
    manifest: /srv/gpu-stacks/stacks/train.yaml
    mirrors: [https://mirror.example/gpucfg]

- name: Prepare an image folder without touching the running machine
  gpucfg.gpucfg.stack:
    manifest: /srv/gpu-stacks/stacks/train.yaml
    root: /var/lib/images/node
    verify: static

- name: Remove the stack, restoring what was there before
  gpucfg.gpucfg.stack:
    manifest: /srv/gpu-stacks/stacks/train.yaml
    state: absent
'''

RETURN = r'''
plan:
  description: The plan gpucfg made (text, each change with its reason and each check).
  returned: always
  type: str
generation:
  description: The generation this run recorded; absent when nothing changed or in check mode.
  returned: changed and not check mode
  type: int
  sample: 3
verify:
  description: The report of C(gpucfg verify --json) (schemas/verify.schema.json).
  returned: when verify ran
  type: dict
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gpucfg.gpucfg.plugins.module_utils.gpucfg import (
    CHANGES, COMMON_ARGS, OK, SOURCE_ARGS, VERIFY_FAILED, VERIFY_PARTIAL, Gpucfg,
    applied_generation)


def preview(g, p):
    """(has_changes, plan text): `gpucfg plan` or `destroy --dry-run`, writing nothing. For a
    normal present run the plan is also saved, so exactly it is applied."""
    m, saved = p['manifest'], None
    if p['state'] == 'absent':
        args = ['destroy', '--dry-run', '--detailed-exitcode'] + g.root_args() + [m]
    else:
        args = ['plan', '--detailed-exitcode'] + g.root_args() + g.source_args()
        if not g.module.check_mode:
            saved = os.path.join(g.module.tmpdir, 'plan.json')
            args += ['--out', saved]
        args.append(m)
    rc, out, err = g.run(*args)
    if rc not in (OK, CHANGES):
        g.fail('gpucfg ' + args[0], rc, out, err, plan=out)
    return rc == CHANGES, out, saved


def change(g, p, saved):
    """Applies the saved plan (or destroys); returns the generation it recorded."""
    wait = ['--lock-timeout', str(p['lock_timeout'])]
    if p['state'] == 'absent':
        args = ['destroy', '--yes'] + wait + g.root_args() + [p['manifest']]
    else:
        args = ['apply', '--yes', '--no-verify'] + wait + g.root_args() + g.source_args() + [saved]
    rc, out, err = g.run(*args)
    if rc != OK:
        g.fail('gpucfg ' + args[0], rc, out, err, changed=False)
    return applied_generation(out)


def verify(g, p, result):
    args = ['verify', '--json'] + g.root_args()
    if p['verify'] != 'manifest':
        args += ['--level', p['verify']]
    rc, out, err = g.run(*(args + [p['manifest']]))
    try:
        result['verify'] = g.module.from_json(out)
    except ValueError:
        g.fail('gpucfg verify', rc, out, err, **result)
    if rc == VERIFY_FAILED:
        failed = [r['check'] + ': ' + r.get('detail', '') for r in result['verify'].get('results', [])
                  if r.get('outcome') == 'fail']
        g.module.fail_json(msg='gpucfg verify: a check failed: ' + '; '.join(failed), **result)
    if rc == VERIFY_PARTIAL:
        g.module.warn('gpucfg verify: passed what could run; some checks could not run here')
    elif rc != OK:
        g.fail('gpucfg verify', rc, out, err, **result)


def main():
    argument_spec = dict(
        manifest=dict(type='path', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        verify=dict(type='str', default='manifest',
                    choices=['manifest', 'none', 'static', 'load', 'compute', 'framework']),
        lock_timeout=dict(type='int', default=60),
    )
    argument_spec.update(COMMON_ARGS)
    argument_spec.update(SOURCE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    g = Gpucfg(module)

    changes, text, saved = preview(g, p)
    result = dict(changed=changes, plan=text)
    if module._diff and changes:
        result['diff'] = dict(prepared=text)
    if not changes or module.check_mode:
        module.exit_json(**result)

    generation = change(g, p, saved)
    # The plan had changes and apply succeeded: a generation was made. No number means gpucfg
    # changed its report; say so rather than claim a change that cannot be shown.
    if generation is None:
        module.fail_json(msg='gpucfg reported success but no new generation', **result)
    result['generation'] = generation
    if p['state'] == 'present' and p['verify'] != 'none':
        verify(g, p, result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
