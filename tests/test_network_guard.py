import socket

import pytest

from tests.conftest import NetworkAttempt

OUTSIDE = ("192.0.2.1", 443)  # TEST-NET-1: an address literal, so the guard on connect itself is what must refuse


def test_network_guard_blocks_outside_hosts():
    with pytest.raises(NetworkAttempt, match="huggingface.co"):
        socket.create_connection(("huggingface.co", 443), timeout=1)  # refused at the DNS lookup
    with socket.socket() as sock:
        sock.settimeout(1)
        with pytest.raises(NetworkAttempt, match="192.0.2.1"):
            sock.connect(OUTSIDE)
        with pytest.raises(NetworkAttempt, match="192.0.2.1"):
            sock.connect_ex(OUTSIDE)


def test_network_guard_allows_loopback():
    with socket.socket() as server:
        server.settimeout(2)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=1) as client:
            peer, _ = server.accept()
            with peer:
                assert client.getpeername() == server.getsockname()
                client.sendall(b"ping")
                assert peer.recv(4) == b"ping"
