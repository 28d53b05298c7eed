"""Load, filter and check the images of one MNIST experiment (rule mnist_data)."""

import xarray as xr

from ridgeline.io import variable, write_store
from ridgeline.latent.mnist import check_images, load_source, select
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job
from ridgeline.runtime import derived_seed

log = configure_job(snakemake.log[0])
exp, seed = snakemake.params.experiment, int(snakemake.wildcards.seed)
images, labels = load_source(exp["source"])
images, labels = select(images, labels, exp["classes"], exp["max_train"], derived_seed(seed, "mnist-subset"))
check_images(images, f"MNIST experiment '{snakemake.wildcards.experiment}'")
log.info("%d images, classes %s", len(images), sorted(set(labels.tolist())))
ds = xr.Dataset({
    "images": variable(images.astype("float32"), ("image", "pixel"), "training images, 28 x 28 row-major", "1"),
    "labels": variable(labels, ("image",), "digit class", "1"),
})
write_store(ds, snakemake.output[0], provenance("mnist_data", exp, seed))
