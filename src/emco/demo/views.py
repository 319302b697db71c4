"""What each service sees of a cell of the world, and how it writes it.

A service sees a biased slice (prison services see detainees, financial intelligence sees
companies and accounts, police see the network on the ground), writes names, dates and
numbers with its own habits and mistakes, and sets handling codes and grades as it would.
Each view yields `Emit`s: one entity as the service writes it, with the world entity it
truly is (the ground truth of resolution).
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from emco.demo.noise import (
    NameStyle,
    address_writing,
    iban_writing,
    noisy_birth_date,
    phone_writing,
    plate_writing,
    render_name,
    typo,
)
from emco.demo.world import END, START, Cell, Person


@dataclass
class Emit:
    """One entity as a service writes it. For JSON-lines services `record` is an FtM
    entity; for CSV services `row` is a line of the file and `truths` names, for each
    entity of the mapping, the world entity it is."""

    agency: str
    truth: str = ""
    record: dict[str, Any] | None = None
    row: dict[str, str] | None = None
    truths: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Service:
    code: str
    format: str  # jsonl, csv, cdr
    style: NameStyle
    defaults: dict[str, str]


def _style(**kw: Any) -> NameStyle:
    return NameStyle(**kw)


SERVICES: dict[str, Service] = {s.code: s for s in (
    Service("OFAST", "jsonl", _style(surname_upper=True, surname_first=False, error_rate=0.08,
                                     translit_rate=0.25, arabic_rate=0.0,
                                     drop_second_first_name_rate=0.3),
            {"handling": "H1", "reliability": "B", "credibility": "2", "protection": "DR",
             "category": "suspect"}),
    Service("DNPJ", "cdr", _style(surname_upper=True, surname_first=True, error_rate=0.05,
                                  translit_rate=0.2, arabic_rate=0.0,
                                  drop_second_first_name_rate=0.5),
            {"handling": "H1", "reliability": "A", "credibility": "1", "protection": "DR",
             "category": "other"}),
    Service("PPDRPJ", "csv", _style(surname_upper=True, surname_first=True, error_rate=0.1,
                                    translit_rate=0.3, arabic_rate=0.0,
                                    drop_second_first_name_rate=0.4),
            {"handling": "H1", "reliability": "B", "credibility": "2", "protection": "NP",
             "category": "suspect"}),
    Service("DGGN", "csv", _style(surname_upper=True, surname_first=True, error_rate=0.1,
                                  translit_rate=0.3, arabic_rate=0.0,
                                  drop_second_first_name_rate=0.4),
            {"handling": "H1", "reliability": "B", "credibility": "2", "protection": "NP",
             "category": "suspect"}),
    Service("SCRT", "csv", _style(surname_upper=False, surname_first=False, error_rate=0.15,
                                  translit_rate=0.4, arabic_rate=0.0,
                                  drop_second_first_name_rate=0.5),
            {"handling": "H2", "reliability": "C", "credibility": "3", "protection": "DR",
             "category": "other"}),
    Service("DGSI", "jsonl", _style(surname_upper=True, surname_first=False, error_rate=0.05,
                                    translit_rate=0.4, arabic_rate=0.1,
                                    drop_second_first_name_rate=0.2),
            {"handling": "H3", "condition": "Pas d'exploitation judiciaire sans l'accord "
             "écrit de la DGSI", "reliability": "B", "credibility": "3", "protection": "DR",
             "category": "suspect"}),
    Service("DNRED", "csv", _style(surname_upper=True, surname_first=True, error_rate=0.08,
                                   translit_rate=0.3, arabic_rate=0.0,
                                   drop_second_first_name_rate=0.3),
            {"handling": "H2", "reliability": "B", "credibility": "2", "protection": "DR",
             "category": "suspect"}),
    Service("TRACFIN", "jsonl", _style(surname_upper=True, surname_first=True, error_rate=0.03,
                                       translit_rate=0.2, arabic_rate=0.0,
                                       drop_second_first_name_rate=0.1),
            {"handling": "H2", "reliability": "B", "credibility": "3", "protection": "DR",
             "category": "other"}),
    Service("DGSE", "jsonl", _style(surname_upper=False, surname_first=False, error_rate=0.05,
                                    translit_rate=0.5, arabic_rate=0.5,
                                    drop_second_first_name_rate=0.2),
            {"handling": "H3", "condition": "Diffusion interdite hors EMCO sans l'accord de "
             "la DGSE", "reliability": "B", "credibility": "3", "protection": "DR",
             "category": "suspect"}),
    Service("SNRP", "jsonl", _style(surname_upper=True, surname_first=True, error_rate=0.05,
                                    translit_rate=0.2, arabic_rate=0.0,
                                    drop_second_first_name_rate=0.2),
            {"handling": "H2", "reliability": "B", "credibility": "2", "protection": "DR",
             "category": "convicted"}),
    Service("DAP", "csv", _style(surname_upper=True, surname_first=True, error_rate=0.02,
                                 translit_rate=0.1, arabic_rate=0.0,
                                 drop_second_first_name_rate=0.0),
            {"handling": "H1", "reliability": "A", "credibility": "1", "protection": "NP",
             "category": "convicted"}),
    Service("DACG", "jsonl", _style(surname_upper=True, surname_first=False, error_rate=0.02,
                                    translit_rate=0.15, arabic_rate=0.0,
                                    drop_second_first_name_rate=0.1),
            {"handling": "H1", "reliability": "A", "credibility": "1", "protection": "DR",
             "category": "suspect"}),
)}


class Viewer:
    """Turns cells into what each service writes."""

    def __init__(self, rng: random.Random, calls_per_contact_month: float) -> None:
        self.rng = rng
        self.calls_rate = calls_per_contact_month
        self.counters: dict[str, int] = {}

    def _sid(self, agency: str, kind: str) -> str:
        key = f"{agency}:{kind}"
        n = self.counters.get(key, 0) + 1
        self.counters[key] = n
        return f"{agency.lower()}-{kind}-{n:06d}"

    # --- building blocks ---------------------------------------------------------------

    def person_props(self, agency: str, person: Person, on: date,
                     phones: bool = True, alias: bool = True) -> dict[str, list[str]]:
        rng = self.rng
        style = SERVICES[agency].style
        rendered = render_name(rng, person.name, style)
        props: dict[str, list[str]] = {"name": [rendered.full]}
        if rendered.first:
            props["firstName"] = [rendered.first]
        if rendered.last:
            props["lastName"] = [rendered.last]
        born = noisy_birth_date(rng, person.birth, style)
        if born:
            props["birthDate"] = [born]
        if rng.random() < 0.5:
            props["birthPlace"] = [person.birthplace]
        if rng.random() < 0.7:
            props["nationality"] = [person.nationality.lower()]
        if alias and person.alias and rng.random() < 0.6:
            props["alias"] = [person.alias]
        if phones:
            line = person.phone_on(on) or person.phones[-1]
            known = [line]
            if rng.random() < 0.25:  # a stale number from an older file
                known.append(person.phones[0])
            props["phone"] = list(dict.fromkeys(phone_writing(rng, p.number) for p in known))
        if person.id_number and rng.random() < 0.3:
            props["idNumber"] = [person.id_number]
        gender = {"M": "male", "F": "female"}.get(person.name.gender)
        if gender and rng.random() < 0.5:
            props["gender"] = [gender]
        return props

    def meta(self, agency: str, on: date, **over: str) -> dict[str, str]:
        return {"observed": min(on, END).isoformat(), **over}

    def address_text(self, cell: Cell, address_id: str) -> str:
        a = cell.addresses[address_id]
        return address_writing(self.rng, a.number, a.street, a.postcode, a.city)

    def seen_on(self) -> date:
        return START + timedelta(days=self.rng.randint(0, (END - START).days))

    # --- one function per service -------------------------------------------------------

    def views(self, cell: Cell) -> Iterator[Emit]:
        yield from self.ofast(cell)
        yield from self.dnpj_calls(cell)
        yield from self.ppdrpj(cell)
        yield from self.dggn(cell)
        yield from self.scrt(cell)
        yield from self.dgsi(cell)
        yield from self.dnred(cell)
        yield from self.tracfin(cell)
        yield from self.dgse(cell)
        yield from self.snrp(cell)
        yield from self.dap(cell)
        yield from self.dacg(cell)

    def ofast(self, cell: Cell) -> Iterator[Emit]:
        """The anti-drug office knows the network on the ground, its phones and cars."""
        rng = self.rng
        ids: dict[str, str] = {}
        for person in cell.members():
            if person.role() == "supplier" and rng.random() < 0.5:
                continue
            on = self.seen_on()
            sid = self._sid("OFAST", "p")
            ids[person.id] = sid
            props = self.person_props("OFAST", person, on)
            if rng.random() < 0.4:
                props["address"] = [self.address_text(cell, person.addresses[-1])]
            yield Emit("OFAST", person.id, {"id": sid, "schema": "Person",
                                            "properties": props,
                                            "meta": self.meta("OFAST", on)})
        for vehicle in cell.vehicles.values():
            if vehicle.owner in ids and rng.random() < 0.8:
                sid = self._sid("OFAST", "v")
                yield Emit("OFAST", vehicle.id, {
                    "id": sid, "schema": "Vehicle", "properties": {
                        "registrationNumber": [plate_writing(rng, vehicle.plate)],
                        "model": [vehicle.model]}})
                yield Emit("OFAST", f"{vehicle.id}:use", {
                    "id": self._sid("OFAST", "l"), "schema": "UnknownLink", "properties": {
                        "subject": [ids[vehicle.owner]], "object": [sid],
                        "role": ["utilisateur du véhicule"]}})
        for link in cell.links:
            if link.schema in ("Associate", "Event") and link.source in ids \
                    and link.target in ids and rng.random() < 0.7:
                sid = self._sid("OFAST", "l")
                if link.schema == "Associate":
                    record = {"id": sid, "schema": "Associate", "properties": {
                        "person": [ids[link.source]], "associate": [ids[link.target]],
                        "relationship": [link.detail], "startDate": [link.day.isoformat()]}}
                else:
                    record = {"id": sid, "schema": "Event", "properties": {
                        "name": [link.detail], "date": [link.day.isoformat()],
                        "involved": [ids[link.source], ids[link.target]],
                        "location": [cell.network.city]}}
                yield Emit("OFAST", link.id, record)
        for incident in cell.incidents:
            if incident.kind == "co_offending":
                event = self.incident_event("OFAST", incident, ids)
                if event:
                    yield event

    def incident_event(self, agency: str, incident: Any, ids: dict[str, str]) -> Emit | None:
        """An incident as an FtM Event naming the people the service knows of it."""
        involved = [ids[p] for p in [incident.person, *incident.others] if p in ids]
        if not involved:
            return None
        return Emit(agency, incident.id, {
            "id": self._sid(agency, "e"), "schema": "Event", "properties": {
                "name": [incident.detail], "date": [incident.day.isoformat()],
                "involved": involved, "location": [incident.place],
                "keywords": [incident.kind]},
            "meta": self.meta(agency, incident.day)})

    def dnpj_calls(self, cell: Cell) -> Iterator[Emit]:
        """Call detail records of the lines a judicial police team intercepted."""
        rng = self.rng
        tapped = {p.id for p in cell.members("lieutenant", "logistics") if rng.random() < 0.8}
        subscribers: dict[str, Person] = {}
        months = 6
        for a, b, weight in cell.contacts:
            if a not in tapped and b not in tapped:
                continue
            if a not in cell.people or b not in cell.people:
                continue
            count = _poisson(rng, weight * self.calls_rate * months)
            for _ in range(count):
                caller, callee = (a, b) if rng.random() < 0.5 else (b, a)
                when = datetime(2025, 6, 1) + timedelta(seconds=rng.randint(0, months * 30
                                                                           * 86400))
                p_from = cell.people[caller].phone_on(when.date()) or \
                    cell.people[caller].phones[-1]
                p_to = cell.people[callee].phone_on(when.date()) or \
                    cell.people[callee].phones[-1]
                row = {"appelant": p_from.number, "appele": p_to.number,
                       "debut": when.strftime("%d/%m/%Y %H:%M:%S"),
                       "duree": str(max(3, int(rng.expovariate(1 / 90)))),
                       "cellule": f"{cell.network.city[:3].upper()}-{rng.randint(1, 40):03d}"}
                for side, person in (("appelant", cell.people[caller]),
                                     ("appele", cell.people[callee])):
                    known = person.id in tapped or rng.random() < 0.3
                    row[f"nom_{side}"] = _subscriber(rng, person, known)
                subscribers[p_from.number] = cell.people[caller]
                subscribers[p_to.number] = cell.people[callee]
                yield Emit("DNPJ", row=row, truths={
                    "call": f"K:{p_from.number}:{p_to.number}:{row['debut']}",
                    "caller": caller, "receiver": callee})

    def ppdrpj(self, cell: Cell) -> Iterator[Emit]:
        """Paris judicial police: the retail points that sell in Paris."""
        rng = self.rng
        if rng.random() < 0.5 and cell.network.city not in ("Paris", "Sevran"):
            return
        for person in cell.members("retail", "lieutenant"):
            if rng.random() < 0.5:
                continue
            yield self._csv_person("PPDRPJ", cell, person, vehicle=True)

    def dggn(self, cell: Cell) -> Iterator[Emit]:
        """Gendarmerie: logistics, stashes in the countryside, the cars that move goods."""
        rng = self.rng
        for person in cell.members("logistics", "enforcer", "lieutenant"):
            if rng.random() < 0.6:
                yield self._csv_person("DGGN", cell, person, vehicle=True)
        for company in cell.companies.values():
            if company.front and company.trade == "location de voitures":
                for vehicle in cell.vehicles.values():
                    if vehicle.owner == company.id:
                        on = self.seen_on()
                        yield Emit("DGGN", row={
                            "fiche": self._sid("DGGN", "v"), "nom": "", "prenom": "",
                            "naissance": "", "telephone": "", "adresse": "",
                            "immatriculation": plate_writing(rng, vehicle.plate),
                            "modele": vehicle.model, "date_fiche": on.isoformat(),
                            "societe": company.name, "siren": company.registration},
                            truths={"vehicle": vehicle.id, "company": company.id,
                                    "fleet": f"{vehicle.id}:{company.id}:fleet"})

    def _csv_person(self, agency: str, cell: Cell, person: Person, vehicle: bool) -> Emit:
        rng = self.rng
        on = self.seen_on()
        props = self.person_props(agency, person, on, alias=False)
        row = {"fiche": self._sid(agency, "p"), "nom": props.get("lastName", [""])[0],
               "prenom": props.get("firstName", [""])[0],
               "naissance": _french_date(props.get("birthDate", [""])[0]),
               "telephone": props.get("phone", [""])[0],
               "adresse": self.address_text(cell, person.addresses[-1])
               if rng.random() < 0.6 else "",
               "immatriculation": "", "modele": "", "date_fiche": on.isoformat(),
               "societe": "", "siren": ""}
        if not row["nom"]:
            row["nom"] = props["name"][0]
        truths = {"person": person.id}
        owned = [v for v in cell.vehicles.values() if v.owner == person.id]
        if vehicle and owned and rng.random() < 0.7:
            row["immatriculation"] = plate_writing(rng, owned[0].plate)
            row["modele"] = owned[0].model
            truths["vehicle"] = owned[0].id
            truths["use"] = f"{owned[0].id}:{agency}:{person.id}"
        return Emit(agency, row=row, truths=truths)

    def scrt(self, cell: Cell) -> Iterator[Emit]:
        """Territorial intelligence: the neighbourhood, families and namesakes included."""
        rng = self.rng
        for person in cell.people.values():
            if person.role() in ("supplier", "head", "finance"):
                continue
            if rng.random() < (0.5 if person.network else 0.25):
                yield self._csv_person("SCRT", cell, person, vehicle=False)

    def dgsi(self, cell: Cell) -> Iterator[Emit]:
        """Domestic intelligence: who leads, and the links abroad."""
        rng = self.rng
        ids: dict[str, str] = {}
        for person in cell.members("head", "supplier", "finance"):
            if rng.random() < 0.3:
                continue
            on = self.seen_on()
            sid = self._sid("DGSI", "p")
            ids[person.id] = sid
            props = self.person_props("DGSI", person, on)
            if person.role() == "head":
                props["notes"] = [f"Tête de réseau ({cell.network.name}), "
                                  f"{cell.network.drug}; approvisionnement à l'étranger."]
            yield Emit("DGSI", person.id, {"id": sid, "schema": "Person", "properties": props,
                                           "meta": self.meta("DGSI", on)})
        heads = [h for h in cell.members("head") if h.id in ids]
        for supplier in cell.members("supplier"):
            if supplier.id in ids and heads:
                yield Emit("DGSI", f"{heads[0].id}:{supplier.id}", {
                    "id": self._sid("DGSI", "l"), "schema": "Associate", "properties": {
                        "person": [ids[heads[0].id]], "associate": [ids[supplier.id]],
                        "relationship": ["fournisseur présumé"]}})

    def dnred(self, cell: Cell) -> Iterator[Emit]:
        """Customs: seizures, importers, the supplier's companies."""
        rng = self.rng
        seized = {i.person for i in cell.incidents if i.kind == "seizure"}
        for person in cell.members("supplier", "logistics"):
            if person.id in seized or rng.random() < 0.6:
                yield self._csv_person("DNRED", cell, person, vehicle=True)
        for incident in cell.incidents:
            if incident.kind == "seizure":  # the customs report names the carrier
                emit = self._csv_person("DNRED", cell, cell.people[incident.person],
                                        vehicle=False)
                assert emit.row is not None
                emit.row.update(adresse=incident.place, saisie=incident.detail,
                                date_fiche=incident.day.isoformat())
                emit.truths["seizure"] = incident.id
                yield emit
        for company in cell.companies.values():
            if company.front and company.trade in ("import-export", "location de voitures") \
                    and rng.random() < 0.8:
                yield Emit("DNRED", row={
                    "fiche": self._sid("DNRED", "c"), "nom": "", "prenom": "", "naissance": "",
                    "telephone": "", "adresse": self.address_text(cell, company.address),
                    "immatriculation": "", "modele": "", "date_fiche": self.seen_on()
                    .isoformat(), "societe": company.name, "siren": company.registration},
                    truths={"company": company.id})

    def tracfin(self, cell: Cell) -> Iterator[Emit]:
        """Financial intelligence: companies, accounts, payments, their directors."""
        rng = self.rng
        ids: dict[str, str] = {}
        holders = {a.holder for a in cell.accounts.values()}
        interesting = {d for c in cell.companies.values() if c.front
                       for d in c.directors + c.owners}
        # Sorted: iterating a set would follow string hashing, different in every process.
        for person_id in sorted(interesting | {p.id for p in cell.members("finance", "head")}):
            person = cell.people.get(person_id)
            if person is None or rng.random() < 0.2:
                continue
            on = self.seen_on()
            sid = self._sid("TRACFIN", "p")
            ids[person.id] = sid
            props = self.person_props("TRACFIN", person, on, alias=False)
            yield Emit("TRACFIN", person.id, {"id": sid, "schema": "Person",
                                              "properties": props,
                                              "meta": self.meta("TRACFIN", on)})
        for company in cell.companies.values():
            if not company.front:
                continue
            sid = self._sid("TRACFIN", "c")
            ids[company.id] = sid
            yield Emit("TRACFIN", company.id, {"id": sid, "schema": "Company", "properties": {
                "name": [company.name], "registrationNumber": [company.registration],
                "address": [self.address_text(cell, company.address)],
                "sector": [company.trade], "jurisdiction": ["fr"]}})
        for account in cell.accounts.values():
            if account.holder not in ids or account.holder not in holders:
                continue
            sid = self._sid("TRACFIN", "a")
            ids[account.id] = sid
            yield Emit("TRACFIN", account.id, {"id": sid, "schema": "BankAccount",
                                               "properties": {
                                                   "iban": [iban_writing(rng, account.iban)],
                                                   "bankName": [account.bank]}})
            yield Emit("TRACFIN", f"{account.id}:holder", {
                "id": self._sid("TRACFIN", "l"), "schema": "Ownership", "properties": {
                    "owner": [ids[account.holder]], "asset": [sid],
                    "role": ["titulaire du compte"]}})
        for link in cell.links:
            if link.schema == "Payment" and link.source in ids and link.target in ids:
                yield Emit("TRACFIN", link.id, {
                    "id": self._sid("TRACFIN", "l"), "schema": "Payment", "properties": {
                        "payer": [ids[link.source]], "beneficiary": [ids[link.target]],
                        "amount": [str(link.amount)], "currency": ["EUR"],
                        "date": [link.day.isoformat()], "purpose": [link.detail]}})
            elif link.schema in ("Directorship", "Ownership") and link.source in ids \
                    and link.target in ids:
                props = ({"director": [ids[link.source]], "organization": [ids[link.target]]}
                         if link.schema == "Directorship" else
                         {"owner": [ids[link.source]], "asset": [ids[link.target]]})
                yield Emit("TRACFIN", link.id, {"id": self._sid("TRACFIN", "l"),
                                                "schema": link.schema,
                                                "properties": {**props,
                                                               "role": [link.detail]}})

    def dgse(self, cell: Cell) -> Iterator[Emit]:
        """Foreign intelligence: suppliers abroad, often in Arabic script."""
        rng = self.rng
        for person in cell.members("supplier", "head"):
            if person.role() == "head" and rng.random() < 0.7:
                continue
            on = self.seen_on()
            yield Emit("DGSE", person.id, {"id": self._sid("DGSE", "p"), "schema": "Person",
                                           "properties": self.person_props("DGSE", person, on),
                                           "meta": self.meta("DGSE", on)})

    def snrp(self, cell: Cell) -> Iterator[Emit]:
        """Prison intelligence: detainees, what happens in detention, their visitors."""
        rng = self.rng
        ids: dict[str, str] = {}
        for person in cell.people.values():
            if person.detained is None:
                continue
            since, prison = person.detained
            sid = self._sid("SNRP", "p")
            ids[person.id] = sid
            props = self.person_props("SNRP", person, since)
            props["notes"] = [f"Écroué à {prison} depuis le {since:%d/%m/%Y}."]
            yield Emit("SNRP", person.id, {"id": sid, "schema": "Person", "properties": props,
                                           "meta": self.meta("SNRP", since)})
            for relative, relation in person.relatives:
                visitor = cell.people.get(relative)
                if visitor is None or rng.random() < 0.5:
                    continue
                vid = self._sid("SNRP", "p")
                ids[visitor.id] = vid
                yield Emit("SNRP", visitor.id, {
                    "id": vid, "schema": "Person",
                    "properties": self.person_props("SNRP", visitor, since, alias=False),
                    "meta": self.meta("SNRP", since, category="other")})
                yield Emit("SNRP", f"{person.id}:{visitor.id}:visit", {
                    "id": self._sid("SNRP", "l"), "schema": "Family", "properties": {
                        "person": [sid], "relative": [vid],
                        "relationship": [f"{relation} (permis de visite)"]}})
        for incident in cell.incidents:
            if incident.person in ids and incident.kind in (
                    "escape_attempt", "phone_in_cell", "threats_against_staff"):
                props = {"name": [incident.detail], "date": [incident.day.isoformat()],
                         "involved": [ids[incident.person]], "location": [incident.place],
                         "keywords": [incident.kind]}
                if incident.kind == "phone_in_cell":
                    person = cell.people[incident.person]
                    props["phoneMentioned"] = [phone_writing(rng, person.phones[-1].number)]
                yield Emit("SNRP", incident.id, {"id": self._sid("SNRP", "e"),
                                                 "schema": "Event", "properties": props,
                                                 "meta": self.meta("SNRP", incident.day)})

    def dap(self, cell: Cell) -> Iterator[Emit]:
        """Prison administration: the register of detainees and their declared escort."""
        rng = self.rng
        declared = {person: level for person, _agency, level in cell.declared}
        for person in cell.people.values():
            if person.detained is None:
                continue
            since, prison = person.detained
            props = self.person_props("DAP", person, since, phones=False, alias=False)
            yield Emit("DAP", row={
                "ecrou": f"{since.year}{rng.randint(0, 99999):05d}",
                "nom": props.get("lastName", props["name"])[0],
                "prenom": props.get("firstName", [""])[0],
                "naissance": _french_date(props.get("birthDate", [""])[0]),
                "lieu_naissance": person.birthplace, "etablissement": prison,
                "date_ecrou": since.isoformat(),
                "escorte": declared.get(person.id, "escorte niveau 1"),
                "dps": "non"}, truths={"detainee": person.id})

    def dacg(self, cell: Cell) -> Iterator[Emit]:
        """Judicial: the people an investigating judge has charged, and what the
        interceptions of the case showed."""
        ids: dict[str, str] = {}
        charged = cell.members("head", "lieutenant", "enforcer")
        for person in charged:
            on = self.seen_on()
            sid = self._sid("DACG", "p")
            ids[person.id] = sid
            yield Emit("DACG", person.id, {"id": sid, "schema": "Person",
                                           "properties": self.person_props("DACG", person, on),
                                           "meta": self.meta("DACG", on)})
        for incident in cell.incidents:
            if incident.person in ids and incident.kind in (
                    "homicide", "organised_crime_head", "armed_violence"):
                yield Emit("DACG", incident.id, {
                    "id": self._sid("DACG", "e"), "schema": "Event", "properties": {
                        "name": [incident.detail], "date": [incident.day.isoformat()],
                        "involved": [ids[incident.person]], "keywords": [incident.kind]},
                    "meta": self.meta("DACG", incident.day)})
        heads = [h for h in cell.members("head") if h.id in ids]
        for lieutenant in cell.members("lieutenant"):
            if heads and lieutenant.id in ids:
                yield Emit("DACG", f"{heads[0].id}:{lieutenant.id}:tap", {
                    "id": self._sid("DACG", "l"), "schema": "Associate", "properties": {
                        "person": [ids[heads[0].id]], "associate": [ids[lieutenant.id]],
                        "relationship": ["donne des instructions (interceptions)"]}})


def _subscriber(rng: random.Random, person: Person, known: bool) -> str:
    """The name an operator gives for a line: the user, a straw man, or nothing."""
    if not known:
        return ""
    if rng.random() < 0.15:
        return typo(rng, f"{person.name.last.upper()} {person.name.first}")
    return f"{person.name.last.upper()} {person.name.first}"


def _french_date(iso: str) -> str:
    """DD/MM/YYYY, as French registers write dates; partial dates stay ISO."""
    if len(iso) == 10:
        return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"
    return iso


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    count, threshold, product = 0, pow(2.718281828459045, -min(mean, 500)), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count
