import warnings

import pytest
import torch

warnings.filterwarnings("ignore", message="Object at .snakemake_timestamp is not recognized")


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(2)


@pytest.fixture
def thirteen():
    from ridgeline.datasets import named_set

    return named_set("thirteen")
