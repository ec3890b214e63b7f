"""ebpsim: an agent-based model of how knowledge about evidence-based practice spreads through Swedish
social services, 2010-2020. See docs/ODD.md for the model description."""

from .model import EBPModel
from .parameters import AREAS, ParameterError, defaults

__all__ = ["EBPModel", "AREAS", "ParameterError", "defaults", "evaluate"]
__version__ = "0.1.0"


def __getattr__(name):
    """`sim.evaluate` (sim/experiments/evaluate.py), loaded on first use: importing the model does not load
    the machinery that runs it, and the model modules never import it."""
    if name == "evaluate":
        import importlib

        return importlib.import_module(".experiments.evaluate", __name__).evaluate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
