"""The Fabrique à initiatives pathway's flow: project sheets, the lead found made owner, hand-offs."""

from pathways.orchestration.flows import pathway_flow

fabrique = pathway_flow("fabrique")
