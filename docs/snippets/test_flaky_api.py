"""How a user tests a DAG's code against the emulator (the pytest plugin gives ``emulator``)."""

from signs_provider.optisigns.hooks import OptiSignsHook


# --8<-- [start:test]
def test_my_code_survives_a_flaky_api(emulator, monkeypatch):
    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    emulator.control.add_fault("503", path="^/optisigns/graphql$", times=2)

    screens = OptiSignsHook().list_screens()  # retried through both 503s

    assert screens
    assert emulator.control.count(path="/graphql", fault="503") == 2
    # --8<-- [end:test]
