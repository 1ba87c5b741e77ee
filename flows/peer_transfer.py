"""The peer transfer pathway's flow: transfer agreements and payment claims."""

from pathways.orchestration.flows import pathway_flow

peer_transfer = pathway_flow("peer_transfer")
