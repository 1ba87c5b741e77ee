"""The ongoing support pathway's flow: consulting briefs and spawned consulting missions."""

from pathways.orchestration.flows import pathway_flow

ongoing_support = pathway_flow("ongoing_support")
