"""Score models behind one interface: ``score(x, t)`` and ``posterior_mean(x, t)``.

Both take x of shape (B, D) (float64 on the model's device) and a scalar time t (or times of
shape (B,)), and return (B, D) float64. The posterior mean is that of a_t X_0 given X_t = x, so
score = (posterior_mean - x) / h_t.
"""

from .base import ScoreModel
from .exact import ExactScore
from .neural import NeuralScore, ScoreMLP, train_neural_score
from .random_features import RandomFeatures, RFScore, features_from_moments
from .gaussian import GaussianScore
from .loading import LATENT_MODELS, MODEL_NAMES, load_latent_model, load_rf_score, load_score_model

__all__ = ["ScoreModel", "ExactScore", "GaussianScore", "NeuralScore", "ScoreMLP", "train_neural_score", "RandomFeatures", "RFScore", "features_from_moments",
           "MODEL_NAMES", "LATENT_MODELS", "load_score_model", "load_latent_model", "load_rf_score"]
