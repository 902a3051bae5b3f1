"""The bureau's web console (统筹 控制台): server-rendered FastAPI + Jinja2 + HTMX, ECharts served
locally from `static/` (built by scripts/build-assets.sh). `create_app(store, registry)` builds it;
`tongchou console` serves it (see `tongchou.web.cli`) and docs/console.md shows every page."""

from tongchou.web.app import create_app

__all__ = ["create_app"]
