"""The diagnosis pathway's flow: intake sheets, shared diagnoses, committee agenda, hand-offs."""

from pathways.orchestration.flows import pathway_flow

diagnosis = pathway_flow("diagnosis")
