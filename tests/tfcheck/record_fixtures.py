"""Record what the real `terraform fmt` does with each fmt fixture.

    cd tests && python -m tfcheck.record_fixtures [--terraform PATH]

For every fixture of tests/data/terraform_fmt_fixtures.json it runs `terraform fmt -check`
and `terraform fmt` on the input, then records the verdict (formatted | reformatted |
syntax_error) and terraform's output (null for a syntax error). Tests compare tfcheck
against them, so they need no terraform binary. The samples live in one JSON file, not
a .tf file each: no formatter run over the repository rewrites them, and a project
rendered from the template does not check out hundreds of test files.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "terraform_fmt_fixtures.json"


def record(terraform: str) -> dict:
    env = dict(os.environ, TF_CLI_CONFIG_FILE=os.devnull, CHECKPOINT_DISABLE="1")
    version = subprocess.run([terraform, "version", "-json"], capture_output=True, text=True, env=env, check=True)
    corpus = json.loads(FIXTURES.read_text(encoding="utf-8"))
    corpus["terraform_version"] = json.loads(version.stdout)["terraform_version"]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp, "x.tf")
        for fixture in corpus["fixtures"].values():
            target.write_bytes(fixture["input"].encode("utf-8"))
            check = subprocess.run([terraform, "fmt", "-check", str(target)], capture_output=True, env=env, check=False)
            if check.returncode in (1, 2):  # syntax error
                fixture.update(verdict="syntax_error", output=None)
                continue
            subprocess.run([terraform, "fmt", str(target)], capture_output=True, env=env, check=True)
            fixture.update(
                verdict="formatted" if check.returncode == 0 else "reformatted",
                output=target.read_bytes().decode("utf-8"),
            )
    FIXTURES.write_text(json.dumps(corpus, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--terraform", default=shutil.which("terraform") or "terraform")
    corpus = record(ap.parse_args().terraform)
    counts: dict = {}
    for fixture in corpus["fixtures"].values():
        counts[fixture["verdict"]] = counts.get(fixture["verdict"], 0) + 1
    print(f"recorded {sum(counts.values())} fixtures with terraform {corpus['terraform_version']}: {counts}")


if __name__ == "__main__":
    main()
