"""A real single-node SLURM cluster on this machine, all its state under one folder.

munged (a private key and socket), mariadbd (a private data folder and port), slurmdbd (so that
``sacct`` answers), slurmctld and slurmd are started as root without systemd and stopped by their
PIDs. The node advertises this machine's CPUs and memory, two partitions (``cpu``, the default, and
``gpu``) and, with ``fake_gpus``, that many GPUs backed by plain files (enough for SLURM to accept
and schedule GPU requests; nothing runs on them).

Usage (tests/workflow/test_slurm.py uses the class)::

    python tests/slurm/minicluster.py up STATE_DIR [--fake-gpus 2]   # prints `export SLURM_CONF=...`
    python tests/slurm/minicluster.py down STATE_DIR

Debian packages: munge slurmctld slurmd slurm-client slurmdbd mariadb-server (``install_packages``).
"""

import argparse
import logging
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

log = logging.getLogger("minicluster")
PACKAGES = ["munge", "slurmctld", "slurmd", "slurm-client", "slurmdbd", "mariadb-server"]
DAEMONS = ["slurmd", "slurmctld", "slurmdbd", "mariadbd", "munged"]  # stop order
CLUSTER, ACCOUNT = "ridgeline", "ridgeline"


class ClusterError(RuntimeError):
    """The cluster could not be brought up; the message names the step and its log."""


def missing_programs() -> list[str]:
    return [p for p in ("munged", "mariadbd", "mariadb-install-db", "slurmdbd", "slurmctld", "slurmd", "sbatch",
                        "sacct", "sacctmgr") if shutil.which(p) is None and not Path(f"/usr/sbin/{p}").exists()]


def install_packages() -> None:
    """apt-get the Debian packages (about 35 s); raise ClusterError when that is not possible."""
    if not missing_programs():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ClusterError(f"missing {missing_programs()} and cannot install them (needs root and apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "install", "-y", "-q", *PACKAGES], ["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", *PACKAGES]):
        out = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if out.returncode == 0 and cmd[1] == "install":
            return
    raise ClusterError(f"apt-get install {' '.join(PACKAGES)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sbin(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def node_memory_mb() -> int:
    """90 % of this machine's memory, in MB (what the node advertises as RealMemory)."""
    kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal")).split()[1])
    return int(kb / 1024 * 0.9)


class MiniCluster:
    """One-node SLURM cluster with accounting; ``start()`` then ``stop()`` (or use ``with``)."""

    def __init__(self, state: Path, *, fake_gpus: int = 0, cpus: int | None = None):
        self.state = Path(state).resolve()
        self.fake_gpus = int(fake_gpus)
        self.cpus = int(cpus or os.cpu_count())
        self.ports = {}

    @property
    def conf(self) -> Path:
        return self.state / "slurm.conf"

    @property
    def bin(self) -> Path:
        return self.state / "bin"

    @property
    def env(self) -> dict:
        """The environment for sbatch, squeue, sacct and Snakemake's SLURM executor.

        The client commands are also reached through wrappers in ``bin/`` that set SLURM_CONF:
        the SLURM job-step plugin removes every SLURM_* variable but the job's identity before it
        calls srun inside a job, SLURM_CONF included, so a cluster whose configuration is not at
        the default /etc/slurm/slurm.conf needs srun to find it another way.
        """
        return dict(os.environ, SLURM_CONF=str(self.conf), PATH=f"{self.bin}{os.pathsep}{os.environ['PATH']}")

    def _client_wrappers(self) -> None:
        self.bin.mkdir(exist_ok=True)
        for name in ("srun", "sbatch", "squeue", "sacct", "scancel", "sinfo", "scontrol", "sacctmgr"):
            real = shutil.which(name, path=os.environ["PATH"]) or f"/usr/bin/{name}"
            wrapper = self.bin / name
            wrapper.write_text(f'#!/bin/sh\nSLURM_CONF="{self.conf}" exec {real} "$@"\n')
            wrapper.chmod(0o755)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout: float = 60) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        for sub in ("log", "run", "ctld", "spool", "mysql"):
            (self.state / sub).mkdir(exist_ok=True)
        self.ports = {name: free_port() for name in ("mysql", "dbd", "ctld", "slurmd")}
        self._munge()
        self._mariadb(timeout)
        self._write_configs()
        self._client_wrappers()
        self._run_daemon("slurmdbd", [_sbin("slurmdbd")])  # reads slurmdbd.conf beside $SLURM_CONF
        self._wait(lambda: self._sacctmgr("show", "cluster").returncode == 0, timeout, "slurmdbd")
        for args in (("add", "cluster", CLUSTER), ("add", "account", ACCOUNT, f"cluster={CLUSTER}"),
                     ("add", "user", "root", f"account={ACCOUNT}", f"cluster={CLUSTER}")):
            self._sacctmgr(*args)
        self._run_daemon("slurmctld", [_sbin("slurmctld"), "-f", str(self.conf)])
        self._run_daemon("slurmd", [_sbin("slurmd"), "-f", str(self.conf)])
        self._wait(self._node_idle, timeout, "slurmd (node idle)")
        log.info("SLURM cluster up in %s (SLURM_CONF=%s)", self.state, self.conf)

    def stop(self) -> None:
        """Stop every daemon by its PID file (TERM, then KILL after 10 s)."""
        for name in DAEMONS:
            pid_file = self.state / "run" / f"{name}.pid"
            try:
                pid = int(pid_file.read_text().split()[0])
                os.kill(pid, signal.SIGTERM)
            except (OSError, ValueError, IndexError):
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                time.sleep(0.1)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    # -- daemons --------------------------------------------------------------------------------
    def _munge(self) -> None:
        key = self.state / "munge.key"
        if not key.exists():
            key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self._run([_sbin("munged"), "--force", f"--key-file={key}", f"--socket={self.munge_socket}",
                   f"--pid-file={self.state / 'run' / 'munged.pid'}", f"--log-file={self.state / 'log' / 'munged.log'}",
                   f"--seed-file={self.state / 'munge.seed'}"], "munged")

    @property
    def munge_socket(self) -> Path:
        return self.state / "run" / "munge.socket"

    def _mariadb(self, timeout: float) -> None:
        data = self.state / "mysql"
        if not (data / "mysql").exists():
            self._run([shutil.which("mariadb-install-db") or _sbin("mariadb-install-db"), f"--datadir={data}",
                       "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"],
                      "mariadb-install-db")
        self._run_daemon("mariadbd", [_sbin("mariadbd"), "--no-defaults", f"--datadir={data}", "--user=root",
                                      f"--socket={self.state / 'run' / 'mysql.sock'}", f"--port={self.ports['mysql']}",
                                      "--bind-address=127.0.0.1", f"--pid-file={self.state / 'run' / 'mariadbd.pid'}",
                                      f"--log-error={self.state / 'log' / 'mariadbd.log'}", "--innodb-buffer-pool-size=64M"])
        self._wait(lambda: (self.state / "run" / "mysql.sock").exists(), timeout, "mariadbd")

    def _write_configs(self) -> None:
        s, p = self.state, self.ports
        auth = f"AuthType=auth/munge\nAuthInfo=socket={self.munge_socket}\n"
        dbd = s / "slurmdbd.conf"
        dbd.write_text(
            f"{auth}DbdHost=localhost\nDbdAddr=127.0.0.1\nDbdPort={p['dbd']}\nSlurmUser=root\n"
            f"StorageType=accounting_storage/mysql\nStorageHost=127.0.0.1\nStoragePort={p['mysql']}\n"
            f"StorageUser=root\nStorageLoc=slurm_acct_db\nPidFile={s / 'run' / 'slurmdbd.pid'}\n"
            f"LogFile={s / 'log' / 'slurmdbd.log'}\n")
        dbd.chmod(0o600)
        gres = ""
        if self.fake_gpus:
            files = [s / f"fake_gpu{i}" for i in range(self.fake_gpus)]
            for f in files:  # slurmd wants character devices: copies of /dev/null
                if not f.exists():
                    os.mknod(f, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            (s / "gres.conf").write_text("".join(f"NodeName=localhost Name=gpu File={f}\n" for f in files))
            gres = f" Gres=gpu:{self.fake_gpus}"
        self.conf.write_text(
            f"ClusterName={CLUSTER}\nSlurmctldHost=localhost(127.0.0.1)\n{auth}"
            f"AccountingStoragePass={self.munge_socket}\n"
            f"SlurmctldPort={p['ctld']}\nSlurmdPort={p['slurmd']}\nSlurmUser=root\nSlurmdUser=root\n"
            f"StateSaveLocation={s / 'ctld'}\nSlurmdSpoolDir={s / 'spool'}\n"
            f"SlurmctldPidFile={s / 'run' / 'slurmctld.pid'}\nSlurmdPidFile={s / 'run' / 'slurmd.pid'}\n"
            f"SlurmctldLogFile={s / 'log' / 'slurmctld.log'}\nSlurmdLogFile={s / 'log' / 'slurmd.log'}\n"
            "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nMpiDefault=none\n"
            "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core_Memory\nSchedulerType=sched/backfill\n"
            "JobAcctGatherType=jobacct_gather/none\nReturnToService=2\nMinJobAge=300\nKillWait=5\nDefMemPerCPU=1000\n"
            "GresTypes=gpu\nAccountingStorageType=accounting_storage/slurmdbd\nAccountingStoreFlags=job_comment\n"
            f"AccountingStorageHost=localhost\nAccountingStoragePort={p['dbd']}\nAccountingStorageTRES=gres/gpu\n"
            f"NodeName=localhost NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={node_memory_mb()}{gres} "
            "State=UNKNOWN\n"
            "PartitionName=cpu Nodes=localhost Default=YES MaxTime=INFINITE State=UP\n"
            "PartitionName=gpu Nodes=localhost MaxTime=INFINITE State=UP\n")

    def _sacctmgr(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(["sacctmgr", "-i", *args], env=self.env, capture_output=True, text=True, timeout=30)

    def _node_idle(self) -> bool:
        out = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], env=self.env, capture_output=True, text=True)
        states = set(out.stdout.split())  # one line per partition
        return out.returncode == 0 and bool(states) and states <= {"idle", "mixed", "allocated"}

    def _run(self, cmd: list, what: str) -> None:
        out = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise ClusterError(f"{what} failed ({' '.join(cmd)}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")

    def _run_daemon(self, name: str, cmd: list) -> None:
        log_file = open(self.state / "log" / f"{name}.console.log", "w")
        subprocess.Popen(cmd, env=self.env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)

    def _wait(self, ready, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if ready():
                return
            time.sleep(0.25)
        logs = "\n".join(f"--- {f.name}\n{f.read_text()[-1500:]}" for f in sorted((self.state / "log").glob("*")))
        raise ClusterError(f"{what} did not come up within {timeout:.0f} s; logs under {self.state / 'log'}:\n{logs}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("state", type=Path)
    parser.add_argument("--fake-gpus", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cluster = MiniCluster(args.state, fake_gpus=args.fake_gpus)
    if args.action == "up":
        install_packages()
        cluster.start()
        print(f"export SLURM_CONF={cluster.conf}")  # noqa: T201 (a shell line to eval)
    else:
        cluster.stop()


if __name__ == "__main__":
    main()
