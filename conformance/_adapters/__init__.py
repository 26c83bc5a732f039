"""Adapters: one implementation under test, whatever its language, behind one API.

* :class:`PythonAdapter` -- a Python object in this process (``--target MOD:OBJ``);
* :class:`ProcessAdapter` -- a program speaking JSON Lines on stdin/stdout (``--command``);
* :class:`HttpAdapter` -- a service answering the same JSON objects over HTTP (``--url``).
"""

from __future__ import annotations

from ..errors import TargetError
from .base import (
    ROLES,
    Adapter,
    Answer,
    Description,
    ImplementationError,
    LifecycleAdapter,
    LifecycleAnswer,
    StartError,
    Unsupported,
    ValidatorAdapter,
)
from .http import HttpAdapter
from .process import ProcessAdapter
from .python import PythonAdapter, load_target, rejection_classes

__all__ = [
    "ROLES",
    "Adapter",
    "Answer",
    "Description",
    "HttpAdapter",
    "ImplementationError",
    "LifecycleAdapter",
    "LifecycleAnswer",
    "ProcessAdapter",
    "PythonAdapter",
    "StartError",
    "TargetError",
    "Unsupported",
    "ValidatorAdapter",
    "load_target",
    "rejection_classes",
]
