"""ODK's side of the XLSForm parity test (sync-server/tests/xlsform/parity.rs).

For each form named on the command line: convert it with pyxform, and if that
works, report its questions (type, required, labels and choices per language,
from pyxform's JSON) and walk it like an enumerator would, several times, with
generated answers. Every relevance and constraint is evaluated on pyxform's
XForm (its bind expressions, over its primary instance) with elementpath, an
XPath implementation independent of Fieldkit, under ODK's rules: an
unanswered question is an empty node (''), a number compared with '' is NaN,
a multiple-choice answer is its values joined by spaces, and a question that
is not relevant is cleared. Prints one JSON object per form, one per line; only forms named
`walk:PATH` are walked (the others only say whether pyxform converts them).
"""

import copy
import json
import math
import random
import re
import sys
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal
from xml.etree import ElementTree as ET

import elementpath
import regex
from elementpath import XPathContext
from elementpath.xpath1 import XPath1Parser
from pyxform.xls2xform import convert

XF = "{http://www.w3.org/2002/xforms}"
CASES = 24


class OdkParser(XPath1Parser):
    """XPath 1.0 plus the ODK functions XLSForms use."""

    symbol_table = dict(XPath1Parser.symbol_table)


method = OdkParser.method
function = OdkParser.function


@method(function("selected", nargs=2, sequence_types=("xs:string?", "xs:string?", "xs:boolean")))
def evaluate_selected(self, context=None):
    value = self.get_argument(context, 0, cls=str) or ""
    choice = self.get_argument(context, 1, cls=str) or ""
    return choice.strip() in value.split()


@method(function("count-selected", nargs=1, sequence_types=("xs:string?", "xs:double")))
def evaluate_count_selected(self, context=None):
    return float(len((self.get_argument(context, 0, cls=str) or "").split()))


@method(function("regex", nargs=2, sequence_types=("xs:string?", "xs:string?", "xs:boolean")))
def evaluate_regex(self, context=None):
    value = self.get_argument(context, 0, cls=str) or ""
    pattern = self.get_argument(context, 1, cls=str) or ""
    # Version 1 reads a class inside a class ([a[^0-9]]) as Java does.
    return regex.search(java_pattern(pattern), value, flags=regex.V1) is not None


# Java's shorthand classes are ASCII (\d is 0-9), while its \p{L} and the
# like are Unicode properties. mrab-regex has both kinds, so the shorthands
# are spelled out and the properties left to it.
JAVA_ASCII = {"d": "0-9", "w": "0-9A-Za-z_", "s": " \\t\\n\\x0B\\f\\r"}


def java_pattern(pattern):
    out, in_class, i = [], False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            letter = pattern[i + 1]
            ascii_class = JAVA_ASCII.get(letter.lower())
            if ascii_class is None:
                out.append(pattern[i : i + 2])
            elif letter.islower():
                out.append(ascii_class if in_class else f"[{ascii_class}]")
            else:
                out.append(f"[^{ascii_class}]")
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


def as_string(token, context):
    """XPath's string(): a node-set is its first node's text."""
    value = token.evaluate(copy.copy(context))
    if isinstance(value, list):
        return token.string_value(value[0]) if value else ""
    return token.string_value(value)


@method(function("if", nargs=3))
def evaluate_if(self, context=None):
    # ODK's if(condition, then, otherwise), as text like its other results.
    condition = self[0].boolean_value(self[0].select(copy.copy(context)))
    return as_string(self[1] if condition else self[2], context)


@method(function("coalesce", nargs=2))
def evaluate_coalesce(self, context=None):
    return as_string(self[0], context) or as_string(self[1], context)


# XPath 1.0's one-argument round is replaced by ODK's round(x, places).
OdkParser.symbol_table.pop("round", None)


@method(function("round", nargs=(1, 2)))
def evaluate_round(self, context=None):
    """JavaRosa's round(): the number as Double.toString writes it, to
    `places` decimals, halves towards +infinity (HALF_UP above zero,
    HALF_DOWN below); NaN stays NaN, which a calculation stores as blank."""
    x = number(as_string(self[0], context))
    places = int(number(as_string(self[1], context))) if len(self) == 2 else 0
    if math.isnan(x) or math.isinf(x):
        return x
    if not 0 <= places <= 30:
        raise ValueError(f"round() with {places} places is not in the parity test")
    mode = ROUND_HALF_UP if x >= 0 else ROUND_HALF_DOWN
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=mode))


OPS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def number(value):
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return math.nan


def evaluate__odk_comparison(self, context=None):
    """XPath 1.0 comparison (section 3.4): node-sets compare by any pair of
    string values, a number side makes it numeric ('' is NaN), ordering is
    always numeric. elementpath refuses '' as a number instead."""
    op = OPS[self.symbol]

    def operand(token):
        items = token.select(copy.copy(context))
        values = []
        for item in items:
            if isinstance(item, (str, int, float, bool, Decimal)):
                values.append(item)
            else:
                values.append(("node", self.string_value(item)))
        return values

    left, right = operand(self[0]), operand(self[1])
    for a in left:
        for b in right:
            a_node, b_node = isinstance(a, tuple), isinstance(b, tuple)
            av = a[1] if a_node else a
            bv = b[1] if b_node else b
            if isinstance(av, bool) or isinstance(bv, bool):
                if self.symbol in ("=", "!="):
                    if op(bool(av), bool(bv)):
                        return True
                elif op(number(av), number(bv)):
                    return True
            elif self.symbol in ("=", "!=") and isinstance(av, str) and isinstance(bv, str):
                if op(av, bv):
                    return True
            elif op(number(av), number(bv)):
                return True
    return False


for symbol in OPS:
    method(symbol)(evaluate__odk_comparison)


PARSER = OdkParser(namespaces={"jr": "http://openrosa.org/javarosa"})
PARSED = {}


def parsed(expression):
    if expression not in PARSED:
        PARSED[expression] = PARSER.parse(expression)
    return PARSED[expression]


def evaluate(root, expression, item):
    token = parsed(expression)
    context = XPathContext(root, item=item)
    return bool(token.boolean_value(token.select(context)))


def label_dict(label, default):
    if isinstance(label, dict):
        return {str(k): str(v) for k, v in label.items()}
    if label:
        return {default: str(label)}
    return {}


def questions_of(node, path, out, groups, repeats=()):
    """Questions in form order with their XForm path, enclosing groups and
    enclosing repeats' names."""
    for child in node.get("children", []) or []:
        kind = child.get("type", "")
        name = child.get("name", "")
        child_path = f"{path}/{name}"
        if kind in ("group", "repeat") and name != "meta":
            inner = tuple(repeats) + ((name,) if kind == "repeat" else ())
            questions_of(child, child_path, out, groups + [child_path], inner)
        elif kind not in ("group", "repeat"):
            out.append((child, child_path, groups, list(repeats)))


def kind_of(bind, control):
    """The kind of question, from the XForm: its body control and bind type."""
    bind_type = bind.get("type") if bind is not None else None
    if control is None or bind is None:
        return "none"
    if bind.get("readonly") == "true()" and control == "input" and not bind.get("calculate"):
        return "note"
    if control == "select1":
        return "select one"
    if control == "select":
        return "select all that apply"
    if control == "rank":
        return "rank"
    return {
        "int": "integer",
        "decimal": "decimal",
        "string": "text",
        "date": "date",
        "time": "time",
        "geopoint": "geopoint",
    }.get(bind_type, bind_type or "none")


def literals(xform):
    strings = set(re.findall(r"'([^']*)'", xform)) | set(re.findall(r'"([^"<>=]*)"', xform))
    numbers = set()
    for n in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", xform):
        try:
            numbers.add(float(n))
        except ValueError:
            pass
    return sorted(s for s in strings if len(s) < 20), sorted(numbers)


def generate(kind, choices, strings, numbers, rng):
    whole = [int(n) + d for n in numbers if abs(n) < 1e6 for d in (-1, 0, 1)] + [0, 1, 5, 17, 18, 100]
    if kind == "integer":
        return str(rng.choice(whole))
    if kind == "decimal":
        return str(rng.choice(whole + [2.5, 0.5]))
    if kind == "text":
        return rng.choice(strings + ["abc", "555-1234", "x y"]) or "abc"
    if kind == "select one" and choices:
        return rng.choice(choices)
    if kind == "select all that apply" and choices:
        return " ".join(c for c in choices if rng.random() < 0.4)
    if kind == "date":
        return rng.choice(["2020-01-01", "2024-05-06", "1999-12-31"])
    if kind == "time":
        return rng.choice(["08:00", "23:30"])
    if kind == "geopoint":
        return "1.5 2.5 0 0"
    return None


def reference(path, walk):
    try:
        converted = convert(xlsform=path, validate=False)
        xform = converted.xform
    except Exception as error:  # pyxform refuses the form
        return {"ok": False, "error": f"{type(error).__name__}: {error}".splitlines()[0][:200]}
    doc = ET.fromstring(xform.encode("utf-8"))
    model = doc.find(f".//{XF}model")
    # Photo, audio, video, file and OpenStreetMap answers are bound as
    # files: what Fieldkit refuses on principle (R21).
    holds_files = any(b.get("type") == "binary" for b in model.findall(f"{XF}bind"))
    try:
        data = converted._survey.to_json_dict()
    except Exception as error:  # converted, but its JSON cannot be read here
        return {
            "ok": True,
            "questions": None,
            "holds_files": holds_files,
            "error": f"{type(error).__name__}: {error}",
        }
    default = data.get("default_language", "default")
    instance = model.find(f"{XF}instance")
    primary = list(instance)[0]
    binds = {b.get("nodeset"): b for b in model.findall(f"{XF}bind")}
    body = doc.find("{http://www.w3.org/1999/xhtml}body")
    controls = {}
    # Cascading selects: the list's instance id and the filter, by question path.
    filters = {}
    # External selects (`select_one_external`): an input whose `query` names
    # the list's instance, which ODK offers as a select one.
    external = {}
    for control in body.iter() if body is not None else []:
        if control.get("ref"):
            controls[control.get("ref")] = control.tag.rsplit("}", 1)[-1]
            itemset = control.find(f"{XF}itemset")
            nodeset = itemset.get("nodeset", "") if itemset is not None else ""
            if control.get("query"):
                controls[control.get("ref")] = "select1"
                nodeset = control.get("query")
                external[control.get("ref")] = re.match(r"instance\('([^']+)'\)", nodeset).group(1)
            match = re.fullmatch(
                r"instance\('([^']+)'\)/root/item\[(.*)\]",
                nodeset.strip(),
                re.S,
            )
            if match:
                filters[control.get("ref")] = match.groups()
    secondary = {
        i.get("id"): [copy.deepcopy(item) for item in i.iter(f"{XF}item")]
        for i in model.findall(f"{XF}instance")
        if i.get("id")
    }
    for items in secondary.values():
        for item in items:
            for element in item.iter():
                element.tag = element.tag.replace(XF, "")
    root_name = primary.tag.replace(XF, "")

    def strip_ns(element):
        element.tag = element.tag.replace(XF, "")
        for child in element:
            strip_ns(child)

    strip_ns(primary)
    questions = []
    questions_of(data, f"/{root_name}", questions, [])
    strings, numbers = literals(xform)
    out = []
    # A repeat's count (`repeat_count`): the walk fills its first instance,
    # which exists only while the count is at least 1.
    counts = {}
    for control in body.iter() if body is not None else []:
        count = control.get("{http://openrosa.org/javarosa}count")
        if control.tag.endswith("repeat") and count:
            counts[control.get("nodeset")] = count
    for node, path, _, repeats in questions:
        bind = binds.get(path)
        choices = [
            {"name": str(c.get("name")), "labels": label_dict(c.get("label"), default)}
            for c in (node.get("children") or [])
            if node.get("type", "").startswith("select") or node.get("type") == "rank"
        ]
        if path in external:
            choices = [
                {"name": item.findtext("name") or "", "labels": label_dict(item.findtext("label"), default)}
                for item in secondary.get(external[path], [])
            ]
        out.append(
            {
                "name": node.get("name"),
                "path": path,
                "type": kind_of(bind, controls.get(path)),
                "labels": label_dict(node.get("label"), default),
                "required": bool(bind is not None and bind.get("required") == "true()"),
                "choices": choices,
                "relevant": bind is not None and bind.get("relevant") is not None,
                "constraint": bind is not None and bind.get("constraint") is not None,
                "repeats": repeats,
            }
        )
    rng = random.Random(path.rsplit("/", 1)[-1])
    cases = []
    for _ in range(CASES if walk else 0):
        tree = copy.deepcopy(primary)
        doc_root = ET.ElementTree(tree)

        def element(xpath):
            parts = xpath.strip("/").split("/")[1:]
            found = tree
            for part in parts:
                found = found.find(part) if found is not None else None
            return found

        def recalculate():
            for nodeset, bind in binds.items():
                formula = bind.get("calculate")
                target = element(nodeset)
                if formula and target is not None and not bind.get("{http://openrosa.org/javarosa}preload"):
                    try:
                        token = parsed(formula)
                        value = token.evaluate(XPathContext(doc_root, item=target))
                        if isinstance(value, list):
                            value = " ".join(
                                v if isinstance(v, str) else token.string_value(v) for v in value
                            )
                        if isinstance(value, bool):
                            value = "true" if value else "false"
                        if isinstance(value, float) and value.is_integer():
                            value = str(int(value))
                        # JavaRosa stores a NaN result as no answer
                        # (IAnswerData.wrapData): `${a} + ${b}` with `a`
                        # unanswered is blank, not "NaN".
                        if isinstance(value, float) and math.isnan(value):
                            value = ""
                        target.text = str(value) if value is not None else ""
                    except Exception:
                        target.text = ""

        steps = []
        for q, (node, path, groups, _) in zip(out, questions):
            target = element(path)
            recalculate()
            step = {"name": q["name"], "relevant": None, "value": None, "constraint": None}
            # What ODK has calculated from the answers so far.
            step["calculated"] = {
                nodeset.rsplit("/", 1)[-1]: (element(nodeset).text or "")
                for nodeset, bind in binds.items()
                if bind.get("calculate")
                and not bind.get("{http://openrosa.org/javarosa}preload")
                and element(nodeset) is not None
            }
            try:
                relevant = True
                for nodeset in groups + [path]:
                    bind = binds.get(nodeset)
                    if bind is not None and bind.get("relevant"):
                        relevant = relevant and evaluate(doc_root, bind.get("relevant"), element(nodeset))
                    if nodeset in counts:
                        token = parsed(counts[nodeset])
                        n = token.evaluate(XPathContext(doc_root, item=element(nodeset)))
                        if isinstance(n, list):
                            n = token.string_value(n[0]) if n else ""
                        relevant = relevant and number(n) >= 1
                step["relevant"] = relevant
            except Exception as error:
                step["error"] = f"relevant: {error}"
                steps.append(step)
                continue
            names = [c["name"] for c in q["choices"]]
            if path in filters and relevant:
                # ODK offers the items whose filter holds, each evaluated
                # with the item as context; the items sit under the primary
                # instance here so its absolute paths still resolve.
                instance_id, predicate = filters[path]
                holder = ET.SubElement(tree, "fieldkit_itemset")
                holder.extend(copy.deepcopy(secondary.get(instance_id, [])))
                try:
                    names = [
                        item.findtext("name") or ""
                        for item in holder
                        if evaluate(doc_root, predicate, item)
                    ]
                    step["offered"] = names
                except Exception as error:
                    step["error"] = f"choice_filter: {error}"
                tree.remove(holder)
                if "error" in step:
                    steps.append(step)
                    continue
            value = None
            if relevant and rng.random() < 0.8:
                value = generate(q["type"], names, strings, numbers, rng)
            if value is not None and value != "" and target is not None:
                target.text = value
                step["tried"] = value
                bind = binds.get(path)
                if bind is not None and bind.get("constraint"):
                    try:
                        step["constraint"] = evaluate(doc_root, bind.get("constraint"), target)
                    except Exception as error:
                        step["error"] = f"constraint: {error}"
                    if step["constraint"] is False:
                        target.text = ""
                        value = None
                step["value"] = value
            steps.append(step)
        cases.append(steps)
    return {
        "ok": True,
        "default_language": default,
        "questions": out,
        "cases": cases,
        "holds_files": holds_files,
    }


if __name__ == "__main__":
    # `walk:PATH` also walks the form with generated answers.
    for form in sys.argv[1:]:
        walk = form.startswith("walk:")
        form = form.removeprefix("walk:")
        result = reference(form, walk)
        result["file"] = form.rsplit("/", 1)[-1]
        print(json.dumps(result, ensure_ascii=False))
        sys.stdout.flush()
