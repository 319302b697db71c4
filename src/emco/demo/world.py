"""The hidden world of the synthetic scenario: people, their things, their networks, and
what happens to them over time. Nothing here is written anywhere: `views.py` decides
what each service sees of it, `writers.py` writes files.

The world is made cell by cell: a cell is one drug-trafficking network with the people
around it (families, neighbours, workmates, namesakes), so that a large world is made in
bounded memory. Cells meet through a few shared people (suppliers abroad, wholesalers)
kept in `Ties`. Everything is drawn from one `random.Random`: a seed gives one world.
"""

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise

from emco.demo.names import (
    Name,
    birthplace,
    draw_name,
    draw_origin,
    draw_relative,
    nationality,
    nickname,
)

START = date(2023, 1, 1)  # the period the services' files cover
END = date(2025, 12, 31)
ROLES = ("head", "lieutenant", "logistics", "retail", "finance", "enforcer", "supplier")

# Territories of networks: (city, postcode, latitude, longitude, estate names)
TERRITORIES = (
    ("Marseille", "13015", 43.3570, 5.3640, ("la Castellane", "les Flamants", "Félix-Pyat")),
    ("Marseille", "13013", 43.3350, 5.4250, ("Frais-Vallon", "la Rose", "Font-Vert")),
    ("Nîmes", "30900", 43.8230, 4.3310, ("Pissevin", "Valdegour")),
    ("Grenoble", "38100", 45.1640, 5.7350, ("Mistral", "Villeneuve")),
    ("Lyon", "69008", 45.7350, 4.8700, ("les États-Unis", "Mermoz")),
    ("Vénissieux", "69200", 45.7030, 4.8800, ("les Minguettes",)),
    ("Toulouse", "31100", 43.5800, 1.4000, ("le Mirail", "Bagatelle")),
    ("Sevran", "93270", 48.9400, 2.5270, ("les Beaudottes", "Rougemont")),
    ("Paris", "75019", 48.8880, 2.3820, ("Riquet", "Stalingrad", "Orgues de Flandre")),
    ("Évreux", "27000", 49.0170, 1.1500, ("la Madeleine", "Nétreville")),
    ("Lille", "59000", 50.6250, 3.0400, ("Moulins", "Wazemmes")),
    ("Le Havre", "76600", 49.5050, 0.1400, ("Mont-Gaillard", "Caucriauville")),
    ("Besançon", "25000", 47.2200, 5.9700, ("Planoise",)),
    ("Nice", "06300", 43.7050, 7.2850, ("les Moulins", "l'Ariane")),
)
STREETS = ("rue des Glycines", "avenue Jean-Jaurès", "boulevard Gambetta", "rue Victor-Hugo",
           "allée des Tilleuls", "rue Pasteur", "chemin de la Madrague", "rue de la Paix",
           "avenue de la République", "rue Émile-Zola", "impasse des Lilas",
           "rue du Docteur-Roux", "avenue des Acacias", "rue Jules-Ferry", "place du Marché")
SUPPLIER_COUNTRIES = (("ES", "Marbella"), ("NL", "Rotterdam"), ("MA", "Tanger"),
                      ("BE", "Anvers"), ("AE", "Dubaï"), ("DZ", "Oran"))
FRONT_TRADES = ("bar à chicha", "location de voitures", "taxiphone", "snack", "BTP",
                "lavage auto", "import-export", "salon de coiffure")
LEGIT_TRADES = ("boulangerie", "transports", "nettoyage", "supermarché", "garage", "plomberie",
                "sécurité privée", "restauration collective")
DRUGS = ("résine de cannabis", "cocaïne", "herbe de cannabis", "héroïne")


@dataclass
class Address:
    id: str
    number: int
    street: str
    postcode: str
    city: str
    country: str = "FR"


@dataclass
class Phone:
    id: str
    number: str  # E.164
    start: date
    end: date  # burners churn: each line is used for a while


@dataclass
class Vehicle:
    id: str
    plate: str
    model: str
    owner: str  # person or company id (the registered owner, maybe a straw man)


@dataclass
class Account:
    id: str
    iban: str
    bank: str
    holder: str  # person or company id


@dataclass
class Company:
    id: str
    name: str
    trade: str
    front: bool
    address: str
    registration: str  # SIREN
    directors: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)


@dataclass
class Person:
    id: str
    name: Name
    birth: date
    birthplace: str
    nationality: str
    alias: str | None = None
    addresses: list[str] = field(default_factory=list)  # the current one last
    phones: list[Phone] = field(default_factory=list)
    id_number: str | None = None
    employer: str | None = None
    network: str | None = None
    roles: list[tuple[date, str]] = field(default_factory=list)  # (since, role)
    detained: tuple[date, str] | None = None  # (since, prison)
    relatives: list[tuple[str, str]] = field(default_factory=list)  # (person id, relation)

    def role(self, on: date = END) -> str | None:
        current = None
        for since, role in self.roles:
            if since <= on:
                current = role
        return current

    def phone_on(self, day: date) -> Phone | None:
        for phone in self.phones:
            if phone.start <= day <= phone.end:
                return phone
        return None


@dataclass
class Link:
    """A relationship or an event between entities (FtM interval schemata)."""

    id: str
    schema: str  # Associate, Family, Payment, Event...
    source: str
    target: str
    day: date
    detail: str = ""
    amount: int | None = None


@dataclass
class Incident:
    """Something that happened to a person: the raw matter of dangerousness signals."""

    id: str
    person: str
    kind: str  # escape_attempt, phone_in_cell, threats_against_staff, homicide, ...
    day: date
    place: str
    detail: str
    others: list[str] = field(default_factory=list)  # also involved (co-offenders)


@dataclass
class Investigation:
    agency: str
    reference: str
    title: str
    opened: date
    targets: list[str]  # person ids


@dataclass
class Operation:
    agency: str
    reference: str
    kind: str  # raid, surveillance, arrest, controlled_delivery, transfer
    latitude: float
    longitude: float
    radius_m: int
    start: datetime
    end: datetime
    targets: list[str]


@dataclass
class Network:
    id: str
    name: str
    city: str
    estate: str
    drug: str
    latitude: float
    longitude: float
    members: list[str] = field(default_factory=list)


@dataclass
class Cell:
    """One network and the world around it."""

    index: int
    network: Network
    people: dict[str, Person] = field(default_factory=dict)
    addresses: dict[str, Address] = field(default_factory=dict)
    vehicles: dict[str, Vehicle] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    companies: dict[str, Company] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    contacts: list[tuple[str, str, float]] = field(default_factory=list)  # who calls whom
    investigations: list[Investigation] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    declared: list[tuple[str, str, str]] = field(default_factory=list)  # person, agency, level
    under_assessed: list[tuple[str, str, str, list[str]]] = field(default_factory=list)

    def members(self, *roles: str) -> list[Person]:
        return [self.people[m] for m in self.network.members
                if not roles or self.people[m].role() in roles]


@dataclass
class Ties:
    """What cells share: people met again by later networks (suppliers, wholesalers)."""

    suppliers: list[Person] = field(default_factory=list)
    addresses: dict[str, Address] = field(default_factory=dict)  # the suppliers'
    lieutenants: list[tuple[str, str]] = field(default_factory=list)  # (person id, network)


class Ids:
    """Sequential ids per kind: P people, T phones, V vehicles, A accounts, C companies,
    H addresses, L links and events, I incidents."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def next(self, kind: str) -> str:
        return f"{kind}{self.count(kind):07d}"

    def count(self, kind: str) -> int:
        n = self.counts.get(kind, 0) + 1
        self.counts[kind] = n
        return n


class WorldMaker:
    """Makes cells one after another, with shared ids and ties."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ids = Ids()
        self.ties = Ties()

    def cells(self, count: int) -> Iterator[Cell]:
        for index in range(count):
            yield self.cell(index)

    # --- a cell ------------------------------------------------------------------------

    def cell(self, index: int) -> Cell:
        rng = self.rng
        city, postcode, lat, lon, estates = TERRITORIES[index % len(TERRITORIES)]
        estate = rng.choice(estates)
        network = Network(id=f"N{index + 1:03d}", name=f"réseau de {estate} ({city})",
                          city=city, estate=estate, drug=rng.choice(DRUGS),
                          latitude=lat + rng.uniform(-0.01, 0.01),
                          longitude=lon + rng.uniform(-0.01, 0.01))
        cell = Cell(index=index, network=network)
        self._members(cell, postcode)
        self._families(cell, postcode)
        self._background(cell, postcode)
        self._companies(cell, postcode)
        self._things(cell)
        self._contacts(cell)
        self._activity(cell)
        self._justice(cell)
        self._investigations(cell)
        return cell

    def _address(self, cell: Cell, postcode: str, city: str | None = None) -> str:
        rng = self.rng
        address = Address(self.ids.next("H"), rng.randint(1, 180), rng.choice(STREETS),
                          postcode, city or cell.network.city)
        cell.addresses[address.id] = address
        return address.id

    def _person(self, cell: Cell, name: Name, born: tuple[int, int], home: str,
                network: str | None = None) -> Person:
        rng = self.rng
        birth = date(rng.randint(*born), rng.randint(1, 12), rng.randint(1, 28))
        nat = nationality(rng, name.origin)
        person = Person(id=self.ids.next("P"), name=name, birth=birth,
                        birthplace=birthplace(rng, name.origin, nat), nationality=nat,
                        addresses=[home], network=network)
        if rng.random() < 0.7:
            person.id_number = f"{rng.randint(10**11, 10**12 - 1)}"
        cell.people[person.id] = person
        return person

    def _members(self, cell: Cell, postcode: str) -> None:
        rng = self.rng
        size = rng.randint(14, 32)
        plan = ["head"] + ["lieutenant"] * rng.randint(2, 4) + ["logistics"] * rng.randint(2, 3) \
            + ["finance"] * rng.randint(1, 2) + ["enforcer"] * rng.randint(1, 3)
        plan += ["retail"] * max(4, size - len(plan))
        if rng.random() < 0.25:
            plan.insert(1, "head")  # two brothers or partners at the top
        for role in plan:
            origin = draw_origin(rng)
            gender = "F" if role in ("logistics", "finance") and rng.random() < 0.25 else "M"
            ages = {"head": (1978, 1995), "lieutenant": (1985, 2000),
                    "retail": (1996, 2007)}.get(role, (1980, 2003))
            person = self._person(cell, draw_name(rng, origin, gender), ages,
                                  self._address(cell, postcode), cell.network.id)
            person.roles.append((START, role))
            if rng.random() < 0.6:
                person.alias = nickname(rng, person.name)
            cell.network.members.append(person.id)
        heads = cell.members("head")
        if len(heads) == 2:  # co-heads are brothers
            second = heads[1]
            second.name = draw_relative(rng, heads[0].name, "M")
            second.relatives.append((heads[0].id, "frère"))
            heads[0].relatives.append((second.id, "frère"))
        for _ in range(rng.randint(1, 2)):  # suppliers abroad, some already known
            if self.ties.suppliers and rng.random() < 0.5:
                supplier = rng.choice(self.ties.suppliers)
                cell.people[supplier.id] = supplier
                for address in supplier.addresses:
                    cell.addresses[address] = self.ties.addresses[address]
            else:
                country, town = rng.choice(SUPPLIER_COUNTRIES)
                origin = "maghrebi" if country in ("MA", "DZ") else draw_origin(rng)
                supplier = self._person(cell, draw_name(rng, origin, "M"), (1970, 1990),
                                        self._address(cell, "", town), cell.network.id)
                cell.addresses[supplier.addresses[0]].country = country
                self.ties.addresses[supplier.addresses[0]] = cell.addresses[
                    supplier.addresses[0]]
                supplier.nationality = country if country not in ("AE",) else \
                    supplier.nationality
                supplier.roles.append((START, "supplier"))
                self.ties.suppliers.append(supplier)
            cell.network.members.append(supplier.id)
        # People move up: after the first year a retail manager may replace a lieutenant.
        retail = cell.members("retail")
        if retail and rng.random() < 0.6:
            riser = rng.choice(retail)
            riser.roles.append((date(2024, rng.randint(1, 12), rng.randint(1, 28)),
                                "lieutenant"))
        for lieutenant in cell.members("lieutenant"):
            if rng.random() < 0.3:
                self.ties.lieutenants.append((lieutenant.id, cell.network.id))

    def _families(self, cell: Cell, postcode: str) -> None:
        """Relatives share surnames and homes: the first trap for resolution."""
        rng = self.rng
        for member in list(cell.members()):
            if member.role() == "supplier":
                continue
            for relation in rng.sample(["mère", "frère", "sœur", "père", "cousin",
                                        "compagne"], rng.randint(1, 3)):
                gender = "F" if relation in ("mère", "sœur", "compagne") else "M"
                name = draw_relative(rng, member.name, gender) if relation != "compagne" \
                    else draw_name(rng, draw_origin(rng), "F")
                years = (1950, 1975) if relation in ("mère", "père") else (1975, 2004)
                home = member.addresses[0] if relation in ("mère", "père", "frère", "sœur") \
                    and rng.random() < 0.6 else self._address(cell, postcode)
                relative = self._person(cell, name, years, home)
                relative.relatives.append((member.id, relation))
                member.relatives.append((relative.id, relation))

    def _background(self, cell: Cell, postcode: str) -> None:
        """Legitimate neighbours, namesakes and workmates, who share what criminals have."""
        rng = self.rng
        members = [m for m in cell.members() if m.role() != "supplier"]
        for _ in range(len(members) * 2):
            origin = draw_origin(rng)
            person = self._person(cell, draw_name(rng, origin, rng.choice("MF")), (1950, 2005),
                                  self._address(cell, postcode))
            if rng.random() < 0.3:  # lives in a member's building
                person.addresses = [rng.choice(members).addresses[0]]
        for member in rng.sample(members, max(1, len(members) // 6)):
            # A namesake: same name, another person (other birth date, other city).
            twin = self._person(cell, member.name, (1960, 2004), self._address(cell, "75011",
                                                                                "Paris"))
            twin.roles = []

    def _companies(self, cell: Cell, postcode: str) -> None:
        rng = self.rng
        finance = cell.members("finance") or cell.members("lieutenant")
        heads = cell.members("head")
        for _ in range(rng.randint(1, 3)):
            trade = rng.choice(FRONT_TRADES)
            company = Company(self.ids.next("C"), f"{_brand(rng)} {trade.upper()}"
                              if rng.random() < 0.5 else f"SARL {_brand(rng)}", trade, True,
                              self._address(cell, postcode), f"{rng.randint(10**8, 10**9 - 1)}")
            straw = next((r for r, rel in heads[0].relatives if rel in ("mère", "sœur",
                                                                        "compagne")), None)
            director = straw or rng.choice(finance).id
            company.directors.append(director)
            company.owners.append(rng.choice(finance).id)
            cell.companies[company.id] = company
        background = [p for p in cell.people.values() if p.network is None]
        for _ in range(rng.randint(1, 2)):
            trade = rng.choice(LEGIT_TRADES)
            company = Company(self.ids.next("C"), f"{_brand(rng)} {trade.title()}", trade,
                              False, self._address(cell, postcode),
                              f"{rng.randint(10**8, 10**9 - 1)}")
            company.directors.append(rng.choice(background).id)
            cell.companies[company.id] = company
            for worker in rng.sample(list(cell.people.values()),
                                     min(8, len(cell.people))):
                if worker.role() not in ("head", "supplier"):
                    worker.employer = company.id

    def _things(self, cell: Cell) -> None:
        rng = self.rng
        for person in cell.people.values():
            if person.phones:  # a supplier met again keeps his lines
                continue
            criminal = person.network is not None
            lines = rng.randint(2, 5) if criminal else rng.randint(1, 2)
            start = START - timedelta(days=rng.randint(0, 400))
            for i in range(lines):
                end = END if i == lines - 1 else start + timedelta(days=rng.randint(60, 400))
                person.phones.append(Phone(self.ids.next("T"), self._number(person), start,
                                           min(end, END)))
                start = end + timedelta(days=1)
                if start > END:
                    break
            if rng.random() < (0.5 if criminal else 0.2):
                owner = person.id
                fronts = [c for c in cell.companies.values() if c.front]
                if criminal and fronts and rng.random() < 0.4:
                    owner = rng.choice(fronts).id  # a rented car from the front company
                vehicle = Vehicle(self.ids.next("V"), self._plate(), rng.choice(
                    ("Audi RS3", "Mercedes Classe A", "Renault Clio", "Peugeot 308",
                     "BMW Série 1", "Volkswagen Golf", "Citroën C3", "Yamaha TMax")), owner)
                cell.vehicles[vehicle.id] = vehicle
            if criminal or rng.random() < 0.3:
                account = Account(self.ids.next("A"), _iban(rng), rng.choice(
                    ("Banque Populaire", "Crédit Agricole", "La Banque Postale",
                     "Société Générale", "BNP Paribas", "Nickel")), person.id)
                cell.accounts[account.id] = account
        for company in cell.companies.values():
            account = Account(self.ids.next("A"), _iban(rng), "Crédit Mutuel", company.id)
            cell.accounts[account.id] = account

    def _number(self, person: Person) -> str:
        """A line never given before: counters run through a fixed permutation, so the
        numbers look random but never repeat, and no set of them need be kept."""
        n = self.ids.count("number")
        if person.nationality in ("NL", "ES", "BE", "MA") and person.role() == "supplier":
            prefix = {"NL": "+316", "ES": "+346", "BE": "+324", "MA": "+2126"}
            return prefix[person.nationality] + f"{_scramble(n, 10**8):08d}"
        value = _scramble(n, 2 * 10**8)
        return f"+33{6 + value // 10**8}{value % 10**8:08d}"

    def _plate(self) -> str:
        letters = "ABCDEFGHJKLMNPQRSTVWXYZ"  # French plates skip I, O and U
        n = _scramble(self.ids.count("plate"), 23**4 * 899)
        n, digits = divmod(n, 899)
        chars = []
        for _ in range(4):
            n, k = divmod(n, 23)
            chars.append(letters[k])
        return f"{chars[0]}{chars[1]}{digits + 101}{chars[2]}{chars[3]}"

    def _contacts(self, cell: Cell) -> None:
        """Who speaks to whom, and how much: heads through their lieutenants only."""
        rng = self.rng
        heads = cell.members("head")
        lieutenants = cell.members("lieutenant")
        below = cell.members("logistics", "retail", "enforcer")
        finance = cell.members("finance")
        suppliers = cell.members("supplier")
        for head in heads:
            for lieutenant in lieutenants:
                cell.contacts.append((head.id, lieutenant.id, rng.uniform(2, 5)))
            for f in finance:
                cell.contacts.append((head.id, f.id, rng.uniform(0.5, 2)))
        if len(heads) == 2:
            cell.contacts.append((heads[0].id, heads[1].id, 3.0))
        for person in below:
            boss = rng.choice(lieutenants or heads)
            cell.contacts.append((boss.id, person.id, rng.uniform(1, 6)))
            if rng.random() < 0.4:
                peer = rng.choice(below)
                if peer.id != person.id:
                    cell.contacts.append((person.id, peer.id, rng.uniform(0.5, 4)))
        for supplier in suppliers:
            broker = rng.choice(lieutenants or heads)
            cell.contacts.append((broker.id, supplier.id, rng.uniform(0.5, 2)))
        for member in cell.members():
            for relative, _ in member.relatives[:2]:
                cell.contacts.append((member.id, relative, rng.uniform(0.5, 3)))
        for other, _network in rng.sample(self.ties.lieutenants,
                                          min(len(self.ties.lieutenants), 1)):
            if other not in cell.people and lieutenants:
                cell.contacts.append((rng.choice(lieutenants).id, other, 1.0))

    def _activity(self, cell: Cell) -> None:
        """Meetings, payments and associations over the period."""
        rng = self.rng
        members = cell.members()
        for a, b, weight in cell.contacts:
            if a in cell.people and b in cell.people and rng.random() < min(0.9, weight / 4):
                cell.links.append(Link(self.ids.next("L"), "Associate", a, b,
                                       _day(rng), "associé"))
        for person in cell.people.values():
            for relative, relation in person.relatives:
                if person.id < relative:
                    cell.links.append(Link(self.ids.next("L"), "Family", person.id,
                                           relative, START, relation))
        fronts = [c for c in cell.companies.values() if c.front]
        accounts = {a.holder: a for a in cell.accounts.values()}
        for company in fronts:
            for director in company.directors:
                cell.links.append(Link(self.ids.next("L"), "Directorship", director,
                                       company.id, _day(rng), "gérant"))
            for owner in company.owners:
                cell.links.append(Link(self.ids.next("L"), "Ownership", owner, company.id,
                                       _day(rng), "associé unique"))
            cash_in = [m for m in members if m.role() in ("lieutenant", "finance")]
            for _ in range(rng.randint(3, 10)):
                payer = rng.choice(cash_in)
                if payer.id in accounts and company.id in accounts:
                    cell.links.append(Link(self.ids.next("L"), "Payment",
                                           accounts[payer.id].id, accounts[company.id].id,
                                           _day(rng), "apport en numéraire",
                                           rng.randint(2, 95) * 500))
            for supplier in cell.members("supplier"):
                if supplier.id in accounts and rng.random() < 0.7:
                    cell.links.append(Link(self.ids.next("L"), "Payment",
                                           accounts[company.id].id, accounts[supplier.id].id,
                                           _day(rng), "facture import",
                                           rng.randint(20, 400) * 1000))
        for vehicle in cell.vehicles.values():
            cell.links.append(Link(self.ids.next("L"), "Ownership", vehicle.owner,
                                   vehicle.id, _day(rng), "titulaire de la carte grise"))
        for _ in range(rng.randint(1, 3)):  # meetings seen by surveillance
            present = rng.sample(members, min(len(members), rng.randint(2, 4)))
            day = _day(rng)
            for first, second in pairwise(present):
                cell.links.append(Link(self.ids.next("L"), "Event", first.id, second.id, day,
                                       "rencontre observée"))

    def _justice(self, cell: Cell) -> None:
        """Seizures, arrests, incarcerations, prison incidents, and the declared levels."""
        rng = self.rng
        heads = cell.members("head")
        prisons = ("CP de Marseille-Les Baumettes", "CP de Lyon-Corbas", "MA de Fleury-Mérogis",
                   "CP d'Aix-Luynes", "CP de Vendin-le-Vieil", "CP du Havre", "MA de Nîmes")
        jailed = [p for p in cell.members("retail", "logistics", "enforcer")
                  if rng.random() < 0.25]
        # The head is detained and dangerous, and each service holds one piece of it.
        amra = cell.index % 2 == 0 or rng.random() < 0.3
        if amra:
            jailed.insert(0, heads[0])
        for person in jailed:
            person.detained = (date(rng.randint(2023, 2025), rng.randint(1, 12),
                                    rng.randint(1, 28)), rng.choice(prisons))
        for person in jailed[1:]:
            if rng.random() < 0.3:
                cell.incidents.append(Incident(self.ids.next("I"), person.id, "phone_in_cell",
                                               _after(rng, person.detained[0]),  # type: ignore[index]
                                               person.detained[1],  # type: ignore[index]
                                               "téléphone découvert lors d'une fouille de cellule"))
            cell.declared.append((person.id, "DAP", "escorte niveau 1"))
        for _ in range(rng.randint(1, 2)):  # goods seized on the way in
            carrier = rng.choice(cell.members("logistics") or cell.members())
            suppliers = [s.id for s in cell.members("supplier")]
            cell.incidents.append(Incident(
                self.ids.next("I"), carrier.id, "seizure", _day(rng),
                rng.choice(("port du Havre", "péage de Saint-Arnoult", "A7, Vienne",
                            "gare de Marseille-Saint-Charles")),
                f"saisie de {rng.randint(20, 900)} kg de {cell.network.drug}",
                suppliers[:1]))
        retail = cell.members("retail")
        if len(retail) >= 2:  # arrested together on the selling point
            caught = rng.sample(retail, min(3, len(retail)))
            cell.incidents.append(Incident(
                self.ids.next("I"), caught[0].id, "co_offending", _day(rng),
                cell.network.estate, "interpellés ensemble sur le point de vente",
                [p.id for p in caught[1:]]))
        for enforcer in cell.members("enforcer"):
            if rng.random() < 0.5:
                cell.incidents.append(Incident(self.ids.next("I"), enforcer.id, "armed_violence",
                                               _day(rng), cell.network.city,
                                               "tirs par arme automatique sur un point de vente "
                                               "concurrent"))
        if amra:
            head = heads[0]
            since, prison = head.detained  # type: ignore[misc]
            kinds = [("escape_attempt", "tentative d'évasion lors d'une extraction médicale"),
                     ("phone_in_cell", "téléphone et carte SIM découverts dans la cellule"),
                     ("threats_against_staff", "menaces de mort contre deux surveillants"),
                     ("homicide", "mis en examen pour assassinat en bande organisée"),
                     ("organised_crime_head", "dirige le réseau depuis la détention "
                                              "(interceptions)")]
            for kind, detail in kinds:
                cell.incidents.append(Incident(self.ids.next("I"), head.id, kind,
                                               _after(rng, since), prison, detail))
            cell.declared.append((head.id, "DAP", "escorte niveau 1, non inscrit au "
                                                  "répertoire des DPS"))
            cell.under_assessed.append((head.id, "DAP", "escorte niveau 1",
                                        ["escape_attempt", "organised_crime",
                                         "serious_violence"]))

    def _investigations(self, cell: Cell) -> None:
        """Services' cases and planned operations; some overlap without knowing it. The
        first cell shows every kind: two services on the same head, two operations the
        same morning on the same estate, a raid on a man customs are following, and the
        transfer of the detained head the day his network is raided."""
        rng = self.rng
        n = cell.index + 1
        showcase = cell.index == 0
        heads = cell.members("head")
        lieutenants = cell.members("lieutenant")
        retail = cell.members("retail")
        cell.investigations.append(Investigation(
            "OFAST", f"OFAST-{2023 + n % 3}-{n:04d}", f"trafic de {cell.network.drug}, "
            f"{cell.network.estate}", _day(rng), [h.id for h in heads] + [lieutenants[0].id]))
        if showcase or rng.random() < 0.7:  # another service on the same people, unaware
            agency = "DNPJ" if showcase else rng.choice(("DNPJ", "DGGN", "PPDRPJ"))
            targets = [lieutenants[-1].id]
            if showcase or rng.random() < 0.5:
                targets.append(heads[0].id)
            cell.investigations.append(Investigation(
                agency, f"{agency}-{2023 + n % 3}-{n:04d}", f"blanchiment et stupéfiants, "
                f"{cell.network.city}", _day(rng), targets))
        if retail:
            cell.investigations.append(Investigation(
                "SCRT", f"SCRT-{2024}-{n:04d}", f"point de deal {cell.network.estate}",
                _day(rng), [p.id for p in retail[:3]]))
        base = datetime(2026, 2, 1, 6, 0) + timedelta(days=rng.randint(0, 60))
        lat, lon = cell.network.latitude, cell.network.longitude
        cell.operations.append(Operation(
            "OFAST", f"OFAST-OP-{n:04d}", "raid", lat, lon, 300, base, base + timedelta(hours=4),
            [lieutenants[0].id]))
        if showcase or rng.random() < 0.6:  # the same morning, the same estate, another service
            shift = timedelta(hours=rng.choice((-1, 0, 1)))
            agency = rng.choice(("DGGN", "DNPJ", "PPDRPJ"))
            cell.operations.append(Operation(
                agency, f"{agency}-OP-{n:04d}", "arrest", lat + 0.001, lon - 0.001, 200,
                base + shift, base + shift + timedelta(hours=3),
                [rng.choice(retail or lieutenants).id]))
        elif rng.random() < 0.5:  # the same estate, another week: no conflict
            later = base + timedelta(days=rng.randint(8, 30))
            cell.operations.append(Operation(
                "DGGN", f"DGGN-OP-{n:04d}", "arrest", lat, lon, 200, later,
                later + timedelta(hours=3), [rng.choice(retail or lieutenants).id]))
        if showcase or rng.random() < 0.4:  # customs follow the lieutenant to be raided
            start = base - timedelta(days=rng.randint(5, 20))
            cell.operations.append(Operation(
                "DNRED", f"DNRED-SURV-{n:04d}", "surveillance", lat + 0.02, lon + 0.02, 2000,
                start, start + timedelta(days=40), [lieutenants[0].id]))
        if heads[0].detained:
            day = base + timedelta(hours=2) if showcase or rng.random() < 0.3 else \
                base + timedelta(days=rng.randint(5, 40))
            cell.operations.append(Operation(
                "DAP", f"DAP-TR-{n:04d}", "transfer", 43.30, 5.40, 500, day,
                day + timedelta(hours=5), [heads[0].id]))


def _scramble(n: int, modulus: int) -> int:
    """A bijection of [0, modulus): consecutive counters give scattered values."""
    multiplier = 2_654_435_761  # odd and prime to 2 and 5 (and 23), so invertible
    while math.gcd(multiplier, modulus) != 1:
        multiplier += 2
    return (n * multiplier + 12_345) % modulus


def _brand(rng: random.Random) -> str:
    return rng.choice(("ATLAS", "MÉDINA", "SUNSET", "ÉLITE", "PRESTIGE", "ORIENT", "AZUR",
                       "HORIZON", "NOVA", "ROYAL", "OASIS", "CENTRAL", "EXPRESS", "PREMIUM"))


def _iban(rng: random.Random) -> str:
    from schwifty import IBAN

    return IBAN.generate("FR", bank_code=rng.choice(("30006", "30004", "20041", "10278",
                                                     "30003", "16958")),
                         account_code=f"{rng.randint(0, 10**11 - 1):011d}").compact


def _day(rng: random.Random) -> date:
    return START + timedelta(days=rng.randint(0, (END - START).days))


def _after(rng: random.Random, since: date) -> date:
    return min(END, since + timedelta(days=rng.randint(10, 300)))
