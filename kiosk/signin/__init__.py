"""`kiosk signin`: the OpenID Connect provider for the district portal and the mobile app.

A small aiohttp web app on Authlib's server grants (authorization code with PKCE S256,
OpenID Connect ID tokens, rotating refresh tokens). It signs guardians in with the
kiosk's own login and password-change services, so a guess on the web counts against
the same lockout as a guess at the lobby, and every sign-in is in the same audit log.
Everything it keeps (clients, codes, tokens, signing keys) lives in the kiosk database,
so several provider processes on several hosts share one PostgreSQL and nothing else.

Modules: `config` (lifetimes, the issuer), `store` (the database side, blocking),
`authority` (Authlib's grants wired to the store), `pages` (Jinja2 pages, CSRF,
texts), `web` (the aiohttp app), `runner` (serve until a signal).
"""
