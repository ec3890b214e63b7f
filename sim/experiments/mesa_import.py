"""Importing Mesa a fifth faster, for every command that runs the model.

Mesa names the logger of its model module after the module that asks for it by calling `inspect.stack()`
and `inspect.getouterframes()`, which read the source line of every frame on the stack and, to find each
frame's module, map every loaded module to its file (the realpath of each: thousands of system calls). At
import time the stack is deep and a few hundred modules are loaded: about 0.15 s of importing Mesa, paid
by every run before the model starts. While Mesa is imported, `import_mesa` lets these two functions (and
`inspect.getmodule` of a frame) answer from the frames themselves: the same frames, names and modules,
without the source lines, which Mesa does not read. Outside that import, `inspect` is untouched.
"""

from __future__ import annotations

import inspect
import sys


def _frames(frame) -> list[inspect.FrameInfo]:
    out = []
    while frame is not None:
        out.append(inspect.FrameInfo(frame, frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name, None, None))
        frame = frame.f_back
    return out


def _stack(context=1):
    return _frames(sys._getframe(1))


def _getouterframes(frame, context=1):
    return _frames(frame)


def _getmodule(obj, _filename=None, _real=inspect.getmodule):
    if inspect.isframe(obj):
        return sys.modules.get(obj.f_globals.get("__name__"))
    return _real(obj, _filename)


def import_mesa() -> None:
    """Import Mesa (if it is not yet), with the light stack inspection above."""
    if "mesa" in sys.modules:
        return
    real = inspect.stack, inspect.getouterframes, inspect.getmodule
    inspect.stack, inspect.getouterframes, inspect.getmodule = _stack, _getouterframes, _getmodule
    try:
        import mesa  # noqa: F401
    finally:
        inspect.stack, inspect.getouterframes, inspect.getmodule = real
