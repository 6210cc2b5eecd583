"""The JupyterHub configuration: users land on a lesson in Voila, each user's Jupyter server
gets Voila's settings by names its classes really have, and the written file loads as
JupyterHub loads it. The real hub is driven in tests/browser/test_jupyterhub.py."""

import importlib
import re

import pytest
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from bpttviz.cli import main as cli_main
from bpttviz.hub import LANDING, configure, hub_config_text, landing_url, singleuser_args
from bpttviz.serve import UNUSED_EXTENSIONS, lessons_dir
from bpttviz.serve import page_names as lesson_names

#: Where the classes named in the single-user server's arguments live.
CLASSES = {
    "ServerApp": "jupyter_server.serverapp",
    "VoilaConfiguration": "voila.configuration",
    "MappingKernelManager": "jupyter_server.services.kernels.kernelmanager",
    "VoilaExecutor": "voila.execute",
}


def load(path):
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def test_every_shipped_lesson_is_a_landing_page():
    names = lesson_names()
    assert LANDING in names and "02_vanishing_exploding" in names
    assert names == sorted(p.stem for p in lessons_dir().glob("*.ipynb"))
    for name in names:
        url = landing_url(name)
        assert url == f"/voila/render/{name}.ipynb" == landing_url(name + ".ipynb")
        assert (lessons_dir() / url.removeprefix("/voila/render/")).is_file()


def test_an_unknown_lesson_is_refused_naming_the_lessons_there_are():
    with pytest.raises(ValueError, match=r"'lesson'.*02_vanishing_exploding.*Got 'lesson9'"):
        landing_url("lesson9")


@pytest.mark.parametrize("arg", singleuser_args())
def test_each_single_user_argument_names_a_real_setting(arg):
    match = re.fullmatch(r"--(\w+)\.(\w+)=(.+)", arg)
    assert match, arg
    cls_name, trait, _ = match.groups()
    cls = getattr(importlib.import_module(CLASSES[cls_name]), cls_name)
    assert trait in cls.class_trait_names(config=True), f"{cls_name} has no setting {trait}"


def test_the_voila_extension_is_enabled_and_kernels_are_culled():
    args = singleuser_args()
    assert "--ServerApp.jpserver_extensions=voila.server_extension=True" in args
    assert "--VoilaConfiguration.show_tracebacks=False" in args
    assert any(a.startswith("--MappingKernelManager.cull_idle_timeout=") for a in args)


def test_voilas_pages_leave_out_the_unused_lab_extensions_as_the_users_server_reads_them():
    # The Jupyter server parses the arguments before Voila is loaded: the list must survive as
    # the string it keeps until Voila reads its settings.
    from jupyter_server.serverapp import ServerApp
    from voila.configuration import VoilaConfiguration

    server = ServerApp()
    server.parse_command_line([a for a in singleuser_args()
                               if a.startswith("--VoilaConfiguration.extension_denylist=")])
    assert VoilaConfiguration(parent=server).extension_denylist == list(UNUSED_EXTENSIONS)
    assert {"jupyter-vue", "jupyter-vuetify"} <= set(UNUSED_EXTENSIONS)


def test_configure_lands_users_on_the_lesson_and_keeps_the_sites_arguments():
    c = Config()
    c.Spawner.args = ["--ServerApp.allow_root=True"]
    configure(c, lesson="03_truncated_bptt")
    configure(c, lesson="03_truncated_bptt")               # twice: nothing doubled
    assert c.Spawner.default_url == "/voila/render/03_truncated_bptt.ipynb"
    assert c.Spawner.notebook_dir == str(lessons_dir())
    assert c.Spawner.args == ["--ServerApp.allow_root=True"] + singleuser_args()
    assert "authenticator_class" not in c.JupyterHub and "spawner_class" not in c.JupyterHub


def test_configure_serves_the_users_own_copies_when_told():
    c = configure(Config(), notebooks="~/lessons")
    assert c.Spawner.notebook_dir == "~/lessons"
    assert c.Spawner.default_url == "/voila/render/index.ipynb"


def test_the_written_file_for_one_machine_loads_as_jupyterhub_loads_it(tmp_path):
    path = tmp_path / "jupyterhub_config.py"
    path.write_text(hub_config_text(lesson="04_training", try_locally=True, port=8123))
    c = load(path)
    assert c.Spawner.default_url == "/voila/render/04_training.ipynb"
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8123"
    assert c.JupyterHub.authenticator_class == "dummy"
    assert c.JupyterHub.spawner_class == "simple"
    assert c.Spawner.cmd[1:] == ["-m", "jupyterhub.singleuser"]
    assert set(singleuser_args()) <= set(c.Spawner.args)


def test_the_written_file_for_a_site_keeps_jupyterhubs_own_login(tmp_path):
    path = tmp_path / "jupyterhub_config.py"
    path.write_text(hub_config_text(host="0.0.0.0", port=80))
    c = load(path)
    assert c.Spawner.default_url == "/voila/render/index.ipynb"
    assert c.JupyterHub.bind_url == "http://0.0.0.0:80"
    assert c.Spawner.cmd[1:] == ["-m", "jupyterhub.singleuser"]
    assert "authenticator_class" not in c.JupyterHub and "spawner_class" not in c.JupyterHub


def test_a_port_out_of_range_is_refused():
    with pytest.raises(ValueError, match=r"'port'.*\[1, 65535\]. Got 0 instead"):
        hub_config_text(port=0)


def test_the_command_prints_or_writes_the_file(tmp_path, capsys):
    assert cli_main(["hub-config", "--lesson", "02_vanishing_exploding", "--try-locally"]) == 0
    printed = capsys.readouterr().out
    assert "configure(c, lesson='02_vanishing_exploding')" in printed
    out = tmp_path / "hub.py"
    assert cli_main(["hub-config", "--try-locally", "--lesson", "02_vanishing_exploding",
                     "-o", str(out)]) == 0
    assert "jupyterhub -f" in capsys.readouterr().err
    assert out.read_text() == printed.replace("jupyterhub -f jupyterhub_config.py",
                                              "jupyterhub -f hub.py")


def test_the_command_refuses_an_unknown_lesson_in_one_line(capsys):
    assert cli_main(["hub-config", "--lesson", "07_nothing"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bpttviz hub-config: The 'lesson'") and err.count("\n") == 1


# --- the class view as a hub service -----------------------------------------------------------

def test_the_class_view_is_a_hub_service_the_teacher_may_open(tmp_path):
    from bpttviz.hub import CLASS_SERVICE

    path = tmp_path / "jupyterhub_config.py"
    path.write_text(hub_config_text(try_locally=True, host="0.0.0.0", port=8123,
                                    teachers=["ada"]))
    c = load(path)
    [service] = c.JupyterHub.services
    assert service["name"] == CLASS_SERVICE and service["oauth_no_confirm"] is True
    assert service["command"][1:] == ["-m", "bpttviz.serve.classview", "--hub"]
    assert service["url"].startswith("http://127.0.0.1:")
    [role] = c.JupyterHub.load_roles
    assert role["users"] == ["ada"]
    assert role["scopes"] == [f"access:services!service={CLASS_SERVICE}"]
    # Kernels report through the hub's proxy, on this machine when the hub listens everywhere.
    assert c.Spawner.environment["BPTTVIZ_CLASS_URL"] == (
        f"http://127.0.0.1:8123/services/{CLASS_SERVICE}/bpttviz/class/kernel")
    assert "services" not in load_text(tmp_path, hub_config_text(try_locally=True)).JupyterHub


def load_text(tmp_path, text):
    path = tmp_path / "other_config.py"
    path.write_text(text)
    return load(path)


def test_the_class_view_keeps_the_sites_own_services_roles_and_environment():
    from bpttviz.hub import configure_class

    c = Config()
    c.JupyterHub.services = [{"name": "grader", "api_token": "x"}]
    c.JupyterHub.load_roles = [{"name": "graders", "users": ["alan"]}]
    c.Spawner.environment = {"SITE": "1"}
    configure_class(c, teachers=["ada", "grace"], hub_url="https://hub.example.org/")
    assert [s["name"] for s in c.JupyterHub.services] == ["grader", "bpttviz-class"]
    assert [r["name"] for r in c.JupyterHub.load_roles] == ["graders", "bpttviz-class-teacher"]
    assert c.Spawner.environment["SITE"] == "1"
    assert c.Spawner.environment["BPTTVIZ_CLASS_URL"].startswith(
        "https://hub.example.org/services/bpttviz-class/")


@pytest.mark.parametrize("argv, says", [
    (["--class"], "--class and --teacher NAME go together"),
    (["--teacher", "ada"], "--class and --teacher NAME go together"),
    (["--class", "--teacher", "a b"], "must be a hub user name"),
    (["--class", "--teacher", "x'); import os"], "must be a hub user name"),
])
def test_the_command_refuses_a_class_view_without_a_proper_teacher(argv, says, capsys):
    assert cli_main(["hub-config", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_the_command_writes_the_class_view_for_the_teachers_named(capsys):
    assert cli_main(["hub-config", "--class", "--teacher", "ada", "--teacher", "grace"]) == 0
    assert "configure_class(c, teachers=['ada', 'grace']" in capsys.readouterr().out
