"""An SMTP server for the tests, built on Debian's python3-aiosmtpd.

Each message received is written to DIR as msg-N.eml (the data as
received) and msg-N.json (envelope, whether TLS was on, who logged in).
Every AUTH attempt is appended to DIR/auth.log. The server prints
"READY <port>" once it accepts connections and stops when its standard
input closes.

usage: smtpsink.py DIR [--cert CERT --key KEY] [--require-starttls]
                       [--auth USER:PASSWORD] [--auth-over-plain]
"""

import argparse
import json
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, directory):
        self.dir = directory
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.dir, "msg-%d" % self.n)
        data = envelope.original_content or envelope.content
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        meta = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "login": (session.auth_data or b"").decode("utf-8", "replace")
            if isinstance(session.auth_data, bytes) else "",
        }
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        os.rename(base + ".json.tmp", base + ".json")
        return "250 OK"


class Auth:
    def __init__(self, directory, user, password):
        self.log = os.path.join(directory, "auth.log")
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == self.user and auth_data.password == self.password
        with open(self.log, "a") as f:
            f.write("%s %s %s tls=%s\n" % (mechanism, auth_data.login.decode("utf-8", "replace"),
                                           "ok" if ok else "bad", session.ssl is not None))
        # handled=False: aiosmtpd answers 535 itself on failure.
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--auth")
    p.add_argument("--auth-over-plain", action="store_true")
    a = p.parse_args()

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()

    kw = {}
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kw["tls_context"] = ctx
        kw["require_starttls"] = a.require_starttls
    if a.auth:
        user, password = a.auth.split(":", 1)
        kw["authenticator"] = Auth(a.dir, user, password)
        kw["auth_required"] = True
        kw["auth_require_tls"] = not a.auth_over_plain
    # server_hostname spares a getfqdn() lookup at each connection.
    ctl = Controller(Sink(a.dir), hostname="127.0.0.1", port=port,
                     server_hostname="sink.test", **kw)
    ctl.start()
    print("READY %d" % port, flush=True)
    sys.stdin.read()
    ctl.stop()


if __name__ == "__main__":
    main()
