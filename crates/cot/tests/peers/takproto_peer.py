#!/usr/bin/env python3
"""Peer side of crates/cot tests/peers.rs: takproto (the TAK protocol library on PyPI) and
Python's own XML parser look at what liptako-cot writes.

stdin: one JSON object per line: {"name", "xml": our XML document, "frame": our stream frame
(hex)}. stdout: one JSON object per line with
  - et_view:        the fields of our XML, read with xml.etree (an independent XML parser)
  - proto_view:     the fields of our frame, decoded by takproto.parse_proto
  - takproto_xml_view: the fields of takproto.functions.xml2message(our XML), takproto's own conversion
  - takproto_frame: takproto.xml2proto(our XML, STREAM) as hex, for us to decode
  - relayed_frame:  our frame parsed and re-serialised by takproto (a relay), as hex
A "view" flattens an event to {field: text}: event attributes, point, each typed detail element
as "<element>.<attribute>" (the first of its name; xmlDetail wins over a message, as the TAK
detail.proto says), and every other detail child in C14N form, in order.
"""
import copy
import datetime
import json
import sys
import xml.etree.ElementTree as ET

import takproto
import takproto.functions
from google.protobuf.unknown_fields import UnknownFieldSet

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
TYPED = ("contact", "__group", "precisionlocation", "status", "takv", "track")
MESSAGE_OF = {
    "contact": ("contact", ("callsign", "endpoint")),
    "__group": ("group", ("name", "role")),
    "precisionlocation": ("precisionLocation", ("geopointsrc", "altsrc")),
    "status": ("status", ("battery",)),
    "takv": ("takv", ("device", "platform", "os", "version")),
    "track": ("track", ("speed", "course")),
}


def ms(text):
    when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return str((when - EPOCH) // datetime.timedelta(milliseconds=1))


def number(value):
    return repr(float(value))


def normalise(tag, key, value):
    try:
        if tag == "status" and key == "battery":
            return str(int(value))
        if tag == "track" and key in ("speed", "course"):
            return number(value)
    except ValueError:
        pass
    return value


def canonical(element):
    element = copy.deepcopy(element)
    element.tail = None
    return ET.canonicalize(ET.tostring(element, encoding="unicode"))


def detail_view(detail, messages=None):
    view, others, seen = {}, [], set()
    if detail.text and detail.text.strip():
        others.append("#text:" + detail.text)
    for child in detail:
        if child.tag in TYPED and child.tag not in seen:
            seen.add(child.tag)
            view[child.tag] = "present"
            for key, value in child.attrib.items():
                view[f"{child.tag}.{key}"] = normalise(child.tag, key, value)
            if len(child) or (child.text and child.text.strip()):
                view[f"{child.tag}.#content"] = canonical(child)
        else:
            others.append(canonical(child))
        if child.tail and child.tail.strip():
            others.append("#text:" + child.tail)
    if messages is not None:
        for tag, (field, attributes) in MESSAGE_OF.items():
            if tag in seen or not messages.HasField(field):
                continue
            view[tag] = "present"
            message = getattr(messages, field)
            for attribute in attributes:
                value = getattr(message, attribute)
                if isinstance(value, str):
                    if value:
                        view[f"{tag}.{attribute}"] = value
                else:
                    view[f"{tag}.{attribute}"] = normalise(tag, attribute, str(value))
    view["#others"] = others
    return view


def view_of_xml(text):
    root = ET.fromstring(text)
    view = {}
    for key in ("uid", "type", "how", "access", "qos", "opex", "caveat", "releaseableTo"):
        if root.get(key):
            view[key] = root.get(key)
    for key in ("time", "start", "stale"):
        view[key] = ms(root.get(key))
    point = root.find("point")
    for key in ("lat", "lon", "hae", "ce", "le"):
        view[key] = number(point.get(key))
    detail = root.find("detail")
    view.update(detail_view(detail if detail is not None else ET.Element("detail")))
    return view


def view_of_message(message):
    event = message.cotEvent
    view = {}
    for key in ("uid", "type", "how", "access", "qos", "opex"):
        if getattr(event, key):
            view[key] = getattr(event, key)
    for field in UnknownFieldSet(event):
        name = {16: "caveat", 17: "releaseableTo"}.get(field.field_number)
        if name and field.data:
            view[name] = field.data.decode("utf-8")
    view["time"], view["start"], view["stale"] = (str(event.sendTime), str(event.startTime), str(event.staleTime))
    for key in ("lat", "lon", "hae", "ce", "le"):
        view[key] = number(getattr(event, key))
    detail = ET.fromstring("<detail>" + event.detail.xmlDetail + "</detail>")
    view.update(detail_view(detail, event.detail if event.HasField("detail") else None))
    return view


def main():
    for line in sys.stdin:
        case = json.loads(line)
        frame = bytes.fromhex(case["frame"])
        message = takproto.parse_proto(bytearray(frame))
        relayed = takproto.functions.msg2proto(message, takproto.TAKProtoVer.STREAM)
        result = {
            "name": case["name"],
            "et_view": view_of_xml(case["xml"].encode("utf-8")),
            "proto_view": view_of_message(message),
            "relayed_frame": bytes(relayed).hex(),
        }
        # takproto's own converter raises on some valid CoT (e.g. battery="87.5"); say so.
        try:
            own = takproto.functions.xml2message(case["xml"].encode("utf-8"))
            result["takproto_xml_view"] = view_of_message(own)
            result["takproto_frame"] = bytes(takproto.functions.msg2proto(own, takproto.TAKProtoVer.STREAM)).hex()
        except Exception as error:  # noqa: BLE001 - any failure of the peer is reported
            result["takproto_xml_error"] = f"{type(error).__name__}: {error}"
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
