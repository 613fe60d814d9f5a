#!/usr/bin/python
# -*- coding: utf-8 -*-
# gpucfg.gpucfg.facts: `gpucfg facts --json` as the host fact `gpucfg`, ready to be saved into a
# fleet folder for `gpucfg plan --fleet` and `gpucfg review`.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: facts
short_description: Gather a GPU machine's stack as gpucfg sees it
version_added: "0.1.0"
description:
  - Runs C(gpucfg facts --json) on the target and returns it as the host fact C(gpucfg),
    that is driver and GPUs, every CUDA toolkit and cuDNN copy with versions read from the files, the
    loader's view, Pythons, compilers, and the generation gpucfg last recorded (with any managed
    path that drifted). The document follows gpucfg's C(schemas/facts.schema.json).
  - Saved per host (see the C(converge) role), these files are the fleet folder that
    C(gpucfg plan --fleet) and C(gpucfg review) plan against.
  - Read-only; runs the same in check mode.
options:
  frameworks:
    description:
      - Also ask each Python for its TensorFlow/PyTorch build (slow, as it imports them).
    type: bool
    default: false
  libraries:
    description:
      - Library names whose resolution the loader section should explain, e.g. C(libcudnn.so.9).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - gpucfg.gpucfg.common
attributes:
  check_mode:
    description: Read-only; runs in check mode too.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
  facts:
    description: Returns C(ansible_facts.gpucfg).
    support: full
seealso:
  - module: gpucfg.gpucfg.stack
author:
  - gpucfg maintainers (@gpucfg)
'''

EXAMPLES = r'''
- name: Read the GPU stack
  gpucfg.gpucfg.facts:

- name: Save it where the team's review plans against it
  ansible.builtin.copy:
    content: "{{ ansible_facts.gpucfg | to_nice_json }}"
    dest: "fleet/{{ inventory_hostname }}.json"
  delegate_to: localhost
'''

RETURN = r'''
ansible_facts:
  description: Facts to add to the host's facts.
  returned: always
  type: complex
  contains:
    gpucfg:
      description: The output of C(gpucfg facts --json).
      returned: always
      type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gpucfg.gpucfg.plugins.module_utils.gpucfg import (
    COMMON_ARGS, OK, Gpucfg)


def main():
    argument_spec = dict(
        frameworks=dict(type='bool', default=False),
        libraries=dict(type='list', elements='str', default=[]),
    )
    argument_spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    g = Gpucfg(module)
    args = ['facts', '--json'] + g.root_args()
    if module.params['frameworks']:
        args.append('--frameworks')
    for lib in module.params['libraries']:
        args += ['--library', lib]
    rc, out, err = g.run(*args)
    if rc != OK:
        g.fail('gpucfg facts', rc, out, err)
    try:
        facts = module.from_json(out)
    except ValueError as e:
        g.fail('gpucfg facts (its JSON: %s)' % e, rc, out, err)
    module.exit_json(changed=False, ansible_facts=dict(gpucfg=facts))


if __name__ == '__main__':
    main()
