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


# Jobs of a second or two (reading or summarizing stores, figures) run where Snakemake runs, not
# through a cluster's queue; no effect on a local run.
localrules:
    all,
    prepare_dataset,
    import_samples,
    aggregate,
    aggregate_rf,
    aggregate_mnist,
    aggregate_sweep,
    checks,
    controls,
    mnist_checks,
    align_vs_loss,
    figure_reach_align_slide,
    figure_phases,
    figure_rf,
    figure_rf_segment,
    figure_gd_vs_flow,
    figure_neural_vs_rf,
    figure_neural_sweep,
    figure_align_vs_loss,
    figure_mnist,


rule all:
    default_target: True
    input:
        get_final_outputs(),
