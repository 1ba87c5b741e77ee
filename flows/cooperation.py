"""The cooperation pathway's flow: the cooperation agreement, listing the member projects."""

from pathways.orchestration.flows import pathway_flow

cooperation = pathway_flow("cooperation")
