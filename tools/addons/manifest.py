"""Reading an Odoo `__manifest__.py` without executing it, with the field's own parser.

Parsing is `manifestoo_core.manifest.Manifest.from_str` (OCA's manifestoo library), which uses
`ast.literal_eval`: a manifest is data and is never executed. We hand it the *text* we read by
descriptor (`read_manifest_at`), never a path, cap the size read (a manifest is a few kB; a
huge file is an attack or a mistake), and re-check what the library leaves loose (its list
check does not look at the items), so that one broken manifest becomes a `ManifestError` for
that module and never an exception that hides the others.
"""

from __future__ import annotations

import ast
import errno
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from manifestoo_core.exceptions import InvalidManifest
from manifestoo_core.manifest import Manifest as LibraryManifest

MANIFEST = "__manifest__.py"
MAX_MANIFEST_BYTES = 256 * 1024

_L10N_RE = re.compile(r"l10n_([a-z]{2})(?:_|$)")


class ManifestError(ValueError):
    """The manifest cannot be used: unreadable, not a literal dict, or a key of the wrong type."""


class Manifest(NamedTuple):
    """The manifest keys the tools use, typed; everything else in the file is ignored.

    Immutable (a cached scan shares it between calls); a named tuple rather than a frozen
    dataclass because it is built once per module on every cold scan and costs a fifth.
    """

    name: str
    version: str
    summary: str
    description: str
    category: str
    license: str
    author: str
    depends: tuple[str, ...]
    countries: tuple[str, ...]
    application: bool
    installable: bool
    auto_install: bool
    website: str | None = None
    development_status: str | None = None
    maintainers: tuple[str, ...] = ()
    external_dependencies: Mapping[str, tuple[str, ...]] = MappingProxyType({})


def _text(value: Any, key: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise ManifestError(f"{key!r} must be a string, not {type(value).__name__}")
    return value


def _flag(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if isinstance(value, list):  # Odoo allows auto_install to be a list of trigger modules
        return bool(value)
    if not isinstance(value, bool):
        raise ManifestError(f"{key!r} must be a boolean, not {type(value).__name__}")
    return value


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ManifestError(f"{key!r} must be a boolean, not {type(value).__name__}")
    return value


def _names(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if type(value) not in (list, tuple) or any(type(item) is not str for item in value):
        raise ManifestError(f"{key!r} must be a list of strings")
    return tuple(value)


def _external(value: dict[Any, Any]) -> dict[str, tuple[str, ...]]:
    if not all(isinstance(kind, str) for kind in value):
        raise ManifestError("'external_dependencies' keys must be strings")
    return {kind: _names(items, f"external_dependencies.{kind}") for kind, items in sorted(value.items())}


def _literal_error(exc: BaseException) -> ManifestError:
    cause = exc.__cause__ if isinstance(exc, InvalidManifest) and exc.__cause__ else exc
    line = getattr(cause, "lineno", None)
    if line is None and (found := re.search(r"on line (\d+)", str(cause))):
        line = int(found.group(1))
    where = f" at line {line}" if line else ""
    what = "a syntax error" if isinstance(cause, SyntaxError) else "code (a call, a name or an operation)"
    return ManifestError(f"not a Python literal: {what}{where}; never executed")


def parse_manifest_text(text: str, technical_name: str = "") -> Manifest:
    """Parse manifest source text (a Python literal dict) into a `Manifest`; never executes it."""
    try:
        parsed = LibraryManifest.from_str(text, source=technical_name or "<manifest>")
    except InvalidManifest as exc:
        if isinstance(exc.__cause__, SyntaxError):
            raise _literal_error(exc) from None
        raise ManifestError(str(exc).replace(f"Manifest {technical_name or '<manifest>'} ", "a manifest ")) from None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise _literal_error(exc) from None
    data = parsed.manifest_dict
    # The library checked the literal and its keys; the values are checked here, stricter than
    # its accessors (whose list check does not look at the items), in one pass over the dict.
    countries = _names(data.get("countries"), "countries")
    if not countries and (match := _L10N_RE.match(technical_name)):
        countries = (match.group(1),)
    external = data.get("external_dependencies") or {}
    if not isinstance(external, dict):
        raise ManifestError("'external_dependencies' must be a dict")
    return Manifest(
        name=_text(data.get("name"), "name", technical_name),
        version=_text(data.get("version"), "version"),
        summary=_text(data.get("summary"), "summary"),
        description=_text(data.get("description"), "description"),
        category=_text(data.get("category"), "category", "Uncategorized"),
        license=_text(data.get("license"), "license", "LGPL-3"),
        author=_text(data.get("author"), "author"),
        depends=_names(data.get("depends"), "depends"),
        countries=tuple(country.lower() for country in countries) if countries else (),
        application=_flag(data, "application", False),
        installable=_bool(data, "installable", True),
        auto_install=_flag(data, "auto_install", False),
        website=_text(data.get("website"), "website") or None,
        development_status=_text(data.get("development_status"), "development_status") or None,
        maintainers=_names(data.get("maintainers"), "maintainers"),
        external_dependencies=_external(external) if external else {},
    )


def read_manifest(module_dir: Path) -> Manifest:
    """Read and parse `module_dir/__manifest__.py` (size-capped, UTF-8), the folder opened without
    following a link (callers inside a root use `read_manifest_at` on a descriptor they walked)."""
    try:
        fd = os.open(module_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise ManifestError(f"cannot open the module folder: {exc.strerror or type(exc).__name__}") from None
    try:
        return read_manifest_at(fd, module_dir.name)
    finally:
        os.close(fd)


class NoManifest(ManifestError):
    """The folder has no `__manifest__.py` at all: not a module (not a broken one)."""


def read_manifest_at(module_fd: int, technical_name: str, seen: list[tuple[int, int, int]] | None = None) -> Manifest:
    """Read and parse the `__manifest__.py` of an open module folder, by descriptor.

    The manifest must be a regular file with one link: a symlink (it could lead out of the
    root) or a hard link (it could be an outside file) is refused and never read. `seen`, when
    given, receives the (mtime_ns, size, inode) of the file actually read, taken before reading:
    the index keys its cache on exactly what it parsed.
    """
    try:
        fd = os.open(MANIFEST, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=module_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ManifestError("__manifest__.py is a symlink; never read (it could lead out of the root)") from None
        if exc.errno == errno.ENOENT:
            raise NoManifest("no __manifest__.py") from None
        raise ManifestError(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    try:
        st = os.fstat(fd)
        if seen is not None:
            seen.append((st.st_mtime_ns, st.st_size, st.st_ino))
        if not stat.S_ISREG(st.st_mode):
            raise ManifestError("__manifest__.py is not a regular file")
        if st.st_nlink > 1:
            raise ManifestError("__manifest__.py has several hard links; never read (it could be an outside file)")
        raw = os.read(fd, min(st.st_size, MAX_MANIFEST_BYTES) + 1)  # not a 256 kB buffer per manifest
    finally:
        os.close(fd)
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError("not UTF-8") from None
    return parse_manifest_text(text, technical_name)


_INHERIT_RE = re.compile(r"""^\s*_inherit\s*=\s*(\[[^\]]*\]|\([^)]*\)|"[^"]*"|'[^']*')""", re.MULTILINE)
_NAME_RE = re.compile(r"""^\s*_name\s*=\s*("[^"]*"|'[^']*')""", re.MULTILINE)
MAX_MODEL_FILE_BYTES = 512 * 1024


def inherited_models(source: str) -> set[str]:
    """Model names a Python source file extends via `_inherit` (string or list), read as text.

    A class that sets both `_name` and `_inherit` to different models creates a new model
    (prototype inheritance); it still reads the parents, so we keep it — an overlap report
    is a hint for a human, better too wide than silent.
    """
    models: set[str] = set()
    for match in _INHERIT_RE.finditer(source):
        try:
            value = ast.literal_eval(match.group(1))
        except (ValueError, SyntaxError):
            continue
        values = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else []
        models.update(item for item in values if isinstance(item, str) and item)
    return models
