"""Links from a written page to files beside it (the evidence of a cell).

A page written with `--out` may be opened from anywhere the folder is copied
to (a CI artifact, a shared drive), so a link is relative to the page's own
folder. Without a folder (the page went to stdout) or without a relative path
between the two (Windows drives differ), the link is the file's URI: it works
on the machine that wrote the page only, which is the best there is.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote


def file_href(target: str | Path, page_dir: Path | None) -> str:
    """The href that reaches `target` from a page in `page_dir`."""
    target = Path(target).resolve()
    if page_dir is not None:
        try:
            relative = os.path.relpath(target, Path(page_dir).resolve())
        except ValueError:  # no relative path (another drive): the URI below
            pass
        else:
            return quote(Path(relative).as_posix())
    return target.as_uri()
