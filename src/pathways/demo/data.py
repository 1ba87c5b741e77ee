"""The fictitious world of the demo: support organisations, people and projects, and where each case stands.

Every name is invented (any likeness to a real structure is a coincidence of common
words). Each project line says which pathway its case follows and the outcomes already
decided, so that every stage of every pathway holds a case, by construction: a project
is given the lifecycle phase and legal form its pathway admits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pathways.demo.programme_data import PROGRAMMES_EXTRA, PROGRAMMES_SHORTHANDS, PROGRAMMES_TABLE

# key (used in the tables below), name, territory, language
ORGS: tuple[tuple[str, str, str, str], ...] = (
    ("paris", "DLA de Paris", "FR-75", "fr"),
    ("grand-est", "Incubateur ESS Grand Est", "FR-67", "fr"),
    ("lyon", "Pôle territorial de coopération Lyon Sud", "FR-69", "fr"),
    ("bru", "Agence bruxelloise d'économie sociale", "BE-BRU", "fr"),
    ("vlg", "Netwerk Sociale Economie Vlaanderen", "BE-VLG", "nl"),
    ("wal", "Réseau wallon d'essaimage", "BE-WAL", "fr"),
    ("france", "Réseau France Essaimage", "FR-75", "fr"),
    ("fabrique", "Fabrique à initiatives Pays basque", "FR-64", "fr"),
    ("aces", "Agence-conseil Entreprendre autrement", "BE-WAL", "fr"),
)

# org slug -> (manager, officer, officer)
STAFF: dict[str, tuple[str, str, str]] = {
    "paris": ("Hélène Garnier", "Camille Martin", "Yanis Belkacem"),
    "grand-est": ("Frédéric Koenig", "Léa Schmitt", "Hugo Muller"),
    "lyon": ("Sylvie Perrin", "Inès Bouvier", "Julien Chauvet"),
    "bru": ("Marc Lemaire", "Sofia Benali", "Thomas Dupont"),
    "vlg": ("Griet Claes", "Bram Peeters", "Fien Janssens"),
    "wal": ("Anne Collard", "Julien Lambert", "Élise Renard"),
    "france": ("Bernard Lefèvre", "Noémie Carpentier", "Karim Haddad"),
    "fabrique": ("Maite Etcheverry", "Amaia Etxeberri", "Peio Larralde"),
    "aces": ("Nathalie Hubert", "Quentin Delvaux", "Sarah Lejeune"),
}


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource person of peer transfer: who lists them, their topics and their employer."""

    name: str
    org: str
    language: str
    topics: tuple[str, ...]
    employer: str


RESOURCES: tuple[Resource, ...] = (
    Resource("Claire Fontaine", "lyon", "fr", ("governance", "hr"), "Régie de quartier Lyon 8e"),
    Resource("Mathieu Roux", "lyon", "fr", ("finance", "funding"), "SCOP Ateliers Lumière"),
    Resource("Nadia Haddad", "lyon", "fr", ("marketing", "digital"), "Épicerie coopérative Bon Vrac"),
    Resource("Pierre Le Goff", "lyon", "fr", ("legal", "public_procurement"), "GEIQ Propreté Rhône"),
    Resource("Thomas Weber", "grand-est", "fr", ("strategy", "scaling"), "SCIC Énergie Partagée Alsace"),
    Resource("Sophie Lambert", "bru", "fr", ("partnerships", "impact"), "ASBL Quartier Vert"),
    Resource("Lies Vandenberghe", "vlg", "nl", ("hr", "governance"), "Kringwinkel Rupel"),
    Resource("Jonas De Smet", "vlg", "nl", ("finance", "scaling"), "Coöperatie Zonnekracht"),
)

# Consultants (DLA "prestataires"): people with a `resource` role and no peer-transfer topic.
CONSULTANTS: dict[str, tuple[str, ...]] = {
    "paris": ("Julie Marchand", "Olivier Brun"),
    "grand-est": ("Céline Hoffmann",),
    "bru": ("David Mertens",),
    "vlg": ("Annelies Wouters",),
    "wal": ("Marc Dubois",),
    "france": ("Julie Marchand",),
    "fabrique": ("Olivier Brun",),
    "aces": ("Marc Dubois",),
}

FIRST_NAMES = {
    "fr": ("Camille", "Louise", "Hugo", "Nathalie", "Jules", "Sarah", "Malik", "Agathe", "Rémi", "Yasmine",
           "Bastien", "Chloé", "Antoine", "Leïla", "Vincent", "Aurélie"),
    "nl": ("Lotte", "Wout", "Sien", "Pieter", "Anouk", "Jef", "Marieke", "Stijn", "Eline", "Koen"),
    "en": ("Emma", "Daniel", "Grace", "Oliver", "Hannah", "Samuel"),
}  # fmt: skip
LAST_NAMES = {
    "fr": ("Morel", "Girard", "Fournier", "Rousseau", "Faure", "Mercier", "Blanc", "Guerin", "Boyer",
           "Chevalier", "Nicolas", "Robin", "Masson", "Sanchez", "Diallo", "Traoré"),
    "nl": ("Maes", "Willems", "Goossens", "Wouters", "De Backer", "Jacobs", "Mertens", "Van Damme",
           "Hermans"),
    "en": ("Walsh", "Murphy", "Clarke", "Hughes", "Bennett", "Ward"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Demo:
    """A project and its case: the pathway, the outcomes decided so far, and what follows from them.

    `children` are the paths of the cases a hand-off or a spawn opens, in the order they
    open; `idle` is how many days ago the last decision was taken (enough to make the
    current stage overdue when `overdue`).
    """

    name: str
    org: str
    territory: str
    legal_form: str | None
    jobs: int
    sector: str | None
    lang: str
    phase: str
    pathway: str
    path: tuple[str, ...] = ()
    children: tuple[tuple[str, ...], ...] = ()
    overdue: bool = False
    extra: dict[str, str] = field(default_factory=dict)


# One project a line: name | network | territory | legal form | salaried jobs | NAF/NACE | owner's
# language | phase | outcomes decided so far ("!exit": closed through that exit, with the reason
# below) | paths of the cases it opens, in order ("/" between cases, "-" for a case left where it
# started) | "late" when its current stage is overdue. A local project lead's case, spawned by
# replication, starts at the founding (ongoing_support `entries`).
_TABLE = """
[diagnosis]
Recyclerie du Canal | paris | FR-75 | association | 6 | 38.32Z | fr | founded | | |
Épicerie solidaire Les Tilleuls | paris | FR-93 | association | 3 | 47.11B | fr | founded | | | late
Garage solidaire de la Plaine | paris | FR-93 | association | 5 | 45.20A | fr | founded | relevant | |
Tiers-lieu La Fabrique | paris | FR-75 | scic | 4 | 68.20B | fr | consolidation | relevant | | late
Cantine partagée Le Bol | paris | FR-75 | scop | 9 | 56.10A | fr | consolidation | relevant accepted | |
Atelier vélo Roue Libre | paris | FR-75 | association | 2 | 95.29Z | en | founded | relevant accepted revise | |
Crèche parentale Les Lucioles | paris | FR-75 | association | 7 | 88.91A | fr | founded | {committee} | |
Conciergerie de quartier Belleville | paris | FR-75 | siae | 12 | 81.10Z | fr | consolidation | {committee} | | late
Librairie L'Établi | paris | FR-75 | sas | 3 | 47.61Z | fr | founded | not_relevant | |
Imprimerie Coop'Encre | paris | FR-93 | scop | 8 | 18.12Z | fr | consolidation | relevant declined | |
Ressourcerie de l'Est parisien | paris | FR-75 | association | 14 | 38.32Z | fr | consolidation \
    | {committee} unfavourable | |
Laverie solidaire Saint-Denis | paris | FR-93 | entreprise_adaptee | 11 | 96.01A | fr | founded \
    | {committee} with_reservations | |
Jardin de Cocagne du Val | paris | FR-94 | siae | 18 | 01.13Z | fr | consolidation | {committee} favourable \
    | consultant_chosen / planned / planned done |
Repair Café Molenbeek | bru | BE-BRU | asbl | 2 | 95.290 | fr | founded | {committee} favourable | - |
Maison médicale du Midi | bru | BE-BRU | asbl | 9 | 86.210 | fr | consolidation | | |
Buurtwinkel De Linde | vlg | BE-VLG | vzw | 4 | 47.190 | nl | founded | relevant | |
Kringwinkel Zuid | vlg | BE-VLG | vzw | 22 | 47.791 | nl | consolidation | {committee} favourable \
    | consultant_chosen done closed |
Coöperatie Zonnewind | vlg | BE-VLG | cv | 3 | 35.110 | nl | founded | relevant accepted | | late
[ongoing_support]
Couveuse Artisans d'Alsace | grand-est | FR-67 | | 0 | | fr | idea | | |
Brasserie coopérative du Ried | grand-est | FR-67 | | 0 | 11.05Z | fr | idea | reissue | |
Ferme d'insertion Les Prés | grand-est | FR-68 | | 0 | 01.50Z | fr | idea | consultant_chosen \
    | cancelled / planned replan / planned |
Mobilité douce Strasbourg | grand-est | FR-67 | | 0 | 49.39B | fr | idea | consultant_chosen replan | | late
Bricothèque de Colmar | grand-est | FR-68 | | 0 | 77.29Z | fr | idea | {founding} | |
Habitat groupé La Ruche | grand-est | FR-67 | | 0 | 68.20A | en | idea | {founding} | | late
Cuisine nomade Mulhouse | grand-est | FR-68 | | 0 | 56.21Z | fr | idea | {founding} founded | |
Petite Cantine de Metz | grand-est | FR-57 | | 0 | 56.10A | fr | idea | {founding} abandoned | |
Potager urbain Schaerbeek | bru | BE-BRU | | 0 | 01.130 | fr | idea | {founding} founded | |
Voedselteam Gent | vlg | BE-VLG | vzw | 2 | 47.210 | nl | founded | consultant_chosen done | |
Koffiebar De Hoek | vlg | BE-VLG | cv | 3 | 56.301 | nl | founded | consultant_chosen done new_needs | |
Conserverie solidaire de Lorraine | grand-est | FR-57 | scic | 6 | 10.39B | fr | founded \
    | consultant_chosen done closed | |
Atelier couture Insertion Strasbourg | grand-est | FR-67 | siae | 15 | 14.13Z | fr | consolidation \
    | consultant_chosen | |
Les Petites Tables de Nancy | grand-est | FR-54 | association | 2 | 56.10A | fr | founded | | | late
[peer_transfer]
Recyclerie Lyon Sud | lyon | FR-69 | association | 10 | 38.32Z | fr | consolidation | | |
SCIC Énergies Citoyennes du Rhône | lyon | FR-69 | scic | 4 | 35.11Z | fr | founded | | |
CAE Rhône Créateurs | lyon | FR-69 | cae | 25 | 70.22Z | fr | consolidation | eligible | |
Régie de territoire Vénissieux | lyon | FR-69 | association | 30 | 81.29B | fr | consolidation | eligible | | late
Épicerie vrac Croix-Rousse | lyon | FR-69 | scop | 5 | 47.29Z | fr | founded | eligible declined | |
Auto-école sociale Villeurbanne | lyon | FR-69 | association | 6 | 85.53Z | fr | founded | eligible accepted | |
Traiteur d'insertion Saveurs du Monde | lyon | FR-69 | siae | 20 | 56.21Z | fr | consolidation | {transfer} | |
Friperie solidaire Gerland | lyon | FR-69 | association | 4 | 47.79Z | fr | founded | {transfer} | | late
Compost collectif Lyonnais | lyon | FR-69 | scic | 7 | 38.21Z | fr | founded | {transfer} done | |
Atelier bois Oullins | lyon | FR-69 | scop | 6 | 16.23Z | fr | founded | {transfer} !transfer_not_held | |
Maison du vélo Lyon | lyon | FR-69 | association | 9 | 95.29Z | fr | consolidation | {transfer} done closed | |
Coopérative Bois & Paille | lyon | FR-69 | scop | 12 | 16.23Z | fr | founded | not_eligible | |
Les Ateliers du Rhône | lyon | FR-69 | entreprise_adaptee | 40 | 25.62B | fr | consolidation \
    | eligible accepted refused | |
Buurtrestaurant Het Pleintje | vlg | BE-VLG | vzw | 8 | 56.101 | nl | founded | eligible accepted rematch | |
Ressourcerie La Poudrière | bru | BE-BRU | asbl | 12 | 38.320 | fr | consolidation | {transfer} | |
Digital Inclusion Brussels | bru | BE-BRU | asbl | 5 | 85.599 | en | emergence | eligible | |
[swarming]
Régie de quartier Belleville | france | FR-75 | association | 28 | 81.10Z | fr | consolidation \
    | {carriers} selected | founded / !withdrawn / - |
GEIQ Bâtiment Alsace | france | FR-67 | association | 45 | 78.30Z | fr | consolidation \
    | {carriers} selected created | - |
Ressourcerie Le Carré | wal | BE-WAL | asbl | 18 | 38.320 | fr | scaling \
    | {carriers} selected created granted | - |
Fablab solidaire Liège | wal | BE-WAL | asbl | 6 | 85.599 | fr | consolidation | | |
Les Petites Cantines Lille | france | FR-59 | association | 8 | 56.10A | fr | consolidation | ready | |
Épicerie sociale Namur | wal | BE-WAL | asbl | 5 | 47.110 | fr | consolidation | ready chosen | |
Repair Wallonie | wal | BE-WAL | asbl | 4 | 95.290 | fr | consolidation | {carriers} | | late
Café-librairie Le Rayon Vert | wal | BE-WAL | sc | 5 | 47.610 | fr | consolidation | {carriers} none_found | |
Covoiturage solidaire Ardenne | wal | BE-WAL | sc | 3 | 49.390 | fr | consolidation | not_ready | |
Jardin partagé Charleroi | wal | BE-WAL | asbl | 4 | 01.130 | fr | consolidation | ready chosen no_go | |
Donnerie solidaire Mons | wal | BE-WAL | asbl | 6 | 38.320 | fr | consolidation | ready dissemination | |
Livraison coopérative Lille | france | FR-59 | scic | 9 | 53.20Z | fr | consolidation | ready external_growth | |
"""  # noqa: E501  (a table reads best one project a line)
_SHORTHANDS = {
    "{committee}": "relevant accepted validated",
    "{founding}": "consultant_chosen done_to_founding",
    "{transfer}": "eligible accepted validated",
    "{carriers}": "ready chosen go",
    **PROGRAMMES_SHORTHANDS,
}
# Why a demo case closes through an exit (`pathways case close`), in the organisation's language.
EXIT_REASONS: dict[str, dict[str, str]] = {
    "withdrawn": {
        "fr": "La porteuse de projet a rejoint une autre structure : elle se retire de l'essaimage.",
        "nl": "De projectleider is naar een andere organisatie overgestapt en trekt zich terug.",
    },
    "transfer_not_held": {
        "fr": "La personne ressource a quitté la structure avant les journées de transfert.",
        "nl": "De resourcepersoon heeft de organisatie verlaten vóór de overdrachtsdagen.",
    },
}
# Values a project's decisions record beyond the usual ones.
EXTRA: dict[str, dict[str, str]] = {
    "Jardin de Cocagne du Val": {"parallel_missions": "Modèle économique;Gouvernance associative"},
    "Ferme d'insertion Les Prés": {
        "parallel_missions": "Étude de marché;Montage juridique;Plan de financement"
    },
    "Régie de quartier Belleville": {
        "carriers": "Régie de quartier Franc-Moisin;Régie de quartier Bel-Air Montreuil;"
        "Régie de quartier Aubervilliers"
    },
    "GEIQ Bâtiment Alsace": {"carriers": "GEIQ Bâtiment Moselle"},
    "Ressourcerie Le Carré": {"carriers": "Ressourcerie Le Carré Namur"},
    **PROGRAMMES_EXTRA,
}


def _path(text: str) -> tuple[str, ...]:
    for short, long in _SHORTHANDS.items():
        text = text.replace(short, long)
    return tuple(text.split()) if text.strip() != "-" else ()


def _demos(table: str) -> tuple[Demo, ...]:
    demos = []
    pathway = ""
    for line in table.splitlines():  # a "\\" at the end of a line continues it
        if not line.strip():
            continue
        if line.startswith("["):
            pathway = line.strip("[] ")
            continue
        name, org, territory, form, jobs, sector, lang, phase, path, children, flags = (
            cell.strip() for cell in line.split("|")
        )
        demos.append(
            Demo(
                name=name,
                org=org,
                territory=territory,
                legal_form=form or None,
                jobs=int(jobs),
                sector=sector or None,
                lang=lang,
                phase=phase,
                pathway=pathway,
                path=_path(path),
                children=tuple(_path(c) for c in children.split("/")) if children else (),
                overdue=flags == "late",
                extra=EXTRA.get(name, {}),
            )
        )
    return tuple(demos)


DEMOS = _demos(_TABLE) + _demos(PROGRAMMES_TABLE)

# The showcase evaluation of the swarming parent with children (VISES: question, indicators, values).
SHOWCASE = "Régie de quartier Belleville"
SHOWCASE_EVALUATION = (
    (
        "Dans quelle mesure la régie crée-t-elle des emplois d'insertion durables "
        "et du lien social dans le quartier ?"
    ),
    "Valor'ESS",
    # name, unit, baseline, target, values (days before now, value)
    (
        ("Salarié·es en insertion", "ETP", "12", "25", ((700, "15"), (335, "21"))),
        ("Sorties dynamiques vers l'emploi", "%", "35", "60", ((700, "44"), (335, "52"))),
        ("Habitant·es impliqué·es dans les chantiers", "personnes", "80", "200", ((335, "160"),)),
    ),
)
OTHER_EVALUATION = (
    "Quels effets l'activité a-t-elle sur son territoire ?",
    "MESIS",
    ("Emplois créés", "ETP"),
)
