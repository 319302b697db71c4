"""Ingestion throughput and peak memory, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/ingest.py [--records 1000000] [--backend sqlite,postgresql]

Writes a file of mixed FollowTheMoney records (people with phones, identity numbers and
addresses, vehicles, bank accounts, calls, payments, associations), then runs
`emco ingest` on it in a fresh database of each backend, sampling the memory of the whole
process tree (workers included). Prints records per second and peak memory.
Targets: 20,000 records/s into SQLite, 10,000/s into PostgreSQL, under 500 MB.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson
import sqlalchemy as sa
from measure import run
from schwifty import IBAN

FIRST = ["Mohamed", "Karim", "Yanis", "Lucas", "Moussa", "Adama", "Jean", "Sofiane",
         "Nabil", "Mehdi", "Ibrahim", "Thomas", "Rayan", "Samir", "Mamadou", "Luca",
         "Nicolas", "Bilal", "Hugo", "Youssef", "Amine", "Dragan", "Florin", "Kevin"]
LAST = ["Benali", "Diallo", "Martin", "Traoré", "Haddad", "Bernard", "Petit", "Mansouri",
        "Da Silva", "Kone", "Moreau", "El Amrani", "Said", "Nikolic", "Dubois", "Ferreira",
        "Yilmaz", "Camara", "Lefebvre", "Bouzid", "Ben Youssef", "Popescu", "Roux", "Sylla"]
CITIES = [("Marseille", "13015"), ("Paris", "75019"), ("Lyon", "69008"), ("Nîmes", "30000"),
          ("Grenoble", "38100"), ("Toulouse", "31100"), ("Lille", "59000"), ("Sevran", "93270")]


def generate(path: Path, n: int, seed: int = 7) -> None:
    """`n` records: about 40% people, 15% addresses, 10% vehicles, 5% accounts, 30% links."""
    rng = random.Random(seed)
    people: list[str] = []
    ibans = [IBAN.generate("FR", bank_code="30006", account_code=f"{i:011d}").compact
             for i in range(2000)]
    with path.open("wb") as fp:
        for i in range(n):
            kind = rng.random()
            rid = f"r{i}"
            if kind < 0.40 or len(people) < 2:
                first, last = rng.choice(FIRST), rng.choice(LAST)
                props = {
                    "name": [f"{first} {last.upper()}"], "firstName": [first],
                    "lastName": [last],
                    "birthDate": [f"{rng.randint(1960, 2005)}-{rng.randint(1, 12):02d}-"
                                  f"{rng.randint(1, 28):02d}"],
                    "nationality": [rng.choice(["FR", "DZ", "MA", "SN", "ML", "RS"])],
                    "phone": [f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                              f"{rng.randint(10, 99)} {rng.randint(10, 99)}"
                              for _ in range(rng.randint(1, 2))],
                }
                if rng.random() < 0.3:
                    props["idNumber"] = [f"{rng.randint(10**11, 10**12 - 1)}"]
                people.append(rid)
                record = {"id": rid, "schema": "Person", "properties": props}
            elif kind < 0.55:
                city, code = rng.choice(CITIES)
                record = {"id": rid, "schema": "Address", "properties": {
                    "full": [f"{rng.randint(1, 200)} rue {rng.choice(LAST)}, {code} {city}"],
                    "city": [city], "postalCode": [code], "country": ["fr"]}}
            elif kind < 0.65:
                plate = (f"{chr(65 + rng.randint(0, 25))}{chr(65 + rng.randint(0, 25))}-"
                         f"{rng.randint(100, 999)}-{chr(65 + rng.randint(0, 25))}"
                         f"{chr(65 + rng.randint(0, 25))}")
                record = {"id": rid, "schema": "Vehicle", "properties": {
                    "registrationNumber": [plate], "model": [rng.choice(["Clio", "Golf",
                                                                         "RS3", "Classe A"])],
                    "owner": [rng.choice(people)]}}
            elif kind < 0.70:
                record = {"id": rid, "schema": "BankAccount", "properties": {
                    "iban": [rng.choice(ibans)], "bankName": ["Banque Populaire"]}}
            else:
                a, b = rng.sample(people[-5000:], 2)
                link = rng.choice(["Associate", "Call", "Payment"])
                day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                if link == "Associate":
                    props = {"person": [a], "associate": [b], "relationship": ["associé"]}
                elif link == "Call":
                    props = {"caller": [a], "receiver": [b], "startDate": [day],
                             "duration": [str(rng.randint(5, 900))]}
                else:
                    props = {"payer": [a], "beneficiary": [b], "date": [day],
                             "amount": [str(rng.randint(50, 50000))], "currency": ["EUR"]}
                record = {"id": rid, "schema": link, "properties": props}
            if rng.random() < 0.2:
                record["meta"] = {"handling": "H2", "reliability": "B", "credibility": "2"}
            fp.write(orjson.dumps(record) + b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get(
        "EMCO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    emco = str(Path(sys.executable).parent / "emco")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "records.jsonl"
        t0 = time.perf_counter()
        generate(data, args.records)
        print(f"generated {args.records:,} records ({data.stat().st_size / 2**20:.0f} MB) "
              f"in {time.perf_counter() - t0:.1f} s")
        for backend in args.backend.split(","):
            env = dict(os.environ, EMCO_DATA_DIR=str(Path(tmp) / "var"))
            admin = None
            if backend == "sqlite":
                env["EMCO_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
            else:
                admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.exec_driver_sql("DROP DATABASE IF EXISTS emco_bench")
                    conn.exec_driver_sql("CREATE DATABASE emco_bench")
                env["EMCO_DATABASE_URL"] = str(sa.make_url(args.postgres).set(
                    database="emco_bench").render_as_string(hide_password=False))
            run([emco, "db", "upgrade"], env)
            elapsed, peak, out = run([emco, "ingest", str(data), "--agency", "OFAST",
                                      "--json"], env)
            summary = json.loads(out)
            rate = summary["accepted"] / elapsed
            print(f"{backend:>10}: {summary['accepted']:,} records in {elapsed:.1f} s = "
                  f"{rate:,.0f} records/s, peak memory {peak / 2**20:.0f} MB "
                  f"(rejected {summary['rejected']})")
            if admin is not None:
                with admin.connect() as conn:
                    conn.exec_driver_sql("DROP DATABASE IF EXISTS emco_bench")
                admin.dispose()


if __name__ == "__main__":
    main()
