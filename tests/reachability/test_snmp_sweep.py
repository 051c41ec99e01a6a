"""The one-socket SNMP v1/v2c GET: our BER checked against pysnmp's codec, and GETs against the lab."""

from __future__ import annotations

import asyncio

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from netcron.executors.reachability.snmp_sweep import decode_response, encode_get, get_many
from tests.reachability.conftest import COMMUNITY

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
OIDS = ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.5.0", "1.3.6.1.4.1.2636.3.1.13.1.5.9.1.0.0"]


def test_our_get_request_decodes_in_pysnmp_with_every_field_intact():
    message, _ = decoder.decode(encode_get("2c", "s3cret-community", 123456789, OIDS), asn1Spec=V2C.Message())
    pdu = V2C.apiMessage.get_pdu(message)
    assert str(V2C.apiMessage.get_community(message)) == "s3cret-community"
    assert int(V2C.apiPDU.get_request_id(pdu)) == 123456789
    assert [str(oid) for oid, _ in V2C.apiPDU.get_varbinds(pdu)] == OIDS


def test_we_decode_a_response_pysnmp_encodes_including_large_and_missing_values():
    pdu = V2C.GetResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, 2**31 - 5)
    V2C.apiPDU.set_varbinds(pdu, [
        ("1.3.6.1.2.1.1.3.0", V2C.TimeTicks(4294967295)), ("1.3.6.1.2.1.1.5.0", V2C.OctetString("edge-1" * 40)),
        ("1.3.6.1.2.1.1.2.0", V2C.ObjectIdentifier("1.3.6.1.4.1.9.1.2494")),
        ("1.3.6.1.2.1.1.7.0", V2C.Integer(-72)), ("1.3.6.1.2.1.1.9.0", V2C.NoSuchInstance(""))])
    message = V2C.Message()
    V2C.apiMessage.set_defaults(message)
    V2C.apiMessage.set_community(message, "public")
    V2C.apiMessage.set_pdu(message, pdu)
    rid, status, index, values = decode_response(encoder.encode(message))
    assert (rid, status, index) == (2**31 - 5, 0, 0)
    assert values == {"1.3.6.1.2.1.1.3.0": 4294967295, "1.3.6.1.2.1.1.5.0": "edge-1" * 40,
                      "1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.9.1.2494", "1.3.6.1.2.1.1.7.0": -72,
                      "1.3.6.1.2.1.1.9.0": None}


def test_many_lab_agents_answer_over_one_socket_and_silence_is_a_timeout(lab):
    port = lab.specs[0].snmp_port
    requests = [(s.name, s.host, port, "2c", COMMUNITY) for s in lab.specs]
    requests.append(("wrong", lab.specs[0].host, port, "2c", "not-it"))
    answers = asyncio.run(get_many(requests, OIDS[:2], timeout=0.5, retries=1))
    for spec in lab.specs:
        assert answers[spec.name].error == "" and answers[spec.name].values["1.3.6.1.2.1.1.5.0"]
        assert answers[spec.name].latency_ms is not None
    assert answers["wrong"].error.startswith("timeout") and "x 2" in answers["wrong"].error
