rule mnist_data:
    output:
        directory("results/mnist/{experiment}/seed{seed}/data.zarr"),
    log:
        "logs/mnist_data/{experiment}/seed{seed}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        experiment=mnist_experiment,
        code=script_code("mnist_data"),
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
    threads: job_threads("mnist_vae")
    resources:
        gpu=gpu_request("mnist_vae"),
    params:
        vae=mnist_settings("vae"),
        device=stage_device("mnist_vae"),
        code=script_code("mnist_vae"),
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
    threads: job_threads("mnist_score")
    resources:
        gpu=gpu_request("mnist_score"),
    params:
        score=mnist_settings("score"),
        sampling=mnist_time_range(),
        device=stage_device("mnist_score"),
        code=script_code("mnist_score"),
    script:
        "../workflow_scripts/mnist_score.py"


rule mnist_sample:
    input:
        mnist_model_input,
    output:
        directory("results/mnist/{experiment}/seed{seed}/samples/{latent}.zarr"),
    log:
        "logs/mnist_sample/{experiment}/seed{seed}/{latent}.log",
    benchmark:
        "benchmarks/mnist_sample/{experiment}/seed{seed}/{latent}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: job_threads("mnist_sample")
    resources:
        gpu=gpu_request("mnist_sample"),
    params:
        sampling=mnist_settings("sampling"),
        device=stage_device("mnist_sample"),
        code=script_code("mnist_sample"),
    script:
        "../workflow_scripts/mnist_sample.py"


rule mnist_ridge:
    input:
        latents=rules.mnist_vae.output.latents,
        samples=rules.mnist_sample.output[0],
    output:
        directory("results/mnist/{experiment}/seed{seed}/ridge/{latent}.zarr"),
    log:
        "logs/mnist_ridge/{experiment}/seed{seed}/{latent}.log",
    benchmark:
        "benchmarks/mnist_ridge/{experiment}/seed{seed}/{latent}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: job_threads("mnist_ridge")
    resources:
        gpu=gpu_request("mnist_ridge"),
    params:
        ridge=mnist_settings("ridge"),
        device=stage_device("mnist_ridge"),
        code=script_code("mnist_ridge"),
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
        runs=mnist_run_keys(),
        experiments=list(config["mnist"]["runs"]),
        seeds=mnist_seeds(),
        code=script_code("aggregate_mnist"),
    script:
        "../workflow_scripts/aggregate_mnist.py"


rule mnist_checks:
    input:
        "results/mnist_metrics.zarr",
    output:
        "results/mnist_checks.json",
    log:
        "logs/mnist_checks.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        checks=section("mnist", "checks"),
        authors_view=section("mnist", "authors_view"),
        code=script_code("mnist_checks"),
    script:
        "../workflow_scripts/mnist_checks.py"


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
        authors=report(
            "results/figures/mnist_authors_{experiment}.png",
            caption="../report/mnist_authors.rst",
            category="4. MNIST latent diffusion",
            subcategory="{experiment}",
        ),
        dimension=report(
            "results/figures/mnist_dimension_{experiment}.png",
            caption="../report/mnist_dimension.rst",
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
        output=section("figures", "output"),
        checks=section("mnist", "checks"),
        models=experiment_models,
        sampling=mnist_settings("sampling"),
        authors_view=section("mnist", "authors_view"),
        code=script_code("figure_mnist"),
    script:
        "../workflow_scripts/figure_mnist.py"
