"""The on-disk store of an ensemble, and the claim on its results folder.

``runs/<variant>.npy`` holds one array per variant of shape (replicates, months, places, observables),
float32; ``runs/done/<variant>.<replicate>`` marks a finished run and holds its seed and the CRC-32 of its
row. Rows are written with ordinary file writes (a full disk raises ``ENOSPC``; a write into a memory map
would kill the process with SIGBUS), and a run is marked done only after its row is written. A resume
trusts nothing it has not checked (`verify`): each array present with the expected shape, each finished
row with its seed and checksum; what fails the check is run again.

One process writes a results folder at a time: `claim` takes an exclusive lock on ``<folder>/.lock``
(released by the operating system when the process ends, also on ``kill -9``) and refuses a second writer.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import zlib
from pathlib import Path

import numpy as np

from .scenario import Scenario

DTYPE = np.dtype("<f4")


class FolderError(OSError):
    """A results folder that cannot be written or trusted; the message says which and why."""


def _crc(row: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(row, dtype=DTYPE).tobytes())


class Store:
    """The on-disk arrays of one ensemble folder."""

    def __init__(self, folder: Path, scenario: Scenario, shape: tuple[int, int, int]):
        self.folder = Path(folder)
        self.scenario = scenario
        self.shape = shape  # (months, places, observables)
        runs = self.folder / "runs"
        for d in (runs, runs / "done"):
            if d.exists() and not d.is_dir():
                raise FolderError(errno.ENOTDIR, f"{d} is not a folder; {self.folder} is not an intact results folder")
        (runs / "done").mkdir(parents=True, exist_ok=True)

    @property
    def full_shape(self) -> tuple[int, ...]:
        return (self.scenario.replicates,) + tuple(self.shape)

    def path(self, variant: str) -> Path:
        return self.folder / "runs" / f"{variant}.npy"

    def _create(self, variant: str) -> None:
        """A new array file: the .npy header, then a sparse run of zeros (no memory, no disk until written)."""
        p = self.path(variant)
        tmp = p.with_name("." + p.name + ".partial")
        with open(tmp, "wb") as f:
            np.lib.format.write_array_header_1_0(f, {"descr": DTYPE.str, "fortran_order": False,
                                                    "shape": self.full_shape})
            f.truncate(f.tell() + int(np.prod(self.full_shape)) * DTYPE.itemsize)
        os.replace(tmp, p)

    def _offset(self, variant: str) -> int:
        """Where the data of an existing array file begins, after checking its header."""
        p = self.path(variant)
        with open(p, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read(f)
            offset = f.tell()
        if tuple(shape) != self.full_shape or fortran or dtype != DTYPE:
            raise ValueError(f"shape {tuple(shape)} {dtype}, expected {self.full_shape} float32")
        if p.stat().st_size != offset + int(np.prod(shape)) * DTYPE.itemsize:
            raise ValueError(f"{p.stat().st_size} bytes, shorter or longer than its header says")
        return offset

    def array(self, variant: str, mode: str = "r") -> np.memmap:
        """The variant's array as a read-only memory map (rows of unfinished runs are zeros)."""
        if not self.path(variant).exists():
            self._create(variant)
        return np.load(self.path(variant), mmap_mode="r")

    def marker(self, variant: str, replicate: int) -> Path:
        return self.folder / "runs" / "done" / f"{variant}.{replicate:05d}"

    def is_done(self, variant: str, replicate: int) -> bool:
        return self.marker(variant, replicate).exists()

    def save(self, variant: str, replicate: int, values: np.ndarray) -> None:
        """Write one run's row, then mark it done with its seed and checksum."""
        if not self.path(variant).exists():
            self._create(variant)
        row = np.ascontiguousarray(values, dtype=DTYPE)
        if row.shape != tuple(self.shape):
            raise ValueError(f"run of shape {row.shape}, expected {self.shape}")
        offset = self._offset(variant) + replicate * row.nbytes
        data = memoryview(row.tobytes())
        fd = os.open(self.path(variant), os.O_WRONLY)
        try:
            while data:
                n = os.pwrite(fd, data, offset)
                data, offset = data[n:], offset + n
        except OSError as e:
            raise OSError(e.errno, e.strerror, str(self.path(variant))) from None
        finally:
            os.close(fd)
        m = self.marker(variant, replicate)
        tmp = m.with_name("." + m.name + ".partial")
        tmp.write_text(json.dumps({"seed": self.scenario.seed + replicate, "crc32": _crc(row)}), encoding="utf-8")
        os.replace(tmp, m)

    def completed(self, variant: str) -> list[int]:
        return [r for r in range(self.scenario.replicates) if self.is_done(variant, r)]

    def verify(self) -> list[str]:
        """Check what a resume would trust; drop what fails so it is run again. Returns what was dropped."""
        problems = []
        for v in self.scenario.variants:
            done = self.completed(v)
            p = self.path(v)
            reason = None
            if not p.exists():
                reason = "is missing"
            else:
                try:
                    self._offset(v)
                except (ValueError, OSError, EOFError) as e:
                    reason = f"is damaged ({str(e)[:100]})"
            if reason:
                if p.exists():
                    os.replace(p, p.with_name(p.name + ".damaged"))  # kept for a look, never read again
                for r in done:
                    self.marker(v, r).unlink()
                if done:
                    problems.append(f"runs/{p.name} {reason}: its {len(done)} finished run(s) will be run again")
                continue
            arr = np.load(p, mmap_mode="r")
            bad = []
            for r in done:
                try:
                    mark = json.loads(self.marker(v, r).read_text(encoding="utf-8"))
                    ok = mark["seed"] == self.scenario.seed + r and mark["crc32"] == _crc(arr[r])
                except (ValueError, KeyError, TypeError, OSError):
                    ok = False
                if not ok:
                    self.marker(v, r).unlink()
                    bad.append(r)
            del arr
            if bad:
                problems.append(f"runs/{p.name}: {len(bad)} finished run(s) fail their checksum and will be run "
                                f"again (replicates {', '.join(map(str, bad[:10]))}{' ...' if len(bad) > 10 else ''})")
        return problems

    def bytes_needed(self) -> int:
        return len(self.scenario.variants) * int(np.prod(self.full_shape)) * DTYPE.itemsize


# ------------------------------------------------------------------------------------------- the folder
class Claim:
    """The one-writer lock on a results folder (``<folder>/.lock``), held until the process ends.

    ``Claim(folder, fresh=True)`` creates the folder if needed and requires it new or empty; a second
    process claiming the same folder gets a FolderError saying who holds it. `abandon` undoes a fresh claim
    whose command failed before anything worth keeping was written: no empty results folder is left."""

    held: list["Claim"] = []  # the claims of this process, for the command line's error boundary

    def __init__(self, folder: Path, fresh: bool, what: str = "results folder"):
        self.folder, self.fresh, self.fd = Path(folder), fresh, None
        self.created = [p for p in reversed([self.folder, *self.folder.parents]) if not p.exists()]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise FolderError(errno.ENOTDIR, f"{self.folder} is a file; expected a folder for the results") from None
        except OSError as e:
            raise FolderError(e.errno, f"cannot create the {what} {self.folder}: {e.strerror}") from None
        try:
            self.fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            self._remove_created()
            raise FolderError(e.errno, f"cannot write into the {what} {self.folder}: {e.strerror}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self.fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(self.fd)
            raise FolderError(errno.EBUSY, f"{self.folder} is being written by {holder}; one writer per {what}: "
                                           "wait for it to finish, or choose another --out") from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"ebpsim process {os.getpid()}".encode(), 0)
        if fresh and any(p.name != ".lock" for p in self.folder.iterdir()):
            self.release()
            raise FolderError(errno.EEXIST, f"{self.folder} already exists and is not empty; choose another "
                                            "--out, or --resume it")
        Claim.held.append(self)

    @classmethod
    def abandon_all(cls) -> None:
        while cls.held:
            cls.held.pop().abandon()

    @staticmethod
    def any_kept(folder: Path) -> bool:
        """Whether `folder` holds a finished run, sensitivity draw or calibration generation (worth keeping
        after a failure)."""
        folder = Path(folder)
        return (any((folder / "runs" / "done").glob("*")) or any((folder / "rows" / "done").glob("*"))
                or (folder / "abc" / "state.json").exists())

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def abandon(self) -> None:
        """After a failure: a fresh folder with no finished run is removed (or emptied, if it was there before)."""
        if not self.fresh or self.any_kept(self.folder):
            self.release()
            return
        try:
            for p in list(self.folder.iterdir()) if self.folder.is_dir() else []:
                if p.name != ".lock":
                    shutil.rmtree(p, ignore_errors=True) if p.is_dir() and not p.is_symlink() else p.unlink()
            (self.folder / ".lock").unlink(missing_ok=True)
        except OSError:
            pass  # best effort: the command's own error is the one to report
        self.release()
        self._remove_created()

    def _remove_created(self) -> None:
        for p in reversed(self.created):  # innermost first; a parent only if nothing else is in it
            try:
                p.rmdir()
            except OSError:
                return
