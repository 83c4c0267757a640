"""A small vocabulary for writing expected payloads, turned into pact-python bodies and matching rules.

In an expectation a plain value means "a value of this JSON type, for example this one"; `exactly`
pins a value; `pattern`, `date`, `timestamp`, `one_of` give a string a regular expression; `each`
is an array (non-empty unless `min=0`) whose elements look like the example; `nullable` allows null besides the
example's type (a V4 `OR` rule, which pact-python's matchers do not offer). The regular expressions
of the formats come from `shared.catalogue`, which names them in the generated event catalogue.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pact import match

from shared.catalogue import FORMATS


@dataclass(frozen=True)
class Exactly:
    value: Any


@dataclass(frozen=True)
class Pattern:
    example: str
    regex: str


@dataclass(frozen=True)
class Each:
    item: Any
    min: int = 1


@dataclass(frozen=True)
class Nullable:
    example: Any


def exactly(value: Any) -> Exactly:
    return Exactly(value)


def pattern(example: str, regex: str) -> Pattern:
    if not re.fullmatch(regex, example):
        raise ValueError(f"the example {example!r} does not match {regex!r}")
    return Pattern(example, regex)


def date(example: str = "2026-12-31") -> Pattern:
    return pattern(example, FORMATS["date"])


def timestamp(example: str = "2026-01-01T00:00:00Z") -> Pattern:
    return pattern(example, FORMATS["date-time"])


def uuid(example: str = "5f0c6d2e-8a47-4c1b-9d3e-2b7a1c9e4f60") -> Pattern:
    return pattern(example, FORMATS["uuid"])


def url(example: str) -> Pattern:
    return pattern(example, FORMATS["url"])


def one_of(*values: str, example: str | None = None) -> Pattern:
    return pattern(example or values[0], "^(" + "|".join(re.escape(v) for v in values) + ")$")


def each(item: Any, min: int = 1) -> Each:  # noqa: A002 - pact's own word for it
    return Each(item, min)


def nullable(example: Any) -> Nullable:
    return Nullable(example)


def _rule_of(example: Any) -> dict[str, Any]:
    if isinstance(example, Pattern):
        return {"match": "regex", "regex": example.regex}
    if isinstance(example, bool):
        return {"match": "boolean"}
    if isinstance(example, int):
        return {"match": "integer"}
    return {"match": "type"}


def example_of(value: Any) -> Any:
    """The example an expectation stands for, as a client would send it (matchers unwrapped)."""
    if isinstance(value, Pattern):
        return value.example
    if isinstance(value, Exactly):
        return example_of(value.value)
    if isinstance(value, Nullable):
        return example_of(value.example)
    if isinstance(value, Each):
        return [example_of(value.item)]
    if isinstance(value, dict):
        return {k: example_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [example_of(v) for v in value]
    return value


def build(value: Any, path: str = "$", rules: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """(the pact-python body, the extra raw matching rules by JSON path) for an expected value."""
    rules = {} if rules is None else rules
    if isinstance(value, Exactly):
        return value.value, rules
    if isinstance(value, Nullable):
        rules[path] = {"combine": "OR", "matchers": [_rule_of(value.example), {"match": "null"}]}
        return example_of(value.example), rules
    if isinstance(value, Pattern):
        return match.regex(value.example, regex=value.regex), rules
    if isinstance(value, Each):
        item, _ = build(value.item, f"{path}[*]", rules)
        return (match.each_like(item, min=value.min) if value.min else match.type([item])), rules
    if isinstance(value, dict):
        return {key: build(item, f"{path}.{key}", rules)[0] for key, item in value.items()}, rules
    if isinstance(value, bool):
        return match.bool(value), rules
    if isinstance(value, int):
        return match.int(value), rules
    if isinstance(value, float):
        return match.number(value), rules
    if isinstance(value, str):
        return match.str(value), rules
    if value is None:
        return match.none(), rules
    raise TypeError(f"no matcher for {value!r} at {path}")
