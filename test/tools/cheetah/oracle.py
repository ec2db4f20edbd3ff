"""Differential-test oracle: renders a batch of Cheetah templates with the real Cheetah 3.

stdin: JSON list of {"template": str, "ns": object}; stdout: JSON list of
{"ok": true, "out": str} or {"ok": false, "error": "<ExceptionType>: <message>"}.
Namespace values of the form {"__obj__": {...}, "__str__": "..."} become objects with those
attributes, to exercise attribute lookups as on Galaxy's wrapper objects.
"""
import json
import sys

from Cheetah.Template import Template


class Obj:
    def __init__(self, attrs, text):
        self.__dict__.update(attrs)
        self._text = text

    def __str__(self):
        return self._text


def decode(v):
    if isinstance(v, dict):
        if "__obj__" in v:
            return Obj({k: decode(x) for k, x in v["__obj__"].items()}, v.get("__str__", "obj"))
        return {k: decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [decode(x) for x in v]
    return v


results = []
for case in json.load(sys.stdin):
    try:
        out = str(Template(case["template"], searchList=[decode(case["ns"])]))
        results.append({"ok": True, "out": out})
    except Exception as e:  # noqa: BLE001 - every failure is a result to compare
        results.append({"ok": False, "error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")})
json.dump(results, sys.stdout)
