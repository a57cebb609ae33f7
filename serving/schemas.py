"""What clients may send: pydantic request models, built per server from its limits.

The limits live in the models (`maxItems`, `maxLength`) so pydantic stops at the 257th
text instead of validating a million items, and the OpenAPI page shows them. Limit
failures are told apart from schema failures by `is_limit_error`, which the server turns
into 413 (too large) rather than 422 (malformed). Responses are not modelled here: they
are the `to_dict()` of `framelens.serving.results`, the one output schema.
"""

# No `from __future__ import annotations`: the models are built inside a function, and
# pydantic must see the limits' values, not names to look up later.
from typing import Annotated, Any, Self

from framelens.serving.settings import ServeSettings
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator
from pydantic_core import PydanticCustomError

# Fields that carry text: a length error on one of them is "too large", not "malformed".
TEXT_FIELDS = frozenset({"texts", "text", "documents"})
LIMIT_TYPES = frozenset({"too_long", "string_too_long", "too_many_chars"})
MAX_ID_CHARS = 200
# Ids are echoed as strings; a 64-bit range keeps a 4000-digit number out of str().
DocId = StrictStr | Annotated[StrictInt, Field(ge=-(2**63), lt=2**63)]


def _valid_unicode(text: str) -> str:
    # JSON can spell a lone surrogate ("\ud800"); Python accepts it as a str, but the
    # tokenizer and the JSON encoder of the answer cannot. Refuse it here, as the client's.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("invalid_unicode",
                                  "text contains a lone surrogate, which is not valid Unicode") from None
    return text


def _total_chars(texts: list[str], limit: int) -> None:
    total = sum(len(t) for t in texts)
    if total > limit:
        raise PydanticCustomError("too_many_chars",
                                  "{total} characters in one request; the limit is {limit}",
                                  {"total": total, "limit": limit})


def is_limit_error(error: dict[str, Any]) -> bool:
    """A validation error that means "too much", answered with 413."""
    if error.get("type") not in LIMIT_TYPES:
        return False
    loc = [part for part in error.get("loc", ()) if isinstance(part, str)]
    return error["type"] == "too_many_chars" or (bool(loc) and loc[-1] in TEXT_FIELDS)


def request_models(settings: ServeSettings) -> tuple[type[BaseModel], type[BaseModel]]:
    """(ClassifyRequest, AnalyzeRequest) enforcing this server's limits."""
    max_texts, max_chars = settings.max_texts, settings.max_chars
    Text = Annotated[StrictStr, Field(max_length=max_chars), AfterValidator(_valid_unicode)]

    class ClassifyRequest(BaseModel):
        """Sentences to label, each on its own (no splitting)."""

        model_config = ConfigDict(extra="forbid", json_schema_extra={
            "examples": [{"texts": ["Aid convoys have not reached the besieged district.",
                                    "Troops destroyed a militant weapons depot."]}]})
        texts: Annotated[list[Text], Field(max_length=max_texts, description=(
            f"Sentences to label: at most {max_texts}, {max_chars} characters in all"))]

        @model_validator(mode="after")
        def _chars(self) -> Self:
            _total_chars(self.texts, max_chars)
            return self

    class Document(BaseModel):
        """One article and the id its answer echoes."""

        model_config = ConfigDict(extra="forbid")
        id: Annotated[DocId | None, Field(description=(
            "Your id for the document, echoed back as a string."))] = None
        text: Text

        @model_validator(mode="after")
        def _id_length(self) -> Self:
            if isinstance(self.id, str) and len(self.id) > MAX_ID_CHARS:
                raise PydanticCustomError("id_too_long", "id longer than {limit} characters",
                                          {"limit": MAX_ID_CHARS})
            return self

        @property
        def doc_id(self) -> str | None:
            return None if self.id is None else str(self.id)

    class AnalyzeRequest(BaseModel):
        """One article as `text`, or several as `documents`; each is split into sentences."""

        model_config = ConfigDict(extra="forbid", json_schema_extra={
            "examples": [{"text": "Shelling hit the market. Aid agencies called for a ceasefire."},
                         {"documents": [{"id": "a1", "text": "Troops cleared the town."}]}]})
        text: Annotated[Text | None, Field(description="One article.")] = None
        documents: Annotated[list[Document] | None, Field(max_length=max_texts, description=(
            f"Several articles: at most {max_texts}, {max_chars} characters in all"))] = None

        @model_validator(mode="after")
        def _one_of(self) -> Self:
            if (self.text is None) == (self.documents is None):
                raise PydanticCustomError("text_or_documents",
                                          'send exactly one of "text" or "documents"')
            _total_chars([d.text for d in self.documents or []], max_chars)
            return self

    return ClassifyRequest, AnalyzeRequest
