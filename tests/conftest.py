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


def execute_notebook(name, root):
    """Run notebooks/<name> top to bottom; return the outputs of its code cells (fails on any error)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(root / "notebooks" / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(root / "notebooks")}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)
    return outputs
