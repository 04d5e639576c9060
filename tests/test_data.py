import h5py
import numpy as np
import pytest

from deeprg.data import read_dataset, write_dataset
from deeprg.errors import DatasetError

ATTRS = {"model": "ising2d", "K": 0.4, "h": 0.0, "algorithm": "wolff", "seed": 1}


def configs(n=10, L=4, seed=0):
    return np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int8), size=(n, L, L))


def test_round_trip(tmp_path):
    c = configs()
    path = write_dataset(tmp_path / "d.h5", c, {**ATTRS, "extra": {"a": 1}}, chain=np.arange(10) % 2)
    ds = read_dataset(path)
    np.testing.assert_array_equal(ds.configs, c)
    assert ds.attrs["K"] == 0.4 and ds.attrs["deeprg_version"] and '"extra"' in ds.attrs["config_json"]
    assert [g.tolist() for g in ds.by_chain()] == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_failed_write_keeps_the_old_file(tmp_path):
    path = write_dataset(tmp_path / "d.h5", configs(), ATTRS)
    before = path.read_bytes()
    with pytest.raises(DatasetError):
        write_dataset(path, configs(), ATTRS, chain=np.arange(3))
    assert path.read_bytes() == before and not list(tmp_path.glob(".*"))


def _raw(path, data, attrs=ATTRS):
    with h5py.File(path, "w") as f:
        f.create_dataset("configs", data=data)
        for k, v in attrs.items():
            f.attrs[k] = v
        f.attrs["deeprg_version"] = "x"
    return path


@pytest.mark.parametrize(
    "make,needle",
    [
        (lambda p: p.write_text("hello"), "not an HDF5 file"),
        (lambda p: _raw(p, configs().astype(np.int16)), "dtype int16"),
        (lambda p: _raw(p, (configs() + 1) // 2), "outside"),
        (lambda p: _raw(p, np.ones((3, 2, 2, 2), dtype=np.int8)), "shape"),
        (lambda p: _raw(p, configs(), {"model": "ising2d", "K": 1.0}), "missing attributes"),
        (lambda p: _raw(p, configs()[:, 0], ATTRS), "axes"),
        (lambda p: _raw(p, configs(), {**ATTRS, "model": "potts"}), "potts"),
        (lambda p: h5py.File(p, "w").close(), "no /configs"),
    ],
)
def test_bad_files_are_named(tmp_path, make, needle):
    path = tmp_path / "bad.h5"
    make(path)
    with pytest.raises(DatasetError, match=needle):
        read_dataset(path)


def test_truncated_and_missing_files(tmp_path):
    path = write_dataset(tmp_path / "d.h5", configs(2000, 16), ATTRS)
    data = path.read_bytes()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=r"truncated|not an HDF5"):
        read_dataset(cut)
    with pytest.raises(DatasetError, match="no such file"):
        read_dataset(tmp_path / "missing.h5")
    with pytest.raises(DatasetError, match="folder"):
        read_dataset(tmp_path)


@pytest.mark.parametrize("level", [0, 1, 4])
@pytest.mark.parametrize("shape", [(1, 4, 4), (300, 64, 64), (257, 100), (5000, 300)], ids=str)
def test_chunks_deflated_in_parallel_are_what_hdf5_writes(tmp_path, shape, level):
    """Every stored chunk (the last one padded) holds what h5py's own shuffle + gzip pipeline
    stores (the same zlib stream content, same filter mask), so any HDF5 reader decodes it."""
    import zlib

    data = np.where(np.random.default_rng(1).random(shape) < 0.3, 1, -1).astype(np.int8)
    attrs = {**ATTRS, "model": "ising2d" if len(shape) == 3 else "ising1d"}
    path = write_dataset(tmp_path / "a.h5", data, attrs, compression_level=level)
    with h5py.File(path, "r") as ours, h5py.File(tmp_path / "ref.h5", "w") as ref:
        mine = ours["configs"]
        theirs = ref.create_dataset(
            "configs", data=data, chunks=mine.chunks, compression="gzip", compression_opts=level, shuffle=True
        )
        assert mine.compression_opts == level and mine.shuffle
        assert mine.id.get_num_chunks() == theirs.id.get_num_chunks() == -(-shape[0] // mine.chunks[0])
        for k in range(mine.id.get_num_chunks()):
            offset = mine.id.get_chunk_info(k).chunk_offset
            assert mine.id.get_chunk_info(k).filter_mask == theirs.id.get_chunk_info(k).filter_mask == 0
            a, b = mine.id.read_direct_chunk(offset)[1], theirs.id.read_direct_chunk(offset)[1]
            assert zlib.decompress(a) == zlib.decompress(b)
    assert np.array_equal(read_dataset(path).configs.reshape(shape), data)


def test_the_first_value_outside_plus_minus_one_is_named(tmp_path):
    data = np.ones((3000, 32, 32), dtype=np.int8)
    data[2500, 7, 9] = 2  # past the first block of the blocked check
    with pytest.raises(DatasetError, match=r"e\.g\. 2 at index \(2500, 7, 9\)"):
        write_dataset(tmp_path / "a.h5", data, dict(ATTRS))
    data[2500, 7, 9] = 0
    data[0, 0, 1] = -128
    with pytest.raises(DatasetError, match=r"-128 at index \(0, 0, 1\)"):
        write_dataset(tmp_path / "a.h5", data, dict(ATTRS))
