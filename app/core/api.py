"""The Blueprint every domain uses: flask-smorest's, with a JSON body parser that
also accepts a JSON body sent without a JSON content type (`curl -d '{...}'` sends
application/x-www-form-urlencoded), so the documented curl examples work as written.
"""

from __future__ import annotations

import typing

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser


class LenientJsonParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        if core.is_json(req.mimetype):
            return core.parse_json(req.get_data(cache=True))
        if req.mimetype in ("", "application/x-www-form-urlencoded", "text/plain"):
            data = req.get_data(cache=True)
            if data.lstrip()[:1] in (b"{", b"["):
                return core.parse_json(data)
        return core.missing


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = LenientJsonParser()
