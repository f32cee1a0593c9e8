"""Writes a returned-mail file of ROWS rows: SOURCE's data rows repeated, each copy's account
id prefixed with its round (C0-, C1-...), so every row has its own id.

    python3 scripts/repeat_rows.py SOURCE.csv ROWS OUT.csv
"""
import sys

source, rows, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(source, encoding="utf-8").read().splitlines()
header, body = lines[0], lines[1:]
with open(out, "w", encoding="utf-8") as f:
    f.write(header + "\n")
    for n in range(rows):
        f.write(f"C{n // len(body)}-{body[n % len(body)]}\n")
