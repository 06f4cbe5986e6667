"""`kiosk serve`: the parent kiosk in a browser, through textual-serve, safe by default.

textual-serve gives us the page at `/`, the WebSocket at `/ws` and one app process per
browser session. This package adds, on top of its aiohttp application (subclassing its
`Server` and `AppService`, never copying them): a loopback bind unless told otherwise,
a cap on concurrent sessions with a polite busy page, an Origin check on the WebSocket,
an optional password gate, a session environment built from an allowlist, and a
shutdown that takes every session process down with the server.

    options.py      the validated command-line options (no aiohttp here)
    environment.py  the allowlisted environment a session process gets
    pages.py        the small HTML pages we add (busy, sign-in)
    gate.py         the password gate: sign-in form, signed cookie
    session.py      one browser session's app process (own process group, always reaped)
    server.py       the textual-serve Server subclass that ties it together
    serve_private.py  every use of textual-serve's private API (checked on upgrade)
"""
