"""Ports for servers started side by side never collide (`free_port`)."""

from __future__ import annotations

import socket
from typing import Any, Iterator, List

import pytest

from scripts.production import layout


def test_ports_handed_out_are_all_different_and_free() -> None:
    ports = [layout.free_port() for _ in range(300)]

    assert len(set(ports)) == len(ports)
    with socket.socket() as sock:  # still free: nothing holds it
        sock.bind(("127.0.0.1", ports[-1]))


def test_a_port_the_system_gives_twice_is_handed_out_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the system may give the port it just gave again, the first server not
    # listening yet: the action server and the Rasa server then collided
    first = layout.free_port()
    given: Iterator[int] = iter([first, first, first + 1_000_000])
    real_socket = socket.socket

    class Repeating(real_socket):  # type: ignore[misc, valid-type]
        def getsockname(self) -> Any:
            return ("127.0.0.1", next(given))

    monkeypatch.setattr(layout.socket, "socket", Repeating)
    found: List[int] = [layout.free_port()]

    assert found == [first + 1_000_000]
