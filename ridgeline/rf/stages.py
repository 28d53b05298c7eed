"""The random-feature stages, one call each (rules rf_moments, rf_flow, rf_gd): the frozen
features and their moment matrices, the closed-form gradient flow with its excess-loss split, and
plain gradient descent against the flow (docs/method.md, "Random features")."""

import logging
import math

import numpy as np
import torch
import xarray as xr

from .. import dims
from ..io import variable
from .errors import excess_loss
from .flow import flow_times, flow_weights, gd_steps, gradient_descent, initial_readout, loss, spectrum
from .moments import rf_moments
from .quadrature import configured_quadrature
from .stores import flow_dataset, gd_dataset

log = logging.getLogger(__name__)


def _quadrature(dim: int, rf: dict, T: float, seed: int):
    return configured_quadrature(dim, T, quadrature=rf["quadrature"], t0=rf["t0"], n_frequencies=rf["n_frequencies"],
                                 seed=seed, stream="rf-qmc")


def moments_stage(points, *, p: int, weighting: str, rf: dict, T: float, seed: int, device=None,
                  logger=log) -> xr.Dataset:
    """Draw the frozen features of a p-feature model and integrate its moment matrices.

    Parameters
    ----------
    points : (n, D) training points. p : features. weighting : lambda(t) (``1``, ``h``, ``h2``).
    rf : the ``rf`` config section (n_frequencies, t0, quadrature). T : the dataset's horizon.
    seed : the run's seed (streams ``rf-features`` and ``rf-qmc``).

    Returns
    -------
    The rf_moments store: U (feature, feature2), V (coord, feature), c, l_star, n_evaluations and
    the frozen weights W_x, W_t, b; attribute T.
    """
    from ..models import RandomFeatures
    from ..runtime import generator

    dim = points.shape[1]
    features = RandomFeatures(dim, p, T, rf["n_frequencies"], generator(seed, "rf-features"), device)
    quad = _quadrature(dim, rf, T, seed)
    logger.info("quadrature: %d time nodes x %d z nodes%s x %d points", quad.t.numel(), quad.z_weights.shape[0],
                " (a set per time node)" if quad.z.ndim == 3 else "", len(points))
    mom = rf_moments(features, points, weighting=weighting, quad=quad, rows=rf["quadrature"]["rows"], logger=logger)
    F, F2 = dims.FEATURE, "feature2"
    return xr.Dataset({
        "U": variable(mom.U.cpu().numpy(), (F, F2), "moment matrix U = E[lambda s s^T]"),
        "V": variable(mom.V.cpu().numpy(), (dims.COORD, F), "moment matrix V = E[lambda y s^T]", "length"),
        "c": variable(mom.c, (), "constant c = E[lambda |y|^2]", "length^2"),
        "l_star": variable(mom.l_star, (), "irreducible loss L* (exact posterior mean)", "length^2"),
        "n_evaluations": variable(mom.n_evaluations, (), "feature evaluations of the quadrature"),
        "W_x": variable(features.W_x.cpu().numpy(), (F, dims.COORD), "frozen input weights W_x"),
        "W_t": variable(features.W_t.cpu().numpy(), (F, "embedding"), "frozen time weights W_t"),
        "b": variable(features.b.cpu().numpy(), (F,), "frozen biases b"),
    }, attrs={"T": T})


def _moment_tensors(moments: xr.Dataset, device):
    as64 = dict(dtype=torch.float64, device=device)
    return torch.as_tensor(moments["U"].values, **as64), torch.as_tensor(moments["V"].values, **as64)


def flow_stage(points, moments: xr.Dataset, *, p: int, weighting: str, rf: dict, T: float, ridge_dim: int, seed: int,
               device=None, logger=log) -> xr.Dataset:
    """The closed-form gradient flow W(tau) from W_0 = A_0 / sqrt(p) at every configured tau and
    tau = inf, its loss, and its excess loss split into the architectural bias and the
    optimization error, each with normal and tangential parts (:func:`ridgeline.rf.stores.flow_dataset`).

    Parameters
    ----------
    points : (n, D) training points. moments : the rf_moments store of the same (p, weighting, seed).
    rf : the ``rf`` config section (taus, init_scale, eig_rel_tol, t0, n_frequencies, quadrature).
    ridge_dim : d of the normal / tangential split. seed : the run's seed (streams ``rf-init``, ``rf-qmc``).
    """
    from ..models import features_from_moments

    U, V = _moment_tensors(moments, device)
    dim, taus = points.shape[1], flow_times(rf["taus"])
    W0 = (initial_readout(seed, dim, p, rf["init_scale"]) / math.sqrt(p)).to(device)
    spec = spectrum(U, rf["eig_rel_tol"])
    logger.info("U: rank %d of %d (eigenvalues %.3g .. %.3g)", spec.rank, p,
                float(spec.values[spec.values > 0].min()), float(spec.values.max()))
    W = flow_weights(spec, V, W0, taus)
    ex = excess_loss(features_from_moments(moments, device), points, W, weighting=weighting,
                     quad=_quadrature(dim, rf, T, seed), ridge_dim=ridge_dim, rows=rf["quadrature"]["rows"],
                     logger=logger)
    L = loss(U, V, float(moments["c"]), W).cpu().numpy()
    total, normal, tangential = (v.cpu().numpy() for v in (ex.total, ex.normal, ex.tangential))
    for k, tau in enumerate(taus):
        logger.info("tau=%g: loss %.5g excess %.5g (normal %.4g, tangential %.4g)", tau, L[k], total[k], normal[k],
                    tangential[k])
    ds = flow_dataset(W=W.cpu().numpy(), W0=W0.cpu().numpy(), eigenvalues=spec.values.cpu().numpy(), loss=L,
                      l_star=float(moments["l_star"]), excess=(total, normal, tangential), taus=taus,
                      direct_loss=ex.direct_loss.cpu().numpy())
    ds.attrs.update(rank=spec.rank, p=p, weighting=weighting)
    return ds


def gd_stage(moments: xr.Dataset, *, p: int, rf: dict, seed: int, device=None, logger=log) -> xr.Dataset:
    """Plain gradient descent with rate ``rf.gd_vs_flow.eta`` from the flow's A_0, against the
    closed-form flow at ``rf.gd_vs_flow.taus`` (:func:`ridgeline.rf.stores.gd_dataset`).

    Parameters
    ----------
    moments : the rf_moments store. rf : the ``rf`` config section (gd_vs_flow, init_scale, eig_rel_tol).
    seed : the run's seed (stream ``rf-init``, shared with the flow).
    """
    U, V = _moment_tensors(moments, device)
    gd, dim = rf["gd_vs_flow"], V.shape[0]
    A0 = initial_readout(seed, dim, p, rf["init_scale"]).to(device)
    steps = gd_steps(gd["taus"], dim, gd["eta"])
    logger.info("GD with eta=%g: %d steps to tau=%g", gd["eta"], max(steps), max(gd["taus"]))
    taus, A_gd = gradient_descent(U, V, A0, gd["eta"], steps)
    spec = spectrum(U, rf["eig_rel_tol"])
    A_flow = flow_weights(spec, V, A0 / math.sqrt(p), taus.tolist()) * math.sqrt(p)
    gap = torch.linalg.norm(A_gd - A_flow, dim=(1, 2)).cpu().numpy()
    moved = torch.linalg.norm(A_flow - A0, dim=(1, 2)).cpu().numpy()
    for tau, g, m in zip(taus.tolist(), gap.tolist(), moved.tolist()):
        logger.info("tau=%g: |A_GD - A_flow| = %.3g (flow moved %.3g)", tau, g, m)
    return gd_dataset(taus=np.asarray(taus), gap=gap, moved=moved, steps=steps,
                      top_eigenvalue=float(spec.values.max()) / p, eta=gd["eta"])
