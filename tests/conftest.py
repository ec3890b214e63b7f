import pytest

from sim import EBPModel


@pytest.fixture(scope="session")
def baseline():
    """One default run, shared by the tests that only read it."""
    return EBPModel(seed=1).run()


def national(model, observable):
    """A national observable as a pandas Series indexed by date."""
    df = model.results()
    sel = df[(df["county"] == "national") & (df["observable"] == observable)]
    return sel.set_index("date")["value"]


def at(model, observable, when, county="national"):
    df = model.results()
    sel = df[(df["county"] == county) & (df["observable"] == observable) & (df["date"] == when)]
    return float(sel["value"].iloc[0])
