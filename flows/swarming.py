"""The swarming pathway's flow: model choice documents and one spawned case per local carrier."""

from pathways.orchestration.flows import pathway_flow

swarming = pathway_flow("swarming")
