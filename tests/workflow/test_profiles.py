"""The SLURM profile parses and gives each rule the intended threads and resources (dry run)."""

import pytest

from .conftest import copy_project, planned_resources, snakemake

pytest.importorskip("snakemake_executor_plugin_slurm")


@pytest.fixture(scope="module")
def slurm_plan(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("slurm"))
    out = snakemake(project, "--dry-run", "--workflow-profile", "profiles/slurm")
    return planned_resources(out.stdout + out.stderr)


def test_training_and_sampling_ask_for_a_gpu_and_four_cores(slurm_plan):
    for rule in ("train_neural", "sample", "rf_sample", "mnist_vae", "mnist_score", "mnist_sample"):
        res = slurm_plan[rule]
        assert res["cpus_per_task"] == "4" and res["gpu"] == "1", (rule, res)
        assert int(res["mem_mb"]) >= 8000 and int(res["runtime"]) >= 60


def test_geometry_rules_get_memory_and_cpus_but_no_gpu(slurm_plan):
    res = slurm_plan["run_metrics"]
    assert res["cpus_per_task"] == "4" and res["mem_mb"] == "16000" and res["runtime"] == "120"
    assert res.get("gpu", "0") == "0"  # 0 on this CPU-only machine (device: auto finds no CUDA)
    res = slurm_plan["mnist_ridge"]
    assert res["mem_mb"] == "16000" and res["cpus_per_task"] == "4"


def test_light_rules_keep_the_defaults_and_the_partition(slurm_plan):
    res = slurm_plan["prepare_dataset"]
    assert res["mem_mb"] == "4000" and res["runtime"] == "30" and res["cpus_per_task"] == "1"
    assert res["slurm_partition"] == "cpu"
