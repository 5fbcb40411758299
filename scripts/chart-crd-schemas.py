"""Turn CustomResourceDefinitions into strict JSON schemas for scripts/chart-validate.py.

    python chart-crd-schemas.py OUT_DIR CRD.yaml...

Writes OUT_DIR/<kind>-<group>-<version>.json (lower case) for every served version of every CRD
in the files. The conversion is the one kubeconform's openapi2jsonschema.py makes, so that an
object the API server would prune or reject is refused here:

- an object schema with `properties` and no `additionalProperties` gets `additionalProperties:
  false` (unknown fields rejected), unless it says `x-kubernetes-preserve-unknown-fields`;
- `x-kubernetes-int-or-string` becomes integer-or-string, `nullable` adds null to the type;
- an `x-kubernetes-embedded-resource` object may also carry apiVersion, kind and metadata.

`x-kubernetes-validations` (CEL rules) are not evaluated. `metadata` of the object itself is
checked by chart-validate.py against the built-in ObjectMeta schema. Runs with PyYAML only.
"""

import json
import os
import sys

import yaml


class Loader(yaml.SafeLoader):
    """As the API server reads YAML: `=` (an enum value in some CRDs) and timestamps are strings."""


Loader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)
Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def strict(node):
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: strict(value) for key, value in node.items()}
    if node.get("x-kubernetes-int-or-string"):
        node.pop("type", None)
        node["anyOf"] = node.get("anyOf", []) + [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    if node.get("x-kubernetes-embedded-resource") and "properties" in node:
        for key in ("apiVersion", "kind"):
            node["properties"].setdefault(key, {"type": "string"})
        node["properties"].setdefault("metadata", {"type": "object"})
    if (
        "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        node["additionalProperties"] = False
    return node


def main(out_dir, paths):
    os.makedirs(out_dir, exist_ok=True)
    written = 0
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            documents = [doc for doc in yaml.load_all(handle, Loader=Loader) if doc]
        for crd in documents:
            if crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            group, kind = spec["group"], spec["names"]["kind"]
            for version in spec["versions"]:
                schema = (version.get("schema") or {}).get("openAPIV3Schema")
                if not version.get("served", True) or schema is None:
                    continue
                schema = dict(schema, properties=dict(schema.get("properties", {})))
                schema["properties"].setdefault("apiVersion", {"type": "string"})
                schema["properties"].setdefault("kind", {"type": "string"})
                schema["properties"].setdefault("metadata", {"type": "object"})
                schema = strict(schema)
                schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata"})
                name = f"{kind}-{group}-{version['name']}.json".lower()
                with open(os.path.join(out_dir, name), "w", encoding="utf-8") as handle:
                    json.dump(schema, handle, separators=(",", ":"), sort_keys=True)
                written += 1
    if written == 0:
        sys.exit("no CustomResourceDefinition found in " + " ".join(paths))
    print(written)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
