"""Showing the model and its results: the plot style, plots of an ensemble's results, the animated map
(``map``, ``timeline``, ``export``, ``animation``) and the live app (``app``). Nothing in the model
(``sim/*.py``) imports from here."""
