"""The examples in the docstrings (what help() shows) run and say what they show."""

import doctest

import pytest

import ModbusSharedMemory.client_server
import ModbusSharedMemory.memory
import msm

DOCUMENTED = [
    msm,
    msm.Memory,
    msm.Var,
    msm.File,
    msm.Master,
    msm.Slave,
    msm.Map,
    msm.Fault,
    msm.Simulator,
    msm.Status,
    msm.aio,
    msm.aio.Master,
    msm.aio.Slave,
    ModbusSharedMemory.memory,
    ModbusSharedMemory.memory.MemoryStore,
    ModbusSharedMemory.memory.MemoryVariable,
    ModbusSharedMemory.client_server.ModbusSlaveTCP,
]


@pytest.mark.parametrize("obj", DOCUMENTED, ids=lambda o: getattr(o, "__qualname__", o.__name__))
def test_docstring_examples(obj):
    test = doctest.DocTestParser().get_doctest(obj.__doc__ or "", {}, obj.__name__, None, 0)
    assert test.examples, f"{obj.__name__} has no example in its docstring"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} example(s) of {obj.__name__} failed (output above)"


def test_version_and_exports():
    assert msm.__version__.count(".") == 2
    for name in msm.__all__:
        assert hasattr(msm, name), name


def test_every_public_method_is_documented():
    for cls in (msm.Memory, msm.Var, msm.Master, msm.MasterHandle, msm.Slave, msm.SlaveHandle,
                msm.Map, msm.MapMemory, msm.Status, msm.aio.Master, msm.aio.MasterHandle,
                msm.aio.Slave, msm.aio.SlaveHandle):
        for name in dir(cls):
            if name.startswith("_"):
                continue
            assert getattr(cls, name).__doc__, f"{cls.__name__}.{name} has no docstring"


def test_the_stubs_cover_the_extension_module():
    import ast
    from pathlib import Path

    import msm._msm as ext

    stub = Path(ext.__file__).with_name("_msm.pyi")
    assert stub.exists() and stub.with_name("py.typed").exists()
    tree = ast.parse(stub.read_text())
    stubbed = {
        node.name: {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        | {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }
    for name in dir(ext):
        obj = getattr(ext, name)
        if not isinstance(obj, type):
            continue
        assert name in stubbed, f"{name} is missing from _msm.pyi"
        for member in dir(obj):
            if not member.startswith("_"):
                assert member in stubbed[name], f"{name}.{member} is missing from _msm.pyi"


def test_the_readme_python_example_runs():
    import re

    from conftest import REPO

    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "the README shows no Python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
