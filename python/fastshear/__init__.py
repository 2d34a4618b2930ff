"""fastshear: fast shearlet and Radon transforms, dense-ReLU networks and the solvers of imaging
inverse problems, on a C++ core (OpenMP, FFTW)."""
from . import nn, phantoms
from .nn import DenseNet
from .shearlet import Shearlet2D, ShearletFallbackWarning, shearlet_denoise

__version__ = "0.1.0"

__all__ = ["Shearlet2D", "ShearletFallbackWarning", "shearlet_denoise", "phantoms", "__version__", "DenseNet", "nn"]
