"""JSON numbers as JSON Schema reads them: `2.0` and `1e3` are integers.

The API's integer fields (ids, amounts in minor units, shares in basis points, units) accept
any JSON number with no fractional part, as the OpenAPI document's `integer` type promises.
The literal is read exactly (Decimal, never through a float), so `100.0` is the integer 100
and `0.1` stays a non-integer that validation refuses; nothing is ever rounded.
"""
from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from flask.json.provider import DefaultJSONProvider

#: Beyond this an "integral" literal is refused as the float it is (validation answers 422):
#: no field takes numbers anywhere near it, and Decimal's exponent must stay bounded.
_LARGEST = 10**30


def _number(literal: str) -> int | float:
    try:
        value = Decimal(literal)
    except InvalidOperation:  # pragma: no cover - json only passes valid literals
        return float(literal)
    if value.is_finite() and abs(value) <= _LARGEST and value == value.to_integral_value():
        return int(value)
    return float(literal)


class JSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json.loads(s, parse_float=_number, **kwargs)
