"""Record what the real `terraform fmt` does with each fmt fixture.

    cd tests && python -m tfcheck.record_fixtures [--terraform PATH]

For every tests/tfcheck_fixtures/fmt/NAME.tf.in it runs `terraform fmt -check`
and `terraform fmt` on a copy, then writes NAME.tf.out (terraform's output,
when the input is valid) and verdicts.json (formatted | reformatted |
syntax_error per fixture). Tests compare tfcheck against these files, so
they need no terraform binary. Inputs are named .tf.in, not .tf, so that no
formatter run over the repository rewrites them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tfcheck_fixtures" / "fmt"
VERDICTS = FIXTURES / "verdicts.json"


def record(terraform: str) -> dict:
    env = dict(os.environ, TF_CLI_CONFIG_FILE=os.devnull, CHECKPOINT_DISABLE="1")
    version = subprocess.run([terraform, "version", "-json"], capture_output=True, text=True, env=env, check=True)
    verdicts = {"_terraform_version": json.loads(version.stdout)["terraform_version"]}
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp, "x.tf")
        for src in sorted(FIXTURES.glob("*.tf.in")):
            name = src.name[: -len(".tf.in")]
            shutil.copyfile(src, target)
            check = subprocess.run([terraform, "fmt", "-check", str(target)], capture_output=True, env=env, check=False)
            rc = check.returncode
            out = src.with_suffix(".out")
            if rc in (1, 2):  # syntax error
                verdicts[name] = "syntax_error"
                out.unlink(missing_ok=True)
                continue
            subprocess.run([terraform, "fmt", str(target)], capture_output=True, env=env, check=True)
            shutil.copyfile(target, out)
            verdicts[name] = "formatted" if rc == 0 else "reformatted"
    VERDICTS.write_text(json.dumps(verdicts, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return verdicts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--terraform", default=shutil.which("terraform") or "terraform")
    verdicts = record(ap.parse_args().terraform)
    counts: dict = {}
    for k, v in verdicts.items():
        if not k.startswith("_"):
            counts[v] = counts.get(v, 0) + 1
    print(f"recorded {sum(counts.values())} fixtures with terraform {verdicts['_terraform_version']}: {counts}")


if __name__ == "__main__":
    main()
