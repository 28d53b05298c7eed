"""The whole DAG on config/test.yaml: outputs, re-run semantics, reproducibility, bad input."""

import json
import os
import shutil
import signal
import time

import numpy as np
import pytest
import xarray as xr
import yaml

from ridgeline.checkpoints import load_checkpoint
from ridgeline.io import read_store

from .conftest import copy_project, edited_config, planned_jobs, planned_resources, snakemake

pytestmark = pytest.mark.workflow


def test_outputs_exist_with_named_dims_and_provenance(finished_run):
    ds = read_store(finished_run / "results" / "metrics.zarr")
    assert set(ds["scms_distance"].dims) == {"dataset", "model", "seed", "time", "sample"}
    assert list(ds["model"].values) == ["exact", "neural", "neural_gen", "rf"]
    assert ds.attrs["rule"] == "aggregate" and ds.attrs["git_commit"]
    assert "projection" not in ds  # (time, sample, coord) projections stay in the per-run stores
    rf = read_store(finished_run / "results" / "rf_metrics.zarr")
    assert set(rf["class_count"].dims) == {"dataset", "p", "weighting", "seed", "tau", "class"}
    assert set(rf["excess_normal"].dims) == {"dataset", "p", "weighting", "seed", "tau"}
    # every final sample is classified exactly once
    counts = rf["class_count"].sel(dataset="triangle_mid", p=60, weighting="h2", seed=0).sum("class")
    assert (counts == 200).all()
    # the high-dimensional run has reach, align and slide on its own coordinates
    hd = ds.sel(dataset="two_mode_d8", model="neural", seed=0)
    assert np.isfinite(hd["offset_residual"].values).all() and hd["slide_separation"].sizes["slide_sample"] == 200
    run = read_store(finished_run / "results/run_metrics/two_mode_d8/neural/seed0.zarr")
    assert run["projection"].sizes["coord"] == 8
    reach = ds["reach_time"].sel(dataset="two_mode_d8", model="exact", seed=0).values
    assert np.isfinite(reach).mean() > 0.9  # the memorizing exact score brings samples into the tube
    assert int(ds["class_count"].sel(dataset="thirteen", model="exact", seed=0).sum()) == 200
    # the RF readout runs as score model `rf` through the same metrics (D = 8 with QMC moments:
    # tests/test_random_features.py)
    assert int(ds["class_count"].sel(dataset="thirteen", model="rf", seed=0).sum()) == 200
    for name in ("reach_align_slide_thirteen.png", "distance_to_ridge_thirteen.png", "phases_two_mode_d8.png",
                 "neural_vs_rf_thirteen.png", "neural_sweep.png", "align_vs_loss.png",
                 "rf_samples_triangle_mid.png",
                 "rf_errors_triangle_mid.png", "rf_residuals_triangle_mid.png", "rf_segment_triangle_mid.png",
                 "gd_vs_flow.png"):
        assert (finished_run / "results" / "figures" / name).stat().st_size > 10_000
    # the exact score memorizes: at t_min almost every sample is next to a training point
    frac = ds["fraction_near_points"].sel(model="exact")
    assert float(frac.min()) > 0.9
    for log in (finished_run / "logs").rglob("*.log"):
        assert "Traceback" not in log.read_text()
    assert "sample (sde): 100/100" in (finished_run / "logs/sample/thirteen/exact/seed0.log").read_text()


def test_controls_get_the_verdicts_they_were_built_for(finished_run):
    """Every negative control fails its check, every positive one passes it, and so does the exact score."""
    report = json.loads((finished_run / "results" / "controls.json").read_text())
    assert report["all_as_expected"], [e for e in report["entries"] if not e["as_expected"]]
    seen = {(e["check"], e["control"], e["role"], e["verdict"]) for e in report["entries"]}
    for check in ("reach", "align", "slide"):
        assert (check, "random_field", "negative", "fail") in seen
    assert ("reach", "tangential_push", "positive", "pass") in seen
    assert ("align", "exact", "reference", "pass") in seen
    assert report["provenance"]["rule"] == "controls"


def test_checks_summarize_every_score_run_with_its_spread(finished_run):
    report = json.loads((finished_run / "results" / "checks.json").read_text())
    rows = {(r["dataset"], r["model"], r["check"]): r for r in report["summary"]}
    assert {m for _, m, _ in rows} == {"exact", "neural", "neural_gen", "rf"}
    assert rows[("thirteen", "exact", "reach")]["verdicts"] == {"pass": 1}
    assert rows[("two_mode_d8", "exact", "slide")]["median"] == 1.0  # no separation from itself
    assert all(r["text"] for r in rows.values())


def test_the_neural_sweep_keeps_every_checkpoint_and_its_generalizing_one(finished_run):
    sweep = read_store(finished_run / "results" / "neural_sweep.zarr")
    assert list(sweep["step"].values) == [50, 100, 150]  # neural.checkpoints and the final network
    assert (sweep["class_count"].sum("class") == 100).all()
    one = read_store(finished_run / "results/neural_sweep/thirteen/seed0.zarr")
    inter = one["class_fraction"].sel({"class": "inter_mode"}).values
    assert one.attrs["generalizing_step"] == [50, 100, 150][int(np.argmax(inter))]
    net = load_checkpoint(finished_run / "results/neural_sweep/thirteen/seed0_generalizing.pt")
    assert net["step"] == one.attrs["generalizing_step"]
    fit = json.loads((finished_run / "results" / "align_vs_loss.json").read_text())
    assert fit["fit"]["predicted_slope"] == 0.5 and fit["fit"]["n"] + fit["fit"]["excluded"] == len(fit["points"])


def test_second_run_does_nothing(finished_run):
    assert planned_jobs(finished_run) == {}


FIGURES = {"figure_reach_align_slide": 1, "figure_phases": 2, "figure_neural_vs_rf": 1, "all": 1}


def test_figure_parameter_reruns_only_the_figures(finished_run):
    cfg = edited_config(finished_run, "fig.yaml", lambda c: c["figures"]["reach_align_slide"].update(dpi=61))
    assert planned_jobs(finished_run, cfg) == {**FIGURES, "figure_align_vs_loss": 1, "figure_neural_sweep": 1}


def test_model_parameter_reruns_the_model_and_its_dependents_only(finished_run):
    cfg = edited_config(finished_run, "model.yaml", lambda c: c["neural"].update(steps=151))
    assert planned_jobs(finished_run, cfg) == {
        "train_neural": 2, "neural_sweep": 1, "sample": 3, "run_metrics": 3, "aggregate": 1, "aggregate_sweep": 1,
        "checks": 1, "align_vs_loss": 1, "figure_align_vs_loss": 1, "figure_neural_sweep": 1, **FIGURES,
    }


def test_check_thresholds_rerun_only_the_verdicts_and_the_controls_only_their_runs(finished_run):
    cfg = edited_config(finished_run, "thresholds.yaml", lambda c: c["checks"]["align"].update(max_residual=1.4))
    assert planned_jobs(finished_run, cfg) == {"checks": 1, "controls": 1, "figure_phases": 2, "all": 1}
    cfg = edited_config(finished_run, "push.yaml", lambda c: c["controls"].update(push=1.5))
    assert planned_jobs(finished_run, cfg) == {"sample": 4, "run_metrics": 4, "controls": 1, "figure_phases": 1,
                                               "all": 1}


def test_mnist_ridge_settings_rerun_the_analysis_not_the_training(finished_run):
    cfg = edited_config(finished_run, "gaps.yaml",
                        lambda c: c["mnist"]["ridge"].update(gap_thresholds=[1e-5, 1e-3]))
    # the baselines' verdicts join controls.json, which the phases figure of the control dataset draws
    assert planned_jobs(finished_run, cfg) == {"mnist_ridge": 4, "aggregate_mnist": 1, "mnist_checks": 1,
                                               "controls": 1, "figure_phases": 1, "figure_mnist": 1, "all": 1}
    cfg = edited_config(finished_run, "vae.yaml", lambda c: c["mnist"]["vae"].update(epochs=3))
    assert planned_jobs(finished_run, cfg) == {"mnist_vae": 1, "mnist_score": 1, "mnist_sample": 4, "mnist_ridge": 4,
                                               "aggregate_mnist": 1, "mnist_checks": 1, "controls": 1,
                                               "figure_phases": 1, "figure_mnist": 1, "all": 1}


def test_mnist_store_holds_every_d_and_the_vae_loss(finished_run):
    ds = read_store(finished_run / "results" / "mnist_metrics.zarr")
    effective = int(ds["effective_dimension"].sel(experiment="digits", seed=0))
    assert list(ds["ridge_dim"].values) == sorted({2, 3, 4, 25, effective})  # `effective` from the latents' spectrum
    spectrum = ds["covariance_eigenvalue"].sel(experiment="digits", seed=0).values
    assert effective == min(max(1, int((spectrum > 0.01).sum())), 31)  # principal directions above 0.01
    assert ds["residual"].sizes["time"] == 4 and ds["residual"].sizes["sample"] == 100
    assert np.isfinite(ds["vae_final_loss"].values).all()
    assert ds.attrs["rule"] == "aggregate_mnist"
    assert list(ds["model"].values) == ["score", "score_step50", "exact", "gaussian"]
    assert "model" not in ds["vae_final_loss"].dims
    fraction = ds["resolved_fraction"].sel(experiment="digits", seed=0).values
    np.testing.assert_allclose(fraction, ds["resolved"].sel(experiment="digits", seed=0).mean("sample").values)
    report = json.loads((finished_run / "results" / "mnist_checks.json").read_text())
    assert {(e["model"], e["ridge_dim"]) for e in report["entries"]} == {
        (m, d) for m in ("score", "score_step50", "exact", "gaussian") for d in sorted({2, 3, 4, 25, effective})}
    assert {e["role"] for e in report["entries"] if e["ridge_dim"] >= effective} <= {"model", "uninformative"}
    assert all(set(e["groups"]) >= {"time", "unresolved"} for e in report["entries"])
    for name in ("residuals", "decoded", "dimension", "vae"):
        assert (finished_run / "results" / "figures" / f"mnist_{name}_digits.png").stat().st_size > 5_000


def test_tau_sweep_change_reuses_the_moments(finished_run):
    cfg = edited_config(finished_run, "taus.yaml", lambda c: c["rf"].update(taus=[50, 400, float("inf")]))
    assert planned_jobs(finished_run, cfg) == {
        "rf_flow": 2, "rf_sample": 1, "rf_metrics": 1, "aggregate_rf": 1, "figure_rf": 1,
        "figure_rf_segment": 1,
        # the rf score run (thirteen) reads the same flow: its chain re-runs too
        "sample": 1, "run_metrics": 1, "aggregate": 1, "checks": 1, "align_vs_loss": 1, "figure_align_vs_loss": 1,
        **FIGURES,
    }


def test_library_code_change_reruns_the_stages_that_use_it(finished_run):
    scms = finished_run / "ridgeline" / "scms.py"
    original = scms.read_text()
    try:
        scms.write_text(original + "\n# a change to the SCMS code\n")
        assert planned_jobs(finished_run) == {
            "ridge_set": 1, "run_metrics": 10, "aggregate": 1, "mnist_ridge": 4, "aggregate_mnist": 1,
            "mnist_checks": 1, "figure_mnist": 1, "rf_metrics": 1, "aggregate_rf": 1, "figure_rf": 1,
            "figure_rf_segment": 1,
            # the sweep classifies with SCMS, and its generalizing checkpoint is sampled anew
            "neural_sweep": 1, "aggregate_sweep": 1, "sample": 1, "checks": 1, "controls": 1, "align_vs_loss": 1,
            "figure_align_vs_loss": 1, "figure_neural_sweep": 1, **FIGURES,
        }
    finally:
        scms.write_text(original)
    plotting = finished_run / "ridgeline" / "plotting.py"
    original = plotting.read_text()
    try:
        plotting.write_text(original + "\n# a change to a figure\n")
        assert planned_jobs(finished_run) == FIGURES  # the figures that draw with ridgeline.plotting, nothing else
    finally:
        plotting.write_text(original)
    # how seeds become random streams: every stochastic stage, including those that draw no samples
    runtime = finished_run / "ridgeline" / "runtime.py"
    original = runtime.read_text()
    try:
        runtime.write_text(original + "\n# a change to the seed streams\n")
        planned = planned_jobs(finished_run)
        assert {"rf_moments", "rf_flow", "rf_gd", "mnist_data", "mnist_vae", "mnist_score", "train_neural",
                "sample", "rf_sample", "neural_sweep"} <= set(planned)
        assert "prepare_dataset" not in planned and "ridge_set" not in planned  # deterministic stages stay
    finally:
        runtime.write_text(original)
    jobs = finished_run / "ridgeline" / "jobs.py"  # logging and the watchdog change no result
    original = jobs.read_text()
    try:
        jobs.write_text(original + "\n# a change to the job set-up\n")
        assert planned_jobs(finished_run) == {}
    finally:
        jobs.write_text(original)


def test_a_second_run_from_scratch_gives_identical_arrays(finished_run, tmp_path):
    other = copy_project(tmp_path / "run2")
    snakemake(other)
    for rel in ["results/metrics.zarr", "results/sample/thirteen/neural/seed0.zarr",
                "results/ridge_set/thirteen.zarr", "results/rf_metrics.zarr", "results/rf_flow/triangle_mid/p60/wh2/seed0.zarr",
                "results/rf_gd/triangle_mid/p60/wh2/seed0.zarr"]:
        a, b = read_store(finished_run / rel), read_store(other / rel)
        xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    ckpts = [load_checkpoint(p / "results/train_neural/thirteen/seed0.pt")
             for p in (finished_run, other)]
    np.testing.assert_array_equal(ckpts[0]["losses"], ckpts[1]["losses"])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_resumes_without_cleanup(tmp_path, sig):
    """Ctrl-C (SIGINT to the process group) or a scheduler's SIGTERM in the middle of training."""
    project = copy_project(tmp_path / "killed")
    proc = snakemake(project, popen=True)
    deadline = time.time() + 300
    marker = project / "logs" / "train_neural"
    while time.time() < deadline and not (marker.exists() and any(marker.rglob("*.log"))):
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, sig)
    proc.wait(timeout=120)
    assert proc.returncode != 0, (project / "snakemake_console.log").read_text()[-3000:]
    assert not (project / "results" / "metrics.zarr").exists()
    console = (project / "snakemake_console.log").read_text()
    assert console.count("Will exit after finishing currently running jobs") <= 1
    snakemake(project)
    assert (project / "results" / "metrics.zarr").exists()
    assert not list(project.glob("results/**/.*.tmp-*"))


def _processes_running_from(folder):
    """PIDs of processes whose command line mentions ``folder`` (the jobs of a project copy)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            cmd = open(f"/proc/{entry}/cmdline", "rb").read()
            state = open(f"/proc/{entry}/stat").read().split(")")[-1].split()[0]
        except (OSError, ValueError):
            continue
        if str(folder).encode() in cmd and state != "Z":
            found.append(int(entry))
    return found


def test_killing_snakemake_alone_stops_its_running_job_and_the_rerun_finishes(tmp_path):
    """SIGKILL to Snakemake only (not its process group) used to leave the job running, unseen."""
    project = copy_project(tmp_path / "orphan")
    long = edited_config(project, "long.yaml", lambda c: c["neural"].update(steps=100000))
    proc = snakemake(project, popen=True, config=long)
    deadline = time.time() + 300
    marker = project / "logs" / "train_neural"
    while time.time() < deadline and not (marker.exists() and any(marker.rglob("*.log"))):
        time.sleep(0.2)
    time.sleep(2.0)
    assert _processes_running_from(project / ".snakemake" / "scripts")
    proc.kill()
    proc.wait(timeout=60)
    deadline = time.time() + 15
    while time.time() < deadline and _processes_running_from(project / ".snakemake" / "scripts"):
        time.sleep(0.2)
    assert not _processes_running_from(project / ".snakemake" / "scripts")
    assert any("that started this job is gone" in p.read_text() for p in marker.rglob("*.log"))
    snakemake(project, "--unlock")
    snakemake(project)
    assert (project / "results" / "metrics.zarr").exists()
    assert not list(project.glob("results/**/.*.tmp-*"))


def test_unknown_config_key_is_rejected_before_any_job(finished_run):
    cfg = edited_config(finished_run, "bad_key.yaml", lambda c: c["sampling"].update(n_stepz=10))
    out = snakemake(finished_run, "--dry-run", config=cfg, check=False)
    assert out.returncode != 0
    assert "n_stepz" in out.stdout + out.stderr


def test_gpu_overlay_moves_the_scms_stages_off_the_gpu_and_their_gpu_request_with_them(tmp_path):
    project = copy_project(tmp_path)
    overlay = yaml.safe_load((project / "config" / "gpu.yaml").read_text())
    assert set(overlay) == {"stage_devices"}  # where stages run, not what they compute

    def cuda_with_gpu_overlay(c):
        c.update(device="cuda", **overlay)

    out = snakemake(project, "--dry-run", config=edited_config(project, "stages.yaml", cuda_with_gpu_overlay))
    plan = planned_resources(out.stdout + out.stderr)
    assert plan["run_metrics"]["gpu"] == "0" and plan["ridge_set"]["gpu"] == "0"
    for rule in ("train_neural", "sample", "rf_moments", "mnist_ridge"):
        assert plan[rule]["gpu"] == "1", (rule, plan[rule])


def test_unknown_stage_or_device_name_is_rejected_before_any_job(finished_run):
    cfg = edited_config(finished_run, "bad_stage.yaml",
                        lambda c: c.update(stage_devices={"run_metric": "cpu", "sample": "gpu"}))
    out = snakemake(finished_run, "--dry-run", config=cfg, check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert "'run_metric' was unexpected" in text and "stage_devices.sample: 'gpu' does not match" in text


def test_missing_mnist_files_are_named_before_any_job(finished_run, tmp_path):
    def idx_source(c):
        c["mnist"]["experiments"]["digits"]["source"] = {"kind": "idx", "directory": str(tmp_path / "nowhere")}

    cfg = edited_config(finished_run, "bad_mnist.yaml", idx_source)
    out = snakemake(finished_run, "--dry-run", config=cfg, check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert "mnist: experiments: digits: source" in text and "train-images-idx3-ubyte" in text


def _with_authors_protocol(c, **score):
    c["mnist"]["protocols"] = {"authors": {"vae": {"epochs": 3}, "sampling": {"n_samples": 50, "sharpen": True},
                                           "score": {"time_sampling": "uniform", "keep": "best_epoch",
                                                     "checkpoints": [], **score}}}
    c["mnist"]["experiments"]["digits_authors"] = {**c["mnist"]["experiments"]["digits"], "protocol": "authors"}
    c["mnist"]["runs"] = ["digits", "digits_authors"]


def test_a_protocol_experiment_adds_its_own_chain_and_nothing_else(finished_run):
    cfg = edited_config(finished_run, "protocol.yaml", _with_authors_protocol)
    assert planned_jobs(finished_run, cfg) == {
        "mnist_data": 1, "mnist_vae": 1, "mnist_score": 1, "mnist_sample": 3, "mnist_ridge": 3,  # no checkpoints
        "aggregate_mnist": 1, "mnist_checks": 1, "controls": 1, "figure_phases": 1, "figure_mnist": 1, "all": 1}
    bad = edited_config(finished_run, "bad_protocol.yaml", lambda c: _with_authors_protocol(c, checkpoints=[20]))
    out = snakemake(finished_run, "--dry-run", config=bad, check=False)
    assert out.returncode != 0 and "mnist.protocols.authors: score.keep = best_epoch" in out.stdout + out.stderr


def test_an_optional_experiment_without_its_images_is_skipped_with_the_fix(finished_run, tmp_path):
    def optional_fashion(c):
        c["mnist"]["experiments"]["fashion"] = {"source": {"kind": "fashion", "directory": str(tmp_path / "none")},
                                                "classes": "all", "max_train": 60000, "optional": True}
        c["mnist"]["runs"] = ["digits", "fashion"]

    cfg = edited_config(finished_run, "optional.yaml", optional_fashion)
    out = snakemake(finished_run, "--dry-run", config=cfg)
    assert "skipping the optional MNIST experiment 'fashion'" in out.stdout + out.stderr
    assert "train-images-idx3-ubyte" in out.stdout + out.stderr  # the message names the files it looked for
    assert planned_jobs(finished_run, cfg) == {}  # the rest of the run is unchanged and complete


def test_bad_dataset_is_rejected_before_any_job(finished_run):
    def nan_points(c):
        c["datasets"]["broken"] = {"kind": "points", "points": [[0.0, 1.0], [float("nan"), 2.0]]}

    cfg = edited_config(finished_run, "bad_data.yaml", nan_points)
    out = snakemake(finished_run, "--dry-run", config=cfg, check=False)
    assert out.returncode != 0
    assert "datasets: broken" in out.stdout + out.stderr and "NaN or inf" in out.stdout + out.stderr


def test_report_captions_state_the_claim_parameters_and_data(finished_run, tmp_path):
    html = tmp_path / "report.html"
    snakemake(finished_run, "--report", str(html))
    text = html.read_text()
    assert "interpolation depends on the architecture" in text  # the claim tested
    assert "results/metrics.zarr" in text and "score_error_tangential" in text  # where the data lives
    assert "results/controls.json" in text and "negative" in text
    assert "near_radius" in text or "n_panels" in text  # the parameters, rendered from the job
    for figure in ("neural_vs_rf_thirteen.png", "phases_two_mode_d8.png", "mnist_residuals_digits.png"):
        assert figure in text


NEURAL_SCORE_VARIABLES = {"score_error_normal", "score_error_tangential", "offset_predicted", "offset_residual"}


def test_jobs_streamed_in_small_blocks_give_the_same_metrics_and_complete_sample_stores(finished_run, tmp_path):
    """metrics.block_points = 150 -> blocks of 15 of the 200 samples at 10 snapshots; sampling.block_samples = 64 -> 4 blocks."""
    project = tmp_path / "blocks"
    shutil.copytree(finished_run, project, symlinks=True, ignore=shutil.ignore_patterns(".snakemake"))

    def small_blocks(cfg):
        cfg["metrics"]["block_points"] = 150
        cfg["sampling"]["block_samples"] = 64

    cfg = edited_config(project, "blocks.yaml", small_blocks)
    metrics, samples = "results/run_metrics/thirteen/neural/seed0.zarr", "results/sample/thirteen/exact/seed0.zarr"
    snakemake(project, "--forcerun", "run_metrics", "--until", "run_metrics", metrics, config=cfg)
    snakemake(project, "--forcerun", "sample", samples, "--until", "sample", config=cfg)
    assert "block 14/14 (samples 195-200 of 200)" in (project / "logs/run_metrics/thirteen/neural/seed0.log").read_text()
    got, want = read_store(project / metrics), read_store(finished_run / metrics)
    assert sorted(got.data_vars) == sorted(want.data_vars)
    for name in want.data_vars:
        # The neural score runs in float32, and a matrix product's rounding depends on the batch's
        # size: what the model's score enters agrees to float32 precision, the float64 geometry exactly.
        float32 = name in NEURAL_SCORE_VARIABLES
        want_values = want[name].values
        atol = 1e-6 * np.abs(want_values).max() if float32 else 1e-12
        np.testing.assert_allclose(got[name].values, want_values, rtol=1e-5 if float32 else 1e-10, atol=atol,
                                   err_msg=name)
    run = read_store(project / samples)
    assert "sample (sde, 4 blocks): 400/400" in (project / "logs/sample/thirteen/exact/seed0.log").read_text()
    assert run["states"].shape == read_store(finished_run / samples)["states"].shape
    assert np.isfinite(run["states"].values).all()
    assert json.loads(run.attrs["config"])["sampling"]["block_samples"] == 64


def test_a_damaged_input_store_stops_the_job_that_reads_it_with_the_fix(tmp_path):
    """A deleted chunk of the training points used to be read back as NaN (1,600 NaN samples, exit 0)."""
    project = copy_project(tmp_path / "damaged")
    target = "results/sample/thirteen/exact/seed0.zarr"
    snakemake(project, target)
    points = project / "results/prepare_dataset/thirteen.zarr/points/c/0/0"
    points.unlink()
    out = snakemake(project, target, "--forcerun", "sample", check=False)
    text = out.stdout + out.stderr + "".join(p.read_text() for p in (project / "logs/sample").rglob("*.log"))
    assert out.returncode != 0
    assert "results/prepare_dataset/thirteen.zarr' is damaged" in text
    assert "chunk c/0/0 of variable 'points' is missing" in text and "--forcerun prepare_dataset" in text
    assert not (project / target).exists()
    snakemake(project, target, "--forcerun", "prepare_dataset")  # the fix the message names works
    assert np.isfinite(read_store(project / target)["states"].values).all()


@pytest.mark.parametrize("edit, expected", [
    (lambda c: c["datasets"]["thirteen"].update(T=100.0), "set sampling.n_steps to at least 570"),
    (lambda c: c["sampling"].update(t_min=20.0), "sampling.t_min = 20.0 must lie below"),
    (lambda c: c["datasets"].update(thirteen={"kind": "points", "points": [[1.0, 1.0]] * 4}), "no ridge"),
])
def test_cross_key_errors_stop_before_any_job(finished_run, edit, expected):
    cfg = edited_config(finished_run, "cross.yaml", edit)
    out = snakemake(finished_run, "--dry-run", config=cfg, check=False)
    assert out.returncode != 0 and expected in out.stdout + out.stderr


def test_every_store_opens_with_plain_open_zarr_without_a_warning_and_its_units_parse(finished_run):
    import warnings

    import pint

    units = pint.UnitRegistry()
    stores = sorted(p for p in (finished_run / "results").rglob("*.zarr") if (p / "zarr.json").is_file())
    assert len(stores) > 30
    for path in stores:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with xr.open_zarr(path) as ds:
                for name, var in ds.variables.items():
                    if "units" in var.attrs:
                        units.parse_units(var.attrs["units"])  # raises on "length" and the like
                if "t" in ds.variables and "seed" in ds.dims:
                    assert "t" in ds.coords  # the inference time stays with every selected variable


def test_the_own_data_example_runs_only_its_own_experiments(tmp_path):
    """config/example_own_data.yaml: a user's point set and a DDPM trained outside ridgeline
    (examples/own_model/train_ddpm.py), and no job of the paper's experiments."""
    import subprocess
    import sys

    project = copy_project(tmp_path / "own")
    subprocess.run([sys.executable, "examples/own_model/train_ddpm.py", "examples/own_model/out", "--steps", "300",
                    "--samples", "300"], cwd=project, check=True, capture_output=True)
    config = project / "config" / "example_own_data.yaml"
    assert set(planned_jobs(project, config)) == {
        "prepare_dataset", "import_samples", "ridge_set", "sample", "run_metrics", "aggregate", "checks",
        "figure_phases", "figure_reach_align_slide", "all"}
    snakemake(project, config=config)
    metrics = read_store(project / "results/metrics.zarr")
    assert list(metrics["model"].values) == ["exact", "ext_ddpm"]
    assert metrics["t"].sel(model="ext_ddpm").max() < 5.1  # VP times mapped onto OU: at most t(s = 1) = 5.025
    report = json.loads((project / "results/checks.json").read_text())
    verdicts = {(r["model"], r["check"]) for r in report["summary"]}
    assert ("ext_ddpm", "reach") in verdicts and ("ext_ddpm", "slide") not in verdicts  # no score: no slide
    for name in ("reach_align_slide_mine.png", "phases_mine.png", "distance_to_ridge_mine.png"):
        assert (project / "results/figures" / name).stat().st_size > 10_000


def test_figures_span_a_text_column(finished_run):
    """Every figure is 7 in wide (figures.output.width) at its resolution, up to 7.8 in where a label
    reaches past the last axes, so 7-8 pt fonts print at about that size in a paper; before, figures
    were 12-15.6 in wide."""
    from PIL import Image

    figures = sorted((finished_run / "results" / "figures").glob("*.png"))
    assert len(figures) > 10
    for path in figures:
        with Image.open(path) as image:
            dpi = image.info["dpi"][0]
            assert image.size[0] / dpi <= 7.8, (path.name, image.size, dpi)  # a label may reach past the axes
