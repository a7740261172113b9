import pytest

from nlp_service.config import load_settings
from nlp_service.errors import ServiceError


def test_config_defaults_load():
    settings = load_settings(environ={})
    assert settings.service.port == 8080
    assert settings.records.max_text_chars == 100_000
    assert "nlp_service_concepts_v1" in settings.records.pipeline


def test_config_env_overrides_nested_keys():
    settings = load_settings(environ={"NLP_SERVICE__RECORDS__MAX_TEXT_CHARS": "2500", "NLP_SERVICE__SERVICE__HOST": "0.0.0.0"})
    assert settings.records.max_text_chars == 2500
    assert settings.service.host == "0.0.0.0"


def test_config_file_overrides(tmp_path):
    path = tmp_path / "conf.toml"
    path.write_text("[service]\nport = 9001\n")
    assert load_settings(path, environ={}).service.port == 9001


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"service": {"prot": 1}}, "[service.prot] Extra inputs are not permitted"),
        ({"service": {"port": 0}}, "[service.port] Input should be greater than or equal to 1"),
        ({"records": {"max_text_chars": "lots"}}, "[records.max_text_chars]"),
        ({"unknown_section": {}}, "[unknown_section]"),
    ],
)
def test_config_rejects_invalid_keys_with_location(overrides, message):
    with pytest.raises(ServiceError) as info:
        load_settings(overrides=overrides, environ={})
    assert info.value.code == "E300"
    assert message in str(info.value)


def test_config_unreadable_file_is_an_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[service\n")
    with pytest.raises(ServiceError, match="E300"):
        load_settings(path, environ={})


def test_config_unknown_pipeline_component_is_named():
    from nlp_service.config import load_settings as load
    from nlp_service.records import RecordAnalyzer

    settings = load(overrides={"records": {"pipeline": ["nlp_service_sections_v1", "no_such_component_v9"]}}, environ={})
    with pytest.raises(ServiceError) as info:
        RecordAnalyzer(settings.records)
    assert info.value.code == "E301"
    assert "no_such_component_v9" in str(info.value) and "nlp_service_concepts_v1" in str(info.value)
