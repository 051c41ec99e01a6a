"""A tiny UDP DNS server for tests: PTR answers from a table, NXDOMAIN otherwise, or silence."""

from __future__ import annotations

import socket
import threading

import dns.message
import dns.rcode
import dns.reversename
import dns.rrset


class PtrServer:
    """Serves on 127.0.0.1 from construction until close(); usable as a context manager too."""

    def __init__(self, names: dict[str, str], silent: bool = False) -> None:
        self.ptr = {dns.reversename.from_address(a).to_text(): n for a, n in names.items()}
        self.silent = silent
        self.queries = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            self.queries += 1
            if self.silent:
                continue
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            qname = query.question[0].name.to_text()
            if qname in self.ptr:
                reply.answer.append(dns.rrset.from_text(qname, 60, "IN", "PTR", self.ptr[qname] + "."))
            else:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(reply.to_wire(), peer)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> PtrServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
