"""The on-disk store of an ensemble: one array per variant, ``runs/<variant>.npy`` of shape
(replicates, months, places, observables), opened as a memory map, and a marker per finished run in
``runs/done/``. A row is trusted only once its run is marked done, and marked only after it is flushed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .scenario import Scenario


class Store:
    """The on-disk arrays of one ensemble folder."""

    def __init__(self, folder: Path, scenario: Scenario, shape: tuple[int, int, int]):
        self.folder = Path(folder)
        self.scenario = scenario
        self.shape = shape  # (months, places, observables)
        (self.folder / "runs" / "done").mkdir(parents=True, exist_ok=True)

    def path(self, variant: str) -> Path:
        return self.folder / "runs" / f"{variant}.npy"

    def array(self, variant: str, mode: str = "r+") -> np.memmap:
        p = self.path(variant)
        if not p.exists():
            # A sparse file of zeros: a row is read only after its run is marked done (`completed`), and
            # not filling it keeps the whole ensemble out of memory when it is created.
            arr = np.lib.format.open_memmap(p, mode="w+", dtype=np.float32,
                                            shape=(self.scenario.replicates,) + self.shape)
            del arr
        return np.load(p, mmap_mode=mode)

    def marker(self, variant: str, replicate: int) -> Path:
        return self.folder / "runs" / "done" / f"{variant}.{replicate:05d}"

    def is_done(self, variant: str, replicate: int) -> bool:
        return self.marker(variant, replicate).exists()

    def save(self, variant: str, replicate: int, values: np.ndarray) -> None:
        arr = self.array(variant)
        arr[replicate] = values
        arr.flush()
        del arr
        self.marker(variant, replicate).touch()  # only a complete, flushed row is marked done

    def completed(self, variant: str) -> list[int]:
        return [r for r in range(self.scenario.replicates) if self.is_done(variant, r)]
