"""The gunicorn target: `gunicorn -c deploy/gunicorn.conf.py app.wsgi:app`."""

from app import create_app

app = create_app()
