"""Running the model: scenario files and their schema, the ensemble runner and its on-disk store, result
tables and manifests. Nothing in the model (``sim/*.py``) imports from here."""
