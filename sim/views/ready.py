"""Imported by the painters' fork server (``painters.py``), before it forks a painter: loads the plotting
modules and draws one small figure, so that the fonts and caches every figure needs are loaded once, in the
server, and each painter starts with them."""

from .results import warm_up

warm_up()
