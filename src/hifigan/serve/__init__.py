"""``hifigan serve``: an HTTP server for text to speech (needs the ``serve`` extra: FastAPI, uvicorn).

Nothing on the inference path imports this package."""
from hifigan.serve.app import ServeConfig, SpeechRequest, create_app

__all__ = ["ServeConfig", "SpeechRequest", "create_app"]
