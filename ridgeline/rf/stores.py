"""The stores of the closed-form flow (rule rf_flow) and of plain gradient descent against it
(rule rf_gd). No SCMS here: these rules depend only on the flow's own code."""

import numpy as np
import xarray as xr

from .. import dims
from ..io import variable


def flow_dataset(*, W, W0, eigenvalues, loss, l_star: float, excess, taus, direct_loss) -> xr.Dataset:
    """The store of a closed-form flow (rule rf_flow): W(tau) for every tau, the loss table, and the
    split of the excess loss into the architectural bias (at tau = inf, the last tau) and the
    optimization error L(W(tau)) - L(W_inf), each with its normal and tangential parts.

    Parameters
    ----------
    W : (G, D, p) readouts at ``taus`` (G,), increasing, the last inf. W0 : (D, p) the initial
        readout. eigenvalues : (p,) of U. loss : (G,) L(W(tau)). excess : (total, normal,
        tangential), each (G,). direct_loss : (G,) the loss summed point by point (a check).
    """
    if not np.isinf(taus[-1]):
        raise ValueError(f"the last tau must be inf (W_inf, the architectural bias), got {taus[-1]}")
    total, normal, tangential = (np.asarray(v) for v in excess)
    TAU, F, unit = dims.TAU, dims.FEATURE, "length^2"
    data = {
        "W": variable(W, (TAU, dims.COORD, F), "readout W(tau)"),
        "W0": variable(W0, (dims.COORD, F), "initial readout W_0 = A_0 / sqrt(p)"),
        "eigenvalues": variable(eigenvalues, (F,), "eigenvalues of U (clipped)"),
        "loss": variable(loss, (TAU,), "loss L(W(tau))", unit),
        "l_star": variable(float(l_star), (), "irreducible loss L*", unit),
        "excess": variable(total, (TAU,), "excess loss (1/D) E[lambda |m_W - m_t|^2]", unit),
        "excess_normal": variable(normal, (TAU,), "normal part of the excess loss", unit),
        "excess_tangential": variable(tangential, (TAU,), "tangential part of the excess loss", unit),
        "loss_check": variable(direct_loss, (TAU,), "L(W) summed point by point", unit),
    }
    for part, values, what in (("", total, ""), ("_normal", normal, "normal part of the "),
                               ("_tangential", tangential, "tangential part of the ")):
        data[f"bias{part}"] = variable(values[-1], (), f"{what}architectural bias L(W_inf) - L*", unit)
        data[f"optimization{part}"] = variable(values - values[-1], (TAU,),
                                               f"{what}optimization error L(W(tau)) - L(W_inf)", unit)
    return xr.Dataset(data, coords={TAU: variable(np.asarray(taus), (TAU,), "gradient-flow time tau")})


def gd_dataset(*, taus, gap, moved, steps, top_eigenvalue: float, eta: float) -> xr.Dataset:
    """The store of plain gradient descent against the closed-form flow (rule rf_gd), on ``tau`` (G,)."""
    return xr.Dataset(
        {
            "gap": variable(np.asarray(gap), (dims.TAU,), "|A_GD - A_flow| (Frobenius)"),
            "moved": variable(np.asarray(moved), (dims.TAU,), "|A_flow(tau) - A_0| (Frobenius)"),
            "steps": variable(np.asarray(steps), (dims.TAU,), "GD steps"),
            "top_eigenvalue": variable(float(top_eigenvalue), (), "largest eigenvalue of U / p"),
        },
        coords={dims.TAU: variable(np.asarray(taus), (dims.TAU,), "gradient-flow time tau = eta * steps / D")},
        attrs={"eta": eta},
    )
