"""`python -m bench` (or `make bench`): every benchmark of the project, one after the other."""

import importlib

for name in ("bench.bench_guard", "bench.bench_addons", "bench.bench_odoo", "bench.bench_teams", "bench.bench_floor",
             "bench.bench_cold_start", "bench.bench_audit"):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        print(f"({name} not present)")
        continue
    print(f"== {name} ==")
    module.main()
    print()
