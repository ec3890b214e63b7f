"""ebpsim: an agent-based model of how knowledge about evidence-based practice spreads through Swedish
social services, 2010-2020. See docs/ODD.md for the model description."""

from .parameters import AREAS, ParameterError, defaults

__all__ = ["EBPModel", "AREAS", "ParameterError", "defaults", "evaluate"]
__version__ = "0.1.0"


def __getattr__(name):
    """`sim.EBPModel` and `sim.evaluate` (sim/experiments/evaluate.py), loaded on first use: reading the
    parameters, the country or the observables (a scenario check, a plot of finished runs) does not pay for
    importing Mesa, and importing the model does not load the machinery that runs it."""
    if name == "EBPModel":
        from .model import EBPModel

        return EBPModel
    if name == "evaluate":
        import importlib

        return importlib.import_module(".experiments.evaluate", __name__).evaluate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
