#!/usr/bin/env python3
"""Regenerate tests/data/azurerm_schema.json from the installed cdktn-provider-azurerm.

The wheel ships its jsii assembly as `cdktn_provider_azurerm/_jsii/*.jsii.tgz`
(an npm package: `package/.jsii` plus the compiled `package/lib/<module>/index.js`).
The provider schema is read from those two, without importing the Python
package (importing it boots a node runtime):

* `.jsii` maps each submodule to its Terraform type (its readme starts with
  "# `azurerm_x`" or "# `data_azurerm_x`") and its source directory, and its
  Config/struct interfaces give every settable argument with its `optional`
  flag and a registry link whose `#anchor` is the Terraform name. That is
  used to cross-check the JS extraction below.
* the generated JS carries the exact Terraform spelling and flags of every
  attribute, settable or not, as a comment ahead of each member:
      // https_only - computed: false, optional: true, required: false
      get httpsOnly() { return this.getBooleanAttribute('https_only'); }
  and its HCL synthesis functions say which members are nested blocks and
  how they nest (`isBlock`, `type: "list" | "set" | "struct"`).

Only the types the template uses (a regex scan of template/**/*.tf and
*.tf.jinja) plus `--include`d ones are written, with sorted keys, so a
regeneration is a clean diff. `--check` exits 1 when the file is stale.

Usage:
  python tools/refresh_azurerm_schema.py                 # rewrite the file
  python tools/refresh_azurerm_schema.py --include azurerm_key_vault
  python tools/refresh_azurerm_schema.py --check         # CI: is it current?
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "tests" / "data" / "azurerm_schema.json"
TEMPLATE = REPO / "template"

# Always kept, whatever the template holds, because tests/test_tfcheck.py
# exercises the checker against them.
BASELINE_TYPES = [
    "azurerm_linux_web_app",
    "azurerm_resource_group",
    "azurerm_service_plan",
    "azurerm_virtual_network",
    "data.azurerm_client_config",
]

# Arguments every cdktn Config has that are Terraform meta-arguments, not schema.
META_PROPS = {"connection", "count", "dependsOn", "forEach", "lifecycle", "provider", "provisioners"}

NOTES = [
    (
        "mode: required | optional | optional_computed | computed, straight from the assembly's "
        "computed/optional/required flags. Computed-only attributes (mode computed) cannot be set."
    ),
    (
        "Blocks: min_items is 1 for a required block and 0 otherwise; the assembly carries no larger "
        "MinItems. max_items is 1 for blocks the assembly renders as a single object, else absent (unknown)."
    ),
    (
        "attr_as_block: a list/set-of-object attribute that may also be written as blocks (SDK ConfigModeAttr, "
        "e.g. azurerm_virtual_network.subnet). The assembly gives its fields no required/optional distinction, "
        "so they are all recorded as optional_computed."
    ),
    "Sensitivity is not recorded in the assembly: azurerm attributes carry no 'sensitive' flag here.",
    (
        "provider_config.features is required by the azurerm provider ('Insufficient features blocks'); "
        "the assembly marks it optional, so this script sets its min_items to 1."
    ),
]

_MEMBER = re.compile(
    r"^    // (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$", re.MULTILINE
)
_CLASS = re.compile(r"^class (\w+) extends ([\w.]+) \{$(.*?)^\}$", re.MULTILINE | re.DOTALL)
_HCL_FN = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{$(.*?)^\}$", re.MULTILINE | re.DOTALL)
_HCL_FIELD = re.compile(
    r"^\s+(\w+): \{\n\s+value: (.*?),\n\s+isBlock: (true|false),\n\s+type: \"(\w+)\",\n"
    r"\s+storageClassType: \"(\w+)\",\n\s+\},?$",
    re.MULTILINE,
)
_NEW_COMPLEX = re.compile(r'^\s+_\w+ = new ([\w.]+)\(this, "(\w+)"')
_GETTER = re.compile(r"this\.(get\w*Attribute|interpolationForAttribute)\('(\w+)'\)")
_GETTER_TYPES = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": "list",
    "getNumberListAttribute": "list",
    "getBooleanListAttribute": "list",
    "getStringMapAttribute": "map",
    "getNumberMapAttribute": "map",
    "getBooleanMapAttribute": "map",
    "getAnyMapAttribute": "map",
    "interpolationForAttribute": "any",
}
_HCL_TYPES = {"boolean": "bool", "string": "string", "number": "number"}


class SchemaError(Exception):
    pass


def find_assembly(package: str = "cdktn_provider_azurerm") -> Path:
    """Locate the jsii tarball inside an installed cdktn provider wheel (no import)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SchemaError(f"{package} is not installed (pip install cdktn-provider-azurerm)")
    for loc in spec.submodule_search_locations:
        found = sorted(Path(loc, "_jsii").glob("*.jsii.tgz"))
        if found:
            return found[0]
    raise SchemaError(f"no _jsii/*.jsii.tgz inside {package}")


def python_dist_version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


class Assembly:
    """Reads the parts of the tarball we need in as few passes as possible."""

    def __init__(self, tgz: Path, likely_dirs: set | None = None):
        self.tgz = tgz
        self.package_json: dict = {}
        self.jsii: dict = {}
        self.js: dict[str, str] = {}
        # One pass over the (30 MB gzip) tarball: also grab the modules we expect to need.
        self._read(want_dirs=likely_dirs or set(), first=True)

    def _read(self, want_dirs: set, first: bool = False) -> None:
        with tarfile.open(self.tgz, "r:gz") as tar:
            for member in tar:
                name = member.name
                if first and name == "package/package.json":
                    self.package_json = json.load(tar.extractfile(member))
                elif first and name == "package/.jsii":
                    self.jsii = json.load(tar.extractfile(member))
                elif name.startswith("package/lib/") and name.endswith("/index.js"):
                    d = name[len("package/lib/") : -len("/index.js")]
                    if d in want_dirs:
                        self.js[d] = tar.extractfile(member).read().decode("utf-8")

    def module_dirs(self) -> dict[str, tuple[str, str]]:
        """Terraform type (data sources as 'data.azurerm_x') -> (submodule fqn, lib dir)."""
        out = {}
        for fqn, sub in self.jsii.get("submodules", {}).items():
            m = re.match(r"# `(\w+)`", sub.get("readme", {}).get("markdown", ""))
            sym = re.match(r"src/(.+)/index:", sub.get("symbolId", ""))
            if not m or not sym:
                continue
            tf = m.group(1)
            if tf == "provider":
                out["provider"] = (fqn, sym.group(1))
            elif tf.startswith("data_"):
                out["data." + tf[len("data_") :]] = (fqn, sym.group(1))
            else:
                out[tf] = (fqn, sym.group(1))
        return out

    def load_js(self, dirs: set) -> None:
        missing = dirs - set(self.js)
        if missing:
            self._read(missing)


class ModuleSource:
    """One generated JS module: its classes and HCL synthesis functions."""

    def __init__(self, text: str):
        self.classes = {m.group(1): (m.group(2), m.group(3)) for m in _CLASS.finditer(text)}
        self.hcl_fns = {m.group(1): m.group(2) for m in _HCL_FN.finditer(text)}

    def members(self, class_name: str) -> dict:
        """name -> {computed, optional, required, kind: simple|complex, type|cls, wraps_set}."""
        _, body = self.classes[class_name]
        out = {}
        found = list(_MEMBER.finditer(body))
        for i, m in enumerate(found):
            name = m.group(1)
            chunk = body[m.end() : found[i + 1].start() if i + 1 < len(found) else len(body)]
            info = {
                "computed": m.group(2) == "true",
                "optional": m.group(3) == "true",
                "required": m.group(4) == "true",
            }
            first = chunk.lstrip("\n").split("\n", 1)[0]
            nm = _NEW_COMPLEX.match(first)
            if nm and nm.group(2) == name:
                info["kind"] = "complex"
                info["cls"] = nm.group(1)
            else:
                g = _GETTER.search(chunk)
                if g and g.group(2) == name:
                    info["type"] = _GETTER_TYPES.get(g.group(1), "any")
                elif self.classes[class_name][0] == "cdktn.TerraformProvider" and "return this._" in chunk:
                    info["type"] = "any"  # provider arguments are plain fields; their HCL type is used
                else:
                    raise SchemaError(f"{class_name}.{name}: cannot find its getter in the generated JS")
                info["kind"] = "simple"
            out[name] = info
        return out

    def hcl_fields(self, fn_name: str | None, class_name: str | None = None) -> dict:
        """name -> (isBlock, type, storageClassType, value) from an HCL synthesis function."""
        if class_name is not None:
            body = self.classes[class_name][1]
            start = body.find("synthesizeHclAttributes()")
            body = body[start:] if start >= 0 else ""
        else:
            body = self.hcl_fns.get(fn_name, "")
        return {
            m.group(1): (m.group(3) == "true", m.group(4), m.group(5), m.group(2)) for m in _HCL_FIELD.finditer(body)
        }

    def element_class(self, cls: str) -> str | None:
        """The OutputReference class behind a List/Map wrapper (or cls itself)."""
        if cls.startswith("cdktn."):
            return None
        if cls.endswith("OutputReference"):
            return cls
        _, body = self.classes[cls]
        m = re.search(r"return new (\w+OutputReference)\(", body)
        return m.group(1) if m else None


def _mode(info: dict) -> str:
    if info["required"]:
        return "required"
    if info["optional"]:
        return "optional_computed" if info["computed"] else "optional"
    return "computed"


def _simple_type(hcl_type: str, storage: str) -> str:
    if hcl_type == "simple":
        return _HCL_TYPES.get(storage, "any")
    return hcl_type  # list | set | map


def build_node(src: ModuleSource, class_name: str | None, hcl: dict, where: str, attr_mode: bool = False) -> dict:
    """Schema node for a resource class / OutputReference class, or a bare struct."""
    members = src.members(class_name) if class_name else {}
    attributes: dict = {}
    blocks: dict = {}
    for name in sorted(set(members) | set(hcl)):
        info = members.get(name)
        field = hcl.get(name)
        if info is None:  # bare structs (provider config) have no flags
            info = {"computed": False, "optional": True, "required": False, "kind": "complex" if field[0] else "simple"}
        if attr_mode:  # fields of an attribute-as-block object have no flags of their own
            info = dict(info, computed=True, optional=True, required=False)
        path = f"{where}.{name}"
        if field is not None and field[0]:  # a nested block
            is_block_type = re.search(r"listMapperHcl\((\w+)ToHclTerraform, (true|false)\)", field[3])
            child_fn = is_block_type or re.search(r"(\w+)ToHclTerraform\(", field[3])
            if not child_fn:
                raise SchemaError(f"{path}: cannot find the block's synthesis function")
            child_cls = src.element_class(info["cls"]) if info.get("cls") else None
            as_attr = bool(is_block_type and is_block_type.group(2) == "false")
            node = build_node(src, child_cls, src.hcl_fields(child_fn.group(1)), path, attr_mode or as_attr)
            single = field[1] == "struct" or not is_block_type
            node["nesting"] = "single" if field[1] == "struct" else field[1]
            node["min_items"] = 1 if info["required"] else 0
            if single:
                node["max_items"] = 1
            if as_attr:
                node["attr_as_block"] = True
            if info["computed"]:
                node["computed"] = True
            blocks[name] = node
        elif info["kind"] == "complex" and info.get("cls", "").startswith("cdktn."):
            attributes[name] = {"mode": _mode(info), "type": "map"}
        elif info["kind"] == "complex":
            # Computed-only nested objects are attributes: `site_credential[0].name`.
            elem = src.element_class(info["cls"])
            entry = {"mode": _mode(info), "type": "list" if info["cls"].endswith("List") else "object"}
            if info["cls"].endswith("Map"):
                entry["type"] = "map"
            if elem:
                entry["element"] = build_node(src, elem, {}, path)
            attributes[name] = entry
        else:
            typ = _simple_type(field[1], field[2]) if field is not None else info["type"]
            attributes[name] = {"mode": _mode(info), "type": typ}
    return {"attributes": attributes, "blocks": blocks}


def _jsii_settable(jsii_types: dict, fqn: str) -> dict:
    """Terraform name -> (optional, struct fqn or None) from a jsii Config/struct interface."""
    out = {}
    for prop in jsii_types[fqn].get("properties", []):
        if prop["name"] in META_PROPS and jsii_types[fqn].get("interfaces") == ["cdktn.TerraformMetaArguments"]:
            continue
        docs = prop.get("docs", {})
        text = docs.get("summary", "") + " " + docs.get("remarks", "")
        m = re.search(r"#(\w+) \w+#\1\}", text)
        if not m:
            raise SchemaError(f"{fqn}.{prop['name']}: no Terraform name in its docs")
        struct = re.findall(r'"fqn": "(@cdktn/[^"]+)"', json.dumps(prop["type"]))
        out[m.group(1)] = (bool(prop.get("optional")), struct[0] if struct else None)
    return out


def cross_check(jsii_types: dict, fqn: str, node: dict, where: str) -> None:
    """The JS-derived settable names and required flags must equal the jsii interface."""
    want = _jsii_settable(jsii_types, fqn)
    have = {n: a["mode"] == "required" for n, a in node["attributes"].items() if a["mode"] != "computed"}
    have.update({n: b["min_items"] > 0 for n, b in node["blocks"].items() if not b.get("attr_as_block")})
    have.update({n: False for n, b in node["blocks"].items() if b.get("attr_as_block")})
    want_req = {n: not opt for n, (opt, _) in want.items()}
    if want_req != have:
        diff = sorted(set(want_req.items()) ^ set(have.items()))
        raise SchemaError(f"{where}: JS and jsii disagree on settable arguments: {diff}")
    for name, block in node["blocks"].items():
        struct = want[name][1]
        if struct and not block.get("attr_as_block"):
            cross_check(jsii_types, struct, block, f"{where}.{name}")


def extract(asm: Assembly, types: list[str]) -> dict:
    dirs = asm.module_dirs()
    unknown = [t for t in types if t not in dirs]
    if unknown:
        raise SchemaError(f"not in the provider: {', '.join(unknown)}")
    asm.load_js({dirs[t][1] for t in types} | {dirs["provider"][1]})
    jsii_types = asm.jsii["types"]
    resources, data_sources = {}, {}
    for t in types:
        fqn, d = dirs[t]
        src = ModuleSource(asm.js[d])
        kind = "cdktn.TerraformDataSource" if t.startswith("data.") else "cdktn.TerraformResource"
        tf_name = t.split(".", 1)[-1]
        cls = next(
            (c for c, (base, body) in src.classes.items() if base == kind and f'tfResourceType = "{tf_name}"' in body),
            None,
        )
        if cls is None:
            raise SchemaError(f"{t}: no {kind} class in lib/{d}/index.js")
        node = build_node(src, cls, src.hcl_fields(None, cls), t)
        cross_check(jsii_types, f"{fqn}.{cls}Config", node, t)
        (data_sources if t.startswith("data.") else resources)[tf_name] = node

    # Provider configuration: the provider class has flags; its nested structs don't.
    src = ModuleSource(asm.js[dirs["provider"][1]])
    cls = next(c for c, (base, _) in src.classes.items() if base == "cdktn.TerraformProvider")
    provider = build_node(src, cls, src.hcl_fields(None, cls), "provider")
    provider["attributes"].pop("alias", None)  # a meta-argument, handled by the checker
    if "features" in provider["blocks"]:
        provider["blocks"]["features"]["min_items"] = 1
    return {"resources": resources, "data_sources": data_sources, "provider_config": provider}


_TYPE_REF = re.compile(r'\b(resource|data)\s+"(azurerm_[a-z0-9_]+)"')
_TEMPLATED_TYPE = re.compile(r'\b(?:resource|data)\s+"azurerm_[a-z0-9_]*\{[{%]')


def scan_template(root: Path = TEMPLATE) -> list[str]:
    found = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or not (path.name.endswith(".tf") or path.name.endswith(".tf.jinja")):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for kind, name in _TYPE_REF.findall(text):
            found.add(name if kind == "resource" else "data." + name)
        if _TEMPLATED_TYPE.search(text):
            print(
                f"warning: {path.relative_to(REPO)} builds an azurerm type name with Jinja; "
                "pass the possible types with --include",
                file=sys.stderr,
            )
    return sorted(found)


def render(schema: dict) -> str:
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


def _likely_dir(tf_type: str) -> str:
    """cdktn's directory naming (azurerm_linux_web_app -> linux-web-app); verified via the .jsii later."""
    if tf_type.startswith("data."):
        return tf_type[len("data.") :].replace("_", "-").replace("azurerm-", "data-azurerm-", 1)
    return tf_type.split("_", 1)[-1].replace("_", "-")


def generate(includes: list[str]) -> dict:
    types = sorted(set(scan_template()) | set(BASELINE_TYPES) | set(includes))
    asm = Assembly(find_assembly(), {_likely_dir(t) for t in types} | {"provider"})
    provider = asm.package_json.get("cdktn", asm.package_json.get("cdktf", {})).get("provider", {})
    body = extract(asm, types)
    return {
        "_comment": "Generated by tools/refresh_azurerm_schema.py from the cdktn-provider-azurerm jsii "
        "assembly; do not edit by hand. Regenerate after changing the template's azurerm types.",
        "generator": {
            "cdktn_package": "cdktn-provider-azurerm",
            "cdktn_package_version": python_dist_version("cdktn-provider-azurerm"),
            "jsii_assembly": f"{asm.jsii.get('name')}@{asm.jsii.get('version')}",
        },
        "provider": {"source": provider.get("name", ""), "version": provider.get("version", "")},
        "included": sorted(set(includes)),
        "notes": NOTES,
        **body,
    }


def _type_changes(old: dict, new: dict) -> str:
    """' (adds azurerm_x; drops azurerm_y)' for a --check message."""

    def types(d):
        return set(d.get("resources", {})) | {"data." + t for t in d.get("data_sources", {})}

    added, dropped = sorted(types(new) - types(old)), sorted(types(old) - types(new))
    parts = ([f"adds {', '.join(added)}"] if added else []) + ([f"drops {', '.join(dropped)}"] if dropped else [])
    return f" ({'; '.join(parts)})" if parts else " (schema content differs)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="TYPE",
        help="also keep this type (azurerm_x, or data.azurerm_x for a data source); remembered",
    )
    ap.add_argument("--reset-includes", action="store_true", help="forget types --include'd earlier")
    ap.add_argument("--check", action="store_true", help="exit 1 if the checked-in file is not current")
    ap.add_argument("--output", type=Path, default=OUTPUT)
    args = ap.parse_args(argv)

    previous = {}
    if args.output.exists():
        previous = json.loads(args.output.read_text(encoding="utf-8"))
    includes = [] if args.reset_includes else list(previous.get("included", []))
    includes += args.include
    try:
        text = render(generate(includes))
    except SchemaError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    if args.check:
        if text != current:
            shown = args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output
            print(
                f"{shown} is stale{_type_changes(previous, json.loads(text))}: "
                "run python tools/refresh_azurerm_schema.py",
                file=sys.stderr,
            )
            return 1
        return 0
    if text != current:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({len(text)} bytes)")
    else:
        print(f"{args.output} is already current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
