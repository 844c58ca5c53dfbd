"""The MCP wire: stdio, the first answers given before the SDK is imported, and what `tools/list` shows.

- `stdio`: serving MCP over stdin/stdout (no thread hop per line);
- `handshake`, `listing_cache`, `fast_start`: the first `initialize` and `tools/list` of a stdio
  session, answered from the last start's cache or before the SDK is imported (standard library
  only where the launcher imports them: keep this `__init__` free of imports);
- `listed_schema`: what `tools/list` shows of a tool's arguments; `grant_listing`: which tools each
  grant is shown, and `notifications/tools/list_changed` after a reload;
- `sdk_adapter`: the only module that reads the MCP SDK's private parts.
"""
