"""Reading an Odoo `__manifest__.py` without executing it.

Upstream evaluates manifests with `ast.literal_eval`, which is right: a manifest is data.
We keep that, cap the size read (a manifest is a few kB; a huge file is an attack or a
mistake), and check the types of the keys we use, so that one broken manifest becomes a
`ManifestError` for that module and never an exception that hides the others.
"""

from __future__ import annotations

import ast
import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "__manifest__.py"
MAX_MANIFEST_BYTES = 256 * 1024

_L10N_RE = re.compile(r"l10n_([a-z]{2})(?:_|$)")


class ManifestError(ValueError):
    """The manifest cannot be used: unreadable, not a literal dict, or a key of the wrong type."""


@dataclass(frozen=True)
class Manifest:
    """The manifest keys the tools use, typed; everything else in the file is ignored."""

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


def _text(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
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


def _names(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ManifestError(f"{key!r} must be a list of strings")
    return tuple(value)


def parse_manifest_text(text: str, technical_name: str = "") -> Manifest:
    """Parse manifest source text (a Python literal dict) into a `Manifest`; never executes it."""
    try:
        data = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        if line is None and (found := re.search(r"on line (\d+)", str(exc))):
            line = int(found.group(1))
        where = f" at line {line}" if line else ""
        what = "a syntax error" if isinstance(exc, SyntaxError) else "code (a call, a name or an operation)"
        raise ManifestError(f"not a Python literal: {what}{where}; never executed") from None
    if not isinstance(data, dict):
        raise ManifestError(f"a manifest is a dict, this one is a {type(data).__name__}")
    countries = _names(data, "countries")
    if not countries and (match := _L10N_RE.match(technical_name)):
        countries = (match.group(1),)
    return Manifest(
        name=_text(data, "name", technical_name),
        version=_text(data, "version"),
        summary=_text(data, "summary"),
        description=_text(data, "description"),
        category=_text(data, "category", "Uncategorized"),
        license=_text(data, "license", "LGPL-3"),
        author=_text(data, "author"),
        depends=_names(data, "depends"),
        countries=tuple(country.lower() for country in countries),
        application=_flag(data, "application", False),
        installable=_flag(data, "installable", True),
        auto_install=_flag(data, "auto_install", False),
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


def read_manifest_at(module_fd: int, technical_name: str) -> Manifest:
    """Read and parse the `__manifest__.py` of an open module folder, by descriptor.

    The manifest must be a regular file with one link: a symlink (it could lead out of the
    root) or a hard link (it could be an outside file) is refused and never read.
    """
    try:
        fd = os.open(MANIFEST, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=module_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ManifestError("__manifest__.py is a symlink; never read (it could lead out of the root)") from None
        raise ManifestError(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ManifestError("__manifest__.py is not a regular file")
        if st.st_nlink > 1:
            raise ManifestError("__manifest__.py has several hard links; never read (it could be an outside file)")
        raw = os.read(fd, MAX_MANIFEST_BYTES + 1)
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
