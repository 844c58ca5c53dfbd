"""Website snippet tools (upstream names and arguments): list, add, update, remove, on a page's markup.

Each edit reads the field, changes the XML tree (QWeb kept), checks the inserted attributes,
backs the previous value up into the files root, writes once, and answers with a diff. A value
that changed between the read and the write is not overwritten.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from lxml import etree
from pydantic import AfterValidator, Field, model_validator

from guard.refusals import Conflict
from guard.spec import Call, Risk, ToolArgs, ToolFailure
from odoo_client.errors import OdooFault
from tools.odoo.common import odoo, read_one
from tools.odoo.files import write_new
from tools.odoo_kit import ConnectionName, FieldName, OnModel, RecordId, sensitive
from tools.registry import tool
from tools.translations.common import check_readable
from tools.translations.markup import safe_substitutions

from . import arch

Lang = Annotated[str, Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$", description="Language of the content.")]
XPath = Annotated[str, Field(min_length=1, max_length=512, description="From odoo_website_list_page_snippets.")]
Substitutions = Annotated[dict[str, Annotated[str, Field(max_length=10_000)]],
                          AfterValidator(safe_substitutions),
                          Field(max_length=50, description='{"xpath": text, "xpath/@attr": value, '
                                                           '"xpath/@style:prop": value}.')]
CATEGORIES = {"structure": ("banner", "cover", "text", "image", "title", "column", "feature", "picture"),
              "dynamic": ("dynamic", "blog", "product", "event"), "effect": ("parallax", "carousel", "anim"),
              "content": ("quote", "table", "card", "faq", "timeline", "comparison", "countdown", "map")}


class ListSnippetsArgs(ToolArgs):
    connection: ConnectionName = None
    category: Literal["structure", "content", "dynamic", "effect", "unknown"] | None = None
    module: str | None = Field(None, pattern=r"^[a-z0-9_]{1,64}$")
    search: str | None = Field(None, max_length=100)
    limit: Annotated[int, Field(ge=1, le=500)] = 200


class PageArgs(OnModel):
    res_id: RecordId
    field_name: FieldName
    lang: Lang | None = None


class EditArgs(PageArgs):
    lang: Lang = "en_US"
    dry_run: bool = False


class AddArgs(EditArgs):
    snippet_key: str = Field(pattern=r"^[a-z0-9_]+\.s_[a-z0-9_]+$", max_length=128)
    position: Literal["end", "begin", "after", "before", "replace"] = "end"
    anchor_xpath: XPath | None = None
    substitutions: Substitutions = Field(default_factory=dict)

    @model_validator(mode="after")
    def _anchor(self) -> AddArgs:
        if self.position in ("after", "before", "replace") and not self.anchor_xpath:
            raise ValueError(f"position {self.position!r} needs anchor_xpath")
        return self


class UpdateArgs(EditArgs):
    snippet_xpath: XPath
    substitutions: Substitutions = Field(min_length=1)


class RemoveArgs(EditArgs):
    snippet_xpath: XPath


def _category(slug: str) -> str:
    return next((name for name, words in CATEGORIES.items() if any(w in slug for w in words)), "unknown")


@tool("odoo_website_list_snippets", family="website", risk=Risk.READ, args=ListSnippetsArgs, idempotent=True,
      open_world=True)
def odoo_website_list_snippets(args: ListSnippetsArgs, call: Call) -> Any:
    """List the website snippet templates (ir.ui.view keys like website.s_banner) with a category."""
    domain: list[Any] = [["type", "=", "qweb"], ["key", "ilike", ".s\\_"]]
    if args.module:
        domain.append(["key", "=like", args.module.replace("_", "\\_") + ".s\\_%"])
    if args.search:
        domain += ["|", ["key", "ilike", args.search], ["name", "ilike", args.search]]
    rows = odoo(call, args.connection).execute("ir.ui.view", "search_read", [domain],
                                               {"fields": ["key", "name"], "limit": 500, "order": "key"})
    found = []
    for row in rows:
        slug = str(row.get("key") or "").split(".", 1)[-1]
        if not slug.startswith("s_"):
            continue
        category = _category(slug)
        if args.category and category != args.category:
            continue
        found.append({"id": row["id"], "key": row["key"], "name": row.get("name"), "category": category})
    return {"snippets": found[: args.limit], "count": len(found)}


def _read(call: Call, args: PageArgs) -> tuple[Any, str]:
    connection = odoo(call, args.connection)
    check_readable(call, connection, args.model, args.field_name)
    kwargs: dict[str, Any] = {"fields": [args.field_name]}
    if args.lang:
        kwargs["context"] = {"lang": args.lang}
    row = read_one(connection, args.model, args.res_id, kwargs)
    value = row.get(args.field_name) or ""
    if not isinstance(value, str):
        raise ToolFailure(f"{args.model}.{args.field_name} is not a text or HTML field")
    return connection, value


@tool("odoo_website_list_page_snippets", family="website", risk=Risk.READ, args=PageArgs, idempotent=True,
      open_world=True)
def odoo_website_list_page_snippets(args: PageArgs, call: Call) -> Any:
    """List the snippets in a page's markup (a view's arch_db or an HTML field) with the xpath of each."""
    _, value = _read(call, args)
    root = arch.parse(value, f"{args.model}.{args.field_name}")
    rows = []
    for index, node in enumerate(arch.snippets(root)):
        text = re.sub(r"\s+", " ", "".join(node.itertext())).strip()
        background = re.search(r"url\(['\"]?([^'\")]+)", node.get("style") or "")
        rows.append({"index": index, "name": node.get("data-snippet") or (node.get("class") or "").split()[0],
                     "data_name": node.get("data-name"), "xpath": arch.path_of(root, node), "preview": text[:150],
                     **({"background": background.group(1)} if background else {})})
    return {"snippets": rows}


VIEW_ARCH = ("arch_db", "arch")


def check_page(call: Call, connection: Any, args: PageArgs) -> None:
    """The edit tools change website content only: the arch of a website page's view (`website.page`), or an
    HTML field of a record. Other views (`web.layout`, backend forms, snippet templates) run for every page or
    every user, and no snippet belongs in them."""
    if args.model == "ir.ui.view":
        if args.field_name not in VIEW_ARCH:
            raise ToolFailure(f"ir.ui.view.{args.field_name} is not a page's markup: only arch_db is edited")
        try:
            pages = connection.execute("website.page", "search_count", [[["view_id", "=", args.res_id]]])
        except OdooFault:
            pages = 0
        if not pages:
            raise ToolFailure(f"view {args.res_id} is not a website page's view: the website tools edit pages "
                              "(website.page) and HTML fields, never layouts, templates or backend views")
        return
    info = sensitive.schema_of(call, connection)[args.model].get(args.field_name)
    if info is None or info.type != "html":
        kind = f"a {info.type} field" if info is not None else "not a field Odoo describes"
        raise ToolFailure(f"{args.model}.{args.field_name} is {kind}: the website tools edit HTML fields and website "
                          "pages' views only (a page's markup: model ir.ui.view, the page's view_id, arch_db)")


def _edit(args: EditArgs, call: Call, change: Callable[[etree._Element], str]) -> Any:
    check_page(call, odoo(call, args.connection), args)
    connection, before = _read(call, args)
    sensitive.check_values(call, args.model, {args.field_name: ""})
    root = arch.parse(before, f"{args.model}.{args.field_name}")
    done = change(root)
    after = arch.serialise(root)
    answer: dict[str, Any] = {"change": done, "diff": arch.diff(before, after)}
    if args.dry_run:
        return {"dry_run": True, **answer}
    stamp = time.strftime("%Y%m%dT%H%M%S")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{args.model}_{args.res_id}_{args.field_name}_{args.lang}")
    backup = write_new(call, f"website_backup_{name}_{stamp}_{time.monotonic_ns() % 10**6}.xml", before.encode(),
                       arg="backup")
    _, current = _read(call, args)
    if current != before:
        raise Conflict("the content changed while it was being edited; nothing was written (the backup is kept)")
    connection.execute(args.model, "write", [[args.res_id], {args.field_name: after}],
                       {"context": {"lang": args.lang}})
    return {"written": True, "backup": backup["path"], **answer}


@tool("odoo_website_add_snippet", family="website", risk=Risk.WRITE, args=AddArgs, open_world=True)
def odoo_website_add_snippet(args: AddArgs, call: Call) -> Any:
    """Insert a snippet template into a page's markup (QWeb kept, attributes checked); backs the old markup
    up in the files root, one write, answers a diff."""
    connection = odoo(call, args.connection)
    rows = connection.execute("ir.ui.view", "search_read", [[["type", "=", "qweb"], ["key", "=", args.snippet_key]]],
                              {"fields": ["arch_db", "name"], "limit": 1})
    if not rows:
        slug = args.snippet_key.split(".", 1)[1]
        near = connection.execute("ir.ui.view", "search_read", [[["type", "=", "qweb"], ["key", "ilike", slug]]],
                                  {"fields": ["key"], "limit": 5})
        raise ToolFailure(f"no snippet {args.snippet_key!r}" + (f"; close: {', '.join(r['key'] for r in near)}"
                                                                 if near else ""))
    body = arch.snippet_body(rows[0]["arch_db"])
    # what Odoo's editor sets when a snippet is dropped: without them the editor (and
    # odoo_website_list_page_snippets) does not see the section as a snippet
    body.set("data-snippet", body.get("data-snippet") or args.snippet_key.split(".", 1)[1])
    body.set("data-name", body.get("data-name") or str(rows[0].get("name") or body.get("data-snippet")))
    arch.apply_substitutions(body, args.substitutions)

    def change(root: etree._Element) -> str:
        if args.position in ("end", "begin"):
            holder = root.find(".//*[@id='wrap']")
            holder = holder if holder is not None else root
            holder.insert(0 if args.position == "begin" else len(holder), body)
        else:
            anchor = arch.find(root, args.anchor_xpath or "", "anchor_xpath")
            if args.position == "before":
                anchor.addprevious(body)
            elif args.position == "after":
                anchor.addnext(body)
            else:
                body.tail = anchor.tail
                anchor.getparent().replace(anchor, body)
        return f"added {args.snippet_key} ({args.position}) at {arch.path_of(root, body)}"

    return _edit(args, call, change)


@tool("odoo_website_update_snippet", family="website", risk=Risk.WRITE, args=UpdateArgs, open_world=True)
def odoo_website_update_snippet(args: UpdateArgs, call: Call) -> Any:
    """Change texts, attributes or style properties inside one snippet of a page (attributes checked); backup,
    one write, diff."""
    def change(root: etree._Element) -> str:
        node = arch.find(root, args.snippet_xpath, "snippet_xpath")
        arch.apply_substitutions(node, args.substitutions)
        return f"updated {arch.path_of(root, node)}"

    return _edit(args, call, change)


@tool("odoo_website_remove_snippet", family="website", risk=Risk.DESTRUCTIVE, args=RemoveArgs, open_world=True)
def odoo_website_remove_snippet(args: RemoveArgs, call: Call) -> Any:
    """Remove one snippet from a page's markup; the previous markup is backed up in the files root; answers a
    diff."""
    def change(root: etree._Element) -> str:
        node = arch.find(root, args.snippet_xpath, "snippet_xpath")
        where = arch.path_of(root, node)
        parent = node.getparent()
        if node.tail:
            previous = node.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + node.tail
            else:
                parent.text = (parent.text or "") + node.tail
        parent.remove(node)
        return f"removed {where}"

    return _edit(args, call, change)
