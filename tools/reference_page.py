"""The command line every generated reference page shares: write the page, or `--check` that it is current."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(page_path: Path, render_page: Callable[[], str], script: str, description: str) -> int:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="fail when the page is stale instead of writing it")
    options = parser.parse_args()
    page = render_page()
    if options.check:
        if not page_path.exists() or page_path.read_text(encoding="utf-8") != page:
            print(f"{page_path.relative_to(ROOT)} is stale: run python3 tools/{script}", file=sys.stderr)
            return 1
        return 0
    page_path.parent.mkdir(parents=True, exist_ok=True)
    page_path.write_text(page, encoding="utf-8")
    return 0
