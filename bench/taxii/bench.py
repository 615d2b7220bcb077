"""TAXII 2.1 benchmark: Liptako's TAXII server against medallion (the OASIS reference server),
in the same run, on loopback, with the same client (taxii2-client, as_pages).

Both servers hold the same N STIX indicators in one collection. For each server the client
pages through the whole collection (`limit` = --page) --runs times; each run is timed end to
end (requests, JSON parsing in the client) and checked: every object once, none missing.
Liptako is asked with a bearer token and with HTTP basic (an argon2 check per request);
medallion with HTTP basic (its passwords are compared in plain text).

medallion orders a page by walking its manifest and, for each record, its objects: the first
request of a walk is quadratic in the collection's size (its later pages come from the order
it then keeps in memory). So each size runs both servers, and medallion's walks stop after
--medallion-timeout seconds without an answer (then the row says so).

Usage: bench.py --liptako target/release/liptako [--sizes 1000,10000,100000] [--page 1000]
                [--runs 3] [--medallion-timeout 900]
Prints one line per run and a table (median of the runs).
"""
import argparse
import functools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import requests
from taxii2client.v21 import Collection, as_pages

PASSWORD = "bench-password-123"
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def indicators(n):
    base = uuid.UUID("12345678-9abc-4def-8000-000000000000").int
    for idx in range(n):
        yield {
            "type": "indicator", "spec_version": "2.1",
            "id": f"indicator--{uuid.UUID(int=base + idx)}",
            "created": "2026-11-20T08:00:00.000Z", "modified": "2026-11-20T08:00:00.000Z",
            "name": f"Indicator {idx}",
            "pattern": f"[ipv4-addr:value = '198.51.{idx // 250 % 250}.{idx % 250}']",
            "pattern_type": "stix", "valid_from": "2026-11-20T08:00:00Z",
        }


class Bearer(requests.auth.AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def walk(url, page, timeout=None, **auth):
    """Pages through a collection; returns (seconds, n_objects, n_distinct, n_pages)."""
    collection = Collection(url, **auth)
    if timeout:
        session = collection._conn.session
        session.request = functools.partial(session.request, timeout=timeout)
    started = time.perf_counter()
    seen = set()
    n_objects = 0
    n_pages = 0
    for envelope in as_pages(collection.get_objects, per_request=page):
        n_pages += 1
        for obj in envelope.get("objects", []):
            n_objects += 1
            seen.add((obj["id"], obj.get("modified", obj.get("created"))))
    return time.perf_counter() - started, n_objects, len(seen), n_pages


def start_liptako(binary, work, objects):
    data = os.path.join(work, "liptako")
    subprocess.run([binary, "init", "--data", data, "--nation", "MLI", "--admin-password", PASSWORD],
                   check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    config = os.path.join(data, "liptako.toml")
    text = open(config).read().replace("max_body_bytes = 1048576", "max_body_bytes = 67108864")
    text += ('\n[taxii]\n\n[[taxii.inbox]]\nname = "bench"\nwriters = ["admin"]\n'
             'default_marking = { level = "NP", releasable_to = ["AES"] }\n')
    open(config, "w").write(text)
    log = open(os.path.join(work, "liptako.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--data", data, "--http", f"127.0.0.1:{port}"],
                            stdout=log, stderr=log, env={**os.environ, "RUST_LOG": "warn"})
    wait_port(port)
    base = f"http://127.0.0.1:{port}"
    token = requests.post(f"{base}/api/v1/auth/login",
                          json={"username": "admin", "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}",
               "Content-Type": "application/taxii+json;version=2.1",
               "Accept": "application/taxii+json;version=2.1"}
    inbox = next(c for c in requests.get(f"{base}/taxii2/api/collections/", headers=headers).json()["collections"]
                 if c.get("alias") == "bench")
    started = time.perf_counter()
    batch = []
    for obj in objects:
        batch.append(obj)
        if len(batch) == 1000:
            post(base, inbox["id"], headers, batch)
            batch = []
    if batch:
        post(base, inbox["id"], headers, batch)
    load_s = time.perf_counter() - started
    reports = next(c for c in requests.get(f"{base}/taxii2/api/collections/", headers=headers).json()["collections"]
                   if c.get("alias") == "reports")
    return proc, f"{base}/taxii2/api/collections/{reports['id']}/", token, load_s


def post(base, inbox, headers, batch):
    answer = requests.post(f"{base}/taxii2/api/collections/{inbox}/objects/", headers=headers,
                           data=json.dumps({"objects": batch}))
    status = answer.json()
    if answer.status_code != 202 or status["failure_count"]:
        raise SystemExit(f"post failed: {answer.status_code} {str(status)[:500]}")


def start_medallion(python, work, objects):
    objects = list(objects)
    # medallion's own add path stamps date_added per request; a data file does the same in
    # bulk: one timestamp per 1,000 objects, as 1,000-object posts would give.
    manifest = [{"id": o["id"], "date_added": f"2026-11-20T09:{idx // 1000 // 60:02d}:{idx // 1000 % 60:02d}.000000Z",
                 "version": o["modified"], "media_type": "application/stix+json;version=2.1"}
                for idx, o in enumerate(objects)]
    data = {
        "/discovery": {"title": "medallion", "default": "http://127.0.0.1/api1/", "api_roots": ["http://127.0.0.1/api1/"]},
        "api1": {"information": {"title": "api1", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 104857600},
                 "status": [],
                 "collections": [{"id": COLLECTION, "title": "bench", "can_read": True, "can_write": True,
                                  "media_types": ["application/stix+json;version=2.1"],
                                  "objects": objects, "manifest": manifest}]},
    }
    data_path = os.path.join(work, "medallion-data.json")
    json.dump(data, open(data_path, "w"))
    config = {"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                          "filename": data_path},
              "users": {"admin": PASSWORD}, "taxii": {"max_page_size": 1000}}
    config_path = os.path.join(work, "medallion.json")
    json.dump(config, open(config_path, "w"))
    port = free_port()
    log = open(os.path.join(work, "medallion.log"), "w")
    medallion = os.path.join(os.path.dirname(python), "medallion")
    proc = subprocess.Popen([medallion, "--host", "127.0.0.1", "--port", str(port), config_path],
                            stdout=log, stderr=log)
    wait_port(port, seconds=600)
    return proc, f"http://127.0.0.1:{port}/api1/collections/{COLLECTION}/"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--liptako", required=True)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--medallion-timeout", type=float, default=900)
    args = parser.parse_args()
    rows = []
    for n in [int(size) for size in args.sizes.split(",")]:
        work = tempfile.mkdtemp(prefix="taxii-bench-")
        procs = []
        try:
            liptako, liptako_url, token, load_s = start_liptako(args.liptako, work, indicators(n))
            procs.append(liptako)
            print(f"liptako: loaded {n} indicators through its inbox in {load_s:.1f} s "
                  f"({n / load_s:,.0f} objects/s)", flush=True)
            medallion, medallion_url = start_medallion(sys.executable, work, indicators(n))
            procs.append(medallion)
            cases = [
                ("liptako (bearer)", liptako_url, {"auth": Bearer(token)}, args.runs, None),
                ("liptako (basic)", liptako_url, {"user": "admin", "password": PASSWORD}, args.runs, None),
                ("medallion 3.0.0 (basic)", medallion_url, {"user": "admin", "password": PASSWORD},
                 args.runs if n <= 5000 else 1, args.medallion_timeout),
            ]
            for name, url, auth, runs, timeout in cases:
                times = []
                for run in range(runs):
                    try:
                        seconds, n_objects, n_distinct, n_pages = walk(url, args.page, timeout, **auth)
                    except requests.exceptions.Timeout:
                        print(f"{name}: n={n}: run {run + 1}: no answer within {timeout:.0f} s", flush=True)
                        times = None
                        break
                    ok = n_objects == n_distinct and n_distinct >= n
                    print(f"{name}: n={n}: run {run + 1}: {n_objects} objects ({n_distinct} distinct) in "
                          f"{n_pages} pages, {seconds:.2f} s, {n_objects / seconds:,.0f} objects/s"
                          f"{'' if ok else '  <-- LOST OR REPEATED'}", flush=True)
                    times.append((seconds, n_objects, n_distinct, n_pages, ok))
                if times is None:
                    rows.append((name, n, None, None, None, None, None))
                    continue
                median = statistics.median(t[0] for t in times)
                spread = (min(t[0] for t in times), max(t[0] for t in times))
                rows.append((name, n, times[0][1], times[0][3], median, spread, all(t[4] for t in times)))
        finally:
            for proc in procs:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"| server | indicators | objects served | pages | time to page all (median) | min–max | objects/s | none lost or repeated |")
    print("|---|---|---|---|---|---|---|---|")
    for name, n, n_objects, n_pages, median, spread, ok in rows:
        if median is None:
            print(f"| {name} | {n:,} | – | – | no answer within {args.medallion_timeout:.0f} s | – | – | – |")
            continue
        print(f"| {name} | {n:,} | {n_objects:,} | {n_pages} | {median:.2f} s | {spread[0]:.2f}–{spread[1]:.2f} s | "
              f"{n_objects / median:,.0f} | {'yes' if ok else 'NO'} |")


if __name__ == "__main__":
    main()
