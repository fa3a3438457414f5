"""``xinyong serve``: the portal and API."""

from __future__ import annotations

import typer
import uvicorn

from xinyong.cli.common import console


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    access_log: bool = typer.Option(True, help="Log every request on stderr."),
) -> None:
    """Serve the portal and the API on an existing database (its schema is migrated on
    first use)."""
    from xinyong.api.app import create_app
    from xinyong.settings import get_settings

    settings = get_settings()
    base = f"http://{host}:{port}"
    console.print(f"database:   {settings.database_url}")
    console.print(f"[bold]portal:     {base}/[/]")
    console.print(f"statistics: {base}/statistics")
    console.print(f"your file:  {base}/me  (a subject token from var/demo-keys.txt in the demo)")
    console.print(f"authority:  {base}/console  (an authority's API key)")
    console.print(f"API:        {base}/api/v1/entities?q=厦门")
    console.print(f"API docs:   {base}/docs")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=access_log)
