"""Start the workbench with uvicorn: loopback unless --allow-remote is given, and then with a warning."""

from __future__ import annotations

import ipaddress
import sys

from dhf_assets.lib.runtime.settings import Paths

from .app import LOOPBACK_NAMES, create_app
from .state import Workbench


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str, port: int, reviewer: str | None, allow_remote: bool = False) -> int:
    import uvicorn

    if not is_loopback(host):
        if not allow_remote:
            print(f"dhf review serve: refusing to bind {host}: the workbench has no login, so anyone who can reach "
                  "it can decide. Add --allow-remote if that is what you want.", file=sys.stderr)
            return 2
        print(f"WARNING: the review workbench listens on {host}:{port}, beyond this machine, with no login: "
              "anyone who reaches it can write decisions.", file=sys.stderr)
    if reviewer is not None and (not reviewer.strip() or reviewer.strip().lower() == "auto" or "\n" in reviewer):
        print("dhf review serve: --reviewer needs a name (not 'auto')", file=sys.stderr)
        return 2
    paths = Paths.from_env()
    bench = Workbench(paths.duckdb, paths.archive, paths.output)
    bench.refresh_snapshot(timeout_s=10.0)
    print(f"review workbench on http://{host}:{port}/ (archive {paths.archive}, tables {paths.duckdb})", flush=True)
    # Loopback: only loopback Host names are answered. --allow-remote: any name (the warning above applies).
    allowed = LOOPBACK_NAMES if is_loopback(host) else ["*"]
    uvicorn.run(create_app(bench, reviewer, allowed_hosts=allowed), host=host, port=port, log_level="warning",
                access_log=False)
    return 0
