"""Tool handlers, one sub-package per family; each registers its `ToolSpec`s in `tools.registry`."""
