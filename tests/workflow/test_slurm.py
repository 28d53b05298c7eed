"""The workflow on a real SLURM cluster: a single-node cluster brought up on this machine
(tests/slurm/minicluster.py: munged, mariadbd, slurmdbd, slurmctld, slurmd, all state under a
temporary folder, stopped by PID), config/test.yaml run through the shipped profiles with the
partition and account set as a user would, and every store compared array for array with a local
run of the same configuration.

Skipped, with the reason, where the daemons cannot run (not root, no apt-get for the Debian
packages); set RIDGELINE_REQUIRE_SLURM=1 (as .ci/run does) to make that a failure instead.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ridgeline.io import verify_store
from ridgeline.store_compare import result_stores, run_differences, store_differences

from .conftest import copy_project, snakemake

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "slurm"))
from minicluster import ACCOUNT, ClusterError, MiniCluster, install_packages  # noqa: E402

pytest.importorskip("snakemake_executor_plugin_slurm")
#: Status checks every 2 s instead of the profile's 5 s: the jobs here take seconds.
FAST_CHECKS = ("--latency-wait", "5", "--seconds-between-status-checks", "2",
               "--slurm-init-seconds-before-status-checks", "2")
#: The neural run of `thirteen`: training, sampling and measuring (the GPU rules and a CPU one).
NEURAL_TARGETS = ("results/train_neural/thirteen/seed0.pt", "results/sample/thirteen/neural/seed0.zarr",
                  "results/run_metrics/thirteen/neural/seed0.zarr")


def _unavailable(reason: str):
    if os.environ.get("RIDGELINE_REQUIRE_SLURM") == "1":
        pytest.fail(f"RIDGELINE_REQUIRE_SLURM=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if os.geteuid() != 0:
        _unavailable("the SLURM daemons are started as root here (not root)")
    try:
        install_packages()
    except ClusterError as err:
        _unavailable(str(err))
    mini = MiniCluster(tmp_path_factory.mktemp("slurm_state"), fake_gpus=2)
    try:
        mini.start()
        yield mini
    finally:
        mini.stop()


def slurm_project(path: Path) -> Path:
    """A project copy whose profiles name this cluster's account, as a user edits them."""
    project = copy_project(path)
    for name in ("slurm", "slurm-gpu"):
        profile = project / "profiles" / name / "config.yaml"
        profile.write_text(profile.read_text().replace('"your_account"', f'"{ACCOUNT}"'))
    return project


def submitted_jobs(cluster, since: str) -> dict:
    """{SLURM job id: (rule, state, partition, AllocTRES)} of the jobs submitted since ``since``
    (the SLURM executor writes ``rule_<rule>...`` into each job's comment)."""
    out = subprocess.run(["sacct", "-X", "-n", "-P", "-S", since, "-o", "JobID,Comment,State,Partition,AllocTRES"],
                         env=cluster.env, capture_output=True, text=True, check=True)
    rows = [line.split("|") for line in out.stdout.splitlines() if line]
    return {job: (comment.removeprefix("rule_").split("_wildcards_")[0], state.split()[0], partition, tres)
            for job, comment, state, partition, tres in rows}


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def test_the_cpu_profile_runs_the_test_configuration_with_the_local_runs_arrays(cluster, finished_run, tmp_path):
    project, since = slurm_project(tmp_path / "project"), now()
    started = time.monotonic()
    snakemake(project, "--workflow-profile", "profiles/slurm", *FAST_CHECKS, env=cluster.env, timeout=1500)
    wall = time.monotonic() - started
    assert run_differences(finished_run / "results", project / "results") == {}
    assert len(result_stores(project / "results")) >= 40
    jobs = submitted_jobs(cluster, since)
    rules = {rule for rule, *_ in jobs.values()}
    assert {"train_neural", "sample", "run_metrics", "rf_moments", "mnist_vae", "mnist_ridge"} <= rules
    assert not rules & {"prepare_dataset", "aggregate", "checks", "controls", "figure_phases"}  # localrules
    for rule, state, partition, tres in jobs.values():
        assert state == "COMPLETED" and partition == "cpu" and "gres/gpu" not in tres, (rule, state, partition, tres)
        assert "cpu=1," in tres  # config/test.yaml: threads 1
    heavy = [tres for rule, _, _, tres in jobs.values() if rule == "run_metrics"]
    assert heavy and all("mem=4000M" in tres for tres in heavy)
    print(f"\nSLURM run of config/test.yaml: {wall:.0f} s, {len(jobs)} SLURM jobs")  # noqa: T201


def test_the_gpu_profile_requests_are_accepted_and_scheduled_on_fake_gpus(cluster, finished_run, tmp_path):
    project, since = slurm_project(tmp_path / "project"), now()
    snakemake(project, "--workflow-profile", "profiles/slurm-gpu", *FAST_CHECKS, *NEURAL_TARGETS, env=cluster.env,
              timeout=900)
    jobs = submitted_jobs(cluster, since)
    by_rule = {rule: (state, partition, tres) for rule, state, partition, tres in jobs.values()}
    for rule in ("train_neural", "sample"):
        state, partition, tres = by_rule[rule]
        assert state == "COMPLETED" and partition == "gpu" and "gres/gpu=1" in tres, (rule, by_rule[rule])
    state, partition, tres = by_rule["run_metrics"]
    assert partition == "cpu" and "gres/gpu" not in tres  # geometry stays on CPU nodes
    # no CUDA on the fake GPUs' node: `device: auto` chose the CPU inside the job, and the arrays match
    log = (project / "logs/train_neural/thirteen/seed0.log").read_text()
    assert "cuda" not in log.lower() or "cpu" in log.lower()
    for target in NEURAL_TARGETS[1:]:  # the network's samples and their metrics: the same network
        assert store_differences(finished_run / target, project / target) == [], target


def _running_job(cluster, rule: str, timeout: float = 300):
    """The SLURM id of the first job of ``rule`` seen running (the plugin puts the rule in the comment)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        out = subprocess.run(["squeue", "-h", "-o", "%i|%T|%k"], env=cluster.env, capture_output=True, text=True)
        for line in out.stdout.splitlines():
            job, state, comment = line.split("|", 2)
            if state == "RUNNING" and comment.startswith(f"rule_{rule}"):
                return job
        time.sleep(0.2)
    raise AssertionError(f"no {rule} job ran within {timeout} s")


def test_a_cancelled_job_leaves_nothing_that_looks_complete_and_the_rerun_matches(cluster, finished_run, tmp_path):
    project = slurm_project(tmp_path / "project")
    args = ("--workflow-profile", "profiles/slurm", *FAST_CHECKS, *NEURAL_TARGETS)
    run = snakemake(project, *args, env=cluster.env, popen=True)
    job = _running_job(cluster, "sample")
    subprocess.run(["scancel", job], env=cluster.env, check=True)
    assert run.wait(timeout=600) != 0
    console = (project / "snakemake_console.log").read_text()
    assert "CANCELLED" in console or "cancelled" in console.lower(), console[-3000:]
    assert not (project / NEURAL_TARGETS[1]).exists()  # the cancelled job's store was never completed
    for store in result_stores(project / "results"):
        assert verify_store(project / "results" / store), store  # whatever exists is whole
    snakemake(project, *args, env=cluster.env, timeout=900)
    for target in NEURAL_TARGETS[1:]:
        assert store_differences(finished_run / target, project / target) == [], target
