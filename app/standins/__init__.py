"""Development stand-ins for the providers (WeChat and Alipay login), mounted only with
DEV_STANDINS=1: `routes.standins_bp` (the fake providers), `store` (their own SQLite
state), `registry` (the test apps they know), `transport.WSGIAdapter` (serve them to a
requests.Session in-process, for tests)."""
