"""Ready-made models, one architecture per file (layer 8 of glassnet)."""

from glassnet.models.alexnet import AlexNet
from glassnet.models.char_rnn import CharRNN, sample_ids, sample_logits
from glassnet.models.gan import DCGAN, GAN, MLPGAN
from glassnet.models.gnn import GAT, GCN, GraphSAGE
from glassnet.models.lenet import LeNet5
from glassnet.models.perceptron import ConvergenceWarning, Perceptron, PerceptronStep, PerceptronTrace
from glassnet.models.resnet import BasicBlock, ResNet, ResNet18, ResNet34
from glassnet.models.transformer_lm import TransformerLM
from glassnet.models.vgg import VGG16
from glassnet.models.vit import ViT

__all__ = ["Perceptron", "PerceptronTrace", "PerceptronStep", "ConvergenceWarning"]
__all__ += ["LeNet5", "AlexNet", "VGG16", "ResNet", "ResNet18", "ResNet34", "BasicBlock"]
__all__ += ["CharRNN", "sample_logits", "sample_ids", "TransformerLM", "ViT"]
__all__ += ["GAN", "DCGAN", "MLPGAN", "GCN", "GAT", "GraphSAGE"]

# Registers the perceptron exercise kind with glassnet.explain.exercises.
from glassnet.models import exercises  # noqa: E402, F401
