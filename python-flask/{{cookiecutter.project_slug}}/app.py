"""The web application: an application factory, and the module-level `app` that gunicorn serves."""

import os

from flask import Flask, abort, request

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def create_app(config=None):
    """Build the application; tests pass a config mapping to override settings."""
    app = Flask(__name__)
    # The largest request body accepted; a larger one is answered 413 Content Too Large.
    app.config["MAX_CONTENT_LENGTH"] = int(os.environ.get("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
    if config:
        app.config.update(config)

    @app.before_request
    def refuse_announced_oversized_body():
        # Flask checks MAX_CONTENT_LENGTH only when a route reads the body. Refuse a body announced too large
        # on every route, before a byte of it is read, so the client cannot make the service wait for it.
        if (request.content_length or 0) > app.config["MAX_CONTENT_LENGTH"]:
            abort(413)

    @app.get("/")
    def hello():
        return "Hello, World!"

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


# gunicorn's contract: `gunicorn app:app` imports this module and serves this object.
app = create_app()
