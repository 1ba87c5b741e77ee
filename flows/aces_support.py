"""The Walloon agences-conseil (ACES) pathway's flow: the automatic work its stages declare (none yet)."""

from pathways.orchestration.flows import pathway_flow

aces_support = pathway_flow("aces_support")
