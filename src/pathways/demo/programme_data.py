"""The demo's projects in the programmes of issue 24: Fabrique à initiatives, incubation, VISES, ACES,
cooperation between social enterprises (its members and shares: :mod:`pathways.demo.cooperation`).

The same table format as :data:`pathways.demo.data._TABLE` (read by the same parser), one
project a line; each stage of each of these pathways holds a case, and each pathway reaches
several of its ends. The incubator (Grand Est) runs two cohorts.
"""

from __future__ import annotations

# name | network | territory | legal form | salaried jobs | NAF/NACE | owner's language | phase |
# outcomes decided so far | paths of the cases it opens | "late" when its current stage is overdue.
PROGRAMMES_TABLE = """
[fabrique]
Transport solidaire de Soule | fabrique | FR-64 | | 0 | 49.39B | fr | idea | | |
Conciergerie rurale d'Iholdy | fabrique | FR-64 | | 0 | 96.09Z | fr | idea | confirmed | |
Épicerie itinérante du Baztan | fabrique | FR-64 | | 0 | 47.81Z | fr | idea | confirmed opportunity_confirmed | | late
Recyclerie du BAB | fabrique | FR-64 | | 0 | 38.32Z | fr | idea | {lead} | |
Atelier vélo d'Anglet | fabrique | FR-64 | | 0 | 95.29Z | fr | idea | {lead} feasible | |
Tiers-lieu nourricier d'Hasparren | fabrique | FR-64 | | 0 | 56.29B | fr | idea | {lead} feasible to_incubation | - |
Cantine solidaire de Biarritz | fabrique | FR-64 | | 0 | 56.10A | fr | idea | {lead} feasible founded | - |
Laverie sociale d'Hendaye | fabrique | FR-64 | | 0 | 96.01B | fr | idea | confirmed no_opportunity | |
Garage solidaire de Mauléon | fabrique | FR-64 | | 0 | 45.20A | fr | idea | {lead} not_feasible | |
[incubation]
Ressourcerie numérique de Strasbourg | grand-est | FR-67 | | 0 | 95.11Z | fr | idea | | |
Traiteur solidaire de Haguenau | grand-est | FR-67 | | 0 | 56.21Z | fr | idea | applies | | late
Vélo-cargo de Colmar | grand-est | FR-68 | | 0 | 53.20Z | fr | emergence | {jury} | |
Savonnerie de Sélestat | grand-est | FR-67 | | 0 | 20.41Z | fr | idea | {jury} pre_incubation | |
Fromagerie coopérative de Munster | grand-est | FR-68 | | 0 | 10.51C | fr | idea | {jury} accepted | |
Atelier réemploi de Mulhouse | grand-est | FR-68 | | 0 | 33.19Z | fr | idea | {jury} accepted milestone | |
Boulangerie paysanne de Saverne | grand-est | FR-67 | | 0 | 10.71B | fr | idea | {jury} pre_incubation joins_cohort | |
Café des aidants d'Obernai | grand-est | FR-67 | | 0 | 88.99B | fr | idea | {jury} accepted milestone launched | |
Épicerie vrac de Molsheim | grand-est | FR-67 | | 0 | 47.29Z | fr | idea | {jury} accepted launched | |
Jardin d'insertion de Guebwiller | grand-est | FR-68 | | 0 | 01.13Z | fr | emergence | {jury} accepted abandoned | |
Recyclerie textile de Thann | grand-est | FR-68 | | 0 | 13.99Z | fr | idea | {jury} accepted milestone | |
Foodtruck de Wissembourg | grand-est | FR-67 | | 0 | 56.10C | fr | idea | {jury} refused | |
[impact_evaluation]
Entreprise de formation par le travail Namur | wal | BE-WAL | asbl | 14 | 85.599 | fr | consolidation | | |
Maatwerkbedrijf De Schakel | vlg | BE-VLG | vzw | 35 | 81.210 | nl | consolidation | question_chosen | |
Buurtwerkplaats Leuven | vlg | BE-VLG | vzw | 6 | 95.290 | nl | founded | {vises} | |
Recyclerie de Roubaix | france | FR-59 | association | 16 | 38.32Z | fr | consolidation | {vises} impact_shown | |
Coopérative Énergie Condroz | wal | BE-WAL | sc | 4 | 35.110 | fr | founded | {vises} impact_not_shown | |
[aces_support]
Coopérative de livraison à vélo de Liège | aces | BE-WAL | | 0 | 53.200 | fr | idea | | |
Librairie coopérative d'Arlon | aces | BE-WAL | | 0 | 47.610 | fr | idea | | | late
Brasserie citoyenne de Namur | aces | BE-WAL | | 0 | 11.050 | fr | idea | creation | |
Boutique de seconde main de Mons | aces | BE-WAL | | 0 | 47.791 | fr | idea | creation founded | |
Maraîchage bio de Gembloux | aces | BE-WAL | | 0 | 01.130 | fr | idea | creation founded closed | |
Repair café de Tournai | aces | BE-WAL | | 0 | 95.290 | fr | idea | creation not_founded | |
Titres-services de Charleroi | aces | BE-WAL | asbl | 18 | 88.101 | fr | founded | consultancy | |
Imprimerie sociale de Verviers | aces | BE-WAL | sc | 9 | 18.120 | fr | consolidation | consultancy delivered | |
Ferme pédagogique d'Ath | aces | BE-WAL | | 0 | 01.500 | fr | idea | referred | |
[cooperation]
Groupement d'achats solidaires Lyon Sud | lyon | FR-69 | association | 3 | 46.90Z | fr | consolidation | | |
Restauration collective solidaire du Rhône | lyon | FR-69 | scic | 12 | 56.29A | fr | consolidation | formalise | |
Plateforme logistique ESS de la Vallée de la chimie | lyon | FR-69 | association | 5 | 52.29B | fr | founded | formalise agreed | |
Pôle réemploi de Givors | lyon | FR-69 | association | 8 | 38.32Z | fr | consolidation | formalise agreed held | |
Groupement d'employeurs ESS d'Oullins | lyon | FR-69 | association | 6 | 78.30Z | fr | consolidation | formalise agreed held continued | |
Tiers-lieu coopératif de Pierre-Bénite | lyon | FR-69 | scic | 2 | 68.20B | fr | founded | formalise no_agreement | |
"""  # noqa: E501  (a table reads best one project a line)

PROGRAMMES_SHORTHANDS = {
    "{lead}": "confirmed opportunity_confirmed lead_found",
    "{jury}": "applies submitted",
    "{vises}": "question_chosen collected",
}

# Incubation cohorts: every member of one records the same name and dates (days from the demo's
# today); `idle` (days since the last decision) puts each member's jury near its cohort's start.
_EARLIER = {"cohort": "Promotion 7", "cohort_start": "-100", "cohort_end": "170"}
_LATER = {"cohort": "Promotion 8", "cohort_start": "-10", "cohort_end": "260"}
PROGRAMMES_EXTRA: dict[str, dict[str, str]] = {
    "Café des aidants d'Obernai": _EARLIER | {"idle": "75"},
    "Épicerie vrac de Molsheim": _EARLIER | {"idle": "85"},
    "Jardin d'insertion de Guebwiller": _EARLIER | {"idle": "60"},
    "Recyclerie textile de Thann": _EARLIER | {"idle": "50"},
    "Fromagerie coopérative de Munster": _LATER,
    "Atelier réemploi de Mulhouse": _LATER,
    "Boulangerie paysanne de Saverne": _LATER,
}
