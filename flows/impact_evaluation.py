"""The impact evaluation (VISES) pathway's flow: the case's evaluation started, the collection summed up."""

from pathways.orchestration.flows import pathway_flow

impact_evaluation = pathway_flow("impact_evaluation")
