"""``keras.utils.get_file``: Keras's cache names, file:// copies, hashes, safe unpacking, no network."""

import hashlib
import io
import json
import os
import tarfile
import zipfile

import pytest

import lamina
import lamina.compat
from lamina.utils import get_file

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras")


def _tar(path, members):
    """A .tar.gz with the given {name: bytes} regular files."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path


def _listing(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, _, files in os.walk(folder) for f in files)


def test_names_and_unpacking_match_keras(home):
    with open(os.path.join(FIXTURES, "datasets.json")) as f:
        cases = json.load(f)["get_file"]
    source = _tar(home / "src.tar.gz", {"pack/a.txt": b"a", "pack/sub/b.txt": b"bb"})
    for case in cases:
        cache = home / case["id"]
        path = get_file(origin=source.as_uri(), cache_dir=str(cache), **case["kwargs"])
        assert os.path.relpath(path, cache) == case["returned"], case["id"]
        assert _listing(cache) == case["files"], case["id"]


def test_file_origin_copies_and_checks_the_hash(home):
    source = home / "weights.bin"
    source.write_bytes(b"0123456789")
    sha = hashlib.sha256(b"0123456789").hexdigest()
    md5 = hashlib.md5(b"0123456789").hexdigest()
    path = get_file("w.bin", source.as_uri(), file_hash=sha, cache_subdir="models")
    assert path == str(home / "keras" / "models" / "w.bin")
    assert open(path, "rb").read() == b"0123456789"
    assert get_file("w.bin", source.as_uri(), md5_hash=md5, cache_subdir="models") == path
    with pytest.raises(ValueError, match="does not match file_hash"):
        get_file("x.bin", source.as_uri(), file_hash="0" * 64)
    assert not (home / "keras" / "datasets" / "x.bin").exists()
    with pytest.raises(ValueError, match="'hash_algorithm' argument"):
        get_file("w.bin", source.as_uri(), hash_algorithm="sha1")


def test_remote_origins_come_from_the_cache_only(home):
    url = "https://example.com/data/table.csv"
    with pytest.raises(FileNotFoundError, match="not in the cache") as err:
        get_file(origin=url)
    target = str(home / "keras" / "datasets" / "table.csv")
    assert target in str(err.value) and "file://" in str(err.value)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as f:
        f.write("a,b\n")
    assert get_file(origin=url) == target
    good = hashlib.md5(b"a,b\n").hexdigest()
    assert get_file(origin=url, file_hash=good) == target
    with pytest.raises(FileNotFoundError, match="does not match file_hash"):
        get_file(origin=url, file_hash="f" * 32)
    with pytest.raises(FileNotFoundError, match="force_download"):
        get_file(origin=url, force_download=True)


def test_bad_arguments(home):
    with pytest.raises(ValueError, match="'origin'"):
        get_file("a.txt")
    with pytest.raises(ValueError, match="a file name, not a path"):
        get_file("sub/a.txt", "https://example.com/a.txt")
    with pytest.raises(ValueError, match="cannot take a file name"):
        get_file(origin="https://example.com/")


@pytest.mark.parametrize("member", ["../evil.txt", "/abs/evil.txt", "ok/../../evil.txt"])
def test_archives_that_climb_out_are_refused(home, member):
    source = _tar(home / "bad.tar.gz", {"fine.txt": b"x", member: b"evil"})
    with pytest.raises(ValueError, match="outside the target folder"):
        get_file("bad.tar.gz", source.as_uri(), extract=True)
    cache = home / "keras" / "datasets"
    assert not (cache / "bad_extracted").exists()
    assert not (home / "evil.txt").exists() and not (home / "keras" / "evil.txt").exists()
    assert [p for p in os.listdir(cache) if p.startswith(".")] == []  # no staging left behind


def test_links_in_archives_are_refused(home):
    path = home / "links.tar"
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("link")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(ValueError, match="is a link"):
        get_file("links.tar", path.as_uri(), extract=True)
    zpath = home / "bad.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("../up.txt", "x")
    with pytest.raises(ValueError, match="outside the target folder"):
        get_file("bad.zip", zpath.as_uri(), extract=True)


def test_zip_unpacks_and_not_an_archive_warns(home):
    zpath = home / "pics.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("pics/a.png", "png")
    folder = get_file("pics.zip", zpath.as_uri(), extract=True)
    assert _listing(folder) == [os.path.join("pics", "a.png")]
    plain = home / "plain.txt"
    plain.write_text("not an archive")
    with pytest.warns(UserWarning, match="could not unpack"):
        get_file("plain.txt", plain.as_uri(), extract=True)


def test_exported_with_keras_names():
    assert lamina.utils.get_file is get_file and "get_file" in dir(lamina.utils)
    lamina.compat.install()
    try:
        import keras

        assert keras.utils.get_file is get_file
    finally:
        lamina.compat.uninstall()


def test_docstring_examples_run():
    from helpers import run_doctests

    from lamina.datasets import boston_housing, california_housing, imdb, reuters
    from lamina.utils import file_cache

    assert run_doctests(file_cache) >= 2
    for module in (reuters, imdb, boston_housing, california_housing):
        run_doctests(module)  # the others need Keras's files (+SKIP)
