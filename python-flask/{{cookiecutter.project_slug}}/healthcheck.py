"""The container's health probe: exit 0 when the server answers /healthz with 200, else 1.

The runtime images have no curl and no shell, so the probe uses the Python that is already there.
"""

import http.client
import os
import sys

TIMEOUT_SECONDS = 2


def main():
    port = int(os.environ.get("PORT", "{{ cookiecutter.port }}"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("GET", "/healthz")
        status = connection.getresponse().status
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
