import json
import threading
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer

import pytest

from web.server import STATIC, Handler


@pytest.fixture
def base_url() -> Iterator[str]:
    handler = type("H", (Handler,), {"rasa_url": "http://rasa.test:5005"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(STATIC)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()


def test_health(base_url: str) -> None:
    assert json.loads(get(base_url + "/health")[2]) == {"status": "ok"}


def test_config_tells_the_widget_where_rasa_is(base_url: str) -> None:
    status, ctype, body = get(base_url + "/config.js")
    assert status == 200 and ctype.startswith("text/javascript")
    assert '"rasaUrl": "http://rasa.test:5005"' in body


def test_store_page_embeds_the_widget_with_one_script_tag(base_url: str) -> None:
    _, _, body = get(base_url + "/")
    assert '<script src="/widget.js" defer></script>' in body
    _, _, widget = get(base_url + "/widget.js")
    assert "/webhooks/rest/webhook" in widget
    assert "innerHTML = text" not in widget and ".textContent = text" in widget
