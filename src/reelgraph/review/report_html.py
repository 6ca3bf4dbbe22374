"""Self-contained HTML reports with plots, for QC operators and mixers to forward.

A report is a folder: ``index.html`` plus the PNG figures and CSV files it links to, so it
can be zipped and mailed or opened straight from disk. Plots are drawn with matplotlib's
Agg backend (no display needed).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
th { background: #f2f2f2; } .fail { background: #fde2e2; } .warning { background: #fff3cd; }
.pass { color: #1a7f37; font-weight: bold; } .failed { color: #c62828; font-weight: bold; }
figure { margin: 1em 0; } figcaption { font-size: 0.9em; color: #555; }
img { max-width: 100%; border: 1px solid #ddd; }
"""


def new_figure(width: float = 10.0, height: float = 3.2) -> Figure:
    """A matplotlib figure that needs no display."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


class HtmlReport:
    def __init__(self, folder: Path, title: str) -> None:
        self.folder = folder
        self.title = title
        self.parts: list[str] = []
        folder.mkdir(parents=True, exist_ok=True)

    def heading(self, text: str, level: int = 2) -> None:
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str, css: str | None = None) -> None:
        cls = f' class="{css}"' if css else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def table(
        self, header: Sequence[str], rows: Sequence[Sequence[Any]], row_css: Sequence[str] = ()
    ) -> None:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = []
        for i, row in enumerate(rows):
            cls = f' class="{row_css[i]}"' if i < len(row_css) and row_css[i] else ""
            cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
            body.append(f"<tr{cls}>{cells}</tr>")
        self.parts.append(f"<table><tr>{head}</tr>{''.join(body)}</table>")

    def figure(self, figure: Figure, name: str, caption: str) -> Path:
        path = self.folder / f"{name}.png"
        figure.savefig(path)
        self.image(path.name, caption)
        return path

    def image(self, relative: str, caption: str) -> None:
        src = html.escape(relative)
        self.parts.append(
            f'<figure><img src="{src}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def raw(self, fragment: str) -> None:
        """Append an HTML fragment as is (the caller escapes what it interpolates)."""
        self.parts.append(fragment)

    def link(self, relative: str, text: str) -> None:
        self.parts.append(f'<p><a href="{html.escape(relative)}">{html.escape(text)}</a></p>')

    def write(self) -> Path:
        page = (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{html.escape(self.title)}</h1>{''.join(self.parts)}</body></html>"
        )
        path = self.folder / "index.html"
        path.write_text(page, encoding="utf-8")
        return path


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 1e6 else f"{value:.3g}"
    return "" if value is None else str(value)
