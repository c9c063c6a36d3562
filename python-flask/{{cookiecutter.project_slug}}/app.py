"""The web application: an application factory, and the module-level `app` that gunicorn serves."""

from flask import Flask


def create_app(config=None):
    """Build the application; tests pass a config mapping to override settings."""
    app = Flask(__name__)
    if config:
        app.config.update(config)

    @app.get("/")
    def hello():
        return "Hello, World!"

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


# gunicorn's contract: `gunicorn app:app` imports this module and serves this object.
app = create_app()
