"""The ceiling for request throughput: a bare Flask app that answers "hello" (no database, no
templates). bench_pages.py times it in process; for wrk, serve it like the real app:

    .venv/bin/gunicorn -w 2 -b 127.0.0.1:8001 --chdir bench hello:app
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
