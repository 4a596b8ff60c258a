"""Ready-made models, one architecture per file (layer 8 of glassnet)."""

from glassnet.models.perceptron import ConvergenceWarning, Perceptron, PerceptronStep, PerceptronTrace

__all__ = ["Perceptron", "PerceptronTrace", "PerceptronStep", "ConvergenceWarning"]
