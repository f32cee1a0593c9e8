#!/usr/bin/env python3
"""Hostile requests against a running `skiptrace serve`, as an attacker or a careless client
would send them; prints one line per probe with what the server did. Standard library only.

    scripts/probe_hostile.py ADDR SEARCHER_KEY LOADER_KEY AUDIT_LOG

Run by scripts/probe.sh, which starts the server with a 2 s header-read timeout.
"""
import csv
import http.client
import io
import json
import os
import resource
import socket
import sys
import time

ADDR, SEARCHER, LOADER, AUDIT = sys.argv[1:5]
HOST, PORT = ADDR.split(":")
PORT = int(PORT)
PURPOSE = {"glba": "consumer_authorized", "dppa": "debt_recovery"}


def request(method, path, body=None, key=None, content_type="application/json", timeout=30):
    connection = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    headers = {"Content-Type": content_type}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def audit_lines():
    with open(AUDIT, "rb") as log:
        return sum(1 for _ in log)


def report(name, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)
    return ok


def slow_headers(count=2000):
    """Many connections sending half a request head: health checks must still answer, and
    the connections must be gone after the header-read timeout."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 256), hard))
    sockets = []
    for _ in range(count):
        try:
            s = socket.create_connection((HOST, PORT), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            sockets.append(s)
        except OSError:
            break
    started = time.time()
    status, _ = request("GET", "/healthz", timeout=5)
    health_during = status
    time.sleep(3)
    closed = 0
    for s in sockets:
        s.settimeout(0.5)
        try:
            closed += s.recv(64) in (b"",) or True
        except (socket.timeout, TimeoutError):
            pass
        except OSError:
            closed += 1
        s.close()
    status, _ = request("GET", "/healthz", timeout=5)
    return report(
        "slow-header connections",
        health_during == 200 and status == 200 and closed == len(sockets),
        f"{len(sockets)} opened; /healthz during: {health_during}, after: {status}; "
        f"{closed} closed by the server within {time.time() - started:.1f} s",
    )


def bad_key_flood(count=2000):
    before = audit_lines()
    statuses = {}
    started = time.time()
    connection = http.client.HTTPConnection(HOST, PORT, timeout=10)
    body = json.dumps({"first_name": "Ann", "last_name": "Lee", "permissible_purpose": PURPOSE})
    for n in range(count):
        connection.request("POST", "/v1/search", body=body, headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer stk_{n:012x}_{'0' * 64}"})
        response = connection.getresponse()
        response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1
    elapsed = time.time() - started
    written = audit_lines() - before
    return report(
        "bad-key flood",
        statuses.get(429, 0) >= count - 20 and written <= 20,
        f"{count} requests in {elapsed:.1f} s: statuses {statuses}; {written} audit lines",
    )


def ssn_oracle(guesses=10_000):
    """One POST /v1/rematch trying 10,000 SSNs for one person: the levels must not tell a right
    guess from a wrong one, and the enumeration guard must refuse most rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["account_id", "first_name", "last_name", "dob", "ssn", "zip"])
    for n in range(guesses):
        writer.writerow([f"G{n}", "ALBERT", "TAYLOR", "1948-03-18", f"527-51-{n:04d}", "53581"])
    status, data = request(
        "POST", "/v1/rematch?glba=consumer_authorized&dppa=debt_recovery&id_column=account_id",
        body=out.getvalue().encode(), key=SEARCHER, content_type="text/csv", timeout=600)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8", "replace"))))
    refused = sum(1 for r in rows if "refused" in (r.get("error") or r.get("notes") or ""))
    exact = sum(1 for r in rows if "ssn=exact" in json.dumps(r))
    return report(
        "SSN oracle through bulk",
        status == 200 and len(rows) == guesses and exact == 0 and refused >= guesses - 10,
        f"status {status}; {len(rows)} rows out of {guesses}; {refused} refused by the "
        f"enumeration guard; {exact} rows showing ssn=exact",
    )


def malformed():
    ok = True
    cases = [
        ("SSN in limit", "POST", "/v1/search",
         {"first_name": "Ann", "last_name": "Lee", "limit": "123-45-6789",
          "permissible_purpose": PURPOSE}, SEARCHER, "application/json", 400, "123-45-6789"),
        ("DOB as a purpose code", "POST", "/v1/search",
         {"first_name": "Ann", "last_name": "Lee",
          "permissible_purpose": {"glba": "1980-01-02", "dppa": "debt_recovery"}},
         SEARCHER, "application/json", 400, "1980-01-02"),
        ("deeply nested JSON", "POST", "/v1/search", "[" * 100_000 + "]" * 100_000,
         SEARCHER, "application/json", 400, None),
        ("invalid UTF-8", "POST", "/v1/search", b"{\"first_name\": \"\xff\xfe\"}",
         SEARCHER, "application/json", 400, None),
        ("17 MiB body", "POST", "/v1/search", b"{" + b" " * (17 << 20) + b"}",
         SEARCHER, "application/json", 413, None),
        ("300-byte record id", "POST", "/v1/records",
         [{"record_id": "x" * 300, "first_name": "Ann", "last_name": "Lee"}],
         LOADER, "application/json", 200, None),
        ("unclosed CSV quote", "POST",
         "/v1/rematch?glba=consumer_authorized&dppa=debt_recovery",
         "first_name,last_name,city\nAnn,Lee,\"Springfield\nBob,Ray,Dayton\nCy,Ode,Xenia\n",
         SEARCHER, "text/csv", 400, None),
    ]
    for name, method, path, body, key, content_type, expected, secret in cases:
        try:
            status, data = request(method, path, body, key, content_type)
        except (ConnectionError, http.client.HTTPException) as error:
            status, data = f"connection closed ({error.__class__.__name__})", b""
        text = data.decode("utf-8", "replace")
        echoed = secret is not None and secret in text
        if name == "300-byte record id":
            passed = status == 200 and json.loads(text).get("rejected") == 1
        else:
            passed = (status == expected or (expected == 413 and isinstance(status, str))) \
                and not echoed
        ok &= report(name, passed, f"status {status}{'; VALUE ECHOED' if echoed else ''}")
    return ok


def main():
    results = [malformed(), ssn_oracle(), bad_key_flood(), slow_headers()]
    status, _ = request("GET", "/readyz")
    results.append(report("still ready", status == 200, f"/readyz {status}"))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
