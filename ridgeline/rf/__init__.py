"""Random-feature experiments: the quadrature of the feature distribution, the feature moments,
the closed-form gradient flow and gradient descent, the excess-loss split, their stores and figures
(docs/method.md, "Random features")."""
