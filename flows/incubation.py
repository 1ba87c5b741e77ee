"""The incubation pathway's flow: incubation agreements for the projects joining a cohort."""

from pathways.orchestration.flows import pathway_flow

incubation = pathway_flow("incubation")
