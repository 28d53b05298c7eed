"""Slide: synchronous coupling of a score model with the exact score (docs/method.md, "Slide").

Over the slide window t <= t_s the reverse process of the model, y, is integrated together with
the exact score's, y^e, started from the same states at t_s and driven by the same Brownian
increments. Alongside, the *linear response* R of the exact dynamics to the model's tangential
score error is integrated,

    dR = [R + c H(y^e) R + c P_T e(y)] dtau,   e = s_model - grad log p_t,   R(t_s) = 0,

(c = 2 for the reverse SDE, 1 for the probability-flow ODE; H the Hessian of log p_t, applied
without forming it), and the plain integral I = int c P_T e / a_t dtau, which is R without the
exact dynamics. P_T is the tangent projector of the *reference ridge*: the ridge frame of p_{t_s}
at (a_{t_s} / a_t) y, so the tangent stays defined at small t, where p_t is isotropic around each
training point and its own frame is arbitrary. The slide check compares the measured tangential
separation P_T (y - y^e) / a_t with R / a_t (:func:`slide_measures`).
"""

import logging
from dataclasses import dataclass

import torch

from .empirical import SmoothedEmpirical
from .forward import alpha, variance
from .ridge import ridge_frame_batched, span_tangents

log = logging.getLogger(__name__)

#: Factor of the score in the drift of each sampler: y + c s.
DRIFT_FACTOR = {"sde": 2.0, "ode": 1.0}


def reference_frames(dist: SmoothedEmpirical, y, t: float, t_ref: float, ridge_dim: int):
    """Yield (slice, RidgeFrame) of p_{t_ref} at the points (a_{t_ref} / a_t) y (B, D)."""
    yield from ridge_frame_batched(dist, y * (alpha(t_ref) / alpha(t)), t_ref, ridge_dim)


def reference_tangent_part(dist: SmoothedEmpirical, y, t: float, t_ref: float, ridge_dim: int, v) -> torch.Tensor:
    """P_T v with the tangent projector of the reference ridge at y (see the module docstring); (B, D).

    For training points that span a subspace only the k x k block in it is decomposed
    (:func:`ridgeline.ridge.span_tangents`).
    """
    tangents = span_tangents(dist, y * (alpha(t_ref) / alpha(t)), t_ref, ridge_dim)
    if tangents is not None:
        return (tangents @ (tangents.transpose(1, 2) @ v[:, :, None]))[:, :, 0]
    return torch.cat([frame.tangent_part(v[sl]) for sl, frame in reference_frames(dist, y, t, t_ref, ridge_dim)])


@dataclass
class SlideCoupling:
    """What a sampler needs to couple a run with the exact score over the slide window.

    Attributes
    ----------
    dist : p_t of the training set. ridge_dim : d. start_time : t_s, the start of the window.
    method : the sampler (``sde`` or ``ode``), for the drift factor of the response.
    n_samples : the first this many rows of the batch are coupled (all when None).
    """

    dist: SmoothedEmpirical
    ridge_dim: int
    start_time: float
    method: str = "sde"
    n_samples: int | None = None

    def start(self, y: torch.Tensor, t: float) -> "SlideState":
        """The coupled state at the first grid time t <= start_time, from the model's states y (B, D)."""
        rows = slice(0, y.shape[0] if self.n_samples is None else min(int(self.n_samples), y.shape[0]))
        origin = y[rows].clone()
        zero = torch.zeros_like(origin)
        return SlideState(self, float(t), rows, origin, origin.clone(), zero, zero.clone())


@dataclass
class SlideState:
    """Coupled quantities of a block of samples inside the slide window (all (B, D)).

    rows : the coupled rows of the model's batch. origin : their states at the window start
    t_start (= the exact run's start). exact : y^e, the exact score's states. response : R.
    integral : I (data scale).
    """

    coupling: SlideCoupling
    t_start: float
    rows: slice
    origin: torch.Tensor
    exact: torch.Tensor
    response: torch.Tensor
    integral: torch.Tensor

    def step(self, step, y, model_score, t: float, t_next: float, noise) -> None:
        """Advance the exact run, R and I from t to t_next, given the model's states y and score at t."""
        c, dist, dt = DRIFT_FACTOR[self.coupling.method], self.coupling.dist, t - t_next
        y, model_score = y[self.rows], model_score[self.rows]
        noise = None if noise is None else noise[self.rows]
        error = model_score - dist.score(y, t)
        drive = reference_tangent_part(dist, y, t, self.t_start, self.coupling.ridge_dim, error)
        exact_score, h_response = dist.score_and_hessian_product(self.exact, t, self.response)
        start = self.exact

        def score(x, s):  # the exact score at the step's start is known already
            return exact_score if x is start and s == t else dist.score(x, s)

        self.exact = step(score, self.exact, t, t_next, noise)
        self.response = self.response + dt * (self.response + c * h_response + c * drive)
        self.integral = self.integral + dt * c * drive / alpha(t)


@dataclass
class CoupledRun:
    """A sampling run with its slide coupling (see :func:`coupled_sample`).

    times : (S,) snapshot times. states : (S, B, D) the model's states.
    slide_times : (W,) the snapshot times inside the window (t < start_time).
    exact, response, integral : (W, B, D) at those times. origin : (B, D) the states at start_time.
    """

    times: torch.Tensor
    states: torch.Tensor
    start_time: float
    slide_times: torch.Tensor
    origin: torch.Tensor
    exact: torch.Tensor
    response: torch.Tensor
    integral: torch.Tensor


def coupled_sample(model, dist: SmoothedEmpirical, n_samples: int, *, grid, snapshot_idx, method: str,
                   generator, start_time: float, ridge_dim: int, logger=log, y0=None) -> CoupledRun:
    """Sample ``model`` from N(0, I) (or ``y0``) and couple it with the exact score over t <= start_time.

    The model's states are those of :func:`ridgeline.sampling.sample` with the same generator,
    draw for draw. Returns a :class:`CoupledRun` held in memory (controls and tests; the sampling
    jobs stream the same quantities to their store, :mod:`ridgeline.sample_store`).
    """
    from .progress import Progress
    from .sampling import _integrate, _snapshot_slots, snapshot_times

    slots = _snapshot_slots(snapshot_idx)
    device = dist.data.device
    y = (torch.randn(n_samples, dist.dim, generator=generator, dtype=torch.float64, device=device) if y0 is None
         else torch.as_tensor(y0, dtype=torch.float64, device=device).clone())
    states = torch.empty(len(slots), *y.shape, dtype=y.dtype, device=device)
    window = {}

    def record(slot, x, companion=None):
        states[slot] = x
        if companion is not None:
            window[slot] = (companion.exact, companion.response, companion.integral)
            window["state"] = companion

    coupling = SlideCoupling(dist, ridge_dim, start_time, method, n_samples)
    with Progress(len(grid) - 1, f"coupled sample ({method})", logger) as bar:
        _integrate(method, model.score, y, grid.tolist(), slots, generator, record, bar, coupling)
    times = snapshot_times(grid, snapshot_idx)
    state = window.pop("state", None)
    if state is None:
        raise ValueError(f"no snapshot lies inside the slide window t < {start_time}; "
                         "lower the window start or add snapshots")
    inside = sorted(window)
    stack = [torch.stack([window[k][j] for k in inside]) for j in range(3)]
    return CoupledRun(times, states, state.t_start, times[inside], state.origin, *stack)


def slide_measures(dist: SmoothedEmpirical, final, *, exact, response, integral, origin, t_final: float,
                   t_start: float, ridge_dim: int) -> dict:
    """Tangential separation of a coupled run at ``t_final`` against its predictions; dict of (B,) tensors.

    Parameters
    ----------
    final, exact, response, integral : (B, D) the model's and the exact score's states, R and I at
        t_final. origin : (B, D) the states at the window start t_start.

    Returns
    -------
    ``separation`` P_T (y - y^e) / a_t, ``response`` P_T R / a_t, ``integral`` P_T I, and the
    tangential drift of each run since the window start, ``drift_model`` and ``drift_exact``, all
    at data scale: for d = 1 signed along the unit tangent u of the reference ridge at the model's
    final state (one orientation per sample, shared by the five); for d > 1 their norms.
    ``residual`` |P_T (y - y^e - R)| / a_t and ``resolved_gap`` h_{t_s} (lambda_d - lambda_{d+1})
    of the reference frame.
    """
    a_final, a_start = alpha(t_final), alpha(t_start)
    vectors = {"separation": (final - exact) / a_final, "response": response / a_final, "integral": integral,
               "drift_model": final / a_final - origin / a_start, "drift_exact": exact / a_final - origin / a_start}
    out = {name: [] for name in [*vectors, "residual", "resolved_gap"]}
    for sl, frame in reference_frames(dist, final, t_final, t_start, ridge_dim):
        tangent = frame.tangent_part
        for name, v in vectors.items():
            out[name].append(_tangential_coordinate(frame, tangent(v[sl]), ridge_dim))
        out["residual"].append(tangent(vectors["separation"][sl] - vectors["response"][sl]).norm(dim=1))
        out["resolved_gap"].append(variance(t_start) * frame.eigengap())
    return {name: torch.cat(parts) for name, parts in out.items()}


def _tangential_coordinate(frame, v_tangent: torch.Tensor, ridge_dim: int) -> torch.Tensor:
    """Signed coordinate along the unit tangent (d = 1) or the norm (d > 1) of tangent vectors (B, D)."""
    if ridge_dim > 1:
        return v_tangent.norm(dim=1)
    unit = _unit_tangent(frame)
    return (v_tangent * unit).sum(dim=1)


def _unit_tangent(frame) -> torch.Tensor:
    """The unit tangent of a 1-D ridge frame, oriented so that its largest component is positive; (B, D)."""
    normal = frame.normal
    dim = normal.shape[1]
    eye = torch.eye(dim, dtype=normal.dtype, device=normal.device).expand(normal.shape[0], -1, -1)
    proj = eye - normal @ normal.transpose(1, 2)  # P_T: rank 1, any nonzero column spans it
    col = proj.diagonal(dim1=1, dim2=2).argmax(dim=1)
    u = proj[torch.arange(normal.shape[0]), :, col]
    u = u / u.norm(dim=1, keepdim=True).clamp_min(1e-300)
    sign = torch.sign(u.gather(1, u.abs().argmax(dim=1, keepdim=True)))
    return u * torch.where(sign == 0, torch.ones_like(sign), sign)
