# Helpers named for what they return. No math here: the library does that.
import os

import jsonschema
import yaml
from snakemake.utils import validate

from ridgeline.datasets import DatasetError, build_dataset
from ridgeline.provenance import code_fingerprint


def check_config(schema_path):
    """Validate the config against the schema: every problem in one short message, then defaults."""
    schema_path = os.path.join(workflow.basedir, schema_path)
    with open(schema_path) as handle:
        schema = yaml.safe_load(handle)
    validator = jsonschema.Draft202012Validator(schema)
    problems = [
        f"  - {'.'.join(str(p) for p in err.absolute_path) or '(top level)'}: {err.message}"
        for err in sorted(validator.iter_errors(config), key=str)
    ]
    if problems:
        raise ValueError(
            "invalid configuration (keys are documented in config/README.md):\n"
            + "\n".join(problems)
        )
    validate(config, schema_path)


def check_datasets():
    """Build every configured dataset once at parse time, so bad data fails before any job."""
    for name, entry in config["datasets"].items():
        try:
            build_dataset(**dataset_arguments(name))
        except DatasetError as err:
            raise ValueError(f"config `datasets: {name}`: {err}") from None


def dataset_arguments(name):
    """Keyword arguments of ridgeline.datasets.build_dataset for dataset ``name``."""
    entry = config["datasets"][name]
    return canonical(
        {
            "kind": entry["kind"],
            "points": entry.get("points"),
            "file": entry.get("file"),
            "embed_dim": entry.get("embed_dim"),
            "embed_seed": entry.get("embed_seed", 0),
            "name": name,
        }
    )


def dataset_file(wildcards):
    """The user file a dataset reads (empty for built-in sets), so edits to it re-run the DAG."""
    entry = config["datasets"][wildcards.dataset]
    return [entry["file"]] if entry["kind"] == "file" else []


def dataset_time_range(wildcards):
    """T and t_min of a dataset: its own T or the sampling default."""
    entry = config["datasets"][wildcards.dataset]
    return {
        "T": float(entry.get("T", config["sampling"]["T"])),
        "t_min": float(config["sampling"]["t_min"]),
    }


def model_checkpoint(wildcards):
    """The trained model a sampling or metrics job needs (none for the exact score)."""
    if wildcards.model == "exact":
        return []
    return f"results/train_neural/{wildcards.dataset}/seed{wildcards.seed}.pt"


def canonical(value):
    """A config value with dict keys sorted recursively, so reordering keys re-runs nothing."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def section(*keys):
    """The config slice at ``keys`` (canonical), for the params of a job."""
    value = config
    for key in keys:
        value = value[key]
    return canonical(value)


def snapshot_section():
    """The sampling keys that fix the snapshot times (ridge sets depend on these only)."""
    return {key: config["sampling"][key] for key in ("grid", "n_steps", "n_snapshots")}


def fingerprint(*modules):
    """Code fingerprint of library modules: a param, so code changes re-run the rule."""
    return code_fingerprint(*modules)


def planar_datasets():
    """Datasets whose points are 2D (ridge sets and the 2D figures exist only for them)."""
    return [
        name
        for name in config["datasets"]
        if build_dataset(**dataset_arguments(name)).shape[1] == 2
    ]


def run_metrics_stores():
    """Every per-run metrics store of the configuration."""
    return expand(
        "results/run_metrics/{dataset}/{model}/seed{seed}.zarr",
        dataset=list(config["datasets"]),
        model=config["models"],
        seed=config["seeds"],
    )


def figure_inputs(wildcards):
    """Inputs of the reach-align-slide figure: dataset, ridge sets, samples (first seed), metrics."""
    seed = config["seeds"][0]
    samples = {
        f"samples_{model}": f"results/sample/{wildcards.dataset}/{model}/seed{seed}.zarr"
        for model in config["models"]
    }
    return {
        "dataset": f"results/prepare_dataset/{wildcards.dataset}.zarr",
        "ridges": f"results/ridge_set/{wildcards.dataset}.zarr",
        "metrics": "results/metrics.zarr",
        **samples,
    }


def get_final_outputs():
    """The default targets: the aggregated store and the figures."""
    figures = config["figures"]["reach_align_slide"]["datasets"]
    unknown = sorted(set(figures) - set(config["datasets"]))
    if unknown:
        raise ValueError(
            f"figures.reach_align_slide.datasets names unknown datasets {unknown}; "
            f"choose from {sorted(config['datasets'])}"
        )
    return ["results/metrics.zarr"] + expand(
        "results/figures/{name}_{dataset}.png",
        name=["reach_align_slide", "distance_to_ridge"],
        dataset=figures,
    )


def dataset_params(wildcards):
    """The dataset's config entry with its name: the slice the prepare job depends on."""
    return dataset_arguments(wildcards.dataset)
