"""Latent (MNIST-family) experiments: the image sources, the ridge analysis in the VAE latent space,
the per-dimension spectra, their stores, summaries and figures (docs/method.md, "MNIST latents")."""
