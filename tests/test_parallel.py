import threading
from functools import partial

import numpy as np
import torch

from ridgeline.datasets import random_modes
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.metrics import trajectory_metrics
from ridgeline.models import RandomFeatures, RFScore
from ridgeline.parallel import default_workers, map_items


def _thread_and_kernels(item):
    return item, threading.get_ident(), torch.get_num_threads()


def test_map_items_keeps_order_uses_threads_and_restores_the_thread_count():
    before = torch.get_num_threads()
    out = map_items(_thread_and_kernels, range(40), workers=2)
    assert [o[0] for o in out] == list(range(40))
    assert all(o[2] == 1 for o in out)  # one torch thread per worker
    assert threading.get_ident() not in {o[1] for o in out}
    assert torch.get_num_threads() == before
    serial = map_items(_thread_and_kernels, range(3), workers=1)
    assert {o[1] for o in serial} == {threading.get_ident()}


def test_default_workers_is_one_on_a_gpu_and_the_thread_count_on_the_cpu():
    assert default_workers("cuda") == 1
    assert default_workers("cpu") == max(1, torch.get_num_threads())


def test_trajectory_metrics_are_the_same_with_parallel_snapshots():
    data = random_modes(30, 6, seed=1)
    g = torch.Generator().manual_seed(2)
    times = [1.0, 0.5, 0.2, 0.05]
    states = torch.randn(len(times), 25, 6, generator=g, dtype=torch.float64)
    scms = dict(tol=1e-8, max_iter=500, criterion="relative", method="scms")
    serial = trajectory_metrics(SmoothedEmpirical(data), times, states, ridge_dim=1, scms=scms, near_radius=0.3,
                                workers=1)
    threaded = trajectory_metrics(SmoothedEmpirical(data), times, states, ridge_dim=1, scms=scms, near_radius=0.3,
                                  workers=3)
    for name in ("scms_distance", "relative_residual", "eigengap", "projection", "nearest_ratio"):
        np.testing.assert_allclose(threaded[name].values, serial[name].values, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(threaded["time"].values, serial["time"].values)


def test_progress_callback_runs_in_the_calling_thread_in_item_order():
    seen = []
    map_items(_thread_and_kernels, range(12), workers=3, on_done=lambda k: seen.append((k, threading.get_ident())))
    assert [k for k, _ in seen] == list(range(12))
    assert {ident for _, ident in seen} == {threading.get_ident()}


def test_a_random_feature_model_can_be_evaluated_from_several_threads_at_once():
    feat = RandomFeatures(6, 300, 10.0, 4, generator=torch.Generator().manual_seed(3))
    W = torch.randn(6, 300, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    model = RFScore(feat, W, chunk=16)
    xs = torch.randn(24, 1500, 6, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    serial = [model.score(x, 0.3) for x in xs]
    threaded = map_items(partial(model.score, t=0.3), list(xs), workers=4)
    for a, b in zip(threaded, serial):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
