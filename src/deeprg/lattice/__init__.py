"""Lattices: chains and square lattices, neighbour tables, distances and b x b block maps."""

from deeprg.lattice._lattice import Chain, SquareLattice

__all__ = ["Chain", "SquareLattice"]
