"""Validate Kubernetes manifests offline against strict schemas: unknown fields are refused.

    python chart-validate.py --kubernetes-version 1.33 --crd-schemas DIR \
        [--not-validated apiVersion/Kind]... FILE...   (FILE may be - for standard input)

Run with the Python of the venv that scripts/chart-tools.sh installs (kubernetes-validate).
Every YAML document must be a Kubernetes object with apiVersion, kind and metadata.name:

- a built-in kind is checked by kubernetes-validate against the Kubernetes OpenAPI schema of
  that version, in its strict form (additionalProperties: false everywhere);
- a custom resource is checked against the schema scripts/chart-crd-schemas.py made from its
  CRD (DIR/<kind>-<group>-<version>.json), and its metadata against the built-in ObjectMeta;
- a kind with neither fails, unless it is listed with --not-validated (then it is counted and
  named in the summary);
- the same object twice in one stream fails (helm install would refuse it).

Prints one summary line on success, one line per problem on failure (exit status 1).
"""

import argparse
import json
import os
import re
import sys

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError


class Loader(yaml.SafeLoader):
    """The API server turns YAML into JSON: timestamps stay strings, `=` is a plain string."""


Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
Loader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)

SOURCE = re.compile(r"^# Source: (.+)$", re.MULTILINE)
SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)


def documents(name, text):
    """(where, object) for each non-empty document; where names the helm template if known."""
    for index, chunk in enumerate(SEPARATOR.split(text), start=1):
        source = SOURCE.search(chunk)
        where = source.group(1) if source else f"{name} document {index}"
        try:
            data = yaml.load(chunk, Loader=Loader)
        except yaml.YAMLError as error:
            yield where, error
            continue
        if data is not None:
            yield where, data


def dotted(path):
    out = ""
    for item in path:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else str(item))
    return out or "(root)"


class Validator:
    def __init__(self, kubernetes_version, crd_dir, not_validated):
        self.version = kubernetes_version
        self.crd_dir = crd_dir
        self.not_validated = set(not_validated)
        self.crd_validators = {}

    def crd_validator(self, api_version, kind):
        group, _, version = api_version.rpartition("/")
        name = f"{kind}-{group}-{version}.json".lower()
        if name not in self.crd_validators:
            path = os.path.join(self.crd_dir, name) if group else ""
            validator = None
            if path and os.path.exists(path):
                with open(path, encoding="utf-8") as handle:
                    validator = jsonschema.Draft4Validator(json.load(handle))
            self.crd_validators[name] = validator
        return self.crd_validators[name]

    def builtin(self, manifest):
        """Problems of a built-in object, or None when kubernetes-validate has no such kind."""
        try:
            kubernetes_validate.validate(manifest, self.version, strict=True)
            return []
        except ValidationError as error:
            return [f"{dotted(error.path)}: {error.message}"]
        except SchemaNotFoundError:
            return None

    def check(self, manifest):
        """('builtin' | 'custom' | 'skipped', [problems])."""
        api_version, kind = manifest["apiVersion"], manifest["kind"]
        validator = self.crd_validator(api_version, kind)
        if validator is not None:
            problems = [
                f"{dotted(error.absolute_path)}: {error.message}"
                for error in sorted(validator.iter_errors(manifest), key=lambda e: list(map(str, e.path)))
            ][:5]
            # The CRD says only `metadata: {type: object}`; the API server checks ObjectMeta.
            meta = self.builtin({"apiVersion": "v1", "kind": "ConfigMap", "metadata": manifest["metadata"]})
            return "custom", problems + (meta or [])
        problems = self.builtin(manifest)
        if problems is not None:
            return "builtin", problems
        if f"{api_version}/{kind}" in self.not_validated:
            return "skipped", []
        return "custom", [
            f"no schema for {api_version} {kind} in Kubernetes {self.version} nor in the CRD schemas "
            "(add its CRD to scripts/chart-tools.sh, or list it under schemas.notValidated in "
            "charts/chart-checks.yaml with a reason)"
        ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kubernetes-version", required=True)
    parser.add_argument("--crd-schemas", required=True)
    parser.add_argument("--not-validated", action="append", default=[], metavar="APIVERSION/KIND")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    validator = Validator(args.kubernetes_version, args.crd_schemas, args.not_validated)

    counts = {"builtin": 0, "custom": 0, "skipped": 0}
    skipped, seen, failures = set(), {}, []
    for name in args.files:
        text = sys.stdin.read() if name == "-" else open(name, encoding="utf-8").read()
        for where, manifest in documents(name, text):
            if isinstance(manifest, Exception):
                failures.append(f"{where}: not YAML: {manifest}")
                continue
            if not isinstance(manifest, dict) or not all(
                isinstance(manifest.get(key), str) for key in ("apiVersion", "kind")
            ):
                failures.append(f"{where}: not a Kubernetes object (apiVersion and kind are required)")
                continue
            metadata = manifest.get("metadata")
            label = f"{manifest['kind']} {(metadata or {}).get('name', '?') if isinstance(metadata, dict) else '?'}"
            if not isinstance(metadata, dict) or not metadata.get("name"):
                failures.append(f"{where}: {label} ({manifest['apiVersion']}): metadata.name is required")
                continue
            key = (manifest["apiVersion"].split("/")[0], manifest["kind"], metadata.get("namespace", ""), metadata["name"])
            if key in seen:
                failures.append(f"{where}: {label} ({manifest['apiVersion']}): the same object is in {seen[key]}")
                continue
            seen[key] = where
            kind, problems = validator.check(manifest)
            counts[kind] += 1
            if kind == "skipped":
                skipped.add(f"{manifest['apiVersion']}/{manifest['kind']}")
            failures += [f"{where}: {label} ({manifest['apiVersion']}): {problem}" for problem in problems]

    for failure in failures:
        print(f"FAIL {failure}")
    total = sum(counts.values())
    summary = (
        f"{total} documents, {counts['builtin']} built-in and {counts['custom']} custom resources "
        f"checked against Kubernetes {args.kubernetes_version} and the CRD schemas, unknown fields refused"
    )
    if skipped:
        summary += f"; {counts['skipped']} not validated ({', '.join(sorted(skipped))})"
    if failures:
        print(f"{len(failures)} problem(s) in {summary}")
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
