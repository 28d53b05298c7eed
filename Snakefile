# ridgeline: reach, align, slide around the ridge of the smoothed empirical distribution.
# Table of contents only: configuration, validation and the stages. Run `snakemake --cores N`.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/params.smk"
include: "rules/runs.smk"
include: "rules/paths.smk"
include: "rules/validation.smk"


check_config("config/schema.yaml")
check_datasets()
check_mnist()
check_runs()
check_cross_keys()
check_externals()


wildcard_constraints:
    dataset="[A-Za-z0-9_]+",
    model="exact|neural|neural_gen|rf|control_[a-z_]+|ext_[A-Za-z0-9_]+",
    p=r"\d+",
    weighting="1|h|h2",
    seed=r"\d+",
    experiment="[A-Za-z0-9_]+",
    latent=r"score|score_step\d+|exact|gaussian",


include: "rules/data.smk"
include: "rules/models.smk"
include: "rules/sampling.smk"
include: "rules/ridge.smk"
include: "rules/metrics.smk"
include: "rules/rf.smk"
include: "rules/checks.smk"
include: "rules/figures.smk"
include: "rules/mnist.smk"


rule all:
    default_target: True
    input:
        get_final_outputs(),
