"""Checkpoints load with weights_only=True: a crafted file cannot run code, and the refusal names the fix."""

import numpy as np
import pytest
import torch

from ridgeline.checkpoints import CheckpointError, load_checkpoint, plain, save_checkpoint
from ridgeline.models import NeuralScore, ScoreMLP
from ridgeline.models.vae import VAE, load_vae, save_vae


class _Payload:
    """Unpickling this object creates a file (a harmless stand-in for running a command)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_crafted_checkpoint_is_refused_without_running_its_code(tmp_path):
    marker = tmp_path / "ran"
    torch.save({"hparams": {}, "state_dict": {}, "losses": _Payload(marker)}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="evil.pt.*--forcerun"):
        NeuralScore.load(tmp_path / "evil.pt")
    assert not marker.exists()
    # negative control: the loader this replaces would have run it
    torch.load(tmp_path / "evil.pt", weights_only=False)
    assert marker.exists()


def test_networks_round_trip_with_numpy_losses_and_checkpoints(tmp_path):
    module = ScoreMLP(2, 10.0, 1e-3, hidden=8, n_fourier=4, generator=torch.Generator().manual_seed(0))
    losses = np.linspace(1.0, 0.5, 7)
    NeuralScore(module).save(tmp_path / "n.pt", losses=losses, checkpoints={3: module.state_dict()},
                             kept_step=np.int64(7), provenance={"seed": np.int64(0), "lr": np.float64(1e-3)})
    ckpt = load_checkpoint(tmp_path / "n.pt")
    np.testing.assert_array_equal(ckpt["losses"].numpy(), losses)
    assert ckpt["kept_step"] == 7 and type(ckpt["provenance"]["lr"]) is float
    x = torch.zeros(2, 2, dtype=torch.float64)
    assert torch.equal(NeuralScore.load(tmp_path / "n.pt").score(x, 0.5), NeuralScore(module).score(x, 0.5))
    vae = VAE(4, [8], 16, generator=torch.Generator().manual_seed(1))
    save_vae(vae, tmp_path / "v.pt", provenance={"epochs": np.int64(2)})
    z = torch.randn(3, 4)
    assert torch.equal(load_vae(tmp_path / "v.pt").decode(z), vae.eval().decode(z))


def test_plain_turns_numpy_into_tensors_and_numbers(tmp_path):
    out = plain({"a": np.arange(3), "b": [np.float32(2.5), (np.int16(1),)], "c": "text"})
    assert torch.equal(out["a"], torch.arange(3)) and out["b"] == [2.5, (1,)] and out["c"] == "text"
    save_checkpoint({"a": np.arange(3), "b": np.float64(0.5)}, tmp_path / "p.pt")
    back = load_checkpoint(tmp_path / "p.pt")
    assert torch.equal(back["a"], torch.arange(3)) and back["b"] == 0.5
