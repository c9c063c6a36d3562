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
