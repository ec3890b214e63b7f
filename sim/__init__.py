"""ebpsim: an agent-based model of how knowledge about evidence-based practice spreads through Swedish
social services, 2010-2020. See docs/ODD.md for the model description."""

from .model import EBPModel
from .parameters import AREAS, ParameterError, defaults

__all__ = ["EBPModel", "AREAS", "ParameterError", "defaults"]
__version__ = "0.1.0"
