"""The request target the gateway sends on: as the client sent it, whatever the WSGI server hands over."""
from __future__ import annotations

import pytest

from gateway.upstream import raw_target


@pytest.mark.parametrize(("environ", "target"), [
    ({"PATH_INFO": "/x/a/b", "RAW_URI": "/x/a%2Fb?q=1", "QUERY_STRING": "q=1"}, "/x/a%2Fb?q=1"),  # gunicorn
    ({"PATH_INFO": "/x/a/b", "REQUEST_URI": "/x/a%2Fb", "QUERY_STRING": ""}, "/x/a%2Fb"),  # werkzeug
    # granian: the path decoded as PEP 3333 says (its bytes as latin-1 characters)
    ({"PATH_INFO": "/x/\u00e8\u00ae\u00be\u00e5\u00a4\u0087 y", "QUERY_STRING": "q=1%202"}, "/x/%E8%AE%BE%E5%A4%87%20y?q=1%202"),
    ({"PATH_INFO": "/x/设备"}, "/x/%E8%AE%BE%E5%A4%87"),  # a server that decoded as UTF-8
    ({"PATH_INFO": "/x/a:b@c;d=e,f"}, "/x/a:b@c;d=e,f"),  # sub-delimiters stay as they are
])
def test_the_target_is_the_clients(environ: dict[str, str], target: str) -> None:
    assert raw_target(environ) == target
