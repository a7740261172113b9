import pytest

import nlp_service


@pytest.fixture(scope="session")
def phi():
    """The default PHI service with a fixed test secret (so nothing is written under var/)."""
    return nlp_service.load_phi(phi={"secret": "test-secret"})


def found(service, text):
    """{(surface, type)} for every finding."""
    return {(text[f.begin : f.end], f.type.value) for f in service.findings(text)}
