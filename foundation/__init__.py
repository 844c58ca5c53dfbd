"""The bottom of the layers: what every package of this server uses and nothing of ours is below.

- `env`: reading settings from the environment (`first_set`, `parse_bool`, `positive_int`) and
  their one error, `ConfigError` (a setting that cannot be used stops the start, naming it);
- `fastjson`: compact JSON on the per-call path (orjson, the stdlib as the fallback);
- `fsroot`: file work inside a root opened once, every step relative to a descriptor.

It imports none of the server's packages (`tests/test_layers.py`), no MCP, HTTP or Odoo library,
and holds no policy: the guard's words for its failures are the guard's (`guard.refusals`).
"""
