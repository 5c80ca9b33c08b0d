"""msm.web: a live web view of a memory or a built map, in a browser.

The page shows every variable (a built map's by name; a memory's items as ``coil:0``,
``holding:0``, ...) with its value, quality, time of its last change and who made it,
and a trend of the last 10 minutes; with ``writable=True`` it writes them too. A JSON API
and a server-sent event stream serve scripts. It runs on a thread of its own and never
makes a slave or a master wait. docs/web.md describes the page and the API.

>>> import json, urllib.request
>>> import msm
>>> mem = msm.Memory(4)
>>> mem.holding(1).set(42)
>>> with msm.web.serve(mem, "127.0.0.1:0") as view:
...     with urllib.request.urlopen(view.url + "api/vars/holding:1") as answer:
...         json.load(answer)["value"]
42
"""

from typing import Optional, Tuple, Union

from ._errors import BadDeclaration
from ._msm import WebHandle, _web_serve

__all__ = ["serve", "WebHandle", "DEFAULT_MAX_CLIENTS"]

#: Live pages a view serves at once unless told otherwise.
DEFAULT_MAX_CLIENTS = 64


def serve(
    source,
    addr: Union[str, Tuple[str, int]] = "127.0.0.1:8080",
    *,
    writable: bool = False,
    token: Optional[str] = None,
    max_clients: int = DEFAULT_MAX_CLIENTS,
) -> WebHandle:
    """Serves a live web view of ``source`` (an ``msm.Memory`` or a built map) on
    ``addr`` (``"host:port"`` or ``(host, port)``; port 0 lets the system choose) and
    returns its handle: ``.url`` (the page's address), ``.local_addr``, ``.stop()``; a
    context manager.

    ``writable=True`` lets the page write the variables (on a memory a master keeps,
    only coils and holding registers). ``token`` makes every request need it, as
    ``Authorization: Bearer TOKEN`` or ``?token=TOKEN`` (``.url`` then carries it: a
    secret). At most ``max_clients`` pages are served at once; one more is refused.

    Raises ``msm.ConnectionFailed`` if the address cannot be listened on, and
    ``msm.BadDeclaration`` for a setting out of range.
    """
    if not isinstance(writable, bool):
        raise BadDeclaration(f"writable = {writable!r}: give True or False")
    if token is not None and not isinstance(token, str):
        raise BadDeclaration(f"token = {token!r}: give the token as a str, or None")
    if isinstance(max_clients, bool) or not isinstance(max_clients, int) or max_clients < 1:
        raise BadDeclaration(
            f"max_clients = {max_clients!r}: give the number of live pages to serve at once, 1 or more"
        )
    return _web_serve(
        source, addr, writable=writable, token=token, max_clients=max_clients
    )
