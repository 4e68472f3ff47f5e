"""A real single-node Slurm on localhost for the cluster test: munge, slurmctld, slurmd.

The node declares two GPUs (gres on /dev/null and /dev/zero: no real device) so that
GPU requests, one GPU per task of a distributed search included, can be scheduled and
checked; besides the default partition ``main`` there is a ``gpu`` one, for the
partition setting. The helper leaves the machine as it found it: the files it wrote
under /etc/slurm are restored (or removed when it created them), and it stops the
daemons it started, munged included. The configuration must live at /etc/slurm/slurm.conf: the
plugin runs each job through srun inside the batch script, and srun there does
not see a SLURM_CONF set outside.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

SLURM_CONF = Path("/etc/slurm/slurm.conf")
GRES_CONF = Path("/etc/slurm/gres.conf")
MUNGED_PID = Path("/run/munge/munged.pid")


def available() -> str | None:
    """None when a Slurm can be started here, else the reason it cannot."""
    if os.geteuid() != 0:
        return "starting slurmctld and slurmd needs root"
    for tool in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is not installed (Debian: slurm-wlm, munge)"
    return None


def _run(*cmd, check=True):
    return subprocess.run(list(cmd), capture_output=True, text=True, check=check)


class LocalSlurm:
    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.host = socket.gethostname().split(".")[0]
        self.pids: list[Path] = []
        self.saved: dict[Path, bytes | None] = {}  # None: the file did not exist

    def _write_conf(self) -> None:
        cpus = os.cpu_count() or 1
        memory = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)
        for sub in ("state", "spool", "log"):
            (self.scratch / sub).mkdir(parents=True, exist_ok=True)
        conf = f"""
ClusterName=hw4test
SlurmctldHost={self.host}
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={self.scratch}/state
SlurmdSpoolDir={self.scratch}/spool
SlurmctldPidFile={self.scratch}/slurmctld.pid
SlurmdPidFile={self.scratch}/slurmd.pid
SlurmctldLogFile={self.scratch}/log/slurmctld.log
SlurmdLogFile={self.scratch}/log/slurmd.log
SlurmctldDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=1800
ReturnToService=2
MpiDefault=none
GresTypes=gpu
NodeName={self.host} CPUs={cpus} RealMemory={memory} Gres=gpu:2 State=UNKNOWN
PartitionName=main Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes={self.host} MaxTime=INFINITE State=UP
""".lstrip()
        gres = "Name=gpu File=/dev/null\nName=gpu File=/dev/zero\n"
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        for path, text in ((SLURM_CONF, conf), (GRES_CONF, gres)):
            self.saved[path] = path.read_bytes() if path.exists() else None
            path.write_text(text)

    def _start_munge(self) -> None:
        key = Path("/etc/munge/munge.key")
        if not key.exists():
            key.parent.mkdir(parents=True, exist_ok=True)
            key.write_bytes(os.urandom(1024))
            key.chmod(0o400)
        if _run("sh", "-c", "munge -n | unmunge", check=False).returncode != 0:
            Path("/run/munge").mkdir(parents=True, exist_ok=True)
            _run("munged", "--force")
            self.pids.insert(0, MUNGED_PID)  # stopped last
        for _ in range(50):
            if _run("sh", "-c", "munge -n | unmunge", check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("munged did not start")

    def start(self) -> None:
        self._write_conf()
        self._start_munge()
        _run("slurmctld")
        self.pids.append(self.scratch / "slurmctld.pid")
        time.sleep(1)
        _run("slurmd")
        self.pids.append(self.scratch / "slurmd.pid")
        deadline = time.time() + 60
        while time.time() < deadline:
            state = _run("sinfo", "-h", "-o", "%T", check=False).stdout.strip()
            if state.startswith("idle"):
                return
            time.sleep(1)
        raise RuntimeError(f"the Slurm node never became idle (sinfo: {state!r})")

    def stop(self) -> None:
        for pid_file in reversed(self.pids):
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        time.sleep(1)
        for path, data in self.saved.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(data)

    def jobs(self) -> list[dict]:
        """Every job Slurm still remembers (MinJobAge), with its comment and GPU request."""
        ids = _run("squeue", "--states=all", "-h", "-o", "%i").stdout.split()
        rows = []
        for job_id in ids:
            text = _run("scontrol", "show", "job", job_id).stdout
            fields = dict(part.split("=", 1) for part in text.split() if "=" in part)
            rows.append(
                {
                    "id": job_id,
                    "comment": fields.get("Comment", ""),
                    "state": fields.get("JobState", ""),
                    "tres_per_job": fields.get("TresPerJob", ""),
                    "tres_per_node": fields.get("TresPerNode", ""),
                    "tres_per_task": fields.get("TresPerTask", ""),
                    "partition": fields.get("Partition", ""),
                    "tasks": fields.get("NumTasks", ""),
                }
            )
        return rows
