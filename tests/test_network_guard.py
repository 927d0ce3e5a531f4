import socket

import pytest

from tests.conftest import NetworkAttempt


def test_network_guard_blocks_outside_hosts():
    with pytest.raises(NetworkAttempt):
        socket.create_connection(("huggingface.co", 443), timeout=1)


def test_network_guard_allows_loopback():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=1)
    client.close()
    server.close()
