#!/usr/bin/env python3
"""A bounded abuse run against the real binary: fragment chains, deep literals, large
unauthenticated bodies, cost-limit cases, hostile names and ids, invented methods.

Fails on any 5xx, on the server dying, on a panic or an ERROR in its log, and on RSS growth
over a bound. Usage: scripts/abuse.py [path/to/quire] (default target/debug/quire). Standard
library only.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/debug/quire"
SECRET = "abuse-run-secret-0123456789abcdef"
RSS_GROWTH_MIB = 64
COMPANY = str(uuid.uuid4())
failures = []


def token(sub, role="admin"):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": sub, "exp": int(time.time()) + 3600, "companies": {COMPANY: role}}
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Server:
    def __init__(self, data):
        env = dict(os.environ, QUIRE_DATA_DIR=data, QUIRE_BIND="127.0.0.1:0",
                   QUIRE_JWT_SECRET=SECRET, QUIRE_LOG="warn")
        self.log = open(os.path.join(data, "server.log"), "w+")
        self.process = subprocess.Popen([BINARY, "serve"], env=env, stdout=subprocess.PIPE,
                                        stderr=self.log, text=True)
        for line in self.process.stdout:
            if line.startswith("Quire is listening on http://"):
                host, port = line.strip().rsplit("/", 1)[-1].split(":")
                self.host, self.port = host, int(port)
                break
        threading.Thread(target=lambda: [None for _ in self.process.stdout], daemon=True).start()

    def request(self, method, path, body=None, headers=None, label=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            answer = response.read()
        except (ConnectionError, http.client.HTTPException, socket.timeout) as err:
            if self.process.poll() is not None:
                failures.append(f"{label or path}: the server died ({err})")
            return None, b""
        finally:
            connection.close()
        if response.status >= 500:
            failures.append(f"{label or path}: {response.status} {answer[:200]!r}")
        return response.status, answer

    def streamed_unauthenticated(self, path, content_type, size):
        """Sends `size` bytes without credentials; the answer must come before they are read."""
        stream = socket.create_connection((self.host, self.port), timeout=30)
        head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                f"Apollo-Require-Preflight: 1\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n")
        stream.sendall(head.encode())

        def send():
            chunk = b"x" * (1 << 20)
            try:
                for _ in range(size // len(chunk)):
                    stream.sendall(chunk)
            except OSError:
                pass

        threading.Thread(target=send, daemon=True).start()
        answer = stream.recv(256).decode(errors="replace").split("\r\n")[0]
        stream.close()
        if not answer.startswith("HTTP/1.1 401"):
            failures.append(f"100 MB without credentials to {path}: {answer!r}")


def graphql(server, query, variables=None, auth=None, label=None):
    headers = {"content-type": "application/json"}
    if auth:
        headers["authorization"] = f"Bearer {auth}"
    body = json.dumps({"query": query, "variables": variables or {}})
    return server.request("POST", "/graphql", body, headers, label)


def main():
    data = tempfile.mkdtemp(prefix="quire-abuse-")
    server = Server(data)
    admin = token("ada")
    documents = f"/internal/services/documents/v1/companies/{COMPANY}"
    files = f"/internal/services/files/v1/companies/{COMPANY}"
    before = rss_kib(server.process.pid)

    # Fragment chains and deep literals, over POST and GET.
    chain = "query Bomb { ...F26 }\nfragment F0 on QueryRoot { __typename }\n" + "".join(
        f"fragment F{n} on QueryRoot {{ ...F{n - 1} ...F{n - 1} }}\n" for n in range(1, 27))
    deep = "{ item(companyId: " + "{a: " * 5000 + "1" + "}" * 5000 + ', id: "root") { id } }'
    for label, query in [("fragment chain", chain), ("nested literal", deep)]:
        started = time.time()
        status, _ = graphql(server, query, label=label)
        if status != 400 or time.time() - started > 1:
            failures.append(f"{label}: {status} in {time.time() - started:.2f} s")
        status, _ = server.request("GET", "/graphql?query=" + urllib.parse.quote(query), label=f"{label} (GET)")
        if status != 400:
            failures.append(f"{label} over GET: {status}")
    deep_variables = json.loads("[" * 120 + "1" + "]" * 120)
    graphql(server, "query($v: ID!) { item(companyId: $v, id: \"root\") { id } }", {"v": deep_variables},
            label="nested variables")

    # Large bodies before anyone is asked.
    for path, content_type in [(f"{documents}/item", "application/json"),
                               (f"{documents}/item", "multipart/form-data; boundary=b"),
                               (f"{documents}/item/{uuid.uuid4()}/version", "multipart/form-data; boundary=b"),
                               (f"{files}/files?filename=a", "application/octet-stream"),
                               ("/graphql", "multipart/form-data; boundary=b")]:
        server.streamed_unauthenticated(path, content_type, 100 << 20)

    # Cost limits.
    status, answer = graphql(server, "mutation($c: ID!) { createItem(input: {companyId: $c, parentId: \"root\", "
                                     "name: \"Docs\", isDirectory: true}) { item { id } } }", {"c": COMPANY}, admin)
    folder = json.loads(answer)["data"]["createItem"]["item"]["id"]
    heavy = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Item { children(first: 1000) { edges { node { id } } } } } }"
    graphql(server, heavy, {"ids": [folder] * 1000}, admin, "nodes × 1000")
    aliases = "{ " + " ".join(f"a{n}: item(companyId: \"{COMPANY}\", id: \"root\") {{ id }}" for n in range(2000)) + " }"
    graphql(server, aliases, auth=admin, label="2,000 aliased items")
    listing = "query($c: ID!, $after: String, $first: Int) { item(companyId: $c, id: \"root\") { children(after: $after, first: $first) { totalCount } } }"
    for after, first in [("18446744073709551615", 10), ("-1", 10), ("x", 10), (None, -1), (None, 2 ** 31 - 1)]:
        graphql(server, listing, {"c": COMPANY, "after": after, "first": first}, admin, f"cursor {after} first {first}")
    server.request("POST", f"{documents}/browse/root", json.dumps({"paginate": {"page": 2 ** 63 - 1, "limit": 10}}),
                   {"authorization": f"Bearer {admin}", "content-type": "application/json"}, "browse far away")

    # Hostile names and ids.
    for name in ["a\r\nb", "x\u0000y", "invoice\u202efdp.exe", "..\\..\\evil.bat", "C:boot.ini", "..", "x" * 300, " "]:
        body = json.dumps({"item": {"name": name, "parent_id": folder}})
        server.request("POST", f"{documents}/item", body,
                       {"authorization": f"Bearer {admin}", "content-type": "application/json"}, f"name {name[:20]!r}")
    for item_id in ["%20", "%00", "root%20", "user_", "trash_%0A", "..%2F..", "0" * 300]:
        server.request("GET", f"{documents}/item/{item_id}", headers={"authorization": f"Bearer {admin}"},
                       label=f"id {item_id[:20]}")
    server.request("GET", f"{documents}/item/download/zip?items={folder}", headers={"authorization": f"Bearer {admin}"},
                   label="zip with hostile names")

    # Invented methods and headers.
    for method in ["BREW", "X" * 4000]:
        server.request(method, "/healthz", label=f"method {method[:10]}")
    server.request("GET", "/metrics", label="metrics")

    grown = (rss_kib(server.process.pid) - before) // 1024
    if grown > RSS_GROWTH_MIB:
        failures.append(f"RSS grew by {grown} MiB (bound {RSS_GROWTH_MIB})")
    if server.process.poll() is not None:
        failures.append("the server died")
    server.process.terminate()
    server.process.wait(timeout=30)
    server.log.seek(0)
    log = server.log.read()
    for marker in ["panicked", "stack overflow", " ERROR "]:
        if marker in log:
            failures.append(f"the log holds {marker!r}:\n{log[-2000:]}")
    if failures:
        print("abuse run failed:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print(f"abuse run: no 5xx, no panic, RSS grew {grown} MiB")


if __name__ == "__main__":
    main()
