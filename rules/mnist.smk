rule mnist_data:
    output:
        directory("results/mnist/{experiment}/seed{seed}/data.zarr"),
    log:
        "logs/mnist_data/{experiment}/seed{seed}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        experiment=mnist_experiment,
        code=fingerprint("mnist", "io"),
    script:
        "../workflow_scripts/mnist_data.py"


rule mnist_vae:
    input:
        rules.mnist_data.output[0],
    output:
        vae="results/mnist/{experiment}/seed{seed}/vae.pt",
        latents=directory("results/mnist/{experiment}/seed{seed}/latents.zarr"),
    log:
        "logs/mnist_vae/{experiment}/seed{seed}.log",
    benchmark:
        "benchmarks/mnist_vae/{experiment}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: 2
    resources:
        gpu=gpu_request("mnist_vae"),
    params:
        vae=section("mnist", "vae"),
        device=stage_device("mnist_vae"),
        code=fingerprint("models.vae", "io"),
    script:
        "../workflow_scripts/mnist_vae.py"


rule mnist_score:
    input:
        rules.mnist_vae.output.latents,
    output:
        "results/mnist/{experiment}/seed{seed}/score.pt",
    log:
        "logs/mnist_score/{experiment}/seed{seed}.log",
    benchmark:
        "benchmarks/mnist_score/{experiment}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: 2
    resources:
        gpu=gpu_request("mnist_score"),
    params:
        score=section("mnist", "score"),
        sampling=mnist_time_range(),
        device=stage_device("mnist_score"),
        code=fingerprint("models", "forward", "runtime"),
    script:
        "../workflow_scripts/mnist_score.py"


rule mnist_sample:
    input:
        rules.mnist_score.output[0],
    output:
        directory("results/mnist/{experiment}/seed{seed}/samples.zarr"),
    log:
        "logs/mnist_sample/{experiment}/seed{seed}.log",
    benchmark:
        "benchmarks/mnist_sample/{experiment}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: 2
    resources:
        gpu=gpu_request("mnist_sample"),
    params:
        sampling=section("mnist", "sampling"),
        device=stage_device("mnist_sample"),
        code=fingerprint(
            "sampling", "sample_store", "models", "forward", "runtime", "io"
        ),
    script:
        "../workflow_scripts/mnist_sample.py"


rule mnist_ridge:
    input:
        latents=rules.mnist_vae.output.latents,
        samples=rules.mnist_sample.output[0],
    output:
        directory("results/mnist/{experiment}/seed{seed}/ridge.zarr"),
    log:
        "logs/mnist_ridge/{experiment}/seed{seed}.log",
    benchmark:
        "benchmarks/mnist_ridge/{experiment}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: 2
    resources:
        gpu=gpu_request("mnist_ridge"),
    params:
        ridge=section("mnist", "ridge"),
        device=stage_device("mnist_ridge"),
        code=fingerprint(
            "latent_ridge", "metrics_store", "scms", "ridge", "empirical", "io"
        ),
    script:
        "../workflow_scripts/mnist_ridge.py"


rule aggregate_mnist:
    input:
        ridge=mnist_stores("ridge"),
        latents=mnist_stores("latents"),
    output:
        directory("results/mnist_metrics.zarr"),
    log:
        "logs/aggregate_mnist.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        experiments=list(config["mnist"]["runs"]),
        seeds=section("seeds"),
        code=fingerprint("aggregate", "io"),
    script:
        "../workflow_scripts/aggregate_mnist.py"


rule figure_mnist:
    input:
        unpack(mnist_figure_inputs),
    output:
        residuals=report(
            "results/figures/mnist_residuals_{experiment}.png",
            caption="../report/mnist_residuals.rst",
            category="4. MNIST latent diffusion",
            subcategory="{experiment}",
        ),
        decoded=report(
            "results/figures/mnist_decoded_{experiment}.png",
            caption="../report/mnist_decoded.rst",
            category="4. MNIST latent diffusion",
            subcategory="{experiment}",
        ),
        reconstructions=report(
            "results/figures/mnist_vae_{experiment}.png",
            caption="../report/mnist_vae.rst",
            category="4. MNIST latent diffusion",
            subcategory="{experiment}",
        ),
    log:
        "logs/figure_mnist/{experiment}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("mnist", "figures"),
        code=fingerprint("mnist_plots"),
    script:
        "../workflow_scripts/figure_mnist.py"
