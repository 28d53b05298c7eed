"""The SLURM profiles parse and give each rule the intended resources (dry runs; the real cluster
runs are in test_slurm.py): no GPU anywhere in the CPU profile, one GPU on the GPU partition for
the rules that train or sample in the GPU profile, CPUs from the config's threads (tiny jobs running locally is checked on the cluster)."""

import pytest
import yaml

from .conftest import ROOT, copy_project, planned_resources, snakemake

pytest.importorskip("snakemake_executor_plugin_slurm")
GPU_RULES = {"train_neural", "neural_sweep", "sample", "rf_sample", "rf_moments", "mnist_vae", "mnist_score",
             "mnist_sample"}
GEOMETRY_RULES = {"ridge_set", "run_metrics", "mnist_ridge", "rf_metrics", "rf_flow", "rf_gd"}


def dry_run(tmp_path_factory, profile):
    project = copy_project(tmp_path_factory.mktemp(profile))
    out = snakemake(project, "--dry-run", "--workflow-profile", f"profiles/{profile}")
    return out.stdout + out.stderr


@pytest.fixture(scope="module")
def cpu_plan(tmp_path_factory):
    return dry_run(tmp_path_factory, "slurm")


@pytest.fixture(scope="module")
def gpu_plan(tmp_path_factory):
    return dry_run(tmp_path_factory, "slurm-gpu")


def test_the_cpu_profile_asks_for_no_gpu_and_memory_for_the_heavy_stages(cpu_plan):
    plan = planned_resources(cpu_plan)
    for rule in GPU_RULES | GEOMETRY_RULES:
        res = plan[rule]
        assert res.get("gpu", "0") == "0" and res["slurm_partition"] == "cpu", (rule, res)
        assert res["mem_mb"] == "4000" and int(res["runtime"]) >= 60, (rule, res)
        assert "cpus_per_task" not in res  # the job's threads (config) are its CPUs
    assert plan["run_metrics"]["runtime"] == "120" and plan["train_neural"]["runtime"] == "120"


def test_the_gpu_profile_sends_training_and_sampling_to_the_gpu_partition_only(gpu_plan):
    plan = planned_resources(gpu_plan)
    for rule in GPU_RULES:
        assert plan[rule]["gpu"] == "1" and plan[rule]["slurm_partition"] == "gpu", (rule, plan[rule])
    for rule in GEOMETRY_RULES:
        assert plan[rule].get("gpu", "0") == "0" and plan[rule]["slurm_partition"] == "cpu", (rule, plan[rule])


def test_the_two_profiles_differ_only_in_the_gpu_requests():
    cpu = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    gpu = yaml.safe_load((ROOT / "profiles/slurm-gpu/config.yaml").read_text())
    assert {k: v for k, v in cpu.items() if k != "set-resources"} == \
        {k: v for k, v in gpu.items() if k != "set-resources"}
    assert set(cpu["set-resources"]) == set(gpu["set-resources"])
    for rule, res in gpu["set-resources"].items():
        extra = {"gpu": 1, "slurm_partition": "gpu"} if rule in GPU_RULES else {}
        assert res == {**cpu["set-resources"][rule], **extra}, rule
