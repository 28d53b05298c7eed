"""Load the score model of a score run by name: exact, neural, neural_gen or rf."""

import math

import torch

from ..io import read_store
from .exact import ExactScore
from .gaussian import GaussianScore
from .neural import NeuralScore
from .random_features import RFScore, features_from_moments

MODEL_NAMES = ("exact", "neural", "neural_gen", "rf")
#: Latent score models of the MNIST stages: the trained network and its two baselines.
LATENT_MODELS = ("score", "score_step<N>", "exact", "gaussian")
CHECKPOINT_PREFIX = "score_step"


def load_score_model(name: str, points, checkpoint, device=None, rf_tau: float = math.inf):
    """The score model ``name`` for the training points ``points`` (n, D).

    Parameters
    ----------
    name : ``exact`` (needs only the points), ``neural`` or ``neural_gen`` (``checkpoint`` is the
        .pt file: the trained network, or the generalizing checkpoint the neural sweep chose),
        ``rf`` (``checkpoint`` is the pair of rf_moments and rf_flow stores; the readout at
        ``rf_tau`` is used, which must be one of the flow's taus). The controls of the checks
        are loaded by :func:`ridgeline.controls.load_run_model`.
    """
    if name == "exact":
        return ExactScore(points, device=device)
    if name in ("neural", "neural_gen"):
        return NeuralScore.load(checkpoint, device=device)
    if name == "rf":
        return load_rf_score(*checkpoint, tau=rf_tau, device=device)
    raise ValueError(f"unknown score model '{name}'; choose one of {MODEL_NAMES}")


def load_rf_score(moments_store, flow_store, tau: float, device=None) -> RFScore:
    """RFScore of the readout W(tau) of a flow store, with the features of its moments store."""
    mom, flow = read_store(moments_store), read_store(flow_store)
    taus = flow["tau"].values
    match = [i for i, value in enumerate(taus) if value == tau or math.isclose(value, tau, rel_tol=1e-12)]
    if not match:
        raise ValueError(f"tau = {tau} is not among the flow's taus {taus.tolist()}; "
                         "set score_runs.rf.tau to one of rf.taus")
    features = features_from_moments(mom, device)
    W = torch.as_tensor(flow["W"].values[match[0]], dtype=torch.float64, device=features.device)
    return RFScore(features, W)


def is_latent_network(name: str) -> bool:
    """True for the latent models read from the network's .pt file: ``score`` and ``score_step<N>``."""
    return name == "score" or (name.startswith(CHECKPOINT_PREFIX) and name.removeprefix(CHECKPOINT_PREFIX).isdigit())


def load_latent_model(name: str, source, device=None):
    """The latent score model ``name`` (one of :data:`LATENT_MODELS`).

    ``source`` is the network's .pt file for ``score`` (the trained network) and ``score_step<N>``
    (its checkpoint after N training steps), and the training latents (n, D) for the baselines
    ``exact`` (their smoothed-empirical score) and ``gaussian`` (a Gaussian fitted to them).
    """
    if name == "score":
        return NeuralScore.load(source, device=device)
    if is_latent_network(name):
        return NeuralScore.load(source, device=device, step=int(name.removeprefix(CHECKPOINT_PREFIX)))
    if name == "exact":
        return ExactScore(source, device=device)
    if name == "gaussian":
        return GaussianScore(source, device=device)
    raise ValueError(f"unknown latent score model '{name}'; choose one of {LATENT_MODELS}")
