"""The review web app (``reelgraph serve``): routers per resource, Jinja2 templates beside
them, htmx and the stylesheet shipped in ``static/`` (no CDN)."""
