"""fastshear: fast shearlet and Radon transforms, dense-ReLU networks and the solvers of imaging
inverse problems, on a C++ core (OpenMP, FFTW)."""
from . import nn, phantoms
from .nn import DenseNet
from .shearlet2d import Shearlet2D, ShearletFallbackWarning, shearlet_denoise
from .shearlet3d import Shearlet3D, shearlet_denoise3d
from .radon import Radon2D
from . import ct, operators, solvers  # noqa: E402  (after the plans they use)
from . import explain  # noqa: E402
from .explain import edges  # noqa: E402
from . import lti  # noqa: E402  (PyTorch imported only when a network is used)

__version__ = "0.1.0"

__all__ = ["Shearlet2D", "ShearletFallbackWarning", "shearlet_denoise", "phantoms", "__version__",
           "Shearlet3D", "shearlet_denoise3d", "Radon2D", "ct", "operators", "solvers", "DenseNet", "nn",
           "explain", "edges", "lti"]
