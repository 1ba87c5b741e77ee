"""The consulting mission pathway's flow: the automatic work of missions spawned by ongoing support."""

from pathways.orchestration.flows import pathway_flow

consulting_mission = pathway_flow("consulting_mission")
