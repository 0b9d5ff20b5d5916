"""The candidate-group vocabulary of the GROS procedure: the groups the models name on their user
tasks and that accounts can be members of, each with the Dutch name people see."""

from __future__ import annotations

from engine.services import Roles

GROUPS: dict[str, str] = {
    "secretariaat": "GROS-secretariaat",
    "regionaal-netwerk": "Regionaal netwerk",
    "grensregio-nl": "Grensregio-overleg, Nederlandse zijde",
    "grensregio-vl": "Grensregio-overleg, Vlaamse zijde",
    "departement-nl": "Departementen, Nederland",
    "departement-vl": "Departementen, Vlaanderen",
    "federaal-be": "Federale overheid België",
    "hoofd-van-dienst-nl": "Hoofd van dienst, Nederland",
    "hoofd-van-dienst-vl": "Hoofd van dienst, Vlaanderen",
    "bewindspersoon-nl": "Bewindspersoon, Nederland",
    "bewindspersoon-vl": "Bewindspersoon, Vlaanderen",
    "minister-grenssamenwerking-nl": "Minister voor grensoverschrijdende samenwerking, Nederland",
    "minister-grenssamenwerking-vl": "Minister voor grensoverschrijdende samenwerking, Vlaanderen",
    "ministerraad-nl": "Ministerraad, Nederland",
    "vlaamse-regering": "Vlaamse Regering",
    "bilateraal-overleg": "Bilateraal overleg",
    "ambtelijk-grensoverleg": "Ambtelijk-bestuurlijk grensoverleg",
    "management": "Management",
    "procesbeheer": "Procesbeheer (deployt de modellen)",
    "koppeling": "Koppelingen (external-task workers)",
}

# The one place that says who oversees (starts what a model leaves open, reads every dossier) and who
# administers (manages API tokens and webhook subscribers) and who deploys the models (process owners, as
# Camunda Modeler does it): every door asks these.
OVERSEERS = frozenset({"management", "secretariaat"})
ADMINISTRATORS = frozenset({"secretariaat"})
DEPLOYERS = frozenset({"procesbeheer"})
ROLES = Roles(overseers=OVERSEERS, administrators=ADMINISTRATORS, deployers=DEPLOYERS)
# Groups the models give no task: they watch the procedure, deploy its models or connect other systems.
WITHOUT_TASKS = frozenset({"management", "procesbeheer", "koppeling"})


def group_name(group: str) -> str:
    return GROUPS.get(group, group)
