"""Lattices: chains and square lattices, neighbour tables, distances and b x b block maps."""

from deeprg.lattice._lattice import Chain, SquareLattice, torus_centroids

__all__ = ["Chain", "SquareLattice", "torus_centroids"]
