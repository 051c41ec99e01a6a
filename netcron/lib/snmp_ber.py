"""Just enough BER for SNMP v1/v2c GET/GETNEXT/GETBULK: requests and responses, both directions.

pyasn1 (pysnmp's codec) builds a typed object tree for every message, ~0.5 ms per GET. The lab's agent
(answering thousands of devices from one process) and netcron's own v1/v2c client (``snmp.py``, polling
thousands of devices) read the few fields they need straight from the bytes instead; the agent copies
the request's version, community and request-id TLVs into its reply verbatim. ``bench/lab_snmp.py``
compares both codecs. SNMPv3 (USM) stays with pysnmp.
"""

from __future__ import annotations

from dataclasses import dataclass

SEQUENCE, INTEGER, OCTET_STRING, NULL, OID = 0x30, 0x02, 0x04, 0x05, 0x06
COUNTER32, GAUGE32, TIMETICKS = 0x41, 0x42, 0x43
GET, GETNEXT, RESPONSE, SET, GETBULK = 0xA0, 0xA1, 0xA2, 0xA3, 0xA5
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = b"\x80\x00", b"\x81\x00", b"\x82\x00"
TOO_BIG, NO_SUCH_NAME = 1, 2
V1, V2C, V3 = 0, 1, 3


class BerError(ValueError):
    pass


def read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start, end) of the TLV at ``pos``; ``data[start:end]`` is its value."""
    try:
        tag = data[pos]
        n = data[pos + 1]
    except IndexError:
        raise BerError("truncated") from None
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if not 0 < k <= 4:
            raise BerError("bad length")
        n = int.from_bytes(data[pos : pos + k], "big")
        pos += k
    end = pos + n
    if end > len(data):
        raise BerError("truncated")
    return tag, pos, end


def _expect(data: bytes, pos: int, tag: int) -> tuple[int, int]:
    t, start, end = read_tlv(data, pos)
    if t != tag:
        raise BerError(f"expected tag {tag:#x}, got {t:#x}")
    return start, end


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def tlv(tag: int, value: bytes) -> bytes:
    return bytes((tag,)) + length(len(value)) + value


def integer(value: int, tag: int = INTEGER) -> bytes:
    """INTEGER (and the unsigned application types, which share its encoding)."""
    size = ((value if value >= 0 else ~value).bit_length() + 8) // 8
    return tlv(tag, value.to_bytes(size, "big", signed=True))


def oid_value(oid: tuple[int, ...]) -> bytes:
    """The content octets of an OBJECT IDENTIFIER."""
    if len(oid) < 2:
        raise ValueError("an OID has at least two arcs")
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = []
        while arc:
            chunk.append(arc & 0x7F | 0x80)
            arc >>= 7
        chunk[0] &= 0x7F
        out.extend(reversed(chunk))
    return bytes(out)


def decode_oid(raw: bytes) -> tuple[int, ...]:
    arcs = []
    value = 0
    for b in raw:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
    if not arcs or raw[-1] & 0x80:
        raise BerError("bad OID")
    first = arcs[0]
    top = min(first // 40, 2)
    return (top, first - 40 * top, *arcs[1:])


def varbind(name: bytes, value: bytes) -> bytes:
    """A VarBind from the OID's content octets and an encoded value TLV."""
    body = b"\x06" + length(len(name)) + name + value
    return b"\x30" + length(len(body)) + body


@dataclass(slots=True)
class Request:
    version: int
    head: bytes  # the version and community TLVs, echoed into the response
    community: bytes
    pdu: int
    request_id: bytes  # the request-id TLV, echoed
    a: int  # error-status, or non-repeaters for GETBULK
    b: int  # error-index, or max-repetitions for GETBULK
    names: list[bytes]  # content octets of each requested OID


def peek_version(data: bytes) -> int:
    """The message version (0 = v1, 1 = v2c, 3 = v3) without parsing the rest."""
    start, _ = _expect(data, 0, SEQUENCE)
    vs, ve = _expect(data, start, INTEGER)
    return int.from_bytes(data[vs:ve], "big", signed=True)


def parse_request(data: bytes) -> Request:
    """A v1/v2c request; raises BerError on anything malformed."""
    start, _ = _expect(data, 0, SEQUENCE)
    vs, ve = _expect(data, start, INTEGER)
    cs, ce = _expect(data, ve, OCTET_STRING)
    pdu, ps, _ = read_tlv(data, ce)
    _, re_ = _expect(data, ps, INTEGER)
    as_, ae = _expect(data, re_, INTEGER)
    bs, be = _expect(data, ae, INTEGER)
    ls, le = _expect(data, be, SEQUENCE)
    names = []
    pos = ls
    while pos < le:
        vbs, vbe = _expect(data, pos, SEQUENCE)
        os_, oe = _expect(data, vbs, OID)
        names.append(data[os_:oe])
        pos = vbe
    return Request(
        version=int.from_bytes(data[vs:ve], "big", signed=True),
        head=data[start:ce],
        community=data[cs:ce],
        pdu=pdu,
        request_id=data[ps:re_],
        a=int.from_bytes(data[as_:ae], "big", signed=True),
        b=int.from_bytes(data[bs:be], "big", signed=True),
        names=names,
    )


def response(req: Request, varbinds: list[bytes], status: int = 0, index: int = 0) -> bytes:
    vbl = b"".join(varbinds)
    pdu = req.request_id + integer(status) + integer(index) + b"\x30" + length(len(vbl)) + vbl
    body = req.head + bytes((RESPONSE,)) + length(len(pdu)) + pdu
    return b"\x30" + length(len(body)) + body


def request(version: int, community: bytes, pdu: int, request_id: int, oids: list[tuple[int, ...]],
            a: int = 0, b: int = 0) -> bytes:
    """Encode a request (the benchmark's load generator and the tests use it)."""
    vbl = b"".join(varbind(oid_value(o), b"\x05\x00") for o in oids)
    body = integer(request_id) + integer(a) + integer(b) + tlv(SEQUENCE, vbl)
    return tlv(SEQUENCE, integer(version) + tlv(OCTET_STRING, community) + tlv(pdu, body))


def parse_response(data: bytes) -> tuple[int, int, int, list[tuple[tuple[int, ...], int, bytes]]]:
    """(request-id, error-status, error-index, [(oid, value tag, value octets)]) of a response."""
    start, _ = _expect(data, 0, SEQUENCE)
    _, ve = _expect(data, start, INTEGER)
    _, ce = _expect(data, ve, OCTET_STRING)
    ps, _ = _expect(data, ce, RESPONSE)
    rs, re_ = _expect(data, ps, INTEGER)
    ss, se = _expect(data, re_, INTEGER)
    is_, ie = _expect(data, se, INTEGER)
    ls, le = _expect(data, ie, SEQUENCE)
    out = []
    pos = ls
    while pos < le:
        vbs, vbe = _expect(data, pos, SEQUENCE)
        os_, oe = _expect(data, vbs, OID)
        tag, xs, xe = read_tlv(data, oe)
        out.append((decode_oid(data[os_:oe]), tag, data[xs:xe]))
        pos = vbe
    as_int = lambda s, e: int.from_bytes(data[s:e], "big", signed=True)  # noqa: E731
    return as_int(rs, re_), as_int(ss, se), as_int(is_, ie), out
