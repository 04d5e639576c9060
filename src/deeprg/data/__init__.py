"""Datasets: HDF5 files of int8 +-1 spin configurations with full metadata."""

from deeprg.data._hdf5 import REQUIRED_ATTRS, SpinDataset, read_dataset, write_dataset

__all__ = ["REQUIRED_ATTRS", "SpinDataset", "read_dataset", "write_dataset"]
