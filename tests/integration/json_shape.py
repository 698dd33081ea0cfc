#!/usr/bin/env python3
"""tests/integration/json_shape.py DOC NAME FILE: check the JSON document in
FILE against the shape NAME documented in DOC (a ```json-shape NAME block of
doc/rillctl.md). Objects must have exactly the documented keys; "uint" is an
integer >= 0, "int" any integer, "number" an int or float, "a|b" either;
[T] is an array whose every element is T. Exit 0, or 1 with what differs."""
import json
import re
import sys


def shapes(doc):
    text = open(doc, encoding="utf-8").read()
    out = {}
    for m in re.finditer(r"```json-shape (\w+)\n(.*?)```", text, re.S):
        out[m.group(1)] = json.loads(m.group(2))
    return out


def check(value, shape, path, errors):
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            errors.append(f"{path}: expected an object, got {value!r}")
            return
        for k in shape:
            if k not in value:
                errors.append(f"{path}: missing key {k!r}")
        for k in value:
            if k not in shape:
                errors.append(f"{path}: key {k!r} is not documented")
        for k in shape:
            if k in value:
                check(value[k], shape[k], f"{path}.{k}", errors)
    elif isinstance(shape, list):
        if not isinstance(value, list):
            errors.append(f"{path}: expected an array, got {value!r}")
            return
        for i, v in enumerate(value):
            check(v, shape[0], f"{path}[{i}]", errors)
    else:
        for t in shape.split("|"):
            if t == "null" and value is None:
                return
            if t == "string" and isinstance(value, str):
                return
            if t == "bool" and isinstance(value, bool):
                return
            if isinstance(value, bool):
                continue
            if t == "uint" and isinstance(value, int) and value >= 0:
                return
            if t == "int" and isinstance(value, int):
                return
            if t == "number" and isinstance(value, (int, float)):
                return
        errors.append(f"{path}: {value!r} is not {shape}")


def main():
    doc, name, path = sys.argv[1:4]
    all_shapes = shapes(doc)
    if name not in all_shapes:
        print(f"json_shape: {doc} documents no shape {name!r} (it has {sorted(all_shapes)})")
        return 1
    try:
        value = json.load(open(path, encoding="utf-8"))
    except ValueError as e:
        print(f"json_shape: {path} is not JSON: {e}")
        return 1
    errors = []
    check(value, all_shapes[name], name, errors)
    for e in errors[:20]:
        print("json_shape:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
