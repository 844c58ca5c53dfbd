"""Tools that move bytes between Odoo and the files root: backups, reports, attachments.

Every path is an argument the guard has already confined to `ODOO_MCP_FILES_DIR` (by name,
symlinks resolved). That check alone is not enough: a folder inside the root can be swapped
for a symlink between the check and the write. So handlers never re-open a path by name:
they open the root once (`foundation.fsroot.RootDir`), walk every folder of `call.paths[...]` with
`O_NOFOLLOW` relative to its parent's descriptor, and create (exclusively) or read the last
component relative to the final folder's descriptor. A swapped folder ends the call with
`[PATH REFUSED]`; a file with several hard links is never uploaded (it may be an outside file).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, model_validator

from foundation.fsroot import RootDir, RootPins
from guard.spec import Blob, Call, NotConfigured, PathArg, Risk, ToolArgs, ToolFailure, ToolOutput
from tools.odoo_kit import ConnectionName, Domain, FieldList, Ids, ModelName, OnModel, RecordId, sensitive
from tools.registry import tool

from .common import odoo, read_one

MAX_BYTES = 25 * 1024 * 1024
SavePath = Annotated[str | None, PathArg("files"),
                     Field(None, description="Output path under ODOO_MCP_FILES_DIR.")]


def files_root(call: Call) -> Path:
    root = call.runtime.settings.roots.files_dir
    if root is None:
        raise NotConfigured("ODOO_MCP_FILES_DIR is not set: no files root to write into")
    return Path(root)


def _root_pins(call: Call) -> RootPins:
    return call.runtime.service("files_root_pins", lambda _runtime: RootPins())


def open_files_root(call: Call, arg: str) -> RootDir:
    """The files root, opened by descriptor and pinned to the folder first seen."""
    return RootDir(files_root(call), arg, pins=_root_pins(call), key="files")


def write_new(call: Call, path: Path | str, data: bytes, arg: str = "save_path") -> dict[str, Any]:
    """Create `path` (inside the files root) exclusively, walking its folders by descriptor."""
    with open_files_root(call, arg) as root:
        parts = root.parts(path)
        root.create_file(parts, data)
    return {"path": "/".join(parts), "bytes": len(data)}


def read_existing(call: Call, path: Path | str, arg: str = "file_path") -> bytes:
    """Read a regular, singly linked file of the files root, walking its folders by descriptor."""
    with open_files_root(call, arg) as root:
        return root.read_file(root.parts(path), MAX_BYTES)


def _default_name(stem: str, suffix: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", stem)
    return f"{safe}_{time.strftime('%Y%m%dT%H%M%S')}{suffix}"


def _target(call: Call, stem: str, suffix: str) -> Path | str:
    return call.paths.get("save_path") or _default_name(stem, suffix)


class BackupArgs(OnModel):
    ids: Ids | None = None
    domain: Domain | None = None
    fields: FieldList = None
    limit: Annotated[int, Field(ge=1, le=10_000)] = 1000
    save_path: SavePath = None

    @model_validator(mode="after")
    def _one_selection(self) -> BackupArgs:
        if self.ids is None and self.domain is None:
            raise ValueError("give ids or a domain (use [] for every record)")
        return self


class ReportArgs(ToolArgs):
    connection: ConnectionName = None
    report_name: str = Field(pattern=r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$", max_length=256,
                             description="Technical report name, e.g. account.report_invoice.")
    ids: Ids
    save_path: SavePath = None


class UploadArgs(ToolArgs):
    connection: ConnectionName = None
    name: str = Field(min_length=1, max_length=255, description="Attachment file name.")
    res_model: ModelName | None = None
    res_id: RecordId | None = None
    file_path: Annotated[str | None, PathArg("files", must_exist=True),
                         Field(None, description="File to upload, inside the files root.")] = None
    content_base64: str | None = Field(None, max_length=MAX_BYTES * 4 // 3 + 4)
    mimetype: str | None = Field(None, pattern=r"^[\w.+-]+/[\w.+-]+$")

    @model_validator(mode="after")
    def _one_source(self) -> UploadArgs:
        if (self.file_path is None) == (self.content_base64 is None):
            raise ValueError("give exactly one of file_path or content_base64")
        return self


class DownloadArgs(ToolArgs):
    connection: ConnectionName = None
    attachment_id: RecordId
    save_path: SavePath = None


@tool("odoo_record_backup", family="odoo", risk=Risk.WRITE, args=BackupArgs, open_world=True)
def odoo_record_backup(args: BackupArgs, call: Call) -> Any:
    """Save records (by ids or domain) and their field values to a new JSON file in the files root."""
    connection = odoo(call, args.connection)
    sensitive.check_search(call, connection, args.model, domain=args.domain)
    kwargs = {"fields": args.fields} if args.fields else {}
    if args.ids is not None:
        records = connection.execute(args.model, "read", [args.ids], kwargs)
    else:
        records = connection.execute(args.model, "search_read", [args.domain], {**kwargs, "limit": args.limit})
    masked = sensitive.mask_rows(sensitive.rules_of(call), args.model, records, sensitive.schema_of(call, connection))
    document = {"connection": connection.alias, "model": args.model, "db": connection.config.db,
                "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "records": records,
                **({"masked_fields": masked} if masked else {})}
    data = json.dumps(document, ensure_ascii=False, indent=1, default=str).encode()
    written = write_new(call, _target(call, f"backup_{args.model}", ".json"), data)
    return {**written, "model": args.model, "records": len(records), **sensitive.masked_note(masked)}


@tool("odoo_report", family="odoo", risk=Risk.WRITE, args=ReportArgs, open_world=True)
def odoo_report(args: ReportArgs, call: Call) -> Any:
    """Render a PDF report for records: saved to save_path in the files root, or returned as an embedded
    resource when save_path is omitted."""
    sensitive.check_report(call, odoo(call, args.connection), args.report_name)
    pdf = odoo(call, args.connection).report_pdf(args.report_name, args.ids)
    if len(pdf) > MAX_BYTES:
        raise ToolFailure(f"report is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if "save_path" in call.paths:
        return {**write_new(call, call.paths["save_path"], pdf), "report_name": args.report_name}
    name = f"{args.report_name}.pdf"
    return ToolOutput(data={"report_name": args.report_name, "ids": args.ids, "bytes": len(pdf), "name": name},
                      blobs=(Blob(name, "application/pdf", pdf),))


@tool("odoo_attachment_upload", family="odoo", risk=Risk.WRITE, args=UploadArgs, open_world=True)
def odoo_attachment_upload(args: UploadArgs, call: Call) -> Any:
    """Create an attachment from a file in the files root or from base64 content."""
    if args.res_model:
        sensitive.check_model(call, args.res_model)
    if args.file_path is not None:
        data = read_existing(call, call.paths["file_path"])
    else:
        try:
            data = base64.b64decode(args.content_base64 or "", validate=True)
        except (binascii.Error, ValueError):
            raise ToolFailure("content_base64 is not valid base64") from None
    values: dict[str, Any] = {"name": args.name, "datas": base64.b64encode(data).decode("ascii")}
    if args.res_model:
        values["res_model"] = args.res_model
    if args.res_id:
        values["res_id"] = args.res_id
    if args.mimetype:
        values["mimetype"] = args.mimetype
    created = odoo(call, args.connection).execute("ir.attachment", "create", [[values]])
    attachment_id = created[0] if isinstance(created, list) else created
    return {"id": attachment_id, "name": args.name, "bytes": len(data)}


@tool("odoo_attachment_download", family="odoo", risk=Risk.READ, args=DownloadArgs, open_world=True)
def odoo_attachment_download(args: DownloadArgs, call: Call) -> Any:
    """Fetch an attachment: saved to save_path in the files root, or returned as an embedded resource."""
    row = read_one(odoo(call, args.connection), "ir.attachment", args.attachment_id,
                   {"fields": ["name", "mimetype", "datas", "res_model", "res_field"]}, what="attachment")
    sensitive.check_attachment(call, row)
    data = base64.b64decode(row.get("datas") or b"")
    if "save_path" in call.paths:
        return {**write_new(call, call.paths["save_path"], data), "attachment_id": args.attachment_id}
    name = str(row.get("name") or f"attachment_{args.attachment_id}")
    mime_type = str(row.get("mimetype") or "application/octet-stream")
    return ToolOutput(data={"attachment_id": args.attachment_id, "name": name, "mimetype": mime_type,
                            "bytes": len(data)}, blobs=(Blob(name, mime_type, data),))
