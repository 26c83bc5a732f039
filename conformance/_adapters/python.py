"""Drive a Python implementation in this process, without the wire protocol.

The cheapest way to certify Python code: no process, no JSON round trip.  The adapter
takes what Python users already have, so nobody has to write glue to be tested.  What
``obj`` may be, tried in this order:

1. a jsonschema validator object (anything with ``iter_errors``): a record is rejected
   with the messages of ``iter_errors(record)``;
2. a pydantic v2 model class (a class with ``model_validate``): ``model_validate(record)``;
   a ``pydantic.ValidationError`` rejects, one message a line of its errors;
3. an object with ``create``, ``transition`` and ``get`` methods (``reset`` optional):
   a lifecycle store.  ``create(record)``, ``transition(run_id, status, at, output)``
   (``output`` only passed when there is one) and ``get(run_id)`` return the record (a
   dict, an object with ``model_dump()`` -- dumped with every field, ``None`` included --
   or a dataclass instance, whose date-times are written in ISO form); ``get`` returning
   ``None`` means "no such run".  A refusal is a raised rejection exception, whose
   message becomes the error.  A *class* with these methods is instantiated with no
   arguments, and ``reset`` without a ``reset`` method then makes a fresh instance.
   With a ``validate`` method as well, the store is a validator too (``validate`` is
   called like a callable below);
4. any other callable: ``fn(record)`` returning a bool, or an object with a ``valid``
   attribute (falsy rejects; ``errors`` optional); raising a rejection exception rejects.
   Any other return accepts: the validate-or-raise shape of fastjsonschema's compiled
   functions, ``model_validate``, msgspec's ``convert``, attrs classes and marshmallow's
   ``load``, which return the record (or ``None``, or a model) and raise to refuse.  A
   return that may be a verdict in another convention -- a number, a string, a list or
   tuple, or a ``{"valid": ..}`` dict -- is an error unless it is the record itself.

Which exceptions are rejections is ``rejections`` (by default ``ValueError`` -- which
includes ``pydantic.ValidationError`` -- and ``jsonschema.ValidationError``; the user adds
classes with ``--rejects-with MOD:CLASS``).  An exception of the implementation's own class
that is not one of them is reported with a hint saying so.  Any other
exception, or a return that reads as a verdict the kit cannot take, is an
:class:`ImplementationError`: a crash is never mistaken for a rejection, nor a refusal
for an acceptance.  Records are deep-copied on the way in so an
implementation that mutates its argument cannot corrupt the kit's cases, and records
coming out must be JSON, as they would have to be on the wire.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import importlib
import importlib.metadata
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import Any

import jsonschema
from inngest_conformance._encode import clip, one_line
from inngest_conformance.errors import TargetError as TargetError  # re-exported

from .base import Answer, Description, ImplementationError, LifecycleAnswer, Unsupported

DEFAULT_REJECTIONS: tuple[type[BaseException], ...] = (ValueError, jsonschema.ValidationError)
_LIFECYCLE_METHODS = ("create", "transition", "get")


def load_target(spec: str) -> object:
    """Import ``"pkg.mod:attr.sub"`` and return ``pkg.mod.attr.sub``.

    As with ``python -m``, the current directory is importable.
    """
    module_name, colon, attr_path = spec.partition(":")
    module_name, attr_path = module_name.strip(), attr_path.strip()
    if not colon or not module_name or not attr_path:
        raise TargetError(
            f"target {spec!r} is not MODULE:OBJECT; write e.g. 'mypkg.checks:validate_run'"
        )
    cwd = os.getcwd()
    if "" not in sys.path and cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TargetError(
            f"cannot import module {module_name!r} ({_one_line(str(exc))}); check the name "
            "and run from the folder that holds it, or add that folder to PYTHONPATH"
        ) from exc
    except Exception as exc:
        raise TargetError(
            f"importing module {module_name!r} raised {type(exc).__name__}: "
            f"{_one_line(str(exc))}; fix the module so that it imports"
        ) from exc
    obj: object = module
    walked = module_name
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TargetError(
                f"{walked!r} has no attribute {part!r}; check the name after the colon in {spec!r}"
            ) from None
        walked += ("." if walked != module_name else ":") + part
    return obj


def rejection_classes(specs: Iterable[str]) -> tuple[type[BaseException], ...]:
    """The default rejections plus the exception classes named ``"MOD:CLASS"`` in ``specs``."""
    named: list[type[BaseException]] = []
    for spec in specs:
        cls = load_target(spec)
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            raise TargetError(
                f"--rejects-with {spec!r} is {type(cls).__name__}, not an exception class; "
                "name the class your implementation raises to refuse, e.g. 'mystore:Refused'"
            )
        named.append(cls)
    return (*DEFAULT_REJECTIONS, *named)


def _one_line(text: str, limit: int = 300) -> str:
    return clip(one_line(text), limit)


def _qualified_name(obj: object) -> str:
    named = isinstance(obj, type) or (callable(obj) and hasattr(obj, "__qualname__"))
    target = obj if named else type(obj)
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or repr(obj)
    return f"{module}.{name}" if module and module != "builtins" else str(name)


def _distribution_version(obj: object) -> str:
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", None) or ""
    top = module.split(".")[0]
    if not top or top in ("__main__", "builtins"):
        return ""
    try:
        return importlib.metadata.version(top)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return ""


def _has_methods(obj: object, names: Iterable[str]) -> bool:
    return all(callable(getattr(obj, n, None)) for n in names)


def _is_pydantic_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("pydantic") and callable(getattr(exc, "errors", None))


def _rejection_messages(exc: BaseException) -> tuple[str, ...]:
    if _is_pydantic_error(exc):
        lines = []
        for err in exc.errors():  # type: ignore[attr-defined]
            loc = ".".join(str(p) for p in err.get("loc", ()))
            msg = str(err.get("msg", ""))
            lines.append(f"{loc}: {msg}" if loc else msg)
        if lines:
            return tuple(lines)
    if isinstance(exc, jsonschema.ValidationError):
        return (str(exc.message),)
    return (str(exc) or type(exc).__name__,)


def _isoformat_datetimes(value: Any) -> Any:
    """Date-times of a dataclass record in ISO form, as pydantic's JSON mode writes them."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _isoformat_datetimes(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_isoformat_datetimes(v) for v in value]
    return value


def _reads_as_a_verdict(result: object, record: object) -> bool:
    """Whether a return that is neither a bool nor an object with ``.valid`` may be a
    verdict in another convention: a number (``0`` for no), a string (an error message),
    a list of errors, or the wire protocol's ``{"valid": ..}``.  Read as "accepted", such a
    return would turn every refusal into an acceptance, so it is an error, unless it is
    the record itself (a validator that returns what it was given).
    """
    if isinstance(result, dict):
        shaped = "valid" in result and set(result) <= {"valid", "errors"}
        verdict_like = shaped and isinstance(result["valid"], bool)
    else:
        verdict_like = isinstance(result, int | float | str | bytes | list | tuple)
    if not verdict_like or result is record:
        return False
    try:
        return bool(result != record)
    except Exception:
        return True


def _error_text(item: object) -> str:
    if isinstance(item, jsonschema.ValidationError):
        return str(item.message)
    return str(item)


class PythonAdapter:
    """An in-process implementation behind the :class:`~._adapters.base.Adapter` API.

    Its lifecycle calls may come from several threads at once (the concurrency level's
    clients): it keeps no state of its own per call.
    """

    concurrent = True

    def __init__(
        self,
        obj: object,
        *,
        rejections: tuple[type[BaseException], ...] = DEFAULT_REJECTIONS,
        name: str | None = None,
    ) -> None:
        self.obj: Any = obj
        self.rejections = rejections
        self.name = name or _qualified_name(obj)
        self.warnings: list[str] = []
        self._factory: Callable[[], object] | None = None
        self._validate: Callable[[Any], Answer] | None = None
        self._store: Any = None
        self.kind: str

        if callable(getattr(obj, "iter_errors", None)) and not isinstance(obj, type):
            self.kind = "jsonschema"
            self._validate = self._validate_jsonschema
        elif isinstance(obj, type) and callable(getattr(obj, "model_validate", None)):
            self.kind = "pydantic"
            self._validate = self._validate_pydantic
        elif _has_methods(obj, _LIFECYCLE_METHODS):
            self.kind = "lifecycle"
            if isinstance(obj, type):
                self._factory = obj
                self._store = self._instantiate(obj)
            else:
                self._store = obj
            if callable(getattr(self._store, "validate", None)):
                self._validate = self._validate_callable
        elif callable(obj):
            self.kind = "callable"
            self._validate = self._validate_callable
        else:
            raise TargetError(
                f"{self.name} ({type(obj).__name__}) cannot be tested: give a jsonschema "
                "validator, a pydantic model class, an object with create/transition/get, "
                "or a callable taking a record"
            )

    @staticmethod
    def _instantiate(cls: Callable[[], object]) -> Any:
        try:
            return cls()
        except Exception as exc:
            raise TargetError(
                f"cannot make a store with {_qualified_name(cls)}(): {type(exc).__name__}: "
                f"{_one_line(str(exc))}; give an instance instead"
            ) from exc

    # Adapter API ------------------------------------------------------------------------

    @property
    def display_name(self) -> str:
        return self.name

    @property
    def launch_command(self) -> str:
        return ""

    def describe(self) -> Description:
        roles: list[str] = []
        if self._validate is not None:
            roles.append("validator")
        if self._store is not None:
            roles.append("lifecycle")
        return Description(
            name=self.name,
            version=_distribution_version(self.obj),
            language="python",
            roles=tuple(roles),
        )

    def validate(self, record: Any) -> Answer:
        if self._validate is None:
            raise Unsupported(f"{self.name} is not a validator (it has no validate method)")
        return self._validate(copy.deepcopy(record))

    def reset(self) -> None:
        store = self._lifecycle_store("reset")
        method = getattr(store, "reset", None)
        if callable(method):
            self._call("reset", method)
        elif self._factory is not None:
            self._store = self._instantiate(self._factory)
        else:
            raise Unsupported(f"{self.name} has no reset method")

    def create(self, record: dict[str, Any]) -> LifecycleAnswer:
        store = self._lifecycle_store("create")
        request = {"op": "create", "record": record}
        return self._lifecycle_call(request, "create", store.create, copy.deepcopy(record))

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> LifecycleAnswer:
        store = self._lifecycle_store("transition")
        request: dict[str, Any] = {"op": "transition", "run_id": run_id, "status": status, "at": at}
        args: list[Any] = [run_id, status, at]
        if output is not None:
            request["output"] = output
            args.append(copy.deepcopy(output))
        return self._lifecycle_call(request, "transition", store.transition, *args)

    def get(self, run_id: str) -> LifecycleAnswer:
        store = self._lifecycle_store("get")
        request = {"op": "get", "run_id": run_id}
        return self._lifecycle_call(request, "get", store.get, run_id)

    def close(self) -> None:
        """Nothing to release; here for the Adapter API."""

    def __enter__(self) -> PythonAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Validators -------------------------------------------------------------------------

    def _validate_jsonschema(self, record: Any) -> Answer:
        request = {"op": "validate", "record": record}
        errors = self._call("iter_errors", lambda: list(self.obj.iter_errors(record)), request)
        return Answer(valid=not errors, errors=tuple(_error_text(e) for e in errors))

    def _validate_pydantic(self, record: Any) -> Answer:
        request = {"op": "validate", "record": record}
        model_validate = self.obj.model_validate
        try:
            model_validate(record)
        except Exception as exc:
            if _is_pydantic_error(exc) or isinstance(exc, self.rejections):
                return Answer(valid=False, errors=_rejection_messages(exc))
            raise self._crash("model_validate", exc, request) from None
        return Answer(valid=True)

    def _validate_callable(self, record: Any) -> Answer:
        request = {"op": "validate", "record": record}
        fn = self._store.validate if self._store is not None else self.obj
        what = "validate" if self._store is not None else self.name
        try:
            result = fn(record)
        except self.rejections as exc:
            return Answer(valid=False, errors=_rejection_messages(exc))
        except (Exception, SystemExit) as exc:
            raise self._crash(what, exc, request) from None
        if isinstance(result, bool):
            return Answer(valid=result)
        if hasattr(result, "valid") and not isinstance(result, dict):
            errors = getattr(result, "errors", None) or ()
            if isinstance(errors, str):
                errors = (errors,)
            try:
                texts = tuple(_error_text(e) for e in errors)
            except TypeError:
                texts = (str(errors),)
            valid = bool(result.valid)
            return Answer(valid=valid, errors=() if valid else texts)
        if _reads_as_a_verdict(result, record):
            raise ImplementationError(
                f"{what} returned {type(result).__name__} {_one_line(repr(result), 80)}, "
                "which reads as a verdict the kit cannot take: return True/False or an object "
                "with .valid (and .errors), or return anything else (the record, None) to "
                "accept and raise to refuse",
                request=request,
            )
        # The validate-or-raise shape (fastjsonschema, pydantic, msgspec, attrs,
        # marshmallow): it did not raise, so it accepted.
        return Answer(valid=True)

    # Lifecycle --------------------------------------------------------------------------

    def _lifecycle_store(self, op: str) -> Any:
        if self._store is None:
            raise Unsupported(f"{self.name} is not a lifecycle store (no create/transition/get)")
        return self._store

    def _lifecycle_call(
        self, request: dict[str, Any], op: str, method: Callable[..., Any], *args: Any
    ) -> LifecycleAnswer:
        try:
            result = method(*args)
        except self.rejections as exc:
            return LifecycleAnswer(ok=False, error="; ".join(_rejection_messages(exc)))
        except (Exception, SystemExit) as exc:
            raise self._crash(op, exc, request) from None
        if result is None:
            if op == "get":
                return LifecycleAnswer(ok=False, error=f"get({args[0]!r}) returned None")
            raise ImplementationError(
                f"{op} returned None; return the record (or raise ValueError to refuse)",
                request=request,
            )
        return LifecycleAnswer(ok=True, record=self._as_json(op, result, request))

    def _as_json(self, op: str, result: Any, request: dict[str, Any]) -> Any:
        if not isinstance(result, dict) and callable(getattr(result, "model_dump", None)):
            # Every field, None included: a kept None is the store's answer, to be judged.
            try:
                result = result.model_dump(mode="json", exclude_none=False)
            except TypeError:
                result = result.model_dump()
        elif dataclasses.is_dataclass(result) and not isinstance(result, type):
            result = _isoformat_datetimes(dataclasses.asdict(result))
        if not isinstance(result, dict):
            raise ImplementationError(
                f"{op} returned {type(result).__name__} {_one_line(repr(result), 80)}; "
                "return the record as a dict, a pydantic model or a dataclass",
                request=request,
            )
        try:
            # A round trip both copies the record and proves it could cross the wire.
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as exc:
            raise ImplementationError(
                f"{op} returned a record that is not JSON: {_one_line(str(exc))}",
                request=request,
            ) from None

    # Crashes ----------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[], Any], request: Any = None) -> Any:
        try:
            return fn()
        except (Exception, SystemExit) as exc:
            raise self._crash(what, exc, request) from None

    def _crash(self, what: str, exc: BaseException, request: Any) -> ImplementationError:
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        reason = f"raised {type(exc).__name__}: {_one_line(str(exc))}"
        if type(exc).__module__ != "builtins" and isinstance(exc, Exception):
            # The implementation's own class: most likely how it refuses.
            name = f"{type(exc).__module__}:{type(exc).__qualname__}"
            reason += (
                f"; a refusal must raise ValueError, or name its class: --rejects-with {name} "
                f"(pytest: conformance_rejects_with = {name})"
            )
        return ImplementationError(reason, detail=detail, request=request)
