"""Per-connection trims of what asyncssh puts on the wire and spends CPU on, for client and lab alike.

Each is a documented hook or an instance attribute set on one connection: asyncssh itself is not patched.

- ``drop_ignore_packets``: asyncssh precedes every packet after key exchange with an empty
  SSH_MSG_IGNORE. That is the old countermeasure to the chosen-plaintext attack on CBC mode's
  predictable IVs (OpenSSH did it for CBC ciphers only); it buys nothing with AES-GCM or AES-CTR,
  the only modes negotiated here, and costs a padded, encrypted, authenticated packet (and its
  decryption on the other side) for every real one: ~10 per backup session. Device SSH servers
  (IOS, NX-OS, EOS, Junos, RouterOS) and OpenSSH do not send them either. A CBC cipher keeps them.
- ``quiet_packet_log``: asyncssh formats a log line for every packet before the logger decides to
  drop it (~5 us a packet); skipped while the asyncssh logger does not emit DEBUG.
- ``skip_none_auth``: asyncssh opens authentication with the "none" method to learn which methods
  the server offers, one round trip (and two packets each way) before the password is even sent.
  paramiko/netmiko send the password straight away; so does the client after this. A server that
  does not take passwords answers with its list of methods and the next preferred one is tried, so
  the outcome is the same.
"""

from __future__ import annotations

import logging

import asyncssh

MSG_IGNORE = 2  # RFC 4253 11.2

_ASYNCSSH_LOG = logging.getLogger("asyncssh")


def drop_ignore_packets(conn: asyncssh.connection.SSHConnection) -> None:
    send_packet = conn.send_packet

    def send_packet_without_ignore(pkttype: int, *args: bytes, handler=None) -> None:
        if pkttype != MSG_IGNORE or conn.get_extra_info("send_cipher", "").endswith("-cbc"):
            send_packet(pkttype, *args, handler=handler)

    conn.send_packet = send_packet_without_ignore  # type: ignore[method-assign]


def skip_packet_log(*args, **kwargs) -> None:
    pass


def quiet_packet_log(handler: object) -> None:
    """``handler``: a connection or a channel (each logs its own packets)."""
    if not _ASYNCSSH_LOG.isEnabledFor(logging.DEBUG):
        handler.log_sent_packet = handler.log_received_packet = skip_packet_log  # type: ignore[attr-defined]


def skip_none_auth(conn: asyncssh.SSHClientConnection, methods: tuple[str, ...]) -> None:
    """Start authentication with ``methods`` (in order) instead of the "none" probe."""
    conn._auth_methods = [m.encode("ascii") for m in methods]  # asyncssh's list of methods still to try
