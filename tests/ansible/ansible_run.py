"""Runs the gpucfg collection under the real ansible-playbook against localhost (connection
local): the collection at ansible/ is put on a collections path as gpucfg.gpucfg, each task's
registered result comes back as JSON. Shared by tests/cli/test_ansible.py and
bench/ansible_check.py."""
import json
import os
import shutil
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Ansible:
    def __init__(self, env=None):
        self.tmp = tempfile.mkdtemp(prefix="gpucfg-ansible-")
        coll = os.path.join(self.tmp, "collections", "ansible_collections", "gpucfg")
        os.makedirs(coll)
        os.symlink(os.path.join(ROOT, "ansible"), os.path.join(coll, "gpucfg"))
        self.env = dict(env if env is not None else os.environ)
        self.env.update({
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(self.tmp, "collections"),
            "ANSIBLE_HOME": os.path.join(self.tmp, "home"),
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.tmp, "tmp"),
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "HOME": self.tmp,
        })
        self.runs = 0

    def playbook(self, plays, *args, timeout=300):
        """Runs `plays` (a list, written as JSON, which YAML reads); returns the process and the
        seconds ansible-playbook took."""
        self.runs += 1
        path = os.path.join(self.tmp, f"play-{self.runs}.yml")
        with open(path, "w") as f:
            json.dump(plays, f, indent=1)
        cmd = ["ansible-playbook", "-i", "localhost,", "-c", "local",
               "-e", "ansible_python_interpreter=" + shutil.which("python3"), *args, path]
        t0 = time.monotonic()
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)
        return p, time.monotonic() - t0

    def task(self, module, params, *args):
        """One task on localhost; returns its registered result (a dict) and the process."""
        out = os.path.join(self.tmp, f"result-{self.runs + 1}.json")
        plays = [{"hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "under test", module: params, "register": "r", "ignore_errors": True},
            {"name": "save the result", "ansible.builtin.copy": {
                "content": "{{ r | to_json }}", "dest": out}, "check_mode": False},
        ]}]
        p, _ = self.playbook(plays, *args)
        if not os.path.exists(out):
            return {"failed": True, "msg": p.stdout + p.stderr}, p
        with open(out) as f:
            return json.load(f), p

    def doc(self, name):
        return subprocess.run(["ansible-doc", "-t", "module", name], env=self.env,
                              capture_output=True, text=True, timeout=120)
