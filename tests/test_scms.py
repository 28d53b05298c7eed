import math

import numpy as np
import pytest
import torch

from ridgeline.datasets import named_set
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.ridge import ridge_frame
from ridgeline.scms import ridge_set_2d, scms_project

sconce = pytest.importorskip("sconce.EucSCMS", reason="test oracle: pip install --no-deps sconce-scms")


def _starts(n, scale=3.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 2, generator=g, dtype=torch.float64) * scale


@pytest.mark.parametrize("name,t", [("thirteen", 0.3), ("triangle", 0.5)])
def test_scms_agrees_with_sconce_to_1e6(name, t):
    data = named_set(name)
    a, h = math.exp(-t), 1 - math.exp(-2 * t)
    x0 = SmoothedEmpirical(data).draw(300, t, torch.Generator().manual_seed(0))
    ref = sconce.SCMSLog(x0.numpy(), a * data, d=1, h=math.sqrt(h), eps=1e-9, max_iter=4000)[:, :, -1]
    res = scms_project(SmoothedEmpirical(data), x0, t, ridge_dim=1, tol=1e-9, max_iter=4000, criterion="absolute")
    dist = np.linalg.norm(res.points.numpy() - ref, axis=1)
    assert res.converged.float().mean().item() >= 0.99
    # where the Hessian is numerically isotropic (far from the data: Cov_w ~ 0) the normal frame is
    # defined by round-off alone and sconce (which decomposes -I/h + Cov/h^2 - g g^T + g g^T) wanders;
    # compare where the frame is well defined
    defined = (h * res.eigengap).numpy() > 1e-3
    assert defined.mean() > 0.4
    assert np.mean(dist[defined] < 1e-6) >= 0.99


@pytest.mark.parametrize("method", ["scms", "newton"])
def test_fixed_points_are_ridge_points(method):
    dist = SmoothedEmpirical(named_set("thirteen"))
    res = scms_project(dist, _starts(400), 0.3, ridge_dim=1, tol=1e-8, max_iter=3000, method=method)
    ok = res.converged
    assert ok.float().mean().item() > 0.95
    fr = ridge_frame(dist, res.points[ok], 0.3, 1)
    assert bool((fr.relative_residual() < 1e-8).all())
    again = scms_project(dist, res.points[ok], 0.3, ridge_dim=1, tol=1e-8, max_iter=5)
    assert bool((again.iterations == 0).all())
    assert torch.equal(again.points, res.points[ok])


def test_newton_lands_on_the_same_ridge_as_plain_scms():
    dist = SmoothedEmpirical(named_set("thirteen"))
    x0 = _starts(500, seed=4)
    plain = scms_project(dist, x0, 0.3, ridge_dim=1, tol=1e-9, max_iter=4000, criterion="absolute")
    newton = scms_project(dist, x0, 0.3, ridge_dim=1, tol=1e-9, max_iter=4000, criterion="absolute", method="newton")
    both = plain.converged & newton.converged
    # same ridge: every Newton fixed point is within 1e-3 of the plain SCMS ridge point set
    d = torch.cdist(newton.points[both], plain.points[both]).min(dim=1).values
    assert torch.quantile(d, 0.99).item() < 1e-3
    assert newton.iterations.float().mean() < plain.iterations.float().mean()


def test_two_mode_projection_lands_on_the_axis():
    dist = SmoothedEmpirical(named_set("two_mode"))
    x0 = torch.tensor([[0.5, 0.3], [-1.0, -0.2], [2.0, 0.1]], dtype=torch.float64)
    res = scms_project(dist, x0, 0.5, ridge_dim=1, tol=1e-10, max_iter=2000)
    assert bool(res.converged.all())
    assert torch.allclose(res.points[:, 1], torch.zeros(3, dtype=torch.float64), atol=1e-8)


def test_ridge_set_of_two_points_is_the_segment_at_moderate_t():
    dist = SmoothedEmpirical(named_set("two_mode"))
    res = ridge_set_2d(dist, 0.5, size=30, margin=1.0, tol=1e-8, max_iter=2000)
    on = res.converged & res.curvature_ok
    assert on.float().mean().item() > 0.9
    assert torch.allclose(res.points[on, 1], torch.zeros(int(on.sum()), dtype=torch.float64), atol=1e-6)


def test_unknown_options_are_rejected():
    dist = SmoothedEmpirical(named_set("two_mode"))
    with pytest.raises(ValueError, match="criterion"):
        scms_project(dist, _starts(2), 0.5, ridge_dim=1, criterion="loose")
    with pytest.raises(ValueError, match="method"):
        scms_project(dist, _starts(2), 0.5, ridge_dim=1, method="magic")


@pytest.mark.parametrize("frames", ["full", "truncated", "tracked"])
def test_results_are_ordinary_tensors_though_scms_iterates_in_inference_mode(frames):
    dist = SmoothedEmpirical(named_set("thirteen"))
    res = scms_project(dist, _starts(20), 0.3, ridge_dim=1, tol=1e-8, max_iter=500, frames=frames)
    for out in (res.points, res.converged, res.iterations, res.residual, res.curvature_ok, res.eigengap):
        assert not out.is_inference()
    res.points.add_(0.0)  # in place, outside inference mode
    # the span basis, cached during the run, feeds autograd afterwards (an inference tensor could not)
    x = res.points.clone().requires_grad_(True)
    (x @ dist.span()[0]).square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    # control: a tensor made in inference mode refuses the same in-place update
    with torch.inference_mode():
        made_inside = res.points * 1.0
    with pytest.raises(RuntimeError, match="[Ii]nference"):
        made_inside.add_(0.0)
