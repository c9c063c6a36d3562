import app as app_module


def test_root_says_hello_world(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response.text == "Hello, World!"


def test_healthz_answers_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_unknown_path_is_not_found(client):
    assert client.get("/missing").status_code == 404


def test_module_level_app_is_what_gunicorn_serves():
    assert app_module.app.test_client().get("/").text == "Hello, World!"


class Unreadable:
    """A request body that fails the test if the application reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_body_announced_over_the_limit_is_refused_unread(client):
    announced = {"CONTENT_LENGTH": str(20 * 1024 * 1024), "wsgi.input": Unreadable()}
    response = client.get("/", environ_overrides=announced)

    assert response.status_code == 413


def test_body_limit_comes_from_max_body_bytes(monkeypatch):
    monkeypatch.setenv("MAX_BODY_BYTES", "10")
    client = app_module.create_app({"TESTING": True}).test_client()

    assert client.get("/", data=b"x" * 10).status_code == 200
    assert client.get("/", data=b"x" * 11).status_code == 413


def test_body_limit_defaults_to_1_mib(monkeypatch):
    monkeypatch.delenv("MAX_BODY_BYTES", raising=False)

    assert app_module.create_app().config["MAX_CONTENT_LENGTH"] == 1024 * 1024
