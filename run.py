"""Start the app on the embedded default: ``python run.py`` (see README).

Besides the web app, this starts the task queue's consumer (``python -m diagnose.jobs``) as a
child process that renders the roadmap reports, and stops it when the app stops. The child
also dies with this process if it is killed outright, so no renderer is ever left behind.
"""

import atexit
import signal
import subprocess
import sys

from diagnose import create_app

app = create_app()


def start_consumer() -> subprocess.Popen:
    consumer = subprocess.Popen([sys.executable, "-m", "diagnose.jobs", "--die-with-parent"])

    def stop() -> None:
        if consumer.poll() is None:
            consumer.terminate()  # huey stops at once on SIGTERM; its render children follow
            try:
                consumer.wait(timeout=10)
            except subprocess.TimeoutExpired:
                consumer.kill()
                consumer.wait()

    atexit.register(stop)
    # A SIGTERM (systemd, docker, kill) ends the app through atexit as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    return consumer


if __name__ == "__main__":
    if not app.config["QUEUE_IMMEDIATE"]:
        start_consumer()
    app.run(host=app.config["HOST"], port=app.config["PORT"], debug=False)
