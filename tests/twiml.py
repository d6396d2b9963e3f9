"""Reading TwiML the way Twilio does: parsed, verb by verb."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from werkzeug.test import TestResponse


def parse(response: TestResponse) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def verbs(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def said(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter("Say")]


def only(root: ET.Element, tag: str) -> ET.Element:
    found = root.findall(tag)
    assert len(found) == 1, f"expected one <{tag}>, found {len(found)}"
    return found[0]
