"""Start the app on the embedded default: ``python run.py`` (see README)."""

import os

from diagnose import create_app

app = create_app()

if __name__ == "__main__":
    app.run(
        host=os.environ.get("DIAGNOSE_HOST", "127.0.0.1"),
        port=int(os.environ.get("DIAGNOSE_PORT", "5000")),
        debug=False,
    )
