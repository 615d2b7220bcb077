#!/usr/bin/env python3
"""Real TAK clients against a Liptako node, for crates/node tests/tak (peers.rs).

Connections are opened by pytak (``pytak.protocol_factory``: TCP, TLS with a PKCS#12 client
certificate, or a TAK data package read by ``pytak.client_functions.read_pref_package``);
protobuf clients negotiate TAK protocol version 1 and encode and decode with takproto;
certificate enrollment is pytak's ``CertificateEnrollment``.

stdin: first line, a JSON script ``{"steps": [...]}``; later lines answer sync points.
stdout: JSON lines: ``{"sync": NAME}`` at each sync point (the test then acts and writes a
line back), and at the end ``{"result": {"clients": {NAME: {"events": [...], "closed":
bool}}, "enrolled": {...}}}``. Anything unexpected raises: the test sees the traceback.

Steps (``op``):
- ``connect`` name, url (``tcp://`` or ``tls://host:port``), [p12, password, cafile],
  [package: a data package .zip instead of url/p12], [protobuf: negotiate protobuf];
- ``sa`` name, uid, callsign, lat, lon, [type, access, releaseableTo, opex, stale]: a
  position report as ATAK sends it (with ``__group`` and ``takv``);
- ``chat`` name, uid (sender), callsign, text, [to_callsign, to_uid]: GeoChat, directed
  when ``to_callsign`` is given;
- ``xml`` name, xml: an event as given; ``raw`` name, hex: bytes as given;
- ``wait`` name, uid, [timeout]: until that client received that uid (fails otherwise);
- ``wait_deleted`` name, uid, [timeout]: until that client received a deletion (``t-x-d-d``)
  of that uid;
- ``wait_closed`` name, [timeout]; ``sleep`` seconds; ``sync`` name; ``close`` name;
- ``enroll`` name, host, port, username, password, output: pytak enrollment (the port is
  passed through to pytak's requests, which otherwise assume 8446);
- ``atak_enroll`` name, port, username, password, cafile, [claim]: enrollment as ATAK sends
  it (XML answers, CSR as bare base64); ``load_p12`` name, p12, password: cryptography's
  PKCS#12 loader. Their findings go to ``enrolled[name]``.
"""

import asyncio
import binascii
import json
import os
import sys
import warnings
import xml.etree.ElementTree as ET

warnings.simplefilter("ignore")

import pytak  # noqa: E402
import takproto  # noqa: E402
from takproto.functions import msg2proto, xml2message  # noqa: E402
from takproto.constants import TAKProtoVer  # noqa: E402

XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def event_record(event: ET.Element, fmt: str) -> dict:
    """The fields the tests look at, from an <event> element."""
    point = event.find("point")
    detail = event.find("detail")
    contact = detail.find("contact") if detail is not None else None
    remarks = detail.find("remarks") if detail is not None else None
    links = detail.findall("link") if detail is not None else []
    return {
        "format": fmt,
        "uid": event.get("uid"),
        "type": event.get("type"),
        "access": event.get("access"),
        "releaseableTo": event.get("releaseableTo"),
        "opex": event.get("opex"),
        "callsign": contact.get("callsign") if contact is not None else None,
        "lat": float(point.get("lat")) if point is not None else None,
        "lon": float(point.get("lon")) if point is not None else None,
        "remarks": remarks.text if remarks is not None else None,
        "links": [link.get("uid") for link in links if link.get("uid")],
        "n_link_points": len([link for link in links if link.get("point")]),
    }


def proto_record(message) -> dict:
    """The same fields from a takproto TakMessage."""
    cot = message.cotEvent
    detail = cot.detail
    record = {
        "format": "protobuf",
        "uid": cot.uid,
        "type": cot.type,
        "access": cot.access or None,
        "releaseableTo": None,
        "opex": cot.opex or None,
        "callsign": detail.contact.callsign or None,
        "lat": cot.lat,
        "lon": cot.lon,
        "remarks": None,
        "links": [],
        "n_link_points": 0,
    }
    # takproto 3.0.1 predates releaseableTo (field 17): it arrives as an unknown field,
    # which protobuf keeps; read it from the re-serialised event.
    raw = cot.SerializeToString()
    record["releaseableTo"] = unknown_string_field(raw, 17)
    if detail.xmlDetail:
        fragment = ET.fromstring("<detail>" + detail.xmlDetail + "</detail>")
        remarks = fragment.find("remarks")
        record["remarks"] = remarks.text if remarks is not None else None
        record["links"] = [link.get("uid") for link in fragment.findall("link") if link.get("uid")]
    return record


def read_varint(data: bytes, at: int):
    value, shift = 0, 0
    while True:
        if at >= len(data):
            return None, at
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def unknown_string_field(raw: bytes, number: int):
    """A length-delimited field of a serialised message, by number (first occurrence)."""
    at = 0
    while at < len(raw):
        key, at = read_varint(raw, at)
        if key is None:
            return None
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, at = read_varint(raw, at)
        elif wire == 1:
            at += 8
        elif wire == 5:
            at += 4
        elif wire == 2:
            length, at = read_varint(raw, at)
            if field == number:
                return raw[at:at + length].decode()
            at += length
        else:
            return None
    return None


class Client:
    def __init__(self, name, reader, writer):
        self.name = name
        self.reader = reader
        self.writer = writer
        self.protobuf = False
        self.events = []
        self.closed = False
        self.buffer = b""
        self.offer = asyncio.Event()
        self.response = None
        self.response_seen = asyncio.Event()
        self.task = asyncio.create_task(self.read_loop())

    def take_xml(self):
        end = self.buffer.find(b"</event>")
        if end < 0:
            return None
        end += len(b"</event>")
        document, self.buffer = self.buffer[:end], self.buffer[end:]
        start = document.find(b"<event")
        return ET.fromstring(document[start:])

    def take_proto(self):
        if not self.buffer:
            return None
        if self.buffer[0] != 0xBF:
            raise ValueError(f"{self.name}: protobuf frame does not start with 0xbf: {self.buffer[:8]!r}")
        length, at = read_varint(self.buffer, 1)
        if length is None or len(self.buffer) < at + length:
            return None
        frame, self.buffer = self.buffer[:at + length], self.buffer[at + length:]
        return takproto.parse_proto(bytearray(frame))

    async def read_loop(self):
        try:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    break
                self.buffer += data
                while True:
                    if self.protobuf:
                        message = self.take_proto()
                        if message is None:
                            break
                        if message.HasField("cotEvent"):
                            self.events.append(proto_record(message))
                        continue
                    event = self.take_xml()
                    if event is None:
                        break
                    record = event_record(event, "xml")
                    if record["type"] == "t-x-takp-v":
                        self.offer.set()
                    elif record["type"] == "t-x-takp-r":
                        response = event.find("detail/TakControl/TakResponse")
                        self.response = response is not None and response.get("status") == "true"
                        if self.response:
                            # Everything after a granted response is protobuf.
                            self.protobuf = True
                        self.response_seen.set()
                    self.events.append(record)
        except (ConnectionError, OSError):
            pass
        self.closed = True

    async def send(self, data: bytes):
        self.writer.write(data)
        await self.writer.drain()

    async def send_xml(self, xml: bytes):
        if self.protobuf:
            await self.send(bytes(msg2proto(xml2message(xml), TAKProtoVer.STREAM)))
        else:
            await self.send(XML_DECL + xml)

    async def negotiate(self):
        await asyncio.wait_for(self.offer.wait(), 10)
        request = (
            b'<event version="2.0" uid="protouid" type="t-x-takp-q" how="m-g" time="%s" '
            b'start="%s" stale="%s"><point lat="0" lon="0" hae="0" ce="999999" le="999999"/>'
            b'<detail><TakControl><TakRequest version="1"/></TakControl></detail></event>'
            % (pytak.cot_time().encode(), pytak.cot_time().encode(), pytak.cot_time(60).encode())
        )
        await self.send(XML_DECL + request)
        await asyncio.wait_for(self.response_seen.wait(), 10)
        if not self.response:
            raise RuntimeError(f"{self.name}: protobuf refused")


def sa_xml(step) -> bytes:
    detail = ET.Element("detail")
    takv = ET.SubElement(detail, "takv")
    takv.set("platform", "pytak")
    takv.set("version", "7.6.1")
    group = ET.SubElement(detail, "__group")
    group.set("name", "Cyan")
    group.set("role", "Team Member")
    event = pytak.functions.cot_event(
        lat=step["lat"],
        lon=step["lon"],
        uid=step["uid"],
        cot_type=step.get("type", "a-f-G-U-C"),
        callsign=step.get("callsign"),
        stale=step.get("stale", 120),
        detail=detail,
        access=step.get("access"),
        opex=step.get("opex"),
    )
    if step.get("releaseableTo"):
        event.set("releaseableTo", step["releaseableTo"])
    return ET.tostring(event)


def chat_xml(step) -> bytes:
    sender, callsign = step["uid"], step["callsign"]
    room = step.get("to_uid") or "All Chat Rooms"
    room_name = step.get("to_callsign") or "All Chat Rooms"
    message_id = step.get("message_id", "m-" + sender)
    event = pytak.functions.cot_event(
        lat=0, lon=0, uid=f"GeoChat.{sender}.{room}.{message_id}", cot_type="b-t-f",
        how="h-g-i-g-o", stale=120, detail=ET.Element("detail"), flow_tag=False,
    )
    detail = event.find("detail")
    chat = ET.SubElement(detail, "__chat")
    for key, value in (("parent", "RootContactGroup"), ("groupOwner", "false"),
                       ("messageId", message_id), ("chatroom", room_name), ("id", room),
                       ("senderCallsign", callsign)):
        chat.set(key, value)
    chatgrp = ET.SubElement(chat, "chatgrp")
    chatgrp.set("uid0", sender)
    chatgrp.set("uid1", room)
    chatgrp.set("id", room)
    link = ET.SubElement(detail, "link")
    link.set("uid", sender)
    link.set("type", "a-f-G-U-C")
    link.set("relation", "p-p")
    remarks = ET.SubElement(detail, "remarks")
    remarks.set("source", f"BAO.F.ATAK.{sender}")
    remarks.set("to", room)
    remarks.text = step["text"]
    if step.get("to_callsign"):
        marti = ET.SubElement(detail, "marti")
        dest = ET.SubElement(marti, "dest")
        dest.set("callsign", step["to_callsign"])
    return ET.tostring(event)


async def connect(step) -> Client:
    config = {}
    if step.get("package"):
        # pytak's own data package import: connection string, certificate and password.
        from pytak.client_functions import read_pref_package

        config.update(read_pref_package(step["package"]))
    else:
        config["COT_URL"] = step["url"]
        if step.get("p12"):
            config["PYTAK_TLS_CLIENT_CERT"] = step["p12"]
            config["PYTAK_TLS_CLIENT_PASSWORD"] = step["password"]
        if step.get("cafile"):
            config["PYTAK_TLS_CLIENT_CAFILE"] = step["cafile"]
    section = {key: value for key, value in config.items() if value is not None}
    from configparser import ConfigParser
    parser = ConfigParser()
    parser["client"] = section
    reader, writer = await pytak.protocol_factory(parser["client"])
    client = Client(step["name"], reader, writer)
    if step.get("protobuf"):
        await client.negotiate()
    return client


async def enroll(step) -> dict:
    """pytak's certificate enrollment against the node's enrollment listener."""
    from pytak.crypto_classes import CertificateEnrollment
    import aiohttp

    port = step["port"]
    original = aiohttp.ClientSession._request

    async def to_port(self, method, url, *args, **kwargs):
        # pytak builds https://HOST:8446/...; the test's listener is on another port.
        return await original(self, method, str(url).replace(":8446/", f":{port}/"), *args, **kwargs)

    aiohttp.ClientSession._request = to_port
    try:
        enrollment = CertificateEnrollment()
        await enrollment.begin_enrollment(
            domain=step["host"], username=step["username"], password=step["password"],
            output_path=step["output"], passphrase=step["passphrase"], trust_all=True,
        )
    finally:
        aiohttp.ClientSession._request = original
    return {"p12": step["output"], "exists": os.path.exists(step["output"])}


def atak_enroll(step) -> dict:
    """Enrollment the way ATAK's commoncommo does it (see the module docs): GET the CSR
    config with Accept: application/xml, build CN=<user> + nameEntries, RSA-2048, POST the
    CSR as base64 DER without PEM lines as application/octet-stream, read the XML answer."""
    import base64
    import ssl
    import urllib.request
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    context = ssl.create_default_context(cafile=step["cafile"])
    context.check_hostname = False
    base = f"https://127.0.0.1:{step['port']}/Marti/api/tls"
    token = base64.b64encode(f"{step['username']}:{step['password']}".encode()).decode()
    auth = {"Authorization": f"Basic {token}"}

    def call(url, data=None, headers=None):
        request = urllib.request.Request(url, data=data, headers={**auth, **(headers or {})},
                                         method="POST" if data is not None else "GET")
        try:
            with urllib.request.urlopen(request, context=context, timeout=20) as response:
                return response.status, response.headers.get("Content-Type"), response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Content-Type"), err.read()

    status, _, body = call(base + "/config", headers={"Accept": "application/xml"})
    if status != 200:
        return {"config_status": status}
    config = ET.fromstring(body)
    names = [NameOID.COMMON_NAME]
    values = [step["username"]]
    oids = {"O": NameOID.ORGANIZATION_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
            "C": NameOID.COUNTRY_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME,
            "L": NameOID.LOCALITY_NAME}
    entries = [e for e in config.iter() if e.tag.endswith("nameEntry")]
    for entry in entries:
        names.append(oids[entry.get("name")])
        values.append(entry.get("value"))
    key = rsa.generate_private_key(public_exponent=65537, key_size=step.get("key_size", 2048))
    subject = x509.Name([x509.NameAttribute(oid, value) for oid, value in zip(names, values)])
    # The CSR asks for another name: the server must not care.
    if step.get("claim"):
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, step["claim"])])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    pem = csr.public_bytes(serialization.Encoding.PEM).decode()
    body = pem.replace("-----BEGIN CERTIFICATE REQUEST-----\n", "").replace(
        "-----END CERTIFICATE REQUEST-----\n", "")
    status, content_type, answer = call(
        base + "/signClient/v2?clientUid=ANDROID-test&version=4.10.0",
        data=body.encode(),
        headers={"Accept": "application/xml", "Content-Type": "application/octet-stream"})
    result = {"config_entries": {e.get("name"): e.get("value") for e in entries},
              "status": status, "content_type": content_type}
    if status != 200:
        return result
    document = ET.fromstring(answer)
    signed = x509.load_der_x509_certificate(base64.b64decode(document.find("signedCert").text))
    cas = [x509.load_der_x509_certificate(base64.b64decode(ca.text))
           for ca in document.findall("ca")]
    signed.verify_directly_issued_by(cas[0])
    ca_file = x509.load_pem_x509_certificate(open(step["cafile"], "rb").read())
    result.update({
        "subject_cn": signed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value,
        "key_matches": signed.public_key().public_numbers() == key.public_key().public_numbers(),
        "ca_is_node_ca": cas[0] == ca_file,
        "client_auth": x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH in
            signed.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value,
    })
    return result


def load_p12(step) -> dict:
    """What Python's cryptography (pytak's loader) reads from a .p12."""
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.hazmat.primitives.asymmetric import rsa
    key, cert, extra = pkcs12.load_key_and_certificates(
        open(step["p12"], "rb").read(), step["password"].encode())
    return {
        "rsa_bits": key.key_size if isinstance(key, rsa.RSAPrivateKey) else None,
        "subject": cert.subject.rfc4514_string() if cert else None,
        "n_extra": len(extra),
        "key_matches": cert is not None and key.public_key().public_numbers()
            == cert.public_key().public_numbers(),
    }


async def main():
    script = json.loads(sys.stdin.readline())
    loop = asyncio.get_running_loop()
    clients = {}
    enrolled = {}
    for step in script["steps"]:
        op = step["op"]
        if op == "connect":
            clients[step["name"]] = await connect(step)
        elif op == "sa":
            await clients[step["name"]].send_xml(sa_xml(step))
        elif op == "chat":
            await clients[step["name"]].send_xml(chat_xml(step))
        elif op == "xml":
            await clients[step["name"]].send_xml(step["xml"].encode())
        elif op == "raw":
            await clients[step["name"]].send(binascii.unhexlify(step["hex"]))
        elif op == "wait":
            client = clients[step["name"]]
            deadline = loop.time() + step.get("timeout", 15)
            while not any(event["uid"] == step["uid"] for event in client.events):
                if loop.time() > deadline:
                    raise TimeoutError(f"{client.name} never received {step['uid']}: {client.events}")
                await asyncio.sleep(0.02)
        elif op == "wait_deleted":
            client = clients[step["name"]]
            deadline = loop.time() + step.get("timeout", 15)
            while not any(event["type"] == "t-x-d-d" and step["uid"] in event["links"]
                          for event in client.events):
                if loop.time() > deadline:
                    raise TimeoutError(f"{client.name} never received a deletion of {step['uid']}")
                await asyncio.sleep(0.02)
        elif op == "wait_closed":
            client = clients[step["name"]]
            await asyncio.wait_for(client.task, step.get("timeout", 15))
        elif op == "sleep":
            await asyncio.sleep(step["seconds"])
        elif op == "sync":
            print(json.dumps({"sync": step["name"]}), flush=True)
            await loop.run_in_executor(None, sys.stdin.readline)
        elif op == "close":
            client = clients[step["name"]]
            client.writer.close()
            await asyncio.wait_for(client.task, 10)
        elif op == "enroll":
            enrolled[step["name"]] = await enroll(step)
        elif op == "atak_enroll":
            enrolled[step["name"]] = await loop.run_in_executor(None, atak_enroll, step)
        elif op == "load_p12":
            enrolled[step["name"]] = load_p12(step)
        else:
            raise ValueError(f"unknown step {op}")
    result = {
        "clients": {
            name: {"events": client.events, "closed": client.closed}
            for name, client in clients.items()
        },
        "enrolled": enrolled,
    }
    for client in clients.values():
        client.task.cancel()
    print(json.dumps({"result": result}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
